"""Managers and admins search their organisation's audit log at /audit; nobody can change it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import orjson
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.london import LONDON
from app.main import create_app
from tests.builders import bearer, make_document, make_key, make_user, sign_in, template_of


def cells(html: str, action: str) -> int:
    """How many entries of the results show `action` in their technical record."""
    return len(re.findall(
        r'<dt class="govuk-summary-list__key govuk-body-s">Action</dt>\s*'
        rf'<dd class="govuk-summary-list__value govuk-body-s rhi-break-anywhere">'
        rf'{re.escape(action)}</dd>', html))


def today() -> datetime:
    return datetime.now(LONDON)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_their_organisations_entries(
        client: TestClient, db: Session, role: str) -> None:
    reader = make_user(db, role=role, org="803", name="Rhiannon Reader")
    audit.record(db, actor=f"user:{reader.id}", organisation="803", action="probe.ours",
                 target="record-1", address="192.0.2.10", details={"version": 3})
    audit.record(db, actor="user:999999", organisation="801", action="probe.theirs",
                 target="record-2")
    sign_in(client, reader)

    page = client.get("/audit")

    assert page.status_code == 200
    assert template_of(page) == "admin/audit.html"
    assert cells(page.text, "probe.ours") == 1
    assert cells(page.text, "probe.theirs") == 0
    assert "Rhiannon Reader" in page.text
    for shown in ("record-1", "192.0.2.10", "version 3"):
        assert shown in page.text


@pytest.mark.parametrize("role", ["interviewer", "placement_team", "analyst"])
def test_other_roles_may_not_read_the_log(client: TestClient, db: Session, role: str) -> None:
    sign_in(client, make_user(db, role=role))

    assert client.get("/audit").status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in(client: TestClient) -> None:
    answer = client.get("/audit", follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=%2Faudit")


def test_the_log_names_records_by_id_never_by_child(client: TestClient, db: Session) -> None:
    _, key = make_key(db, org="803")
    document = make_document(child__given_name="Wilhelmina", child__family_name="Nettlebed")
    client.post("/api/v1/interviews", json=document, headers=bearer(key))
    client.get(f"/api/v1/interviews/{document['id']}", headers=bearer(key))
    sign_in(client, make_user(db, role="admin", org="803"))

    page = client.get("/audit", params={"target": document["id"]})
    written = db.execute(select(AuditEntry).where(
        col(AuditEntry.target) == document["id"])).scalars().all()

    assert cells(page.text, "interview.create") == cells(page.text, "interview.view") == 1
    assert {entry.action for entry in written} == {"interview.create", "interview.view"}
    for entry in written:
        assert "Wilhelmina" not in orjson.dumps([entry.actor, entry.details]).decode()
    # An administrator sees no identifying data: the page names no child to them either.
    assert "Wilhelmina" not in page.text and "Nettlebed" not in page.text


def test_filters_by_who_what_and_which_record(client: TestClient, db: Session) -> None:
    manager = make_user(db, role="manager", org="803")
    colleague = make_user(db, role="interviewer", org="803")
    for actor, action, target in [(colleague, "probe.a", "r-1"), (colleague, "probe.b", "r-2"),
                                  (manager, "probe.a", "r-2")]:
        audit.record(db, actor=f"user:{actor.id}", organisation="803", action=action,
                     target=target)
    sign_in(client, manager)

    by_label = client.get("/audit", params={"actor": f"user:{colleague.id}"}).text
    by_email = client.get("/audit", params={"actor": colleague.email}).text
    by_action = client.get("/audit", params={"action": "probe.a"}).text
    by_target = client.get("/audit", params={"target": "r-2", "action": "probe.a"}).text

    assert (cells(by_label, "probe.a"), cells(by_label, "probe.b")) == (1, 1)
    assert (cells(by_email, "probe.a"), cells(by_email, "probe.b")) == (1, 1)
    assert (cells(by_action, "probe.a"), cells(by_action, "probe.b")) == (2, 0)
    assert cells(by_target, "probe.a") == 1


def test_filters_by_a_range_of_days(client: TestClient, db: Session) -> None:
    manager = make_user(db, role="manager", org="803")
    audit.record(db, actor="system", organisation="803", action="probe.today")
    sign_in(client, manager)
    day, yesterday = today(), today() - timedelta(days=1)

    def search(start: datetime, end: datetime) -> str:
        return client.get("/audit", params={
            "from-day": start.day, "from-month": start.month, "from-year": start.year,
            "to-day": end.day, "to-month": end.month, "to-year": end.year}).text

    assert cells(search(day, day), "probe.today") == 1
    assert cells(search(yesterday, yesterday), "probe.today") == 0


def test_a_date_that_is_not_a_date_says_what_to_enter(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, role="manager"))

    page = client.get("/audit", params={"from-day": "31", "from-month": "2", "from-year": "2026",
                                        "to-day": "1", "to-month": "1", "to-year": "2020"})

    assert page.status_code == 422
    assert template_of(page) == "admin/audit.html"  # the search again, not an error page
    assert "<title>Error: Audit log" in page.text
    assert "The first day must be a real date, like 27 3 2026" in page.text
    assert 'href="#from-day"' in page.text


def test_a_last_day_before_the_first_is_refused(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, role="admin"))

    page = client.get("/audit", params={"from-day": "2", "from-month": "3", "from-year": "2026",
                                        "to-day": "1", "to-month": "3", "to-year": "2026"})

    assert page.status_code == 422
    assert "The last day must be the same as or after the first day" in page.text


def test_the_log_is_paged_fifty_at_a_time_newest_first(client: TestClient, db: Session) -> None:
    manager = make_user(db, role="manager", org="803")
    for n in range(audit.PAGE_SIZE + 7):
        audit.record(db, actor="system", organisation="803", action="probe.paged",
                     target=f"n-{n:03d}")
    sign_in(client, manager)

    first = client.get("/audit", params={"action": "probe.paged"}).text
    older = re.search(r'href="(/audit\?[^"]+)">Older entries', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).text

    assert cells(first, "probe.paged") == audit.PAGE_SIZE
    assert first.index("n-056") < first.index("n-055")
    assert cells(second, "probe.paged") == 7
    assert "n-006" in second and "n-007" not in second
    assert "Older entries" not in second
    assert 'href="/audit?action=probe.paged">Newest entries' in second


def test_searching_the_log_is_itself_audited(client: TestClient, db: Session) -> None:
    manager = make_user(db, role="manager", org="803")
    sign_in(client, manager)

    client.get("/audit", params={"action": "sign_in"})
    page = client.get("/audit", params={"action": "audit.search"}).text

    assert cells(page, "audit.search") == 1  # this search is written after it is answered
    assert "action: sign_in" in page


def test_no_route_can_change_or_remove_an_entry(client: TestClient, db: Session) -> None:
    audit_routes = [(sorted(c.methods or ()), c.path)
                    for c in iter_route_contexts(create_app().routes)
                    if isinstance(c.original_route, APIRoute) and "audit" in str(c.path)]
    csrf = sign_in(client, make_user(db, role="admin"))

    assert audit_routes == [(["GET"], "/audit")]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = client.request(method, "/audit", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 405
