"""The baseline of #5: a bare Starlette endpoint that stores a submitted interview with the plain
driver (`sqlite3` or `psycopg`), in the app's own schema, one transaction per request.

It writes the rows a submission writes (the child, upserted; the interview; its first version;
its episodes; a feed row holding the document as its line; an audit entry chained to the last
one, under the same advisory lock on PostgreSQL), with the app's durability settings on SQLite
(WAL, `synchronous=FULL`, `BEGIN IMMEDIATE`, 30 s busy timeout). It checks nothing, evaluates
no standard and projects nothing: that is the work the ratio measures. Run as its own uvicorn
process, with uvicorn's defaults as `rhi serve` has them, and as many worker processes as the
`rhi serve` it is compared with (`--workers`, 1 by default):

    python -m bench.bare_server --database sqlite:////tmp/x.sqlite3 --host 127.0.0.1 --port 8100
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

GENESIS = "0" * 64
DATABASE: dict[str, str] = {}
# How uvicorn's worker processes (which import this module afresh) learn the database.
DATABASE_ENV = "BENCH_BARE_DATABASE"
_local = threading.local()


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_parse(text: str | None) -> str | None:
    if not text:
        return None
    return _sqlite_time(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _connection() -> Any:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        return conn
    url = _url()
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30,
                               isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    _local.conn = conn
    return conn


def _url() -> str:
    return DATABASE.get("url") or os.environ[DATABASE_ENV]


def _digest(prev: str, at: str, interview_id: str) -> str:
    return hashlib.sha256(f"{prev}|{at}|key:bare|interview.create|{interview_id}".encode()
                          ).hexdigest()


def store_sqlite(doc: dict[str, Any], body: bytes) -> None:
    conn = _connection()
    now = datetime.now(UTC)
    at = _sqlite_time(now)
    interview_id = uuid.UUID(doc["id"])
    child = doc.get("child") or {}
    episodes = doc.get("episodes") or []
    text = body.decode()
    conn.execute("BEGIN IMMEDIATE")
    try:
        (child_id,) = conn.execute(
            "INSERT INTO children (responsible_authority, local_id, date_of_birth, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (responsible_authority, local_id) DO UPDATE SET "
            "updated_at = excluded.updated_at RETURNING id",
            (child.get("responsible_authority"), child.get("local_id"),
             child.get("date_of_birth"), at)).fetchone()
        conn.execute(
            "INSERT INTO interviews (id, status, version, recorded_by_org, "
            "responsible_authority, child_id, document, document_hash, findings, created_at, "
            "updated_at, submitted_at, legal_hold) VALUES (?, 'submitted', 1, 'avon-rhi', ?, ?, "
            "?, ?, '[]', ?, ?, ?, 0)",
            (interview_id.hex, child.get("responsible_authority"), child_id, text,
             hashlib.sha256(body).hexdigest(), at, at, at))
        conn.execute(
            "INSERT INTO interview_versions (interview_id, version, status, document, findings, "
            "changed_by, changed_pointers, created_at) VALUES (?, 1, 'submitted', ?, '[]', "
            "'key:bare', '[]', ?)", (interview_id.hex, text, at))
        conn.executemany(
            "INSERT INTO episodes (interview_id, child_id, position, type, started_at, "
            "returned_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(interview_id.hex, child_id, i, e.get("type"), _sqlite_parse(e.get("started_at")),
              _sqlite_parse(e.get("returned_at"))) for i, e in enumerate(episodes)])
        conn.execute(
            "INSERT INTO feed_rows (interview_id, updated_at, version, status, recorded_by_org, "
            "responsible_authority, out_of_area, episode_count, offered_within_72h, "
            "completed_within_72h, push_factors, pull_factors, risk_indicators, action_types, "
            "standard_results, json_line, csv_row) VALUES (?, ?, 1, 'submitted', 'avon-rhi', ?, "
            "0, ?, 0, 0, ';', ';', ';', ';', '', ?, '')",
            (interview_id.hex, at, child.get("responsible_authority"), len(episodes), text))
        prev = conn.execute("SELECT hash FROM audit_entries ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS
        conn.execute(
            "INSERT INTO audit_entries (at, actor, organisation, action, target, details, "
            "address, prev_hash, hash) VALUES (?, 'key:bare', 'avon-rhi', 'interview.create', ?, "
            "'{\"version\": 1, \"via\": \"api\"}', '127.0.0.1', ?, ?)",
            (at, str(interview_id), prev_hash, _digest(prev_hash, at, str(interview_id))))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def store_postgres(doc: dict[str, Any], body: bytes) -> None:
    conn = _connection()
    now = datetime.now(UTC)
    interview_id = uuid.UUID(doc["id"])
    child = doc.get("child") or {}
    episodes = doc.get("episodes") or []
    text = body.decode()

    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    with conn.transaction():
        (child_id,) = conn.execute(
            "INSERT INTO children (responsible_authority, local_id, date_of_birth, updated_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (responsible_authority, local_id) DO UPDATE "
            "SET updated_at = excluded.updated_at RETURNING id",
            (child.get("responsible_authority"), child.get("local_id"),
             child.get("date_of_birth"), now)).fetchone()
        conn.execute(
            "INSERT INTO interviews (id, status, version, recorded_by_org, "
            "responsible_authority, child_id, document, document_hash, findings, created_at, "
            "updated_at, submitted_at, legal_hold) VALUES (%s, 'submitted', 1, 'avon-rhi', %s, "
            "%s, %s::jsonb, %s, '[]'::jsonb, %s, %s, %s, false)",
            (interview_id, child.get("responsible_authority"), child_id, text,
             hashlib.sha256(body).hexdigest(), now, now, now))
        conn.execute(
            "INSERT INTO interview_versions (interview_id, version, status, document, findings, "
            "changed_by, changed_pointers, created_at) VALUES (%s, 1, 'submitted', %s::jsonb, "
            "'[]'::jsonb, 'key:bare', '[]'::jsonb, %s)", (interview_id, text, now))
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO episodes (interview_id, child_id, position, type, started_at, "
                "returned_at) VALUES (%s, %s, %s, %s, %s, %s)",
                [(interview_id, child_id, i, e.get("type"), moment(e.get("started_at")),
                  moment(e.get("returned_at"))) for i, e in enumerate(episodes)])
        conn.execute(
            "INSERT INTO feed_rows (interview_id, updated_at, version, status, recorded_by_org, "
            "responsible_authority, out_of_area, episode_count, offered_within_72h, "
            "completed_within_72h, push_factors, pull_factors, risk_indicators, action_types, "
            "standard_results, json_line, csv_row) VALUES (%s, %s, 1, 'submitted', 'avon-rhi', "
            "%s, false, %s, false, false, ';', ';', ';', ';', '', %s, '')",
            (interview_id, now, child.get("responsible_authority"), len(episodes), text))
        conn.execute("SELECT pg_advisory_xact_lock(727274)")
        prev = conn.execute("SELECT hash FROM audit_entries ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS
        at = now.isoformat()
        conn.execute(
            "INSERT INTO audit_entries (at, actor, organisation, action, target, details, "
            "address, prev_hash, hash) VALUES (%s, 'key:bare', 'avon-rhi', 'interview.create', "
            "%s, '{\"version\": 1, \"via\": \"api\"}'::jsonb, '127.0.0.1', %s, %s)",
            (now, str(interview_id), prev_hash, _digest(prev_hash, at, str(interview_id))))


def _store(body: bytes) -> None:
    doc = orjson.loads(body)
    if _url().startswith("sqlite:///"):
        store_sqlite(doc, body)
    else:
        store_postgres(doc, body)


async def create(request: Request) -> Response:
    body = await request.body()
    await run_in_threadpool(_store, body)
    doc_id = orjson.loads(body)["id"]
    return Response(body, status_code=201, media_type="application/json",
                    headers={"Location": f"/api/v1/interviews/{doc_id}"})


def _ping() -> None:
    conn = _connection()
    conn.execute("SELECT 1").fetchone()
    if not _url().startswith("sqlite:///"):
        conn.rollback()


async def healthz(_request: Request) -> Response:
    await run_in_threadpool(_ping)
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/api/v1/interviews", create, methods=["POST"]),
                        Route("/healthz", healthz)])


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="sqlite:///path or postgresql URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    DATABASE["url"] = args.database
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port)
    else:  # worker processes import the app by name
        os.environ[DATABASE_ENV] = args.database
        uvicorn.run("bench.bare_server:app", host=args.host, port=args.port,
                    workers=args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
