"""Bulk seeding: N submitted interviews written straight into a migrated SQLite database.

Every record is made as the service would make it, without the HTTP and ORM round trips:
`synthetic_document` → `validate_document` (typed) → `app.standards.evaluate` (findings) →
`app.feed.record.project` (the feed row, its `json_line` and `csv_row`, exactly what
`app.feed.projection.refresh` stores). Worker processes build batches; this process writes them
with `executemany` (parameters already converted by SQLAlchemy's own SQLite bind
processors, in the workers), a few transactions in all (interviews, interview_versions,
episodes, children, feed_rows, feed_pending_findings).

One child per record (`local_id` unique), so no record's episodes overlap another's and
`episodes_in_last_90_days` is each record's own. 75 % submitted, 25 % approved, all recorded
by the RHI provider for four local authorities.

    python -m bench.seed --records 100000 --database /tmp/x.sqlite3   # migrates it first
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sqlite3
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.common import AUTHORITIES, PROVIDER, PSEUDONYM_KEY, Progress, log
from bench.standards import StandardsTiming

BATCH = 5000
COMMIT_EVERY = 50_000
SEED = 20261129


@dataclass
class Batch:
    start: int
    # Per table: the columns, and driver-ready parameter tuples in that order.
    rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]
    timing: StandardsTiming
    build_cpu: float
    skipped: int


@dataclass
class SeedReport:
    records: int = 0
    wall_s: float = 0.0
    build_cpu_s: float = 0.0
    insert_s: float = 0.0
    skipped_invalid: int = 0
    workers: int = 0
    database_bytes: int = 0
    standards: StandardsTiming = field(default_factory=StandardsTiming)


@dataclass(slots=True)
class _Record:
    """What `project` reads of an `Interview`, without the ORM instrumentation."""

    id: Any
    version: int
    status: str
    recorded_by_org: str
    submitted_at: datetime
    approved_at: datetime | None
    findings: list[dict[str, Any]]
    standard_set: str | None = None  # the set in force, as for a record submitted now


def _latest_moment(doc: Any) -> datetime | None:
    moments: list[datetime] = []
    for episode in doc.episodes:
        moments += [m for m in (episode.started_at, episode.returned_at) if m is not None]
    offer = doc.offer
    moments += [m for m in [offer.offered_at, *(a.at for a in offer.attempts)] if m is not None]
    if doc.interview is not None and doc.interview.conducted_at is not None:
        moments.append(doc.interview.conducted_at)
    moments += [a.at for a in doc.actions if a.at is not None]
    moments += [s.at for s in doc.sharing if s.at is not None]
    return max(moments) if moments else None


def build_batch(task: tuple[int, int, datetime, str, int]) -> Batch:
    """Records `start` to `start + count - 1`, as rows for every table (runs in a worker)."""
    from app.feed.record import REPEAT_WINDOW, project
    from app.interviews.demo import synthetic_document
    from app.record.serialize import document_hash, document_to_json
    from app.record.validation import validate_document
    from app.standards import RecordFacts
    from bench.standards import time_batch

    start, count, now, pseudonym_key, seed = task
    cpu = time.process_time()
    rng = random.Random(seed * 1_000_003 + start)  # noqa: S311 - synthetic data  # nosec B311
    typed: list[tuple[Any, datetime, datetime | None, str]] = []
    skipped = 0
    attempt = 0
    while len(typed) < count and attempt < count * 3:  # bounded: invalid documents are rare
        index = start + len(typed)
        raw = synthetic_document(rng, now, AUTHORITIES, index)
        raw["child"]["local_id"] = f"BENCH-{index:08d}"
        attempt += 1
        checked = validate_document(raw, complete=True, now=now)
        if not checked.ok:  # e.g. an offer dated in the future; draw again
            skipped += 1
            continue
        doc = checked.document
        latest = _latest_moment(doc) or now - timedelta(days=1)
        submitted = min(now - timedelta(seconds=60),
                        latest + timedelta(seconds=rng.randint(1800, 4 * 86400),
                                           microseconds=rng.randint(0, 999_999)))
        approved = None
        if rng.random() < 0.25 and submitted + timedelta(hours=2) < now:
            approved = min(now - timedelta(seconds=30),
                           submitted + timedelta(seconds=rng.randint(3600, 10 * 86400)))
        typed.append((doc, submitted, approved, "approved" if approved else "submitted"))
    facts = [RecordFacts(document=doc, status=status, submitted_at=submitted,
                         approved_at=approved) for doc, submitted, approved, status in typed]
    evaluated, timing = time_batch(facts, now)

    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "children", "interviews", "interview_versions", "episodes", "feed_rows",
        "feed_pending_findings")}
    for offset, ((doc, submitted, approved, status), findings) in enumerate(
            zip(typed, evaluated, strict=True)):
        index = start + offset
        child_id = index + 1
        document = document_to_json(doc)
        findings_json = [f.to_json() for f in findings]
        updated = approved or submitted
        record = _Record(doc.id, 1, status, PROVIDER, submitted, approved, findings_json)
        latest = doc.latest_return
        in_window = None
        if latest is not None:
            starts = {e.started_at for e in doc.episodes if e.started_at is not None}
            in_window = sum(1 for s in starts if latest - REPEAT_WINDOW <= s <= latest)
        projection = project(record, doc, findings_json,  # type: ignore[arg-type]
                             updated_at=updated,
                             pseudonym_key=pseudonym_key, episodes_in_last_90_days=in_window,
                             now=now)
        document_text = _dumps(document)
        findings_text = _dumps(findings_json)
        child = doc.child
        rows["children"].append({
            "id": child_id, "responsible_authority": child.responsible_authority,
            "local_id": child.local_id, "date_of_birth": child.date_of_birth,
            "updated_at": submitted})
        rows["interviews"].append({
            "id": doc.id, "status": status, "version": 1, "recorded_by_org": PROVIDER,
            "responsible_authority": child.responsible_authority,
            "placement_authority": child.placement_authority, "child_id": child_id,
            "created_by_user_id": None, "created_by_api_key_id": None,
            "document": document_text, "document_hash": document_hash(document),
            "findings": findings_text, "created_at": submitted, "updated_at": updated,
            "submitted_at": submitted, "approved_at": approved, "approved_by": None,
            "returned_comment": None, "legal_hold": False})
        rows["interview_versions"].append({
            "interview_id": doc.id, "version": 1, "status": "submitted",
            "document": document_text, "findings": findings_text,
            "changed_by": "system:bench", "changed_pointers": "[]", "created_at": submitted})
        for position, episode in enumerate(doc.episodes):
            rows["episodes"].append({
                "interview_id": doc.id, "child_id": child_id, "position": position,
                "type": episode.type, "started_at": episode.started_at,
                "returned_at": episode.returned_at})
        rows["feed_rows"].append({**projection.columns, "json_line": projection.json_line,
                                  "csv_row": projection.csv_row})
        rows["feed_pending_findings"] += [
            {"interview_id": doc.id, "code": code, "due_at": due}
            for code, due in projection.pending.items()]
    return Batch(start, _as_parameters(rows), timing, time.process_time() - cpu, skipped)


def _dumps(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


TABLES = ("children", "interviews", "interview_versions", "episodes", "feed_rows",
          "feed_pending_findings")


@lru_cache(maxsize=1)
def _columns() -> dict[str, list[tuple[str, Any]]]:
    """Per table, its columns and SQLAlchemy's own SQLite bind processor for each (so values
    are stored exactly as the app's engine stores them: UUIDs as hex, UTC datetimes as text).
    JSON columns arrive as orjson text and pass through untouched."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects.sqlite import pysqlite

    import app.registry  # noqa: F401  (registers every table)
    from app.core.db import metadata

    dialect = pysqlite.dialect()
    out: dict[str, list[tuple[str, Any]]] = {}
    for name in TABLES:
        out[name] = [(column.name, None if isinstance(column.type, JSON)
                      else column.type.dialect_impl(dialect).bind_processor(dialect))
                     for column in metadata.tables[name].columns]
    return out


def _as_parameters(rows: dict[str, list[dict[str, Any]]]
                   ) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    out: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
    for name, dicts in rows.items():
        plan = [(column, process) for column, process in _columns()[name]
                if not dicts or column in dicts[0]]  # autoincrement ids are left out
        out[name] = (tuple(column for column, _ in plan),
                     [tuple(process(row[column]) if process is not None else row[column]
                            for column, process in plan) for row in dicts])
    return out


def _batches(records: int, now: datetime, workers: int) -> Iterator[Batch]:
    tasks = [(start, min(BATCH, records - start), now, PSEUDONYM_KEY, SEED)
             for start in range(0, records, BATCH)]
    if workers <= 0:
        for task in tasks:
            yield build_batch(task)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: deque[Any] = deque()
        queue = iter(tasks)
        for task in queue:  # a window of 2 per worker keeps memory bounded
            pending.append(pool.apply_async(build_batch, (task,)))
            if len(pending) >= workers * 2:
                yield pending.popleft().get(timeout=3600)
        while pending:
            yield pending.popleft().get(timeout=3600)


def seed(database: Path, records: int, *, workers: int | None = None,
         now: datetime | None = None) -> SeedReport:
    """Write `records` interviews into an already migrated SQLite database (with organisations)."""
    from app.core.types import utcnow

    now = now or utcnow()
    workers = min(2, os.cpu_count() or 1) if workers is None else workers
    report = SeedReport(workers=workers)
    _columns()  # before the workers fork, so each inherits it
    progress = Progress("seed", records)
    started = time.perf_counter()
    written = 0
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")  # a bench database, made again on every run
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN")
        since_commit = 0
        for batch in _batches(records, now, workers):
            report.standards.add(batch.timing)
            report.build_cpu_s += batch.build_cpu
            report.skipped_invalid += batch.skipped
            t0 = time.perf_counter()
            for name in TABLES:
                columns, parameters = batch.rows[name]
                if parameters:
                    conn.executemany(
                        f"INSERT INTO {name} ({', '.join(columns)}) "  # noqa: S608 - our names
                        f"VALUES ({', '.join('?' * len(columns))})", parameters)
            count = len(batch.rows["interviews"][1])
            written += count
            since_commit += count
            if since_commit >= COMMIT_EVERY:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
                since_commit = 0
            report.insert_s += time.perf_counter() - t0
            progress.update(written)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    progress.update(records)
    report.records = written
    report.wall_s = time.perf_counter() - started
    report.database_bytes = database.stat().st_size
    log(f"seeded {written:,} records in {report.wall_s:,.1f} s "
        f"({written / report.wall_s:,.0f}/s; build {report.build_cpu_s:,.1f} CPU-s in "
        f"{workers} workers, insert {report.insert_s:,.1f} s; "
        f"{report.database_bytes / 1e9:,.2f} GB)")
    return report


def main(argv: list[str] | None = None) -> int:
    from bench.common import prepare_database, sqlite_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    prepare_database(sqlite_url(args.database))
    seed(args.database, args.records, workers=args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
