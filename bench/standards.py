"""#8 Standards: every finding for 100,000 records, evaluated in-process on one core.

Target ≥ 20,000 records/s. Baseline: a trivial loop over the same `RecordFacts` that reads the
fields the checks read and builds one `Finding` per standard with fixed values (the least any
evaluator must do to produce the same output). Ratio = evaluate ÷ trivial throughput.

Throughput is records per second of the measuring thread's own CPU time (`time.thread_time`),
"one core" literally: on a machine shared with other jobs, wall time measures the scheduler as
much as the code. Wall-clock figures are kept beside it. The records are made and typed batch by
batch (5,000 at a time, outside the timed part) in this one process while nothing else of the
bench runs; each check's own cost is measured on the first batch, for the profile. The seed
also times the evaluation of the records it writes (two workers at once, so not "one core"):
kept in the JSON for comparison.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.standards import CURRENT, Finding, RecordFacts, Result, evaluate
from app.standards.checks import CHECKS
from bench.common import AUTHORITIES, Figure

TARGET = 20_000.0
CODES = tuple(code for code, _ in CHECKS)


@dataclass
class StandardsTiming:
    records: int = 0
    findings: int = 0
    evaluate_cpu: float = 0.0
    evaluate_wall: float = 0.0
    trivial_cpu: float = 0.0
    trivial_wall: float = 0.0
    results: dict[str, int] = field(default_factory=dict)
    per_check: dict[str, float] = field(default_factory=dict)

    def add(self, other: StandardsTiming) -> None:
        self.records += other.records
        self.findings += other.findings
        self.evaluate_cpu += other.evaluate_cpu
        self.evaluate_wall += other.evaluate_wall
        self.trivial_cpu += other.trivial_cpu
        self.trivial_wall += other.trivial_wall
        for name, count in other.results.items():
            self.results[name] = self.results.get(name, 0) + count


def trivial(facts: Sequence[RecordFacts]) -> int:
    """The baseline: touch what the checks touch, build one finding per standard."""
    version = CURRENT.version
    touched = 0
    for fact in facts:
        doc = fact.document
        for episode in doc.episodes:
            touched += (episode.started_at is not None) + (episode.returned_at is not None)
        offer = doc.offer
        touched += (offer.offered_at is not None) + len(offer.attempts)
        content = doc.interview
        if content is not None:
            touched += (content.conducted_at is not None) + len(content.risk_indicators)
        touched += len(doc.actions) + len(doc.sharing) + (fact.submitted_at is not None)
        touched += len(fact.other_episodes)
        for code in CODES:
            Finding(code, version, Result.MET, None, None, "Met.")
    return touched


def time_batch(facts: Sequence[RecordFacts], as_of: datetime
               ) -> tuple[list[list[Finding]], StandardsTiming]:
    """Evaluate a batch of records (timed), then the trivial loop over the same batch (timed).

    Each timed part starts with a full garbage collection, so the garbage of the untimed work
    before it (making and typing 5,000 documents) is not collected inside it, in whichever of
    the two loops happens to cross the collector's threshold. What each loop makes itself is
    still collected inside it.
    """
    gc.collect()
    cpu, wall = time.thread_time(), time.perf_counter()
    results = [evaluate(fact, CURRENT, as_of=as_of) for fact in facts]
    evaluate_cpu, evaluate_wall = time.thread_time() - cpu, time.perf_counter() - wall
    gc.collect()
    cpu, wall = time.thread_time(), time.perf_counter()
    trivial(facts)
    trivial_cpu, trivial_wall = time.thread_time() - cpu, time.perf_counter() - wall
    timing = StandardsTiming(len(facts), sum(len(r) for r in results), evaluate_cpu,
                             evaluate_wall, trivial_cpu, trivial_wall)
    for findings in results:
        for found in findings:
            timing.results[found.result.value] = timing.results.get(found.result.value, 0) + 1
    return results, timing


def per_check_us(facts: Sequence[RecordFacts], as_of: datetime) -> dict[str, float]:
    """CPU microseconds per record of each check on its own."""
    out = {}
    for code, check in CHECKS:
        cpu = time.thread_time()
        for fact in facts:
            check(fact, CURRENT, as_of)
        out[code] = round((time.thread_time() - cpu) / max(1, len(facts)) * 1e6, 2)
    return out


def measure_standalone(records: int, batch: int = 5000) -> StandardsTiming:
    """Make and type the documents batch by batch (not timed), and time evaluate on each."""
    from app.core.types import utcnow
    from app.interviews.demo import synthetic_document
    from app.record.validation import validate_document

    rng = random.Random(8)  # noqa: S311 - synthetic data  # nosec B311
    now = utcnow()
    total = StandardsTiming()
    index = 0
    while total.records < records:
        facts: list[RecordFacts] = []
        for _ in range(min(batch, records - total.records) * 2):  # bounded: invalid ones skipped
            if len(facts) >= min(batch, records - total.records):
                break
            raw = synthetic_document(rng, now, AUTHORITIES, index)
            index += 1
            checked = validate_document(raw, complete=True, now=now)
            if checked.ok:
                facts.append(RecordFacts(document=checked.document, status="submitted",
                                         submitted_at=now))
        if not total.records:
            evaluate_all(facts[:200], now)  # warm: the checks' caches, as a server has them
            total.per_check = per_check_us(facts, now)
        _, timing = time_batch(facts, now)
        total.add(timing)
    return total


def evaluate_all(facts: Sequence[RecordFacts], as_of: datetime) -> None:
    for fact in facts:
        evaluate(fact, CURRENT, as_of=as_of)


def figure(timing: StandardsTiming) -> Figure:
    def rate(seconds: float) -> float | None:
        return timing.records / seconds if seconds else None

    value, baseline = rate(timing.evaluate_cpu), rate(timing.trivial_cpu)
    extra: dict[str, Any] = {
        "records": timing.records, "findings": timing.findings,
        "evaluate_cpu_s": round(timing.evaluate_cpu, 3),
        "evaluate_wall_s": round(timing.evaluate_wall, 3),
        "trivial_cpu_s": round(timing.trivial_cpu, 3),
        "trivial_wall_s": round(timing.trivial_wall, 3),
        "evaluate_records_per_wall_s": round(rate(timing.evaluate_wall) or 0, 1),
        "us_per_record_cpu": round(timing.evaluate_cpu / timing.records * 1e6, 1)
        if timing.records else None,
        "results": timing.results,
        "per_check_us_cpu": timing.per_check,
    }
    return Figure(
        key="8", what=f"standards: evaluate, {timing.records:,} records (rec/CPU-s, 1 core)",
        value=value, unit="rec/s", baseline=baseline,
        baseline_what="trivial loop, same dataclasses", ratio=(value / baseline)
        if value and baseline else None, ratio_note="evaluate ÷ trivial",
        target=f"≥ {TARGET:,.0f} rec/s", ok=(value >= TARGET) if value else None,
        notes=f"wall-clock {extra['evaluate_records_per_wall_s']:,.0f} rec/s", extra=extra)
