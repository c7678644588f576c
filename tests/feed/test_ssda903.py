"""The SSDA903 missing return: its rows (every episode of the register, notified or recorded),
its dates, the DfE's rules, who may have it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.core.types import utcnow
from app.episodes import service as episodes_service
from app.feed.ssda903 import CollectionYear, MissingRow, problems
from app.interviews.storage import child_row
from app.record.models import RegisterEpisode
from tests.builders import make_user, record, sign_in
from tests.feed.conftest import feed_key

RETURN = "/api/v1/exports/ssda903-missing"


def episodes(*spans: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    return [{"type": kind, "started_at": start, "reported_to_police": True,
             **({"returned_at": end} if end else {})} for kind, start, end in spans]


def completed_after(moment: str) -> dict[str, Any]:
    return {"offer__offered_at": moment, "interview__conducted_at": moment}


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def notify(db: Session, local_id: str, started: str, returned: str | None = None, *,
           by: str = "803", authority: str = "803", legal_status: str | None = "looked_after",
           born: str = "2010-06-15") -> UUID:
    """An episode notified through the register's service (no record), as `by` would."""
    child = {"responsible_authority": authority, "local_id": local_id, "date_of_birth": born,
             **({"legal_status": legal_status} if legal_status else {})}
    body = {"id": str(uuid4()), "type": "missing", "child": child, "started_at": started,
            **({"returned_at": returned} if returned else {})}
    episode, created = episodes_service.notify(db, Caller.system(by), body)
    assert created
    db.commit()
    return episode.id


def add_episode(db: Session, child_id: int, started: datetime, returned: datetime | None, *,
                authority: str = "803", **fields: Any) -> RegisterEpisode:
    """A register episode written straight into the table, as a notification leaves it."""
    now = utcnow()
    values: dict[str, Any] = {
        "id": uuid4(), "child_id": child_id, "responsible_authority": authority,
        "notified_by_org": authority, "source": "notification", "type": "missing",
        "started_at": started, "returned_at": returned, "legal_status": "looked_after",
        "notified_at": now, "created_at": now, "updated_at": now, **fields}
    episode = RegisterEpisode(**values)
    db.add(episode)
    db.commit()
    return episode


def exported(client: TestClient, db: Session, year: str = "2025-26",
             org: str = "803") -> list[list[str]]:
    """The return's data rows, as `org`'s partner system fetches it."""
    answer = client.get(RETURN, params={"collection_year": year},
                        headers=feed_key(db, org, scopes=("returns",)))
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))[1:]


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
        # Returned on 2 April: still missing on 31 March, so open in this year's return (571).
        ["LAC-2", "09/01/2011", "M", "30/03/2026", ""],
    ]


def test_an_episode_that_ended_after_the_year_has_its_end_in_the_next_return(
        client: TestClient, db: Session, year_of_records: None) -> None:
    answer = client.get(RETURN, params={"collection_year": "2026-27"},
                        headers=feed_key(db, scopes=("returns",)))
    assert answer.text.splitlines()[1:] == ["LAC-2,09/01/2011,M,30/03/2026,02/04/2026"]


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


YEAR = CollectionYear("2025-26", date(2025, 4, 1), date(2026, 3, 31))


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
    ], YEAR)
    assert sorted((error.code, error.pointer) for error in found) == [
        ("ssda903_1006", "/rows/7/MISSING"),
        ("ssda903_567", "/rows/2/MIS_END"),
        ("ssda903_574", "/rows/4/MIS_START"),
        ("ssda903_574", "/rows/6/MIS_START"),
    ]
    assert problems([row("A", "2025-05-01", "2025-05-03"), row("A", "2025-06-01", None)],
                    YEAR) == []


def test_a_return_that_would_be_refused_answers_422_listing_the_problems(
        client: TestClient, db: Session) -> None:
    made = record(db, child__local_id="LAC-9", episodes=episodes(
        ("missing", "2025-05-01T08:00:00Z", "2025-05-03T20:00:00Z")),
        **completed_after("2025-05-04T10:00:00Z"))
    # An overlapping register episode, as if written by hand (nothing checks across them).
    assert made.child_id is not None
    add_episode(db, made.child_id, datetime(2025, 5, 2, 9, tzinfo=UTC),
                datetime(2025, 5, 6, 9, tzinfo=UTC))
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


# --- from the register ---------------------------------------------------------------------


def test_an_episode_notified_with_no_interview_is_in_the_return(
        client: TestClient, db: Session) -> None:
    notify(db, "N-1", "2025-10-04T23:30:00Z", "2025-10-06T10:00:00Z")  # 00:30 on 5 October UK
    notify(db, "N-2", "2026-03-20T18:00:00Z")  # still missing
    notify(db, "N-3", "2025-03-28T10:00:00Z", "2025-04-02T09:00:00Z")  # from the year before
    notify(db, "N-4", "2025-07-01T10:00:00Z", "2025-07-02T10:00:00Z",
           legal_status="child_in_need")  # not looked after

    assert exported(client, db) == [
        ["N-1", "15/06/2010", "M", "05/10/2025", "06/10/2025"],
        ["N-2", "15/06/2010", "M", "20/03/2026", ""],
        ["N-3", "15/06/2010", "M", "28/03/2025", "02/04/2025"],
    ]


def test_a_second_organisations_notification_of_the_same_episode_is_counted_once(
        client: TestClient, db: Session) -> None:
    first = notify(db, "DUP-1", "2025-11-01T18:00:00Z")
    # The police (802 here) notify it again, with the return the authority had not heard of.
    second = notify(db, "DUP-1", "2025-11-01T18:00:00Z", "2025-11-03T08:00:00Z", by="802")

    assert db.get(RegisterEpisode, second).duplicate_of == first  # type: ignore[union-attr]
    assert exported(client, db) == [["DUP-1", "15/06/2010", "M", "01/11/2025", "03/11/2025"]]


def test_a_record_and_a_notification_of_the_same_episode_are_one_row(
        client: TestClient, db: Session) -> None:
    notify(db, "BOTH-1", "2025-06-01T18:00:00Z")
    record(db, child__local_id="BOTH-1", child__date_of_birth="2010-06-15",
           episodes=episodes(("missing", "2025-06-01T18:00:00Z", "2025-06-02T09:00:00Z")),
           **completed_after("2025-06-02T12:00:00Z"))
    record(db, org="802", child__local_id="BOTH-1", child__date_of_birth="2010-06-15",
           episodes=episodes(("missing", "2025-06-01T18:00:00Z", "2025-06-02T09:00:00Z")),
           **completed_after("2025-06-02T13:00:00Z"))
    db.commit()

    # The record says when the child came back: the notification had not yet.
    assert exported(client, db) == [["BOTH-1", "15/06/2010", "M", "01/06/2025", "02/06/2025"]]


def test_with_no_legal_status_notified_the_latest_record_says_whether_looked_after(
        client: TestClient, db: Session) -> None:
    spans = {"LS-REC-LAC": "2025-06-01T18:00:00Z", "LS-REC-CIN": "2025-06-02T18:00:00Z",
             "LS-NONE": "2025-06-03T18:00:00Z", "LS-LATEST": "2025-06-04T18:00:00Z"}
    for local_id, started in spans.items():
        notify(db, local_id, started, legal_status=None)
    record(db, child__local_id="LS-REC-LAC", child__date_of_birth="2010-06-15",
           episodes=episodes(("missing", spans["LS-REC-LAC"], "2025-06-04T09:00:00Z")),
           **completed_after("2025-06-05T12:00:00Z"))
    record(db, child__local_id="LS-REC-CIN", child__date_of_birth="2010-06-15",
           child__legal_status="child_in_need",
           episodes=episodes(("missing", spans["LS-REC-CIN"], "2025-06-04T09:00:00Z")),
           **completed_after("2025-06-05T12:00:00Z"))
    # Two records: the later one speaks for the episode.
    for org, legal_status in (("803", "child_in_need"), ("802", "looked_after")):
        record(db, org=org, child__local_id="LS-LATEST", child__date_of_birth="2010-06-15",
               child__legal_status=legal_status,
               episodes=episodes(("missing", spans["LS-LATEST"], "2025-06-05T09:00:00Z")),
               **completed_after("2025-06-05T12:00:00Z"))
    db.commit()

    assert exported(client, db) == [
        ["LS-LATEST", "15/06/2010", "M", "04/06/2025", "05/06/2025"],
        ["LS-REC-LAC", "15/06/2010", "M", "01/06/2025", "04/06/2025"]]


def test_another_authoritys_childrens_episodes_are_never_in_the_return(
        client: TestClient, db: Session) -> None:
    # 803 notifies an episode of 802's child: 802's return, not 803's.
    notify(db, "THEIRS-1", "2025-05-01T18:00:00Z", "2025-05-02T09:00:00Z", authority="802")
    # A register row that names 803 for a child of 802 (never written by the service): neither.
    theirs = child_row(db, "802", "THEIRS-2", date(2010, 6, 15), "802")
    add_episode(db, theirs, at("2025-05-03T18:00:00Z"), at("2025-05-04T09:00:00Z"))
    # And one that names 802 for a child of 803: neither either.
    mine = child_row(db, "803", "MINE-2", date(2010, 6, 15), "803")
    add_episode(db, mine, at("2025-05-03T18:00:00Z"), at("2025-05-04T09:00:00Z"),
                authority="802")
    notify(db, "MINE-1", "2025-05-01T18:00:00Z", "2025-05-02T09:00:00Z")

    assert exported(client, db) == [["MINE-1", "15/06/2010", "M", "01/05/2025", "02/05/2025"]]
    assert exported(client, db, org="802") == [
        ["THEIRS-1", "15/06/2010", "M", "01/05/2025", "02/05/2025"]]


def test_an_episode_starting_before_the_childs_birth_is_refused_naming_the_rule_and_row(
        client: TestClient, db: Session) -> None:
    notify(db, "LAC-A", "2025-07-01T10:00:00Z", "2025-07-02T10:00:00Z")
    # The date of birth the authority holds is after the episode's start (rule 586).
    born_later = child_row(db, "803", "LAC-B", date(2025, 8, 1), "803")
    add_episode(db, born_later, at("2025-07-01T10:00:00Z"), at("2025-07-02T10:00:00Z"))

    answer = client.get(RETURN, params={"collection_year": "2025-26"},
                        headers=feed_key(db, scopes=("returns",)))

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "/problems/ssda903-invalid"
    assert [(e["code"], e["pointer"]) for e in problem["errors"]] == [
        ("ssda903_586", "/rows/1/MIS_START")]
    assert problem["errors"][0]["message"] == (
        "Child LAC-B: the episode from 01/07/2025 starts on or before the child's date of birth "
        "(01/08/2025)")
