"""`make bench`: the eight measurements of `docs/performance.md`, one table, one JSON file.

    python -m bench.run                        # 100,000 records (about 11 minutes on 2 cores)
    python -m bench.run --records 1000000      # the big run (#1, #2, #4 measured at 1M)
    python -m bench.run --only feed,standards  # some of: standards feed pgsummary submission
                                               # scale forms weight

Each measurement runs its baseline in the same run and reports a ratio (`docs/performance.md`).
Everything runs on 127.0.0.1 in a temporary directory: SQLite databases there, PostgreSQL in the
bench's own databases `rhi_bench`, `rhi_bench_bare` and `rhi_bench_scale*` (dropped and made
again; never `test`). Every `rhi serve` is started with `--workers` said (1 unless the
measurement is of more). `pgsummary` (#4b) copies the records seeded for the feed into
PostgreSQL (it seeds them when `feed` is not asked for); `scale` is #5e-5h.
Every server is stopped when its measurement ends, also on failure. The load average is
recorded at the start of each phase: on a shared machine, read the ratios, not the absolutes.

Writes `bench/results/latest.json` (git-ignored). Exit status: 0, or 1 when a measurement
failed to run (or, with `--check`, when a target is missed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.common import ROOT, Figure, load_average, log, prepare_database, sqlite_url

PHASES = ("standards", "feed", "pgsummary", "submission", "scale", "forms", "weight")
STANDARDS_RECORDS = 100_000
RESULTS = ROOT / "bench" / "results"


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        with contextlib.suppress(Exception):
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10, check=False).stdout.strip()
        return ""

    return {"commit": run("rev-parse", "--short", "HEAD"),
            "changed_files": len(run("status", "--porcelain").splitlines())}


class Run:
    """The state of one bench run: figures, raw results, load samples, errors."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.perf_counter()
        self.figures: list[Figure] = []
        self.raw: dict[str, Any] = {}
        self.loads: list[dict[str, Any]] = []
        self.errors: list[dict[str, str]] = []
        self.phase_times: dict[str, float] = {}

    def phase(self, label: str) -> None:
        load = load_average()
        self.loads.append({"at_s": round(time.perf_counter() - self.started, 1),
                           "phase": label, "load": load})
        log(f"{label}  (load {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f})")

    def attempt(self, name: str, keys: str, what: Callable[[], None]) -> None:
        started = time.perf_counter()
        try:
            what()
        except Exception as problem:  # one measurement failing must not lose the others
            text = f"{type(problem).__name__}: {problem}"
            log(f"{name} FAILED: {text}")
            self.errors.append({"phase": name, "error": text,
                                "traceback": traceback.format_exc()[-4000:]})
            self.figures.append(Figure(key=keys, what=f"{name}: did not run", value=None,
                                       unit="", ok=False, notes=text[:300]))
        finally:
            self.phase_times[name] = round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000,
                        help="interviews seeded for the feed (default 100,000)")
    parser.add_argument("--submissions", type=int, default=5000,
                        help="POSTs per server in #5 (default 5,000)")
    parser.add_argument("--only", default=",".join(PHASES),
                        help=f"comma-separated phases, of: {', '.join(PHASES)}")
    parser.add_argument("--no-browser", action="store_true",
                        help="#7 over HTTP only (no Chromium)")
    parser.add_argument("--workers", type=int, default=None,
                        help="seed worker processes (default: 2, or 1 on one core)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown or args.records < 1000 or args.submissions < 1:
        parser.error(f"unknown phases {sorted(unknown)}" if unknown
                     else "--records must be at least 1,000 and --submissions at least 1")

    run = Run(args)
    work = Path(tempfile.mkdtemp(prefix="rhi-bench-"))
    started_at = datetime.now(UTC)
    log(f"bench: {args.records:,} records, phases {', '.join(phases)}; work in {work}")
    try:
        _run_phases(run, phases, work)
    finally:
        runtime = time.perf_counter() - run.started
        run.phase("done")
        document = _document(run, phases, started_at, runtime)
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_bytes(orjson.dumps(
                document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str))
        except (OSError, TypeError) as problem:
            log(f"could not write {args.output}: {problem}")
            run.errors.append({"phase": "results", "error": str(problem), "traceback": ""})
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(table(run.figures, document) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    sys.stdout.write(f"Results: {shown}\n")
    if run.errors:
        return 1
    if args.check and any(f.ok is False for f in run.figures):
        return 1
    return 0


def _run_phases(run: Run, phases: list[str], work: Path) -> None:
    from bench import feed, form_pages, scale, standards, submission, weight

    args = run.args
    seeded: dict[str, Any] = {}

    if "standards" in phases:  # first, alone: "on one core" means nothing else of ours runs
        def do_standards() -> None:
            run.phase(f"standards: {STANDARDS_RECORDS:,} records evaluated in-process")
            figure = standards.figure(standards.measure_standalone(STANDARDS_RECORDS))
            run.figures.append(figure)
            run.raw["standards"] = figure.extra

        run.attempt("standards", "8", do_standards)

    if "feed" in phases or "pgsummary" in phases:
        def do_seed() -> None:
            from bench.seed import seed

            run.phase(f"seed: {args.records:,} interviews into SQLite")
            database = work / "feed.sqlite3"
            [key] = prepare_database(sqlite_url(database), keys=[("bench feed", ["feed"])])
            report = seed(database, args.records, workers=args.workers)
            seeded.update(database=database, key=key, report=report)
            run.raw["seed"] = {k: v for k, v in report.__dict__.items() if k != "standards"}
            run.raw["seed"]["standards_in_two_workers"] = standards.figure(report.standards).extra

        run.attempt("seed", "1-4", do_seed)

    if "feed" in phases and seeded:
        def do_feed() -> None:
            figures, raw = feed.run(seeded["database"], seeded["report"].records, seeded["key"],
                                    work, phase=run.phase)
            run.figures += figures
            run.raw["feed"] = raw

        run.attempt("feed", "1-4", do_feed)

    if "pgsummary" in phases and seeded:
        def do_pgsummary() -> None:
            figures, raw = scale.run_summary(seeded["database"], seeded["report"].records,
                                             work, phase=run.phase)
            run.figures += figures
            run.raw["pgsummary"] = raw

        run.attempt("pgsummary", "4b", do_pgsummary)

    if seeded:
        with contextlib.suppress(OSError):
            for path in work.glob("feed.sqlite3*"):
                path.unlink()

    if "submission" in phases:
        def do_submission() -> None:
            figures, raw = submission.run(args.submissions, work, phase=run.phase)
            run.figures += figures
            run.raw["submission"] = raw

        run.attempt("submission", "5", do_submission)

    if "scale" in phases:
        def do_scale() -> None:
            figures, raw = scale.run_servers(args.submissions, work, phase=run.phase)
            run.figures += figures
            run.raw["scale"] = raw

        run.attempt("scale", "5e-5h", do_scale)

    if "forms" in phases:
        def do_forms() -> None:
            run.phase("form pages")
            figures, raw = form_pages.run(work, phase=run.phase)
            run.figures += figures
            run.raw["forms"] = raw

        run.attempt("forms", "6", do_forms)

    if "weight" in phases:
        def do_weight() -> None:
            baseline = (run.raw.get("forms") or {}).get("weight_baseline")
            if weight.available():
                run.phase("page weight: bench/page_weight.py")
                result = weight.run_page_weight(use_browser=not args.no_browser)
            elif baseline and "fallback" in baseline:
                result = baseline["fallback"]
            else:
                raise RuntimeError("no bench/page_weight.py, and #6 did not run to measure it")
            run.figures += weight.figures(result, baseline)
            run.raw["weight"] = result

        run.attempt("weight", "7", do_weight)


def _cpu_used() -> float:
    """CPU seconds of this process and every child it waited for (servers, workers, tools)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _document(run: Run, phases: list[str], started_at: datetime, runtime: float
              ) -> dict[str, Any]:
    loads = [entry["load"][0] for entry in run.loads]
    cpu = _cpu_used()
    return {
        "benchmark": "rhi make bench",
        "started_at": started_at.isoformat(),
        "runtime_s": round(runtime, 1),
        # On two idle cores the run would take about max(cpu / 2, the serial parts): a floor
        # for judging the 15-minute budget when the machine is shared.
        "cpu_used_s": round(cpu, 1),
        "records": run.args.records,
        "submissions": run.args.submissions,
        "phases": phases,
        "phase_times_s": run.phase_times,
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_start": run.loads[0]["load"] if run.loads else load_average(),
            "load_average_end": load_average(),
            "load_1min_mean": round(sum(loads) / len(loads), 2) if loads else None,
            "load_samples": run.loads,
        },
        "git": _git(),
        "figures": [figure.to_json() for figure in sorted(run.figures, key=_order)],
        "errors": run.errors,
        "raw": run.raw,
    }


def _order(figure: Figure) -> tuple[str, str]:
    return (figure.key[0], figure.key)


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("rec/s", "req/s"):
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "s":
        return f"{value:,.2f} s"
    if unit in ("MB", "KB gz"):
        return f"{value:,.1f} {unit}"
    if unit == "% higher":
        return f"{value:+.1f} %"
    return f"{value:,.2f} {unit}".strip()


def table(figures: list[Figure], document: dict[str, Any]) -> str:
    rows = [("#", "what", "figure", "baseline", "ratio", "target", "")]
    for f in sorted(figures, key=_order):
        baseline_unit = {"% higher": "MB"}.get(f.unit, f.unit)
        verdict = {True: "pass", False: "MISS", None: "-"}[f.ok]
        rows.append((f.key, f.what, _number(f.value, f.unit),
                     _number(f.baseline, baseline_unit) if f.baseline is not None else "-",
                     f"{f.ratio:.2f}" if f.ratio is not None else "-", f.target or "-",
                     verdict))
    widths = [min(max(len(r[i]) for r in rows), 70) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell[:widths[i]].ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
                 if i < 5 else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    machine = document["machine"]
    lines.append("")
    seeded = (f"{document['records']:,} records; "
              if {"feed", "pgsummary"} & set(document["phases"]) else "")
    lines.append(f"{seeded}runtime {document['runtime_s'] / 60:.1f} "
                 f"min (CPU used by the bench and its servers {document['cpu_used_s'] / 60:.1f} "
                 f"min); {machine['cpus']} CPUs; load average at start "
                 f"{machine['load_average_start'][0]}, mean {machine['load_1min_mean']}, at end "
                 f"{machine['load_average_end'][0]}")
    lines.append("ratio: figure ÷ baseline (see each row's note in the JSON); figures measured "
                 "on a shared machine: read the ratios.")
    for f in sorted(figures, key=_order):
        if f.notes:
            lines.append(f"  {f.key}: {f.notes}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
