"""Each filter of the feed, in every format."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import record
from tests.feed.conftest import feed_key

FEED = "/api/v1/feed/interviews"


def episode(start: str, end: str) -> list[dict[str, Any]]:
    return [{"type": "missing", "started_at": start, "returned_at": end,
             "reported_to_police": True}]


@pytest.fixture
def records(db: Session) -> dict[str, str]:
    """Four records visible to 803, each differing in what one filter looks at."""
    made = {
        # out of area, looked after, CSE risk, returned 2 March, offered in time
        "a": record(db, child__placement_authority="801",
                    interview__risk_indicators=["sexual_exploitation"]),
        # child in need, county lines, returned 10 April, never offered
        "b": record(db, child__legal_status="child_in_need",
                    episodes=episode("2026-04-09T20:00:00Z", "2026-04-10T22:30:00Z"),
                    offer={"outcome": "not_offered", "not_offered_reason": "In hospital."},
                    interview=None),
        # recorded by 803 for a child 802 is responsible for; returned 20 May
        "c": record(db, child__responsible_authority="802", child__placement_authority="802",
                    child__legal_status="care_leaver",
                    episodes=episode("2026-05-19T10:00:00Z", "2026-05-20T10:00:00Z"),
                    offer__offered_at="2026-05-20T12:00:00Z",
                    interview__conducted_at="2026-05-21T10:00:00Z"),
        # recorded by 802 for a child of 803
        "d": record(db, org="802", interview__risk_indicators=["county_lines"]),
    }
    db.commit()
    return {name: str(interview.id) for name, interview in made.items()}


def pulled(client: TestClient, db: Session, **params: Any) -> set[str]:
    headers = feed_key(db)
    answer = client.get(FEED, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    ids = {r["interview_id"] for r in answer.json()["data"]}
    # The stream and the CSV hold exactly the same records.
    stream = client.get(FEED, params={**params, "format": "ndjson"}, headers=headers)
    assert {orjson.loads(line)["interview_id"] for line in stream.text.splitlines()} == ids
    rows = client.get(FEED, params={**params, "format": "csv"}, headers=headers).text
    assert {line.split(",", 1)[0] for line in rows.splitlines()[1:]} == ids
    return ids


def named(records: dict[str, str], *names: str) -> set[str]:
    return {records[name] for name in names}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, "abcd"),
    ({"returned_from": "2026-04-01"}, "bc"),
    ({"returned_to": "2026-04-10"}, "abd"),  # a date takes in the whole (UK) day
    ({"returned_from": "2026-04-10T22:30:00Z", "returned_to": "2026-05-20T10:00:00Z"}, "bc"),
    ({"returned_from": "2026-04-10T22:30:01Z"}, "c"),
    ({"responsible_authority": "802"}, "c"),
    ({"responsible_authority": "803"}, "abd"),
    ({"recorded_by_org": "802"}, "d"),
    ({"out_of_area": "true"}, "a"),
    ({"out_of_area": "false"}, "bcd"),
    ({"legal_status": "child_in_need"}, "b"),
    ({"legal_status": "care_leaver"}, "c"),
    ({"risk_indicator": "sexual_exploitation"}, "a"),
    ({"risk_indicator": "county_lines"}, "d"),
    ({"risk_indicator": "trafficking"}, ""),
    ({"standard": "offer-within-72h", "result": "not_met"}, "b"),
    ({"standard": "offer-within-72h", "result": "met"}, "acd"),
    ({"standard": "interview-within-72h", "result": "not_applicable"}, ""),
    ({"standard": "exploitation-response", "result": "not_applicable"}, "bc"),
    ({"legal_status": "looked_after", "out_of_area": "false"}, "d"),
])
def test_each_filter_selects_its_records(
        client: TestClient, db: Session, records: dict[str, str], params: dict[str, str],
        expected: str) -> None:
    assert pulled(client, db, **params) == named(records, *expected)


def test_updated_since_gives_the_records_changed_at_or_after_it(
        client: TestClient, db: Session, records: dict[str, str]) -> None:
    data = client.get(FEED, headers=feed_key(db)).json()["data"]
    third = data[2]
    assert pulled(client, db, updated_since=third["updated_at"]) == {
        r["interview_id"] for r in data[2:]}
    assert pulled(client, db, updated_since="2199-01-01") == set()


@pytest.mark.parametrize("params", [
    {"legal_status": "in_care"},
    {"risk_indicator": "gangs"},
    {"standard": "offer-in-72h", "result": "met"},
    {"standard": "offer-within-72h", "result": "late"},
    {"standard": "offer-within-72h"},
    {"result": "met"},
    {"updated_since": "yesterday"},
    {"returned_from": "2026-02-30"},
    {"out_of_area": "perhaps"},
    {"returned_to": "9999-12-31"},
    {"returned_to": "9999-12-31T23:59:59.999999Z"},
    {"responsible_authority": "80\x003"},
    {"recorded_by_org": "%"},
    {"format": "xml"},
])
def test_a_filter_that_is_not_valid_answers_422_naming_it(
        client: TestClient, db: Session, params: dict[str, str]) -> None:
    answer = client.get(FEED, params=params, headers=feed_key(db))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"]
