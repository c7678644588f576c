"""What an operator sees of the running service: metrics, logs and readiness (docs/operations.md).

- **Metrics** in Prometheus's text format at `/metrics`, for the bearer token in
  `RHI_METRICS_TOKEN` only: request latency by route, database time and statements a request,
  waits for SQLite's writer, requests in flight, feed rows streamed. Under `rhi serve
  --workers N` every worker writes its samples to the directory in `PROMETHEUS_MULTIPROC_DIR`
  (set by `rhi serve` before the workers start), and `/metrics` adds them up, whichever worker
  answers.
- **Logs**: one JSON object a line (`RHI_LOG_FORMAT=json`, the default), each carrying the id
  of the request it belongs to; one line a request, with its route *template*, never its path
  or query (`/children?q=<a name>` would put a name in the log), status and timings. SQL
  parameters are kept out of database errors (`hide_parameters` in `app.core.db`).
- **Request ids**: taken from the client's or proxy's `X-Request-ID` when it is a plain token
  (letters, digits, `-`, `_`, `.`, 8 to 64 of them), else made here; sent back in
  `X-Request-ID`, so a person quoting it from an error page finds their request in the log.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import writer_queue

MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER: Final = "x-request-id"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
UNMATCHED_ROUTE: Final = "unmatched"

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0, 60.0)
_WAIT_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0)

REQUEST_SECONDS = Histogram(
    "rhi_http_request_duration_seconds",
    "Time from a request's arrival to the last byte of its answer, by route template",
    ["method", "route", "status"], buckets=_LATENCY_BUCKETS)
DATABASE_SECONDS = Histogram(
    "rhi_http_request_database_seconds",
    "Time a request spent in database statements, by route template",
    ["method", "route"], buckets=_LATENCY_BUCKETS)
DATABASE_STATEMENTS = Counter(
    "rhi_database_statements", "Database statements run, by requests and by everything else")
IN_FLIGHT = Gauge(
    "rhi_http_requests_in_flight", "Requests being answered now, all workers together",
    multiprocess_mode="livesum")
WRITER_WAIT_SECONDS = Histogram(
    "rhi_sqlite_writer_wait_seconds",
    "How long a SQLite write transaction waited for its turn at the database's one writer",
    buckets=_WAIT_BUCKETS)
FEED_ROWS = Counter(
    "rhi_feed_rows_streamed", "Rows sent by the analyst feeds, by feed and format",
    ["feed", "format"])

request_id: ContextVar[str | None] = ContextVar("rhi_request_id", default=None)


@dataclass
class _DatabaseTally:
    """A request's database time. One object per request, shared by reference with the worker
    threads its handler runs in (they get a copy of the context, holding this same object)."""

    seconds: float = 0.0
    statements: int = 0


_tally: ContextVar[_DatabaseTally | None] = ContextVar("rhi_database_tally", default=None)
_STARTS: Final = "rhi_statement_starts"


def _before_execute(conn: Any, *_args: Any) -> None:
    conn.info.setdefault(_STARTS, []).append(time.perf_counter())


def _after_execute(conn: Any, *_args: Any) -> None:
    DATABASE_STATEMENTS.inc()
    starts = conn.info.get(_STARTS)
    started = starts.pop() if starts else None
    tally = _tally.get()
    if tally is not None and started is not None:
        tally.seconds += time.perf_counter() - started
        tally.statements += 1


def _failed(context: Any) -> None:
    connection = context.connection
    starts = connection.info.get(_STARTS) if connection is not None else None
    if starts:
        starts.pop()


def watch_engines() -> None:
    """Time every statement of every engine, and every SQLite writer's wait for its turn
    (once per process; repeated calls do nothing)."""
    if not event.contains(Engine, "before_cursor_execute", _before_execute):
        event.listen(Engine, "before_cursor_execute", _before_execute)
        event.listen(Engine, "after_cursor_execute", _after_execute)
        event.listen(Engine, "handle_error", _failed)
        writer_queue.on_wait(observe_writer_wait)


def observe_writer_wait(seconds: float) -> None:
    WRITER_WAIT_SECONDS.observe(seconds)


def count_feed_rows(feed: str, fmt: str, rows: int) -> None:
    FEED_ROWS.labels(feed, fmt).inc(rows)


# --- /metrics --------------------------------------------------------------------------------


def multiprocess_directory() -> Path | None:
    value = os.environ.get(MULTIPROCESS_DIR_VARIABLE, "").strip()
    return Path(value) if value else None


# As prometheus-client chose when it was imported (with this module): samples in memory, or in
# files that every worker writes and `/metrics` adds up.
_SHARED_BETWEEN_WORKERS: Final = multiprocess_directory() is not None


def exposition() -> bytes:
    """Every metric of this process, or of every worker of `rhi serve --workers N`."""
    if not _SHARED_BETWEEN_WORKERS:
        return generate_latest()
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


EXPOSITION_TYPE: Final = CONTENT_TYPE_LATEST


def bearer_matches(authorization: str | None, token: str) -> bool:
    """The header is `Bearer <token>` for this token (compared in constant time)."""
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"),
                               token.encode("utf-8"))


# --- request ids and the request log ---------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    return UNMATCHED_ROUTE


request_log = logging.getLogger("rhi.request")


class Observed:
    """The outermost layer: a request id for every request, its latency and database time in
    the metrics, and one log line when its answer has been sent (a feed pull: when the last
    byte has)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER.encode())
        rid = given if given and _PLAIN_ID.fullmatch(given) else uuid4().hex
        id_token = request_id.set(rid)
        tally = _DatabaseTally()
        tally_token = _tally.set(tally)
        started = time.perf_counter()
        status = 500
        IN_FLIGHT.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID_HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            method = scope.get("method", "")
            route = _route_template(scope)
            REQUEST_SECONDS.labels(method, route, str(status)).observe(elapsed)
            DATABASE_SECONDS.labels(method, route).observe(tally.seconds)
            request_log.info("%s %s %s", method, route, status, extra={"fields": {
                "method": method, "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "database_ms": round(tally.seconds * 1000, 2),
                "statements": tally.statements}})
            _tally.reset(tally_token)
            request_id.reset(id_token)


# --- logging ---------------------------------------------------------------------------------


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id, the process,
    and a record's `fields` (the request line's timings)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextWithRequestId(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        fields = getattr(record, "fields", None)
        extra = " ".join(f"{k}={v}" for k, v in fields.items()) if isinstance(fields, dict) else ""
        return " ".join(part for part in (line, extra, f"request_id={rid}" if rid else "")
                        if part)


def log_config(log_format: str) -> dict[str, Any]:
    """`logging.config.dictConfig` for `rhi serve` (uvicorn's own loggers included): every line
    in one format, to standard error; uvicorn's access log is off, the request line replaces
    it (it holds the raw path and query)."""
    formatter = ({"()": f"{__name__}.JsonLines"} if log_format == "json" else
                 {"()": f"{__name__}.TextWithRequestId",
                  "format": "%(asctime)s %(levelname)s %(name)s %(message)s"})
    handler = {"class": "logging.StreamHandler", "formatter": "default",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }

