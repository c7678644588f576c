"""#1 Feed full pull, #2 feed memory, #3 feed paging, #4 summary: over the seeded database.

#1  Stream `GET /api/v1/feed/interviews` as NDJSON and as CSV (identity encoding) from
    `rhi serve`, with a `feed` key. Baseline: plain `sqlite3` running the same query for the
    same columns and writing the same lines (orjson, the app's own patch for stale rows) to
    /dev/null, no HTTP. Each pull and its baseline run twice, alternating; the faster of each
    is kept. Target: ≥ 0.5 × the baseline, and 1,000,000 records in ≤ 20 s
    (extrapolated from the records/s of this run when it seeded fewer).
    Also, for the record, an NDJSON pull with `Accept-Encoding: gzip` of a tenth of the feed.
#2  Peak RSS (`VmHWM`) of the server process: one fresh server pulls a tenth of the feed
    (`updated_since`), another fresh one all of it. Target ≤ 200 MB, and ≤ 10 % higher for the
    whole feed than for a tenth (at 1M records: 1M against 100k, the target's own pair).
#3  Walk the whole feed with `limit=1000` through `next`: median of the last five full pages
    ÷ median of the first five ≤ 1.5.
#4  `GET /api/v1/feed/summary?group_by=quarter,responsible_authority`: median of three.
    Target ≤ 2 s at 1,000,000 records (extrapolated linearly from a smaller seed). Baseline:
    the headline aggregate alone (counts per group) in plain `sqlite3`.
#1e The whole feed as Parquet (`format=parquet`) from a fresh server, beside NDJSON pulled
    from the same server in the same run (alternating, the faster of two kept): records/s as
    a ratio to NDJSON's, the file's size beside the NDJSON's, and the server's peak RSS after
    its first (Parquet) pull. No target in `performance.md` yet: for the record. Also, on the
    whole feed, the Parquet file as pyarrow, pandas and DuckDB read it is checked to hold the
    NDJSON pull's records, in order, with the same values (`parquet_same`).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from bench.common import (
    PROVIDER,
    Client,
    Figure,
    RssSampler,
    Server,
    cpu_seconds,
    log,
    median,
    proc_status,
    ratio,
    rhi_serve,
    sqlite_url,
)

FEED = "/api/v1/feed/interviews"
SUMMARY = "/api/v1/feed/summary?group_by=quarter,responsible_authority"
MILLION = 1_000_000
PULL_REPEATS = 2
MB = 1024 * 1024


def _sqlite_moment(value: datetime) -> str:
    """A UTC moment as SQLAlchemy stores it on SQLite."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _api_moment(stored: str) -> str:
    return datetime.fromisoformat(stored).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the baselines: plain sqlite3, no HTTP ---------------------------------------------------

VISIBLE = "(recorded_by_org = ? OR responsible_authority = ?)"


def baseline_pull(database: Path, fmt: str, now: datetime, since: str | None = None
                  ) -> dict[str, Any]:
    """The same rows, columns and order as the server's stream, written as it writes them."""
    from app.feed.record import CSV_HEADER, csv_row, patch_line

    cpu, started = time.process_time(), time.perf_counter()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    where = VISIBLE + (" AND updated_at >= ?" if since else "")
    params: tuple[Any, ...] = (_sqlite_moment(now), PROVIDER, PROVIDER,
                               *((since,) if since else ()))
    # The stored text as its UTF-8 bytes, as the server reads it (`service._Utf8`).
    column = "CAST(csv_row AS BLOB)" if fmt == "csv" else "CAST(json_line AS BLOB)"
    stale = ("CASE WHEN next_due_at < ? THEN json_line ELSE NULL END" if fmt == "csv"
             else "CASE WHEN next_due_at < ? THEN 1 ELSE 0 END")
    cursor = conn.execute(f"SELECT {column}, {stale} FROM feed_rows WHERE {where} "  # noqa: S608
                          "ORDER BY updated_at, interview_id", params)
    count = written = 0
    with open("/dev/null", "wb") as sink:
        if fmt == "csv":
            written += sink.write(CSV_HEADER.encode())
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                break
            count += len(rows)
            if fmt == "csv":
                chunk = b"".join([text if patch is None
                                  else csv_row(patch_line(patch, now)).encode()
                                  for text, patch in rows])
            else:
                chunk = b"\n".join([*(orjson.dumps(patch_line(line, now)) if stale else line
                                       for line, stale in rows), b""])
            written += sink.write(chunk)
    conn.close()
    return {"records": count, "bytes": written, "wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu}


def baseline_summary(database: Path) -> dict[str, Any]:
    from app.feed.summary import OUTCOMES

    outcomes = ", ".join(f"sum(outcome = '{o}')" for o in OUTCOMES)
    sql = (f"SELECT period_quarter, responsible_authority, count(*), "  # noqa: S608
           f"coalesce(sum(episode_count), 0), count(DISTINCT child_key), sum(out_of_area), "
           f"{outcomes}, sum(offered_within_72h), sum(completed_within_72h) "
           f"FROM feed_rows WHERE {VISIBLE} GROUP BY period_quarter, responsible_authority")
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    groups = conn.execute(sql, (PROVIDER, PROVIDER)).fetchall()
    conn.close()
    return {"groups": len(groups), "wall_s": time.perf_counter() - started}


# --- pulls over HTTP -------------------------------------------------------------------------


class _Counter:
    def __init__(self, separator: bytes, gzip: bool = False) -> None:
        self.separator, self.lines, self.plain_bytes = separator, 0, 0
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None

    def __call__(self, data: bytes) -> None:
        if self.inflate is not None:
            data = self.inflate.decompress(data)
        self.plain_bytes += len(data)
        self.lines += data.count(self.separator)


def http_pull(server: Server, key: str, fmt: str, since: str | None = None,
              gzip: bool = False) -> dict[str, Any]:
    query = f"?format={fmt}" + (f"&updated_since={quote(since)}" if since else "")
    headers = {"Authorization": f"Bearer {key}",
               "Accept-Encoding": "gzip" if gzip else "identity"}
    counter = _Counter(b"\r\n" if fmt == "csv" else b"\n", gzip=gzip)
    client = Client(server.port, timeout=1800)
    server_cpu, client_cpu = cpu_seconds(server.pid), time.thread_time()
    try:
        status, answer_headers, wire, wall = client.stream(FEED + query, counter, headers)
    finally:
        client.close()
    records = counter.lines - (1 if fmt == "csv" else 0)  # the CSV header
    if status != 200:
        raise RuntimeError(f"feed pull {fmt}: HTTP {status}")
    return {"records": records, "wire_bytes": wire, "bytes": counter.plain_bytes,
            "wall_s": wall, "server_cpu_s": cpu_seconds(server.pid) - server_cpu,
            "client_cpu_s": time.thread_time() - client_cpu,
            "content_encoding": answer_headers.get("content-encoding", "identity")}


def parquet_pull(server: Server, key: str, since: str | None = None,
                 keep: Path | None = None) -> dict[str, Any]:
    """`format=parquet` to a file (as an analyst saves it), then its rows and row groups."""
    import pyarrow.parquet as pq

    query = "?format=parquet" + (f"&updated_since={quote(since)}" if since else "")
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    client = Client(server.port, timeout=1800)
    server_cpu, client_cpu = cpu_seconds(server.pid), time.thread_time()
    with tempfile.NamedTemporaryFile(suffix=".parquet", delete=keep is None,
                                     dir=keep.parent if keep else None) as file:
        try:
            status, _, wire, wall = client.stream(FEED + query, file.write, headers)
        finally:
            client.close()
        file.flush()
        if status != 200:
            raise RuntimeError(f"feed pull parquet: HTTP {status}")
        server_cpu = cpu_seconds(server.pid) - server_cpu
        meta = pq.ParquetFile(file.name).metadata
        if keep is not None:
            Path(file.name).replace(keep)
    return {"records": meta.num_rows, "row_groups": meta.num_row_groups, "bytes": wire,
            "wire_bytes": wire, "wall_s": wall, "server_cpu_s": server_cpu,
            "client_cpu_s": time.thread_time() - client_cpu}


SAME_BATCH = 10_000


def _same_in_pandas_and_duckdb(path: Path) -> dict[str, Any]:
    """Whether pandas (`dtype_backend="numpy_nullable"`) and DuckDB load the Parquet file with
    pyarrow's values: each one's whole table, taken back to Arrow in the file's schema, equals
    pyarrow's (vectorised: a value-by-value walk in Python would cost minutes at 100,000)."""
    import duckdb
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    out: dict[str, Any] = {}
    started = time.perf_counter()
    frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
    back = pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False)
    out["pandas"] = {"records": len(frame), "same": back.equals(table),
                     "seconds": round(time.perf_counter() - started, 1)}
    del frame, back
    started = time.perf_counter()
    with duckdb.connect() as connection:
        loaded = connection.read_parquet(str(path)).fetch_arrow_table()
    out["duckdb"] = {"records": loaded.num_rows,
                     "same": loaded.cast(table.schema).equals(table),
                     "seconds": round(time.perf_counter() - started, 1)}
    return out


def same_as_ndjson(server: Server, key: str, work: Path) -> dict[str, Any]:
    """Whether the Parquet pull of the whole feed holds the NDJSON pull's records, in order,
    with equal values (timestamps compared as the instants the JSON text names), read by
    pyarrow a row group at a time; and whether pandas and DuckDB load it with pyarrow's values.
    Both pulls go to files first, so memory stays flat at any size."""
    import pyarrow.parquet as pq

    from app.feed.record import feed_timestamp

    def as_json(value: Any) -> Any:
        if isinstance(value, datetime):
            return feed_timestamp(value)
        if isinstance(value, list):
            return [as_json(item) for item in value]
        if isinstance(value, dict):
            return {k: as_json(v) for k, v in value.items()}
        return value

    target, lines_file = work / "same.parquet", work / "same.ndjson"
    parquet_pull(server, key, keep=target)
    client = Client(server.port, timeout=1800)
    try:
        with lines_file.open("wb") as sink:
            client.stream(f"{FEED}?format=ndjson", sink.write,
                          {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"})
        started = time.perf_counter()
        records = differing = 0
        with lines_file.open("rb") as lines:
            for batch in pq.ParquetFile(target).iter_batches(batch_size=SAME_BATCH):
                for row in batch.to_pylist():
                    line = lines.readline()
                    records += 1
                    differing += not line or as_json(row) != orjson.loads(line)
            ndjson_records = records + sum(1 for _ in lines)
        seconds = round(time.perf_counter() - started, 1)
        loaded = _same_in_pandas_and_duckdb(target)
    finally:
        client.close()
        target.unlink(missing_ok=True)
        lines_file.unlink(missing_ok=True)
    return {"records": records, "ndjson_records": ndjson_records, "differing": differing,
            "seconds": seconds, "pandas": loaded["pandas"], "duckdb": loaded["duckdb"],
            "same": (records == ndjson_records and differing == 0
                     and all(r["same"] and r["records"] == records for r in loaded.values()))}


def _rate(result: dict[str, Any]) -> float | None:
    return result["records"] / result["wall_s"] if result.get("wall_s") else None


def _mb(value: int | None) -> float | None:
    return round(value / MB, 1) if value is not None else None


# --- paging and summary ----------------------------------------------------------------------


def walk_pages(server: Server, key: str, max_pages: int, deadline_s: float) -> dict[str, Any]:
    client = Client(server.port, headers={"Authorization": f"Bearer {key}"})
    path: str | None = f"{FEED}?limit=1000"
    pages: list[tuple[int, float]] = []  # (records, seconds)
    stop_at = time.monotonic() + deadline_s
    try:
        while path is not None and len(pages) < max_pages and time.monotonic() < stop_at:
            status, _, body, seconds = client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"feed page {len(pages) + 1}: HTTP {status}")
            page = orjson.loads(body)
            pages.append((len(page["data"]), seconds))
            following = page.get("next")
            path = None
            if following:
                parts = urlsplit(following)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
    finally:
        client.close()
    full = [seconds for count, seconds in pages if count == 1000]
    return {"pages": len(pages), "records": sum(c for c, _ in pages),
            "complete": path is None, "full_pages": len(full),
            "first5_ms": [round(s * 1000, 1) for s in full[:5]],
            "last5_ms": [round(s * 1000, 1) for s in full[-5:]],
            "first": median(full[:5]), "last": median(full[-5:]),
            "total_s": sum(s for _, s in pages)}


def timed_get(server: Server, key: str, path: str, runs: int) -> list[float]:
    client = Client(server.port, headers={"Authorization": f"Bearer {key}"})
    times = []
    try:
        for _ in range(runs):
            status, _, _, seconds = client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"GET {path}: HTTP {status}")
            times.append(seconds)
    finally:
        client.close()
    return times


# --- the measurement -------------------------------------------------------------------------


def _subset_since(database: Path, records: int) -> tuple[str, int]:
    """An `updated_since` that selects the last tenth of the feed, and how many rows it holds."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (stored,) = conn.execute(
            "SELECT updated_at FROM feed_rows ORDER BY updated_at, interview_id LIMIT 1 "
            "OFFSET ?", (records - max(1, records // 10),)).fetchone()
        (count,) = conn.execute("SELECT count(*) FROM feed_rows WHERE updated_at >= ?",
                                (stored,)).fetchone()
    finally:
        conn.close()
    return stored, int(count)


def run(database: Path, records: int, key: str, log_dir: Path,
        phase: Callable[[str], None] = log) -> tuple[list[Figure], dict[str, Any]]:
    from app.core.types import utcnow

    url = sqlite_url(database)
    raw: dict[str, Any] = {"records": records}
    stored_since, subset_count = _subset_since(database, records)
    since = _api_moment(stored_since)
    raw["subset"] = {"updated_since": since, "records": subset_count}

    # A fresh server pulls a tenth of the feed: its peak memory is the "small" one.
    phase(f"feed: a fresh server pulls the last tenth ({subset_count:,} records)")
    with rhi_serve("feed-tenth", url, log_dir) as server:
        raw["tenth_idle_rss"] = proc_status(server.pid).get("VmRSS")
        raw["tenth_ndjson"] = http_pull(server, key, "ndjson", since)
        raw["tenth_csv"] = http_pull(server, key, "csv", since)
        raw["tenth_peak_rss"] = proc_status(server.pid).get("VmHWM")
        phase("feed: the same tenth with gzip (for the record)")
        raw["tenth_ndjson_gzip"] = http_pull(server, key, "ndjson", since, gzip=True)

    phase(f"feed: a fresh server streams all {records:,} records, NDJSON and CSV")
    with rhi_serve("feed-all", url, log_dir) as server:
        idle = proc_status(server.pid).get("VmRSS")
        raw["idle_rss"] = idle
        with RssSampler(server.pid) as sampler:
            # Each pull and its baseline twice, alternating; the faster of each pair is kept
            # (on a shared machine the slower one measures the neighbours).
            for fmt in ("ndjson", "csv"):
                tries: dict[str, list[dict[str, Any]]] = {"baseline": [], "http": []}
                for _ in range(PULL_REPEATS):
                    tries["baseline"].append(baseline_pull(database, fmt, utcnow()))
                    tries["http"].append(http_pull(server, key, fmt))
                for kind, results in tries.items():
                    best = min(results, key=lambda r: r["wall_s"])
                    raw[f"{kind}_{fmt}"] = {**best, "all_wall_s": [
                        round(r["wall_s"], 3) for r in results]}
        raw["peak_rss"] = proc_status(server.pid).get("VmHWM")
        raw["sampled_peak_rss"] = sampler.peak

        phase("feed: paging through everything with limit=1000")
        raw["paging"] = walk_pages(server, key, max_pages=records // 1000 + 5,
                                   deadline_s=900)
        phase("feed: summary by quarter and responsible authority")
        timed_get(server, key, SUMMARY, 1)  # warm: the first call imports nothing new, but
        raw["summary_s"] = timed_get(server, key, SUMMARY, 3)  # fills the page cache
        raw["baseline_summary"] = [baseline_summary(database) for _ in range(3)]
        raw["after_all_peak_rss"] = proc_status(server.pid).get("VmHWM")

    phase(f"feed: a fresh server streams all {records:,} records as Parquet, beside NDJSON")
    with rhi_serve("feed-parquet", url, log_dir) as server:
        raw["parquet_idle_rss"] = proc_status(server.pid).get("VmRSS")
        tries = {"parquet": [], "ndjson": []}
        for attempt in range(PULL_REPEATS):
            tries["parquet"].append(parquet_pull(server, key))
            if attempt == 0:  # before any NDJSON pull: the Parquet pull's own peak
                raw["parquet_peak_rss"] = proc_status(server.pid).get("VmHWM")
            tries["ndjson"].append(http_pull(server, key, "ndjson"))
        for kind, results in tries.items():
            best = min(results, key=lambda r: r["wall_s"])
            raw[f"pair_{kind}"] = {**best, "all_wall_s": [round(r["wall_s"], 3)
                                                          for r in results]}
        phase(f"feed: all {records:,} records as Parquet, checked against NDJSON value by "
              "value, and loaded by pandas and DuckDB")
        raw["parquet_same"] = same_as_ndjson(server, key, log_dir)

    return figures(raw, records), raw


def figures(raw: dict[str, Any], records: int) -> list[Figure]:
    out: list[Figure] = []
    for key, fmt in (("1a", "ndjson"), ("1b", "csv")):
        http, base = raw[f"http_{fmt}"], raw[f"baseline_{fmt}"]
        rate, base_rate = _rate(http), _rate(base)
        share = ratio(rate, base_rate)
        cpu_share = ratio(http["records"] / http["server_cpu_s"] if http["server_cpu_s"] else None,
                          base["records"] / base["cpu_s"] if base["cpu_s"] else None)
        out.append(Figure(
            key=key, what=f"feed full pull {fmt.upper()}, {http['records']:,} records",
            value=rate, unit="rec/s", baseline=base_rate,
            baseline_what=f"plain sqlite3 {fmt}, no HTTP", ratio=share,
            ratio_note="HTTP ÷ baseline", target="≥ 0.5 × baseline",
            ok=(share >= 0.5) if share is not None else None,
            notes=f"{http['wall_s']:.1f} s, {http['bytes'] / MB:,.0f} MB; by CPU time "
                  f"{cpu_share:.2f}× baseline" if cpu_share else "",
            extra={"http": http, "baseline": base, "cpu_ratio": cpu_share}))
        if http["records"] != records:
            out[-1].ok = False
            out[-1].notes += f"; got {http['records']:,} of {records:,} records"
    slowest = min(_rate(raw["http_ndjson"]) or 0, _rate(raw["http_csv"]) or 0)
    million_s = MILLION / slowest if slowest else None
    measured = records >= MILLION
    out.append(Figure(
        key="1c", what="feed: 1M records, slower of NDJSON/CSV" +
        (" (measured)" if measured else f" (extrapolated from {records:,})"),
        value=million_s, unit="s", target="≤ 20 s",
        ok=(million_s <= 20) if million_s else None,
        notes="wall clock on a shared machine"))
    parquet, ndjson = raw["pair_parquet"], raw["pair_ndjson"]
    same = raw["parquet_same"]
    share = ratio(_rate(parquet), _rate(ndjson))
    out.append(Figure(
        key="1e", what=f"feed full pull Parquet, {parquet['records']:,} records",
        value=_rate(parquet), unit="rec/s", baseline=_rate(ndjson),
        baseline_what="NDJSON, same server, same run", ratio=share,
        ratio_note="Parquet ÷ NDJSON", target="for the record",
        ok=(parquet["records"] == records and same["same"]) or False,
        notes=f"{parquet['wall_s']:.1f} s vs {ndjson['wall_s']:.1f} s; "
              f"{parquet['bytes'] / MB:,.1f} MB vs {ndjson['bytes'] / MB:,.1f} MB "
              f"({ratio(parquet['bytes'], ndjson['bytes']) or 0:.3f} of the size), "
              f"{parquet['row_groups']} row groups; server peak RSS "
              f"{_mb(raw['parquet_peak_rss'])} MB (idle {_mb(raw['parquet_idle_rss'])} MB); "
              f"by server CPU {ratio(parquet['server_cpu_s'], ndjson['server_cpu_s']) or 0:.2f}"
              f"× NDJSON's; same values as NDJSON on {same['records']:,} records, read by "
              f"pyarrow, pandas and DuckDB: {'yes' if same['same'] else 'NO'}",
        extra={"parquet": parquet, "ndjson": ndjson, "same": same}))

    gz = raw["tenth_ndjson_gzip"]
    gz_rate = _rate(gz)
    out.append(Figure(
        key="1d", what=f"feed NDJSON with gzip, {gz['records']:,} records (for the record)",
        value=gz_rate, unit="rec/s", baseline=_rate(raw["tenth_ndjson"]),
        baseline_what="same tenth, identity", ratio=ratio(gz_rate, _rate(raw["tenth_ndjson"])),
        ratio_note="gzip ÷ identity",
        notes=f"1M would take {MILLION / gz_rate:,.0f} s; {gz['wire_bytes'] / MB:,.1f} MB on "
              f"the wire for {gz['bytes'] / MB:,.1f} MB ({gz['content_encoding']})"
        if gz_rate else ""))

    peak, idle, tenth = raw["peak_rss"], raw["idle_rss"], raw["tenth_peak_rss"]
    out.append(Figure(
        key="2a", what=f"feed memory: server peak RSS, {records:,} records", value=_mb(peak),
        unit="MB", baseline=_mb(idle), baseline_what="same server idle, before the pull",
        ratio=ratio(peak, idle), ratio_note="peak ÷ idle", target="≤ 200 MB",
        ok=(peak <= 200 * MB) if peak else None,
        notes=f"sampled VmRSS max {_mb(raw['sampled_peak_rss'])} MB",
        extra={"peak_rss": peak, "idle_rss": idle}))
    growth = ratio(peak, tenth)
    small = raw["subset"]["records"]
    out.append(Figure(
        key="2b", what=f"feed memory: peak at {records:,} vs at {small:,}",
        value=(growth - 1) * 100 if growth else None, unit="% higher",
        baseline=_mb(tenth), baseline_what=f"peak RSS pulling {small:,}",
        ratio=growth, ratio_note="peak(all) ÷ peak(tenth)", target="≤ 10 % higher",
        ok=(growth <= 1.10) if growth else None,
        notes=f"{_mb(peak)} MB vs {_mb(tenth)} MB" +
              ("" if records >= MILLION else "; the target's pair is 1M vs 100k "
               "(--records 1000000)")))

    paging = raw["paging"]
    first, last = paging["first"], paging["last"]
    paging_ratio = ratio(last, first)
    out.append(Figure(
        key="3", what=f"feed paging limit=1000: last page vs first, {paging['pages']} pages",
        value=last * 1000 if last else None, unit="ms", baseline=first * 1000 if first else None,
        baseline_what="first page (median of 5)", ratio=paging_ratio,
        ratio_note="last ÷ first", target="ratio ≤ 1.5",
        ok=(paging_ratio <= 1.5 and paging["complete"]) if paging_ratio else None,
        notes=f"whole walk {paging['total_s']:.1f} s, {paging['records']:,} records" +
              ("" if paging["complete"] else " (INCOMPLETE: deadline)"),
        extra=paging))

    summary_s = median(raw["summary_s"])
    base_s = median([b["wall_s"] for b in raw["baseline_summary"]])
    at_million = summary_s * MILLION / records if summary_s else None
    out.append(Figure(
        key="4", what="summary quarter × responsible_authority" +
        (f", {records:,} records" if measured else f", 1M extrapolated from {records:,}"),
        value=at_million, unit="s", baseline=base_s * MILLION / records if base_s else None,
        baseline_what="headline GROUP BY, plain sqlite3", ratio=ratio(summary_s, base_s),
        ratio_note="summary ÷ baseline", target="≤ 2 s at 1M",
        ok=(at_million <= 2) if at_million else None,
        notes=f"measured {summary_s:.2f} s at {records:,}" if summary_s else "",
        extra={"runs_s": raw["summary_s"], "baseline": raw["baseline_summary"]}))
    return out
