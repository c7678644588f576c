"""The feed as JSON pages, NDJSON and CSV streams; ETags; deadlines that pass; the audit log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.record import CSV_COLUMNS
from app.interviews.service import approve
from app.record.models import Interview
from tests.builders import actor, record
from tests.feed.conftest import feed_key

FEED = "/api/v1/feed/interviews"
CSE = {"interview__risk_indicators": ["sexual_exploitation"]}  # manager-oversight: pending
PASSED = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def test_ndjson_streams_one_record_a_line(client: TestClient, db: Session) -> None:
    ids = {str(record(db).id) for _ in range(3)}
    db.commit()
    headers = feed_key(db)
    for answer in (client.get(FEED, headers={**headers, "Accept": "application/x-ndjson"}),
                   client.get(FEED, params={"format": "ndjson"}, headers=headers)):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-ndjson"
        lines = answer.text.splitlines()
        assert {orjson.loads(line)["interview_id"] for line in lines} == ids
        assert answer.text.endswith("\n")


def test_csv_parses_with_a_column_per_field_and_per_standard(
        client: TestClient, db: Session) -> None:
    made = record(db, interview__push_factors=["family_conflict", "bullying"],
                  interview__risk_indicators=["county_lines", "weapons"],
                  episodes=[{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                             "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                             "found_postcode": "BS16 1QY"},
                            {"type": "away", "started_at": "2026-02-01T18:00:00Z",
                             "returned_at": "2026-02-01T20:30:00Z",
                             "reported_to_police": False}])
    db.commit()
    answer = client.get(FEED, params={"format": "csv"}, headers=feed_key(db))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = rows[0]
    assert row["interview_id"] == str(made.id)
    assert row["push_factors"] == "family_conflict;bullying"
    assert row["risk_indicators"] == "county_lines;weapons"
    assert row["episodes.type"] == "missing;away"
    assert row["episodes.found_district"] == "BS16;"
    assert row["episodes.duration_hours"] == "15.0;2.5"
    assert row["out_of_area"] == "false"
    assert row["standards.offer-within-72h"] == "met"
    assert row["standards.attempts-recorded"] == "not_applicable"
    assert row["episodes_in_last_90_days"] == "2"


@pytest.mark.parametrize("params", [{}, {"format": "ndjson"}, {"format": "csv"},
                                    {"legal_status": "looked_after", "limit": 5}])
def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_tag(
        client: TestClient, db: Session, params: dict[str, str]) -> None:
    made = record(db)
    db.commit()
    headers = feed_key(db)
    first = client.get(FEED, params=params, headers=headers)
    etag = first.headers["etag"]
    again = client.get(FEED, params=params, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag and again.content == b""
    assert client.get(FEED, params=params, headers={
        **headers, "If-None-Match": f'"other", W/{etag}'}).status_code == 304

    approve(db, made, actor(), "Checked.", read_record=True)
    db.commit()
    changed = client.get(FEED, params=params, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def _let_deadline_pass(db: Session, interview: Interview, code: str) -> None:
    """Make the feed row look as it would have been projected before `code`'s deadline, with
    that deadline now in the past (as if `rhi standards evaluate` had not run since)."""
    line, = db.execute(select(col(FeedRow.json_line))
                       .where(col(FeedRow.interview_id) == interview.id)).one()
    stored = orjson.loads(line)
    for finding in stored["standards"]:
        if finding["code"] == code:
            assert finding["result"] == "pending"
            finding["due_at"] = "2026-01-05T17:00:00Z"
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == interview.id).values(
        json_line=orjson.dumps(stored).decode(), next_due_at=PASSED))
    db.execute(update(FeedPendingFinding).where(
        col(FeedPendingFinding.interview_id) == interview.id,
        col(FeedPendingFinding.code) == code).values(due_at=PASSED))
    db.commit()


def test_a_finding_whose_deadline_passed_is_served_as_not_met_everywhere(
        client: TestClient, db: Session) -> None:
    late = record(db, **CSE)
    on_time = record(db, **CSE)
    db.commit()
    headers = feed_key(db)
    before = client.get(FEED, params={"format": "ndjson"}, headers=headers).headers["etag"]
    _let_deadline_pass(db, late, "manager-oversight")

    def oversight(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {r["interview_id"]: next(f for f in r["standards"]
                                        if f["code"] == "manager-oversight") for r in data}

    served = oversight(client.get(FEED, headers=headers).json()["data"])
    assert served[str(late.id)]["result"] == "not_met"
    assert served[str(late.id)]["detail"].endswith("The deadline has passed.")
    assert served[str(on_time.id)]["result"] == "pending"
    stream = client.get(FEED, params={"format": "ndjson"}, headers=headers)
    assert stream.headers["etag"] != before  # a deadline passing changes the answer
    assert oversight([orjson.loads(x) for x in stream.text.splitlines()]) == served
    rows = csv.DictReader(io.StringIO(
        client.get(FEED, params={"format": "csv"}, headers=headers).text))
    assert {r["interview_id"]: r["standards.manager-oversight"] for r in rows} == {
        str(late.id): "not_met", str(on_time.id): "pending"}
    by_result = {result: {r["interview_id"] for r in client.get(FEED, params={
        "standard": "manager-oversight", "result": result}, headers=headers).json()["data"]}
        for result in ("not_met", "pending")}
    assert by_result == {"not_met": {str(late.id)}, "pending": {str(on_time.id)}}


def test_every_pull_is_audited_with_filters_and_count(client: TestClient, db: Session) -> None:
    for _ in range(2):
        record(db)
    db.commit()
    headers = feed_key(db)
    client.get(FEED, params={"legal_status": "looked_after"}, headers=headers)
    client.get(FEED, params={"format": "csv", "returned_from": "2026-01-01"}, headers=headers)
    tag = client.get(FEED, params={"format": "ndjson"}, headers=headers).headers["etag"]
    client.get(FEED, params={"format": "ndjson"}, headers={**headers, "If-None-Match": tag})
    entries = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.pull")
                         .order_by(col(AuditEntry.id))).scalars().all()
    assert [(e.details["format"], e.details["count"], e.details["filters"]) for e in entries] == [
        ("json", 2, {"legal_status": "looked_after"}),
        ("csv", 2, {"returned_from": "2026-01-01T00:00:00Z"}),
        ("ndjson", 2, {}),
        ("ndjson", 0, {}),
    ]
    assert entries[-1].details["not_modified"] is True
    assert all(e.actor.startswith("key:rk_") and e.organisation == "803" for e in entries)
