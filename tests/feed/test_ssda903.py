"""The SSDA903 missing return: its rows, its dates, the DfE's rules, who may have it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.feed.ssda903 import CollectionYear, MissingRow, problems
from app.record.models import Episode
from tests.builders import make_user, record, sign_in
from tests.feed.conftest import feed_key

RETURN = "/api/v1/exports/ssda903-missing"


def episodes(*spans: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    return [{"type": kind, "started_at": start, "reported_to_police": True,
             **({"returned_at": end} if end else {})} for kind, start, end in spans]


def completed_after(moment: str) -> dict[str, Any]:
    return {"offer__offered_at": moment, "interview__conducted_at": moment}


@pytest.fixture
def year_of_records(db: Session) -> None:
    # A looked-after child of 803: two episodes in 2025-26 (the first in BST, near midnight),
    # one the year before, and one straddling 31 March.
    record(db, child__local_id="LAC-1", child__date_of_birth="2010-06-15",
           episodes=episodes(("missing", "2025-06-30T23:30:00Z", "2025-07-02T08:00:00Z"),
                             ("away", "2025-09-10T18:00:00Z", "2025-09-10T23:00:00Z")),
           **completed_after("2025-09-11T10:00:00Z"))
    record(db, child__local_id="LAC-1", child__date_of_birth="2010-06-15",
           episodes=episodes(("missing", "2025-02-01T10:00:00Z", "2025-02-02T10:00:00Z")),
           **completed_after("2025-02-03T10:00:00Z"))
    straddling = episodes(("missing", "2026-03-30T18:00:00Z", "2026-04-02T09:00:00Z"))
    record(db, child__local_id="LAC-2", child__date_of_birth="2011-01-09",
           episodes=straddling, **completed_after("2026-04-03T10:00:00Z"))
    # The same episode in a second record (recorded by another organisation): one row.
    record(db, org="802", child__local_id="LAC-2", child__date_of_birth="2011-01-09",
           episodes=straddling, **completed_after("2026-04-03T11:00:00Z"))
    # Not in the return: a child in need; a looked-after child of another authority.
    record(db, child__local_id="CIN-1", child__legal_status="child_in_need",
           episodes=episodes(("missing", "2025-05-01T18:00:00Z", "2025-05-02T09:00:00Z")),
           **completed_after("2025-05-03T10:00:00Z"))
    record(db, child__local_id="OTHER-1", child__responsible_authority="802",
           child__placement_authority="802",
           episodes=episodes(("missing", "2025-05-01T18:00:00Z", "2025-05-02T09:00:00Z")),
           **completed_after("2025-05-03T10:00:00Z"))
    db.commit()


def test_the_return_lists_looked_after_childrens_episodes_in_the_year(
        client: TestClient, db: Session, year_of_records: None) -> None:
    answer = client.get(RETURN, params={"collection_year": "2025-26"},
                        headers=feed_key(db, scopes=("returns",)))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="ssda903-missing-2025-26.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [
        ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
        ["LAC-1", "15/06/2010", "M", "01/07/2025", "02/07/2025"],  # UK dates, not UTC
        ["LAC-1", "15/06/2010", "A", "10/09/2025", "11/09/2025"],
        ["LAC-2", "09/01/2011", "M", "30/03/2026", "02/04/2026"],
    ]


def test_the_previous_year_has_its_own_episodes(
        client: TestClient, db: Session, year_of_records: None) -> None:
    answer = client.get(RETURN, params={"collection_year": "2024-25"},
                        headers=feed_key(db, scopes=("returns",)))
    assert answer.text.splitlines()[1:] == ["LAC-1,15/06/2010,M,01/02/2025,02/02/2025"]


def test_a_manager_may_export_and_it_is_audited(
        client: TestClient, db: Session, year_of_records: None) -> None:
    sign_in(client, make_user(db, "manager"))
    assert client.get(RETURN, params={"collection_year": "2025-26"}).status_code == 200
    entry = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "export.ssda903_missing")).scalar_one()
    assert entry.details == {"collection_year": "2025-26", "rows": 3}
    assert entry.actor.startswith("user:")


@pytest.mark.parametrize("year", ["2025", "2025-27", "25-26", "2025/26", "1999-00"])
def test_a_collection_year_that_is_not_one_answers_422(
        client: TestClient, db: Session, year: str) -> None:
    answer = client.get(RETURN, params={"collection_year": year},
                        headers=feed_key(db, scopes=("returns",)))
    assert answer.status_code == 422


def test_collection_years_run_from_1_april_to_31_march() -> None:
    year = CollectionYear.parse("2025-26")
    assert year is not None
    assert (year.start, year.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert CollectionYear.parse("2099-00") == CollectionYear("2099-00", date(2099, 4, 1),
                                                            date(2100, 3, 31))


def row(child: str, start: str, end: str | None, missing: str = "M") -> MissingRow:
    return MissingRow(child, date(2010, 1, 1), missing, date.fromisoformat(start),
                      date.fromisoformat(end) if end else None)


def test_the_dfe_rules_are_checked() -> None:
    found = problems([
        row("A", "2025-05-01", "2025-05-03"),
        row("A", "2025-05-03", "2025-05-04"),  # starts the day the last one ended: allowed
        row("B", "2025-06-10", "2025-06-05"),  # 567: ends before it starts
        row("C", "2025-07-01", "2025-07-05"),
        row("C", "2025-07-03", "2025-07-08"),  # 574: overlaps
        row("D", "2025-08-01", None),
        row("D", "2025-08-09", "2025-08-10"),  # 574: starts while one is open
        row("E", "2025-09-01", "2025-09-02", missing="X"),  # 1006
    ])
    assert sorted((error.code, error.pointer) for error in found) == [
        ("ssda903_1006", "/rows/7/MISSING"),
        ("ssda903_567", "/rows/2/MIS_END"),
        ("ssda903_574", "/rows/4/MIS_START"),
        ("ssda903_574", "/rows/6/MIS_START"),
    ]
    assert problems([row("A", "2025-05-01", "2025-05-03"), row("A", "2025-06-01", None)]) == []


def test_a_return_that_would_be_refused_answers_422_listing_the_problems(
        client: TestClient, db: Session) -> None:
    made = record(db, child__local_id="LAC-9", episodes=episodes(
        ("missing", "2025-05-01T08:00:00Z", "2025-05-03T20:00:00Z")),
        **completed_after("2025-05-04T10:00:00Z"))
    # Rows the form could never make (validation refuses overlaps): as if written by hand.
    db.add(Episode(interview_id=made.id, child_id=made.child_id, position=1, type="missing",
                   started_at=datetime(2025, 5, 2, 9, tzinfo=UTC),
                   returned_at=datetime(2025, 5, 6, 9, tzinfo=UTC)))
    db.commit()
    headers = feed_key(db, scopes=("returns",))
    answer = client.get(RETURN, params={"collection_year": "2025-26"}, headers=headers)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "/problems/ssda903-invalid"
    assert [e["code"] for e in problem["errors"]] == ["ssda903_574"]
    assert "LAC-9" in problem["errors"][0]["message"]
    entry = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "export.ssda903_missing")).scalar_one()
    assert entry.details == {"collection_year": "2025-26", "rows": 2, "refused": True}
