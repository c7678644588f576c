"""#5e-5h: submission on PostgreSQL from more than one server process; #4b: the summary on
PostgreSQL. Both on the bench's own databases (`rhi_bench_scale*`), dropped when done.

5e  p95 of 5,000 `POST /api/v1/interviews`, 16 at a time, against `rhi serve --workers 2`;
    baseline, in the same run: the bare endpoint of `bench/bare_server.py` with `--workers 2`
    under the same load. Target ≤ 100 ms.
5f  the same run's throughput ÷ the bare endpoint's with 2 workers: ≥ 0.3 ×.
5g  throughput of `--workers 2` ÷ throughput of `rhi serve --workers 1` on the same documents
    in the same run: ≥ 1.7 ×.
5h  two `rhi serve --workers 1` on two ports against one PostgreSQL, each client thread sending
    its requests to one and the other in turn (a load balancer without sticky sessions):
    throughput and p95, beside 5g's one server with one worker. For the record.
4b  `GET /api/v1/feed/summary?group_by=quarter,responsible_authority` on PostgreSQL over the
    records the feed phase seeded into SQLite, copied row for row into a migrated PostgreSQL
    database with `COPY` (the stored text as it is: hex UUIDs, UTC times, 0/1 booleans and JSON
    text are all valid PostgreSQL input), then `VACUUM ANALYZE`d, as a live database's
    autovacuum would leave it. Median of three after one warm-up call, extrapolated linearly
    to 1M as #4 is. Baseline: the summary's headline `GROUP BY` alone in plain psycopg.
    Target ≤ 2 s at 1M.

Every database is fresh for each server configuration, and each load is preceded by a short
warm-up (not timed). Server CPU is summed over every process of each server (uvicorn's
workers are children of the process started). With 16 requests in flight the latencies include
queueing; on two cores the client shares the CPUs with the servers and PostgreSQL, so 5g
measures what two cores can give, not what two machines would.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    PROVIDER,
    PYTHON,
    Figure,
    Server,
    cpu_seconds,
    log,
    median,
    pg_available,
    pg_drop,
    pg_recreate,
    pg_url,
    prepare_database,
    process_tree,
    ratio,
    rhi_serve,
    run_load,
    serving,
    tree_cpu_seconds,
)
from bench.feed import timed_get
from bench.submission import (
    CONCURRENCY,
    P95_TARGET_MS,
    THROUGHPUT_TARGET,
    WARMUP,
    documents,
    post_interview,
)

SCALING_TARGET = 1.7
PG_APP, PG_BARE, PG_SUMMARY = "rhi_bench_scale", "rhi_bench_scale_bare", "rhi_bench_scale_sum"
SUMMARY = "/api/v1/feed/summary?group_by=quarter,responsible_authority"
MILLION = 1_000_000
# The seeded tables, in an order their foreign keys accept (bench/seed.py writes the same).
COPIED = ("children", "interviews", "interview_versions", "episodes", "feed_rows",
          "feed_pending_findings")
COPY_BATCH = 5000


# --- #5e-5h: more than one server process --------------------------------------------------


def _load(servers: list[Server], key: str | None, bodies: list[bytes], deadline_s: float
          ) -> dict[str, Any]:
    """The warm-up, then the timed POSTs, spread over the servers in turn."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    ports = [server.port for server in servers]
    pids = [server.pid for server in servers]
    warm = run_load(ports, [post_interview(b) for b in bodies[:WARMUP]], CONCURRENCY,
                    ok=lambda s: s == 201, deadline_s=120, headers=headers)
    processes = [each for pid in pids for each in process_tree(pid)]
    before = {each: cpu_seconds(each) for each in processes}
    cpu = tree_cpu_seconds(pids)
    timed = run_load(ports, [post_interview(b) for b in bodies[WARMUP:]], CONCURRENCY,
                     ok=lambda s: s == 201, deadline_s=deadline_s, headers=headers)
    used = tree_cpu_seconds(pids) - cpu
    # How the work fell on each process: uvicorn's workers share one listening socket, and
    # the 16 keep-alive connections stay with the worker that accepted each.
    spread = sorted((round(cpu_seconds(each) - before[each], 2) for each in processes),
                    reverse=True)
    return {"warmup": warm.summary(), **timed.summary(), "server_cpu_s": round(used, 2),
            "server_cpu_ms_per_request": round(used / max(1, timed.done) * 1000, 2),
            "servers": len(servers), "cpu_s_by_process": spread}


def _bare_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("RHI_")}


def run_servers(count: int, log_dir: Path, phase: Callable[[str], None] = log,
                deadline_s: float = 900) -> tuple[list[Figure], dict[str, Any]]:
    raw: dict[str, Any] = {"requests": count, "concurrency": CONCURRENCY}
    unavailable = pg_available()
    if unavailable is not None:
        raw["postgresql_skipped"] = unavailable
        return [Figure(key="5e", what="submission on PostgreSQL, 2 workers and 2 servers",
                       value=None, unit="", notes=f"skipped: {unavailable}")], raw
    bodies = documents(count + WARMUP, "SCALE")
    try:
        for label, workers, servers in (("one_worker", 1, 1), ("two_workers", 2, 1),
                                        ("two_servers", 1, 2)):
            pg_recreate(PG_APP)
            [key] = prepare_database(pg_url(PG_APP), keys=[("bench scale", ["submit"])])
            phase(f"scale: {servers} × rhi serve --workers {workers} on PostgreSQL, "
                  f"{count:,} POSTs, {CONCURRENCY} at a time")
            with contextlib.ExitStack() as stack:
                started = [stack.enter_context(rhi_serve(f"scale-{label}-{n}", pg_url(PG_APP),
                                                         log_dir, workers=workers))
                           for n in range(servers)]
                raw[label] = _load(started, key, bodies, deadline_s)
        pg_recreate(PG_BARE)
        prepare_database(pg_url(PG_BARE))
        phase("scale: the bare endpoint with --workers 2 on PostgreSQL")
        with serving("scale-bare-two-workers", [PYTHON, "-m", "bench.bare_server", "--database",
                                                pg_url(PG_BARE), "--workers", "2"],
                     _bare_env(), log_dir) as server:
            raw["bare_two_workers"] = _load([server], None, bodies, deadline_s)
    finally:
        for database in (PG_APP, PG_BARE):
            pg_drop(database)
    return server_figures(raw), raw


def _incomplete(result: dict[str, Any], requests: int) -> bool:
    return bool(result["ok"] < requests or result["truncated"])


def _answered(result: dict[str, Any], requests: int) -> str:
    return (f"{result['ok']:,}/{requests:,} answered 201; statuses {result['statuses']}"
            + (f"; errors {result['errors'][:2]}" if result["error_count"] else ""))


def server_figures(raw: dict[str, Any]) -> list[Figure]:
    requests = raw["requests"]
    one, two, bare = raw["one_worker"], raw["two_workers"], raw["bare_two_workers"]
    pair = raw["two_servers"]
    out: list[Figure] = []
    p95, bare_p95 = two["p95_ms"], bare["p95_ms"]
    out.append(Figure(
        key="5e", what="submission postgresql, 2 workers: p95, 16 concurrent",
        value=p95, unit="ms", baseline=bare_p95,
        baseline_what="bare Starlette + driver, 2 workers", ratio=ratio(p95, bare_p95),
        ratio_note="rhi ÷ bare", target=f"≤ {P95_TARGET_MS:.0f} ms",
        ok=(p95 <= P95_TARGET_MS and not _incomplete(two, requests)) if p95 else None,
        notes=f"p50 {two['p50_ms']} ms, p99 {two['p99_ms']} ms; {_answered(two, requests)}",
        extra={"rhi": two, "bare": bare}))
    rps, bare_rps = two["throughput_rps"], bare["throughput_rps"]
    share = ratio(rps, bare_rps)
    out.append(Figure(
        key="5f", what="submission postgresql, 2 workers: throughput", value=rps,
        unit="req/s", baseline=bare_rps, baseline_what="bare Starlette + driver, 2 workers",
        ratio=share, ratio_note="rhi ÷ bare", target=f"≥ {THROUGHPUT_TARGET} × baseline",
        ok=(share >= THROUGHPUT_TARGET and not _incomplete(two, requests)) if share else None,
        notes=f"server CPU {two['server_cpu_ms_per_request']} ms/request (bare "
              f"{bare['server_cpu_ms_per_request']}), CPU-s by process "
              f"{two['cpu_s_by_process']}; bare {bare['wall_s']:.0f} s, {bare['ok']:,} ok"))
    scaling = ratio(rps, one["throughput_rps"])
    out.append(Figure(
        key="5g", what="submission postgresql: 2 workers vs 1, throughput", value=rps,
        unit="req/s", baseline=one["throughput_rps"],
        baseline_what="rhi serve --workers 1, same run", ratio=scaling,
        ratio_note="2 workers ÷ 1", target=f"≥ {SCALING_TARGET} × baseline",
        ok=(scaling >= SCALING_TARGET and not _incomplete(one, requests)
            and not _incomplete(two, requests)) if scaling else None,
        notes=f"1 worker: p95 {one['p95_ms']} ms, {one['server_cpu_ms_per_request']} ms "
              f"CPU/request; {_answered(one, requests)}",
        extra={"one_worker": one}))
    both = ratio(pair["throughput_rps"], one["throughput_rps"])
    out.append(Figure(
        key="5h", what="submission postgresql: 2 servers × 1 worker, alternating",
        value=pair["throughput_rps"], unit="req/s", baseline=one["throughput_rps"],
        baseline_what="one rhi serve --workers 1, same run", ratio=both,
        ratio_note="two servers ÷ one", target="for the record",
        ok=(not _incomplete(pair, requests)) or False,
        notes=f"p95 {pair['p95_ms']} ms (one server {one['p95_ms']} ms), p50 "
              f"{pair['p50_ms']} ms; {pair['server_cpu_ms_per_request']} ms CPU/request, CPU-s "
              f"by process {pair['cpu_s_by_process']}; "
              f"{_answered(pair, requests)}",
        extra={"two_servers": pair}))
    return out


# --- #4b: the summary on PostgreSQL ------------------------------------------------------------


def copy_to_postgres(source: Path, database: str) -> dict[str, Any]:
    """Every seeded row of `source` (SQLite) into the migrated PostgreSQL `database`, by COPY."""
    import psycopg

    copied: dict[str, int] = {}
    started = time.perf_counter()
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with psycopg.connect(pg_url(database).replace("postgresql+psycopg://",
                                                      "postgresql://")) as conn:
            conn.execute("SET TIME ZONE 'UTC'")  # SQLite holds UTC times without an offset
            for table in COPIED:
                cursor = lite.execute(f"SELECT * FROM {table}")  # noqa: S608 - our names
                columns = [d[0] for d in cursor.description]
                count = 0
                with conn.cursor().copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    while rows := cursor.fetchmany(COPY_BATCH):
                        for row in rows:
                            copy.write_row(row)
                        count += len(rows)
                copied[table] = count
            conn.commit()
        with psycopg.connect(pg_url(database).replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as conn:
            for table in ("children", "episodes", "interview_versions"):
                with contextlib.suppress(psycopg.Error):  # a table without a serial id
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                 f"(SELECT coalesce(max(id), 1) FROM {table}))")
            analysed = time.perf_counter()
            for table in COPIED:
                conn.execute(f"VACUUM ANALYZE {table}")
            (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone() \
                or (None,)
    finally:
        lite.close()
    return {"rows": copied, "copy_s": round(analysed - started, 1),
            "vacuum_analyze_s": round(time.perf_counter() - analysed, 1),
            "database_bytes": size, "sqlite_bytes": source.stat().st_size}


def baseline_summary_pg(database: str) -> dict[str, Any]:
    """The summary's headline `GROUP BY` alone, in plain psycopg."""
    import psycopg

    from app.feed.summary import OUTCOMES

    outcomes = ", ".join(f"count(*) FILTER (WHERE outcome = '{o}')" for o in OUTCOMES)
    sql = ("SELECT period_quarter, responsible_authority, count(*), "  # noqa: S608
           "coalesce(sum(episode_count), 0), count(DISTINCT child_key), "
           f"count(*) FILTER (WHERE out_of_area), {outcomes}, "
           "count(*) FILTER (WHERE offered_within_72h), "
           "count(*) FILTER (WHERE completed_within_72h) FROM feed_rows "
           "WHERE (recorded_by_org = %s OR responsible_authority = %s) "
           "GROUP BY period_quarter, responsible_authority")
    started = time.perf_counter()
    with psycopg.connect(pg_url(database).replace("postgresql+psycopg://",
                                                  "postgresql://")) as conn:
        groups = conn.execute(sql, (PROVIDER, PROVIDER)).fetchall()
    return {"groups": len(groups), "wall_s": time.perf_counter() - started}


def run_summary(source: Path, records: int, log_dir: Path,
                phase: Callable[[str], None] = log) -> tuple[list[Figure], dict[str, Any]]:
    raw: dict[str, Any] = {"records": records}
    unavailable = pg_available()
    if unavailable is not None:
        raw["postgresql_skipped"] = unavailable
        return [Figure(key="4b", what="summary on PostgreSQL", value=None, unit="",
                       notes=f"skipped: {unavailable}")], raw
    try:
        pg_recreate(PG_SUMMARY)
        [key] = prepare_database(pg_url(PG_SUMMARY), keys=[("bench summary", ["feed"])])
        phase(f"summary on PostgreSQL: copying {records:,} seeded records from SQLite")
        raw["copy"] = copy_to_postgres(source, PG_SUMMARY)
        log(f"copied {raw['copy']['rows']} in {raw['copy']['copy_s']} s, "
            f"VACUUM ANALYZE {raw['copy']['vacuum_analyze_s']} s")
        phase("summary on PostgreSQL: by quarter and responsible authority")
        with rhi_serve("summary-postgresql", pg_url(PG_SUMMARY), log_dir) as server:
            # The first warms PostgreSQL's buffers and the server.
            times = timed_get(server, key, SUMMARY, 4)
        raw["summary_s"] = times[1:]
        raw["warmup_s"] = times[0]
        baseline_summary_pg(PG_SUMMARY)  # warm, as the server was
        raw["baseline_summary"] = [baseline_summary_pg(PG_SUMMARY) for _ in range(3)]
    finally:
        pg_drop(PG_SUMMARY)
    return [summary_figure(raw, records)], raw


def summary_figure(raw: dict[str, Any], records: int) -> Figure:
    summary_s = median(raw["summary_s"])
    base_s = median([b["wall_s"] for b in raw["baseline_summary"]])
    measured = records >= MILLION
    at_million = summary_s * MILLION / records if summary_s else None
    return Figure(
        key="4b", what="summary quarter × responsible_authority, PostgreSQL" +
        (f", {records:,} records" if measured else f", 1M extrapolated from {records:,}"),
        value=at_million, unit="s", baseline=base_s * MILLION / records if base_s else None,
        baseline_what="headline GROUP BY, plain psycopg", ratio=ratio(summary_s, base_s),
        ratio_note="summary ÷ baseline", target="≤ 2 s at 1M",
        ok=(at_million <= 2) if at_million else None,
        notes=(f"measured {summary_s:.2f} s at {records:,}; rows copied by COPY in "
               f"{raw['copy']['copy_s']} s, "
               f"{(raw['copy']['database_bytes'] or 0) / 1e9:.2f} GB in PostgreSQL"
               if summary_s else ""),
        extra={"runs_s": raw["summary_s"], "baseline": raw["baseline_summary"],
               "copy": raw["copy"]})
