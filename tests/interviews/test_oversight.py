"""Managers oversee: the queue on `/` (each role's home), approval, and returning a record with a
comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.interviews import service, storage
from app.record.models import Interview
from tests.builders import make_user, record, sign_in, template_of
from tests.interviews.helpers import as_on_the_page, post


def recent(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cse_case(db: Session, **overrides: object) -> Interview:
    """A record submitted now about a return yesterday, with a sexual exploitation indicator,
    of a child of 803 placed by 801."""
    return record(db, "803", **{
        "child__placement_authority": "801",
        "episodes__0__started_at": recent(40), "episodes__0__returned_at": recent(30),
        "offer__offered_at": recent(20), "interview__conducted_at": recent(10),
        "interview__risk_indicators": ["sexual_exploitation"],
        "actions": [{"type": "seraf_assessment", "at": recent(5)}],
        "sharing": [{"with": w, "at": recent(4)}
                    for w in ("social_worker", "iro", "responsible_authority")],
        **overrides})


def finding(interview: Interview, code: str) -> dict[str, object]:
    return next(f for f in storage.current_findings(interview) if f["code"] == code)


def test_a_cse_case_waits_in_the_managers_queue_until_approved(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    assert finding(interview, "manager-oversight")["result"] == "pending"
    csrf = sign_in(client, make_user(db, "manager", org="803"))
    home = client.get("/")
    assert "Oversight queue" in home.text
    assert f"/interviews/{interview.id}" in home.text
    assert "Exploitation: sign-off needed" in home.text

    approved = post(client, f"/interviews/{interview.id}/approve", csrf,
                    oversight_note="Risks assessed; safety plan in place.", read_record="yes")
    assert approved.status_code == 303
    db.expire_all()
    stored = db.get(Interview, interview.id)
    assert stored is not None and stored.status == "approved"
    assert finding(stored, "manager-oversight")["result"] == "met"
    assert "Nothing needs your oversight." in client.get("/").text


def test_a_manager_returns_a_record_with_a_comment_and_resubmitting_makes_a_new_version(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    manager_csrf = sign_in(client, make_user(db, "manager", org="803"))
    empty = post(client, f"/interviews/{interview.id}/return", manager_csrf, comment="  ")
    assert empty.status_code == 422
    assert template_of(empty) == "interviews/record.html"  # the record again, with the error
    assert "Enter a comment" in empty.text
    returned = post(client, f"/interviews/{interview.id}/return", manager_csrf,
                    comment="Please record who the child was with.")
    assert returned.status_code == 303
    record = client.get(f"/interviews/{interview.id}").text
    assert "Please record who the child was with." in record
    post(client, "/logout", manager_csrf)

    csrf = sign_in(client, make_user(db, "interviewer", org="803"))
    assert "Please record who the child was with." in client.get("/").text
    saved = post(client, f"/interviews/{interview.id}/interview", csrf, **as_on_the_page(
        db, f"/interviews/{interview.id}",
        **{"interview-child_account": "Added after the manager's comment."}))
    assert saved.status_code == 303
    assert post(client, f"/interviews/{interview.id}/submit", csrf).status_code == 303
    db.expire_all()
    stored = db.get(Interview, interview.id)
    assert stored is not None
    assert (stored.status, stored.version) == ("submitted", 2)
    assert [v.version for v in storage.versions(db, stored)] == [1, 2]


def test_only_managers_may_approve(client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    csrf = sign_in(client, make_user(db, "interviewer", org="803"))
    assert post(client, f"/interviews/{interview.id}/approve", csrf).status_code == 403
    db.expire_all()
    stored = db.get(Interview, UUID(str(interview.id)))
    assert stored is not None and stored.status == "submitted"


def test_a_pending_finding_past_its_deadline_is_never_shown_as_pending(db: Session) -> None:
    interview = cse_case(db)
    pending = finding(interview, "manager-oversight")
    assert pending["result"] == "pending" and pending["due_at"]
    later = datetime.now(UTC) + timedelta(days=30)
    shown = next(f for f in storage.current_findings(interview, later)
                 if f["code"] == "manager-oversight")
    assert shown["result"] == "not_met"
    # and `rhi standards evaluate` stores the same judgement
    assert service.evaluate_due_findings(db, later) >= 1
    stored = next(f for f in interview.findings if f["code"] == "manager-oversight")
    assert stored["result"] == "not_met"


def test_the_record_page_lists_every_finding_with_detail_and_deadline(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    sign_in(client, make_user(db, "manager", org="803"))
    page = client.get(f"/interviews/{interview.id}").text
    for f in interview.findings:
        assert str(f["detail"]).replace("'", "&#39;") in page
    assert "Due " in page


@pytest.mark.parametrize(("role", "home"), [
    ("interviewer", "home.html"), ("placement_team", "home.html"), ("manager", "home.html"),
    ("admin", "home_admin.html"),  # no records: admins see no interview content
    ("analyst", "reports/quarterly.html"),  # pseudonymised and aggregate data only
])
def test_each_role_lands_on_its_own_home_page(client: TestClient, db: Session, role: str,
                                              home: str) -> None:
    sign_in(client, make_user(db, role))

    answer = client.get("/")

    assert answer.status_code == 200
    assert template_of(answer) == home


def test_nobody_approves_a_record_they_wrote(client: TestClient, db: Session) -> None:
    manager = make_user(db, "manager", org="803")
    started = cse_case(db)
    started.created_by_user_id = manager.id  # started by this manager
    changed = cse_case(db)  # a second version of it submitted by this manager
    changed.version = 2
    storage.snapshot(db, changed, Caller(label=f"user:{manager.id}", organisation_code="803",
                                         user_id=manager.id), None)
    db.flush()
    csrf = sign_in(client, manager)

    page = client.get(f"/interviews/{started.id}")
    refused = [post(client, f"/interviews/{i.id}/approve", csrf).status_code
               for i in (started, changed)]

    assert "another manager must approve it" in page.text
    assert f'action="/interviews/{started.id}/approve"' not in page.text
    assert refused == [403, 403]
    db.expire_all()
    assert {db.get(Interview, i.id).status for i in (started, changed)} == {  # type: ignore[union-attr]
        "submitted"}
    client.cookies.clear()
    second = sign_in(client, make_user(db, "manager", org="803", email="second@example.org"))
    assert post(client, f"/interviews/{started.id}/approve", second, oversight_note="Checked.",
                read_record="yes").status_code == 303
