"""The feeds as Parquet: the NDJSON pull's records with the same values, in typed columns, in
row groups sent as they are made; an empty pull is a file with the columns and no rows; the
same visibility, ETag and audit as the other formats."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.types import utcnow
from app.feed import episodes, parquet, service
from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.record import feed_timestamp
from app.feed.service import FeedFilters
from app.interviews.service import approve
from app.record.formats import format_timestamp
from tests.builders import actor, make_user, record, sign_in
from tests.feed.conftest import DECLINED, feed_key
from tests.feed.test_episode_feed import add_episode

FEED = "/api/v1/feed/interviews"
EPISODES = "/api/v1/feed/episodes"
PARQUET = "application/vnd.apache.parquet"
MOMENT = pa.timestamp("us", tz="UTC")
PASSED = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def read(answer: Any) -> pa.Table:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == PARQUET
    assert answer.content[:4] == b"PAR1" and answer.content[-4:] == b"PAR1"
    return pq.read_table(io.BytesIO(answer.content))


def ndjson(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return [orjson.loads(line) for line in answer.text.splitlines()]


def as_json(value: Any) -> Any:
    """A value read from Parquet as the JSON feed writes it: timestamps as `...Z` text."""
    if isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0)
        return feed_timestamp(value)
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def varied(db: Session) -> None:
    """Records of 803 with everything the feed record can hold, and one it must not see."""
    made = record(db, interview__push_factors=["family_conflict", "bullying"],
                  interview__risk_indicators=["county_lines", "weapons"],
                  episodes=[{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                             "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                             "found_postcode": "BS16 1QY"},
                            {"type": "away", "started_at": "2026-02-01T18:00:00Z",
                             "returned_at": "2026-02-01T20:30:00Z",
                             "reported_to_police": False}])
    approve(db, made, actor(), "Checked.", read_record=True)
    record(db, child__placement_authority="801", **DECLINED)
    record(db, child__uasc=True, child__disability_or_send="yes",
           child__placement_type="childrens_home", episodes__0__brought_back_by="police",
           episodes__0__prevention_interview_at="2026-03-02T10:00:00Z",
           interview__interviewer_relationship="none", interview__views_on_sharing="objects",
           interview__lawful_basis="public_task", interview__shared_against_wishes=True,
           interview__shared_against_wishes_reason="Risk of serious harm",
           interview__child_told_of_sharing=True,
           actions=[{"type": "safety_plan", "status": "planned",
                     "due_at": "2026-03-09T17:00:00Z", "owner": "A synthetic owner"}])
    # Pending until a manager looks: its deadline is made to pass below.
    late = record(db, interview__risk_indicators=["sexual_exploitation"])
    # Another organisation's record of its own child: never in 803's feed.
    record(db, "802", child__responsible_authority="802", child__placement_authority="802",
           child__local_id="THEIRS-1")
    db.commit()
    _let_deadline_pass(db, late.id, "manager-oversight")


def _let_deadline_pass(db: Session, interview_id: Any, code: str) -> None:
    """The row as projected before `code`'s deadline, that deadline now past (as if
    `rhi standards evaluate` had not run since): served `not_met` in every format."""
    line, = db.execute(select(col(FeedRow.json_line))
                       .where(col(FeedRow.interview_id) == interview_id)).one()
    stored = orjson.loads(line)
    for finding in stored["standards"]:
        if finding["code"] == code:
            finding["due_at"] = format_timestamp(PASSED)
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == interview_id).values(
        json_line=orjson.dumps(stored).decode(), next_due_at=PASSED))
    db.execute(update(FeedPendingFinding).where(
        col(FeedPendingFinding.interview_id) == interview_id,
        col(FeedPendingFinding.code) == code).values(due_at=PASSED))
    db.commit()


@pytest.mark.parametrize("params", [
    {}, {"legal_status": "looked_after"}, {"out_of_area": "true"},
    {"standard": "manager-oversight", "result": "not_met"}, {"returned_from": "2026-03-01"},
    {"risk_indicator": "county_lines", "returned_to": "2026-03-31"},
])
def test_a_parquet_pull_holds_the_ndjson_pulls_records_with_the_same_values(
        client: TestClient, db: Session, params: dict[str, str]) -> None:
    varied(db)
    headers = feed_key(db)
    lines = ndjson(client.get(FEED, params={**params, "format": "ndjson"}, headers=headers))
    table = read(client.get(FEED, params={**params, "format": "parquet"}, headers=headers))

    assert table.num_rows == len(lines) > 0
    assert table.schema.names == list(lines[0])  # every field, in the record's order
    assert [as_json(row) for row in table.to_pylist()] == lines  # same order, same values


def test_the_interview_feeds_columns_are_typed(client: TestClient, db: Session) -> None:
    varied(db)
    table = read(client.get(FEED, params={"format": "parquet"}, headers=feed_key(db)))
    schema = table.schema

    assert schema.equals(parquet.interview_schema())
    for name in ("updated_at", "submitted_at", "approved_at", "offered_at", "conducted_at"):
        assert schema.field(name).type == MOMENT, name
    for name, kind in (("version", pa.int32()), ("age_at_return", pa.int32()),
                       ("seraf_category", pa.int32()), ("out_of_area", pa.bool_()),
                       ("uasc", pa.bool_()), ("hours_to_offer", pa.float64()),
                       ("episodes_in_last_90_days", pa.int32()), ("status", pa.string())):
        assert schema.field(name).type == kind, name
    for name in ("push_factors", "pull_factors", "risk_indicators", "location_districts",
                 "action_types", "shared_with"):
        assert schema.field(name).type == pa.list_(pa.string()), name
    finding = schema.field("standards").type.value_type
    assert [(f.name, f.type) for f in finding] == [
        ("code", pa.string()), ("set_version", pa.string()), ("result", pa.string()),
        ("due_at", MOMENT), ("evidence_at", MOMENT), ("detail", pa.string())]
    episode = schema.field("episodes").type.value_type
    assert (episode.field("started_at").type, episode.field("duration_hours").type,
            episode.field("reported_to_police").type) == (MOMENT, pa.float64(), pa.bool_())
    action = schema.field("actions").type.value_type
    assert [f.name for f in action] == ["type", "status", "due_at", "at"]
    assert action.field("due_at").type == MOMENT
    # Values come through as their types, not as text.
    rows = {row["interview_id"]: row for row in table.to_pylist()}
    assert all(isinstance(row["updated_at"], datetime) for row in rows.values())
    assert any(row["push_factors"] == ["family_conflict", "bullying"] for row in rows.values())


def test_row_groups_are_sent_as_they_are_made(db: Session,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(7):
        record(db)
    db.commit()
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 3)
    # Two records a read from the database, three a row group: groups straddle the reads.
    chunks = list(service.stream(db, "803", FeedFilters(), "parquet", utcnow(), batch_size=2))

    assert len(chunks) == 3  # a row group each (3, 3, 1), the footer with the last
    assert chunks[0].startswith(b"PAR1") and chunks[-1].endswith(b"PAR1") and all(chunks)
    whole = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    assert [whole.metadata.row_group(i).num_rows
            for i in range(whole.metadata.num_row_groups)] == [3, 3, 1]
    lines = b"".join(service.stream(db, "803", FeedFilters(), "ndjson", utcnow())).splitlines()
    assert [as_json(r) for r in whole.read().to_pylist()] == [orjson.loads(x) for x in lines]


def test_a_full_row_group_is_ten_thousand_records() -> None:
    assert parquet.ROW_GROUP_ROWS == 10_000


def test_an_empty_pull_is_a_parquet_file_with_the_columns_and_no_rows(
        client: TestClient, db: Session) -> None:
    record(db)
    db.commit()
    headers = feed_key(db)
    for path, params, schema in (
            (FEED, {"legal_status": "care_leaver"}, parquet.interview_schema()),
            (FEED, {"updated_since": "2200-01-01"}, parquet.interview_schema()),
            (EPISODES, {"returned_from": "2199-01-01"}, parquet.episode_schema())):
        table = read(client.get(path, params={**params, "format": "parquet"}, headers=headers))
        assert table.num_rows == 0
        assert table.schema.equals(schema)


def test_another_organisations_records_and_episodes_are_never_in_it(
        client: TestClient, db: Session) -> None:
    mine = record(db)
    theirs = record(db, "802", child__responsible_authority="802",
                    child__placement_authority="802", child__local_id="THEIRS-2")
    their_episode = add_episode(db, authority="802")
    db.commit()

    table = read(client.get(FEED, params={"format": "parquet"}, headers=feed_key(db)))
    assert table.column("interview_id").to_pylist() == [str(mine.id)]
    episode_ids = read(client.get(EPISODES, params={"format": "parquet"},
                                  headers=feed_key(db))).column("episode_id").to_pylist()
    assert str(their_episode.id) not in episode_ids and len(episode_ids) == 1

    # And 802 sees its own, not 803's.
    table = read(client.get(FEED, params={"format": "parquet"}, headers=feed_key(db, "802")))
    assert table.column("interview_id").to_pylist() == [str(theirs.id)]


def test_accept_asks_for_parquet_and_the_answer_is_a_file_to_save(
        client: TestClient, db: Session) -> None:
    record(db)
    db.commit()
    headers = {**feed_key(db), "Accept": PARQUET}
    for path, name in ((FEED, "rhi-feed.parquet"), (EPISODES, "rhi-episodes.parquet")):
        answer = client.get(path, headers=headers)
        assert read(answer).num_rows == 1
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
    # `format` wins over `Accept`, as for NDJSON.
    answer = client.get(FEED, params={"format": "csv"}, headers=headers)
    assert answer.headers["content-type"].startswith("text/csv")


def test_an_unchanged_parquet_pull_answers_304_and_every_pull_is_audited(
        client: TestClient, db: Session) -> None:
    made = record(db)
    record(db)
    db.commit()
    headers = feed_key(db)
    params = {"format": "parquet", "returned_from": "2026-01-01"}
    first = client.get(FEED, params=params, headers=headers)
    etag = first.headers["etag"]
    assert etag != client.get(FEED, params={**params, "format": "ndjson"},
                              headers=headers).headers["etag"]
    again = client.get(FEED, params=params, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    approve(db, made, actor(), "Checked.", read_record=True)
    db.commit()
    changed = client.get(FEED, params=params, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    entries = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.pull")
                         .order_by(col(AuditEntry.id))).scalars().all()
    assert [(e.details["format"], e.details["count"], e.details["filters"],
             e.details.get("not_modified")) for e in entries] == [
        ("parquet", 2, {"returned_from": "2026-01-01T00:00:00Z"}, None),
        ("ndjson", 2, {"returned_from": "2026-01-01T00:00:00Z"}, None),
        ("parquet", 0, {"returned_from": "2026-01-01T00:00:00Z"}, True),
        ("parquet", 2, {"returned_from": "2026-01-01T00:00:00Z"}, None),
    ]
    assert all(e.actor.startswith("key:rk_") and e.organisation == "803" for e in entries)


def test_an_analyst_signed_in_pulls_parquet_too(client: TestClient, db: Session) -> None:
    record(db)
    db.commit()
    sign_in(client, make_user(db, "analyst", org="803", email="parquet.analyst@example.org"))
    assert read(client.get(FEED, params={"format": "parquet"})).num_rows == 1
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.pull")
                       .order_by(col(AuditEntry.id).desc())).scalars().first()
    assert entry is not None and entry.details["format"] == "parquet"
    assert entry.actor.startswith("user:")


# --- the episode feed --------------------------------------------------------------------------


def test_the_episode_feed_in_parquet_holds_the_ndjson_rows_typed(
        client: TestClient, db: Session) -> None:
    now = utcnow()
    add_episode(db, returned_at=now - 3 * timedelta(hours=1))
    add_episode(db, returned_at=None)
    add_episode(db, returned_at=now - timedelta(hours=80), found_at=now - timedelta(hours=81))
    add_episode(db, authority="802")  # not 803's
    record(db)
    db.commit()
    headers = feed_key(db)
    for params in ({}, {"returned_from": "2026-01-01"}, {"updated_since": "2026-01-01"}):
        lines = ndjson(client.get(EPISODES, params={**params, "format": "ndjson"},
                                  headers=headers))
        table = read(client.get(EPISODES, params={**params, "format": "parquet"},
                                headers=headers))
        assert [as_json(row) for row in table.to_pylist()] == lines
        assert table.schema.equals(parquet.episode_schema())
    assert table.schema.names == list(episodes.COLUMNS)
    # The moments are those the OpenAPI document types `date-time`.
    properties = episodes.FeedEpisode.model_json_schema()["properties"]
    moments = {name for name, schema in properties.items()
               if "date-time" in str(schema)}
    assert len(moments) == 9
    assert {f.name for f in table.schema if f.type == MOMENT} == moments
    assert table.schema.field("out_of_area").type == pa.bool_()
    entries = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.episodes")
                         ).scalars().all()
    assert [e.details["format"] for e in entries].count("parquet") == 3


# --- read by pandas and DuckDB ----------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as pandas or DuckDB gives it, as the JSON feed writes it: timestamps as `...Z`
    text (a moment without a zone is UTC), a missing value as None, arrays as lists, NumPy's
    numbers and booleans as Python's, and ids as text (DuckDB's JSON reader finds UUIDs)."""
    if isinstance(value, np.ndarray | list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return feed_timestamp(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, UUID):
        return str(value)
    return value


# What 803 pulls of `varied`'s records: four records, five episodes.
PULLED = {FEED: 4, EPISODES: 5}
# The two feeds, and a column of each kind each has: (column, pandas dtype, DuckDB type).
FEEDS_TYPED = {
    FEED: [("updated_at", "datetime64[us, UTC]", "TIMESTAMP WITH TIME ZONE"),
           ("version", "Int32", "INTEGER"), ("out_of_area", "boolean", "BOOLEAN"),
           ("hours_to_offer", "Float64", "DOUBLE"), ("status", "string", "VARCHAR"),
           ("risk_indicators", "object", "VARCHAR[]")],
    EPISODES: [("returned_at", "datetime64[us, UTC]", "TIMESTAMP WITH TIME ZONE"),
               ("out_of_area", "boolean", "BOOLEAN"), ("episode_id", "string", "VARCHAR")],
}


def pulls(client: TestClient, db: Session, path: str) -> dict[str, bytes]:
    """The same records pulled as Parquet and as NDJSON (varied records, and their episodes in
    the register)."""
    varied(db)
    headers = feed_key(db)
    return {fmt: client.get(path, params={"format": fmt}, headers=headers).content
            for fmt in ("parquet", "ndjson")}


@pytest.mark.parametrize("path", list(FEEDS_TYPED))
def test_pandas_reads_the_parquet_and_ndjson_pulls_as_the_same_rows_and_values(
        client: TestClient, db: Session, path: str) -> None:
    pulled = pulls(client, db, path)
    lines = [orjson.loads(line) for line in pulled["ndjson"].splitlines()]

    typed = pd.read_parquet(io.BytesIO(pulled["parquet"]), dtype_backend="numpy_nullable")
    # As docs/analysts.md reads NDJSON: every value as the JSON has it (codes stay text).
    as_json = pd.read_json(io.BytesIO(pulled["ndjson"]), lines=True, dtype=False)

    assert len(lines) == PULLED[path]
    assert list(typed.columns) == list(as_json.columns) == list(lines[0])
    assert plain(typed.to_dict("records")) == plain(as_json.to_dict("records")) == lines
    assert [(name, str(typed[name].dtype)) for name, _, _ in FEEDS_TYPED[path]] == [
        (name, dtype) for name, dtype, _ in FEEDS_TYPED[path]]


@pytest.mark.parametrize("path", list(FEEDS_TYPED))
def test_duckdb_reads_the_parquet_and_ndjson_pulls_as_the_same_rows_and_values(
        client: TestClient, db: Session, tmp_path: Path, path: str) -> None:
    pulled = pulls(client, db, path)
    lines = [orjson.loads(line) for line in pulled["ndjson"].splitlines()]
    for fmt, content in pulled.items():
        (tmp_path / f"pull.{fmt}").write_bytes(content)

    with duckdb.connect() as connection:
        typed = connection.read_parquet(str(tmp_path / "pull.parquet"))
        as_json = connection.read_json(str(tmp_path / "pull.ndjson"),
                                       format="newline_delimited")
        rows = {name: [dict(zip(relation.columns, row, strict=True))
                       for row in relation.fetchall()]
                for name, relation in (("parquet", typed), ("ndjson", as_json))}
        kinds = dict(zip(typed.columns, map(str, typed.types), strict=True))

    assert len(lines) == PULLED[path]
    assert plain(rows["parquet"]) == plain(rows["ndjson"]) == lines
    assert [(name, kinds[name]) for name, _, _ in FEEDS_TYPED[path]] == [
        (name, kind) for name, _, kind in FEEDS_TYPED[path]]
