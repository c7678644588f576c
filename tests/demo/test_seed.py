"""`rhi demo seed` makes two years of a return service's work up to today, through the real
services: the register, the records and their versions, the findings, the feed and the audit
log are what real use leaves, spread over the two years, and the quarterly report has figures
to publish. Runs on the test database (SQLite, and PostgreSQL when the suite runs there).

The history is made once for the module, inside a transaction rolled back at its end; the tests
only read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.db import get_session
from app.core.london import london_day
from app.core.types import utcnow
from app.demo import cast
from app.demo.seed import Seeded, seed
from app.feed.models import FeedRow
from app.feed.pages import build_report, latest_complete_quarter
from app.main import create_app
from app.record.models import Interview, InterviewVersion, RegisterEpisode
from app.record.register import state
from tests.conftest import with_template_names

HEADLINE = ("episodes", "children", "interviews", "offered", "outcomes.completed",
            "offered_within_72h", "completed_within_72h", "out_of_area")


@pytest.fixture(scope="module")
def demo(migrated_engine: Engine) -> Iterator[tuple[Session, Seeded]]:
    with migrated_engine.connect() as connection:
        outer = connection.begin()
        try:
            with Session(bind=connection, join_transaction_mode="create_savepoint",
                         expire_on_commit=False) as session:
                seeded = seed(session)
                session.flush()
                yield session, seeded
        finally:
            outer.rollback()


@pytest.fixture(scope="module")
def session(demo: tuple[Session, Seeded]) -> Session:
    return demo[0]


def _all(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).all())


def test_it_made_hundreds_of_episodes_a_year_and_their_records(
        demo: tuple[Session, Seeded]) -> None:
    session, seeded = demo
    assert not seeded.already
    assert 650 <= seeded.episodes <= 1100
    assert 550 <= seeded.records <= 1000
    # Every step went through a service: each record has its versions and (unless a draft)
    # its feed row; every register episode a child.
    versions = session.execute(select(func.count(func.distinct(
        col(InterviewVersion.interview_id))))).scalar_one()
    fed = session.execute(select(func.count()).select_from(FeedRow)).scalar_one()
    drafts = session.execute(select(func.count()).select_from(Interview).where(
        col(Interview.status) == "draft")).scalar_one()
    assert versions == fed == seeded.records - drafts


def test_the_history_spans_two_years_and_was_submitted_as_it_happened(
        session: Session) -> None:
    now = utcnow()
    starts = session.execute(select(func.min(RegisterEpisode.started_at),
                                    func.max(RegisterEpisode.started_at))).one()
    assert starts[0] < now - timedelta(days=700) and starts[1] > now - timedelta(days=10)
    rows = _all(session, select(col(Interview.created_at), col(Interview.submitted_at),
                                col(Interview.approved_at))
                .where(col(Interview.status) != "draft"))
    submitted_days = Counter(london_day(submitted) for _, submitted, _ in rows)
    assert len(submitted_days) > 300  # spread over the two years' working days, not all today
    assert max(submitted_days.values()) <= 15
    assert min(submitted_days) < london_day(now - timedelta(days=690))
    assert all(approved is None or approved > submitted for _, submitted, approved in rows)
    # Audit entries are stamped when each step happened, in order.
    times = session.execute(select(col(AuditEntry.at)).order_by(col(AuditEntry.id))).scalars()
    stamps = list(times)
    assert stamps[0] < now - timedelta(days=700) and stamps == sorted(stamps)


def test_it_has_repeat_children_and_a_few_very_often(session: Session) -> None:
    per_child = Counter(session.execute(
        select(col(RegisterEpisode.child_id)).where(
            col(RegisterEpisode.duplicate_of).is_(None))).scalars())
    assert sum(1 for n in per_child.values() if n == 1) > len(per_child) / 2
    assert sum(1 for n in per_child.values() if n >= 3) > 30
    assert sum(1 for n in per_child.values() if n >= 10) >= 5


def test_children_are_placed_out_of_area_both_ways(session: Session) -> None:
    placements = _all(session, select(col(Interview.responsible_authority),
                                      col(Interview.document)["child"]["placement_authority"]
                                      .as_string()).where(col(Interview.status) != "draft"))
    ours_away = {placed for authority, placed in placements
                 if authority in cast.COMMISSIONERS and placed not in (None, authority)}
    theirs_here = {authority for authority, placed in placements
                   if placed in cast.COMMISSIONERS and authority in cast.NEIGHBOURS}
    assert ours_away >= set(cast.NEIGHBOURS)
    assert theirs_here >= set(cast.NEIGHBOURS)


def _findings(session: Session, code: str) -> Counter[str]:
    results: Counter[str] = Counter()
    for findings in session.execute(select(col(Interview.findings)).where(
            col(Interview.status) != "draft")).scalars():
        results.update(f["result"] for f in findings if f["code"] == code)
    return results


def test_it_has_exploitation_and_its_follow_up_sometimes_complete_sometimes_not(
        session: Session) -> None:
    indicators: Counter[str] = Counter()
    for document in session.execute(select(col(Interview.document))).scalars():
        indicators.update((document.get("interview") or {}).get("risk_indicators") or [])
    for form in ("criminal_exploitation", "sexual_exploitation", "county_lines"):
        assert indicators[form] >= 10, form
    response = _findings(session, "exploitation-response")
    assert response["met"] >= 10 and response["not_met"] >= 5
    assert _findings(session, "manager-oversight")["met"] >= 10


def test_offers_and_interviews_are_within_and_outside_72_hours(session: Session) -> None:
    for code in ("offer-within-72h", "interview-within-72h", "report-within-3wd",
                 "report-shared", "actions-followed-through"):
        results = _findings(session, code)
        assert results["met"] >= 20 and results["not_met"] >= 10, (code, results)


def test_it_has_declines_with_reasons_and_overdue_actions(session: Session) -> None:
    offers = [d["offer"] for d in session.execute(select(col(Interview.document)).where(
        col(Interview.status) != "draft")).scalars()]
    declined = [o for o in offers if o["outcome"] == "declined"]
    assert len(declined) > 60
    assert sum(1 for o in declined if o.get("decline_reason")) > len(declined) / 2
    assert sum(1 for o in offers if o["outcome"] == "not_offered" and
               o.get("not_offered_reason")) > 30
    overdue = session.execute(select(func.count()).select_from(Interview).where(
        col(Interview.open_action_due_at) < utcnow())).scalar_one()
    done = 0
    for document in session.execute(select(col(Interview.document))).scalars():
        done += sum(1 for a in document.get("actions") or [] if a.get("status") == "done")
    assert overdue >= 3 and done > 300
    sharing = session.execute(select(col(Interview.document)["sharing"])).scalars()
    assert sum(len(s or []) for s in sharing) > 1000


def test_the_register_is_what_notifications_allocations_and_records_leave(
        session: Session) -> None:
    episodes = list(session.execute(select(RegisterEpisode)).scalars())
    sources = Counter(e.source for e in episodes)
    assert sources["notification"] > 500 and sources["coordinator"] > 20
    assert sources["record"] > 10
    assert sum(1 for e in episodes if e.duplicate_of is not None) >= 3
    assert sum(1 for e in episodes if e.allocated_org == cast.PROVIDER) > 500
    states = Counter(state(e) for e in episodes)
    assert states["shared"] > 300 and states["declined"] > 50 and states["not_offered"] > 30
    assert {e.responsible_authority for e in episodes} >= {*cast.COMMISSIONERS,
                                                            *cast.NEIGHBOURS}


def test_managers_approved_and_returned_records_and_work_is_in_hand(session: Session) -> None:
    decisions = Counter(session.execute(select(col(InterviewVersion.decision))).scalars())
    assert decisions["approved"] > 600 and decisions["returned"] > 30
    statuses = Counter(session.execute(select(col(Interview.status))).scalars())
    assert statuses["approved"] > 600
    assert statuses["submitted"] + statuses["returned"] + statuses["draft"] >= 1
    made_on_form = session.execute(select(func.count()).select_from(Interview).where(
        col(Interview.created_by_user_id).is_not(None))).scalar_one()
    assert made_on_form > 30  # the interviewer's, typed section by section


def test_the_audit_chain_of_the_history_verifies(session: Session) -> None:
    entries = list(session.execute(select(AuditEntry).order_by(col(AuditEntry.id))).scalars())
    assert len(entries) > 3000
    assert audit.verify(entries) == []


@pytest.mark.parametrize("organisation", ["801", cast.PROVIDER])
def test_the_last_complete_quarters_headline_figures_are_all_published(
        session: Session, organisation: str) -> None:
    report = build_report(session, organisation, latest_complete_quarter())

    shown = {figure.name: figure.value for figure in report.headline}
    assert set(shown) == set(HEADLINE)
    assert all(value is not None and value >= 6 for value in shown.values()), shown


def test_the_analyst_sees_the_published_figures_on_the_report_page(
        demo: tuple[Session, Seeded]) -> None:
    session, seeded = demo
    application = with_template_names(create_app())

    def demo_session() -> Iterator[Session]:
        yield session
        session.commit()  # a savepoint inside the module's transaction

    application.dependency_overrides[get_session] = demo_session
    with TestClient(application, base_url="http://testserver") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        answer = client.post("/login", data={
            "email": f"analyst@{cast.DOMAIN}", "password": seeded.password,
            "csrf_token": token.group(1)}, follow_redirects=True)
        assert answer.status_code == 200
        page = client.get("/reports/quarterly")
    assert page.status_code == 200
    figures = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', page.text))
    for name in HEADLINE:
        assert figures[name].strip().replace(",", "").isdigit(), (name, figures[name])
