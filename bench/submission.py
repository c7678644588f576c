"""#5 Submission: 5,000 `POST /api/v1/interviews`, 16 at a time, on SQLite and on PostgreSQL.

Realistic documents (`synthetic_document`, one child each so none overlaps another), each
posted once with a `submit` key to `rhi serve` on a fresh database. Baseline, in the same run
and on a fresh database of the same kind: the bare Starlette endpoint of `bench/bare_server.py`
storing the same rows with the plain driver, under the same load. A short warm-up (not timed)
precedes each. Every server runs one worker process (`--workers 1`, said). Target: throughput
≥ 0.3 × the bare endpoint's; the p95 is for the record here, its target (≤ 100 ms) being at 16
in flight with 2 workers on PostgreSQL (#5e, `bench/scale.py`).

Latency is measured by the client from sending the request to the last byte of the answer, so
with 16 requests in flight against one server process it includes queueing: that is what a
partner system sees.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.common import (
    AUTHORITIES,
    PYTHON,
    Client,
    Figure,
    Server,
    cpu_seconds,
    log,
    pg_available,
    pg_drop,
    pg_recreate,
    pg_url,
    prepare_database,
    rhi_serve,
    run_load,
    serving,
    sqlite_url,
)

CONCURRENCY = 16
WARMUP = 48
P95_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.3
PG_APP, PG_BARE = "rhi_bench", "rhi_bench_bare"  # the bench's own; dropped when done


def documents(count: int, prefix: str) -> list[bytes]:
    """`count` valid, realistic interview documents as JSON bodies."""
    from app.core.types import utcnow
    from app.interviews.demo import synthetic_document
    from app.record.validation import validate_document

    rng = random.Random(55)  # noqa: S311 - synthetic data  # nosec B311
    now = utcnow()
    bodies: list[bytes] = []
    for index in range(count * 2):  # bounded: a few documents dated in the future are skipped
        if len(bodies) >= count:
            break
        doc = synthetic_document(rng, now, AUTHORITIES, index)
        doc["child"]["local_id"] = f"{prefix}-{index:07d}"
        if validate_document(doc, complete=True, now=now).ok:
            bodies.append(orjson.dumps(doc))
    return bodies


def post_interview(body: bytes) -> Callable[[Client], tuple[int, float]]:
    """A load task: POST this document to the interviews API."""
    def task(client: Client) -> tuple[int, float]:
        status, _, _, seconds = client.request(
            "POST", "/api/v1/interviews", body, {"Content-Type": "application/json"})
        return status, seconds

    return task


def _load(server: Server, key: str | None, bodies: list[bytes], deadline_s: float
          ) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    warm = run_load(server.port, [post_interview(b) for b in bodies[:WARMUP]], CONCURRENCY,
                    ok=lambda s: s == 201, deadline_s=120, headers=headers)
    cpu = cpu_seconds(server.pid)
    timed = run_load(server.port, [post_interview(b) for b in bodies[WARMUP:]], CONCURRENCY,
                     ok=lambda s: s == 201, deadline_s=deadline_s, headers=headers)
    used = cpu_seconds(server.pid) - cpu
    return {"warmup": warm.summary(), **timed.summary(), "server_cpu_s": round(used, 2),
            "server_cpu_ms_per_request": round(used / max(1, timed.done) * 1000, 2)}


def run(count: int, log_dir: Path, phase: Callable[[str], None] = log,
        deadline_s: float = 900) -> tuple[list[Figure], dict[str, Any]]:
    bodies = documents(count + WARMUP, "SUB")
    raw: dict[str, Any] = {"requests": count, "concurrency": CONCURRENCY}
    work = Path(tempfile.mkdtemp(prefix="rhi-bench-submit-", dir=log_dir))
    backends: list[tuple[str, str, str]] = [
        ("sqlite", sqlite_url(work / "rhi.sqlite3"), sqlite_url(work / "bare.sqlite3"))]
    unavailable = pg_available()
    if unavailable is None:
        backends.append(("postgresql", pg_url(PG_APP), pg_url(PG_BARE)))
    else:
        raw["postgresql_skipped"] = unavailable
    for backend, app_url, bare_url in backends:
        try:
            if backend == "postgresql":
                pg_recreate(PG_APP)
                pg_recreate(PG_BARE)
            [key] = prepare_database(app_url, keys=[("bench submit", ["submit"])])
            prepare_database(bare_url)
            phase(f"submission on {backend}: rhi serve, {count:,} POSTs, "
                  f"{CONCURRENCY} at a time")
            with rhi_serve(f"submit-{backend}", app_url, log_dir) as server:
                raw[f"{backend}_rhi"] = _load(server, key, bodies, deadline_s)
            phase(f"submission on {backend}: the bare Starlette endpoint")
            with serving(f"bare-{backend}", [PYTHON, "-m", "bench.bare_server", "--database",
                                             bare_url, "--workers", "1"], _bare_env(),
                         log_dir) as server:
                raw[f"{backend}_bare"] = _load(server, None, bodies, deadline_s)
        finally:
            if backend == "postgresql":
                for database in (PG_APP, PG_BARE):
                    pg_drop(database)
    return figures(raw, [b for b, _, _ in backends]), raw


def _bare_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("RHI_")}


def figures(raw: dict[str, Any], backends: list[str]) -> list[Figure]:
    out: list[Figure] = []
    letters = iter("abcd")
    for backend in ("sqlite", "postgresql"):
        if backend not in backends:
            out.append(Figure(key="5" + next(letters) + next(letters),
                              what=f"submission on {backend}", value=None, unit="",
                              notes=f"skipped: {raw.get('postgresql_skipped')}"))
            continue
        app, bare = raw[f"{backend}_rhi"], raw[f"{backend}_bare"]
        incomplete = app["ok"] < raw["requests"] or app["truncated"]
        note = (f"{app['ok']:,}/{raw['requests']:,} answered 201; statuses {app['statuses']}"
                + (f"; errors {app['errors'][:2]}" if app["error_count"] else ""))
        p95, bare_p95 = app["p95_ms"], bare["p95_ms"]
        out.append(Figure(
            key="5" + next(letters), what=f"submission {backend}: p95, 16 concurrent",
            value=p95, unit="ms", baseline=bare_p95, baseline_what="bare Starlette + driver",
            ratio=p95 / bare_p95 if p95 and bare_p95 else None, ratio_note="rhi ÷ bare",
            # Issue 17 set the p95 target at 2 workers on PostgreSQL (#5e, bench/scale.py):
            # with one process, 16 in flight mostly queue. Recorded here, failed only when
            # answers were missing.
            target=f"for the record (≤ {P95_TARGET_MS:.0f} ms: 5e)",
            ok=False if incomplete else None,
            notes=f"p50 {app['p50_ms']} ms, p99 {app['p99_ms']} ms; {note}",
            extra={"rhi": app, "bare": bare}))
        rps, bare_rps = app["throughput_rps"], bare["throughput_rps"]
        share = rps / bare_rps if rps and bare_rps else None
        out.append(Figure(
            key="5" + next(letters), what=f"submission {backend}: throughput",
            value=rps, unit="req/s", baseline=bare_rps, baseline_what="bare Starlette + driver",
            ratio=share, ratio_note="rhi ÷ bare", target=f"≥ {THROUGHPUT_TARGET} × baseline",
            ok=(share >= THROUGHPUT_TARGET and not incomplete) if share else None,
            notes=f"{app['wall_s']:.0f} s for {app['ok']:,}; server CPU "
                  f"{app['server_cpu_ms_per_request']} ms/request (bare "
                  f"{bare['server_cpu_ms_per_request']}); bare {bare['wall_s']:.0f} s, "
                  f"{bare['ok']:,} ok"))
    return out
