"""Every timestamp of the feeds is written one way in every text format (JSON, NDJSON, CSV):
UTC, always to the microsecond, `2026-03-01T18:30:00.000000Z`, whether the moment has a
fraction (the service's own times) or not (the times people type). One width, so the text
sorts as the times do, and one format, so a parser that guesses it from the first value
(pandas', Power Query's) reads every other."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.feed import parquet
from app.feed.models import FeedRow
from app.feed.projection import rebuild
from app.feed.record import feed_timestamp, feed_timestamp_text
from app.interviews.service import approve
from tests.builders import actor, record
from tests.feed.conftest import feed_key
from tests.feed.test_episode_feed import add_episode

FEED = "/api/v1/feed/interviews"
EPISODES = "/api/v1/feed/episodes"
ONE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def csv_columns(schema: pa.Schema) -> set[str]:
    """The CSV columns holding moments, from the Parquet schema's timestamp columns: a record
    field, or an episode's or action's (`episodes.started_at`); findings are not in the CSV."""
    out = set()
    for field in schema:
        if pa.types.is_timestamp(field.type):
            out.add(field.name)
        elif pa.types.is_list(field.type) and field.name in ("episodes", "actions"):
            out |= {f"{field.name}.{inner.name}" for inner in field.type.value_type
                    if pa.types.is_timestamp(inner.type)}
    return out


def json_moments(value: Any, kind: pa.DataType) -> Iterator[str]:
    """Every timestamp of a JSON value, found by the Parquet type of where it sits."""
    if value is None:
        return
    if pa.types.is_timestamp(kind):
        yield value
    elif pa.types.is_list(kind):
        for item in value:
            yield from json_moments(item, kind.value_type)
    elif pa.types.is_struct(kind):
        for field in kind:
            yield from json_moments(value.get(field.name), field.type)


def moments_of(records: list[dict[str, Any]], schema: pa.Schema) -> list[str]:
    return [moment for row in records for field in schema
            for moment in json_moments(row.get(field.name), field.type)]


def pulled(client: TestClient, path: str, headers: dict[str, str]
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    """JSON page, NDJSON and CSV pulls of the same feed."""
    page = client.get(path, headers=headers).json()["data"]
    lines = [orjson.loads(line) for line in client.get(
        path, params={"format": "ndjson"}, headers=headers).text.splitlines()]
    rows = list(csv.DictReader(io.StringIO(client.get(
        path, params={"format": "csv"}, headers=headers).text)))
    return page, lines, rows


def test_every_timestamp_of_the_interview_feed_is_written_one_way(
        client: TestClient, db: Session) -> None:
    made = record(db, episodes__0__prevention_interview_at="2026-03-02T10:00:00Z",
                  actions=[{"type": "safety_plan", "status": "done",
                            "due_at": "2026-03-09T17:00:00Z", "at": "2026-03-04T10:00:00Z"}])
    approve(db, made, actor(), "Checked.", read_record=True)
    record(db, interview__risk_indicators=["sexual_exploitation"])  # a pending finding
    db.commit()
    schema = parquet.interview_schema()
    page, lines, rows = pulled(client, FEED, feed_key(db))

    assert page == lines
    moments = moments_of(lines, schema)
    assert len(moments) >= 30
    assert all(ONE_FORMAT.match(moment) for moment in moments), moments
    assert "2026-03-02T10:00:00.000000Z" in moments  # typed without a fraction
    assert any(not m.endswith(".000000Z") for m in moments)  # the service's own, with one
    columns = csv_columns(schema)
    assert {"updated_at", "submitted_at", "approved_at", "offered_at", "conducted_at",
            "episodes.started_at", "episodes.returned_at", "episodes.prevention_interview_at",
            "actions.due_at", "actions.at"} == columns
    by_id = {line["interview_id"]: line for line in lines}
    for row in rows:  # the CSV holds the JSON's own text
        line = by_id[row["interview_id"]]
        for column in columns:
            source, _, name = column.rpartition(".")
            expected = ([item[name] or "" for item in line[source]] if source
                        else [line[name] or ""])
            assert row[column].split(";") == (expected or [""]), column


def test_every_timestamp_of_the_episode_feed_is_written_one_way(
        client: TestClient, db: Session) -> None:
    now = utcnow().replace(microsecond=123456)
    add_episode(db, returned_at=now - timedelta(hours=3), found_at=now - timedelta(hours=4),
                notified_at=now)
    add_episode(db, returned_at=None)
    record(db)
    db.commit()
    schema = parquet.episode_schema()
    page, lines, rows = pulled(client, EPISODES, feed_key(db))

    assert page == lines
    moments = moments_of(lines, schema)
    assert len(moments) >= 12 and all(ONE_FORMAT.match(m) for m in moments), moments
    columns = csv_columns(schema)
    assert len(columns) == 9
    for row, line in zip(rows, lines, strict=True):
        assert {c: row[c] for c in columns} == {c: line[c] or "" for c in columns}


def test_a_row_patched_when_served_writes_its_timestamps_the_same_way(
        client: TestClient, db: Session) -> None:
    made = record(db, interview__risk_indicators=["sexual_exploitation"])
    db.commit()
    # As though manager-oversight's deadline passed since the row was written.
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == made.id)
               .values(next_due_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db.commit()
    _, lines, rows = pulled(client, FEED, feed_key(db))
    moments = moments_of(lines, parquet.interview_schema())
    assert moments and all(ONE_FORMAT.match(m) for m in moments)
    assert all(ONE_FORMAT.match(rows[0][c]) for c in ("updated_at", "submitted_at"))


def test_rows_written_before_the_change_are_rewritten_by_the_rebuild(
        client: TestClient, db: Session) -> None:
    """Stored rows keep the old way until `python -m app.feed.rebuild` (`analysts.md`), which
    gives each a new `updated_at`, so the next incremental pull brings it again."""
    made = record(db)
    db.commit()
    json_line, csv_row = db.execute(select(col(FeedRow.json_line), col(FeedRow.csv_row))
                                    .where(col(FeedRow.interview_id) == made.id)).one()
    old = {"json_line": json_line.replace(".000000Z", "Z"),
           "csv_row": csv_row.replace(".000000Z", "Z")}
    assert old["json_line"] != json_line
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == made.id).values(**old))
    db.commit()
    [before] = client.get(FEED, headers=feed_key(db)).json()["data"]
    assert before["episodes"][0]["started_at"] == "2026-03-01T18:00:00Z"  # served as stored

    assert rebuild(db) == 1
    db.commit()
    [after] = client.get(FEED, headers=feed_key(db)).json()["data"]
    assert after["episodes"][0]["started_at"] == "2026-03-01T18:00:00.000000Z"
    assert after["updated_at"] > before["updated_at"]
    rows = list(csv.DictReader(io.StringIO(client.get(
        FEED, params={"format": "csv"}, headers=feed_key(db)).text)))
    assert rows[0]["episodes.started_at"] == "2026-03-01T18:00:00.000000Z"


def test_the_one_format() -> None:
    assert feed_timestamp(datetime(2026, 3, 1, 18, 30, tzinfo=UTC)) == \
        "2026-03-01T18:30:00.000000Z"
    assert feed_timestamp(datetime(2026, 7, 1, 10, 0, 0, 5, tzinfo=UTC)) == \
        "2026-07-01T10:00:00.000005Z"
    for text in ("2026-07-01T11:00:00+01:00", "2026-07-01T10:00:00Z",
                 "2026-07-01T10:00:00.000000Z"):
        assert feed_timestamp_text(text) == "2026-07-01T10:00:00.000000Z"
    assert feed_timestamp_text(None) is None
