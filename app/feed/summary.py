"""The analyst summary: counts per group, aggregated in SQL, then suppressed.

Everything is counted by the database with GROUP BY over `feed_rows`. Code lists are counted by
grouping on their delimited column (`;a;b;`): the database returns each combination once per
group with how many records hold it, and only those few combinations are split into codes
here. Findings whose deadline passed since they were stored are moved from `pending` to
`not_met` by one more aggregate over `feed_pending_findings`.

The quarterly report uses this module too, so its figures are the API's figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.record import LETTER_RESULTS, STANDARD_CODES, csv_line, split_delimited
from app.feed.service import visible
from app.feed.suppression import CountSet, Published, shown, suppress
from app.interviews import codes
from app.standards import CURRENT

GROUPINGS: Final[Mapping[str, Any]] = {
    "quarter": FeedRow.period_quarter,
    "month": FeedRow.period_month,
    "responsible_authority": FeedRow.responsible_authority,
    "recorded_by_org": FeedRow.recorded_by_org,
    "out_of_area": FeedRow.out_of_area,
    "legal_status": FeedRow.legal_status,
    "gender": FeedRow.gender,
    "age_band": FeedRow.age_band,
}
OUTCOMES: Final = tuple(codes.OFFER_OUTCOME)
STANDARD_RESULTS: Final = ("met", "not_met", "pending")
CODE_LISTS: Final[Mapping[str, tuple[Any, tuple[str, ...]]]] = {
    "push_factors": (FeedRow.push_factors, tuple(codes.PUSH_FACTORS)),
    "pull_factors": (FeedRow.pull_factors, tuple(codes.PULL_FACTORS)),
    "risk_indicators": (FeedRow.risk_indicators, tuple(codes.RISK_INDICATORS)),
    "action_types": (FeedRow.action_types, tuple(codes.ACTION_TYPE)),
}

# Every count a group has, in publishing order; the dotted name is the JSON path, the CSV
# column, and what a group's `suppressed` lists.
HEADLINE: Final = ("episodes", "children", "interviews", "out_of_area",
                   *(f"outcomes.{outcome}" for outcome in OUTCOMES),
                   "offered_within_72h", "completed_within_72h")
COUNT_NAMES: Final = (
    *HEADLINE,
    *(f"standards.{code}.{part}" for code in STANDARD_CODES
      for part in ("applicable", *STANDARD_RESULTS)),
    *(f"{kind}.{code}" for kind, (_, listed) in CODE_LISTS.items() for code in listed),
)
COUNT_SETS: Final = (
    CountSet("interviews", tuple(f"outcomes.{outcome}" for outcome in OUTCOMES)),
    *(CountSet(f"standards.{code}.applicable",
               tuple(f"standards.{code}.{result}" for result in STANDARD_RESULTS))
      for code in STANDARD_CODES),
)
# rate name → (numerator, denominator)
RATES: Final = {
    "rates.offered_within_72h": ("offered_within_72h", "interviews"),
    "rates.completed_within_72h": ("completed_within_72h", "interviews"),
    **{f"standards.{code}.share_met": (f"standards.{code}.met", f"standards.{code}.applicable")
       for code in STANDARD_CODES},
}


@dataclass(frozen=True, slots=True)
class Group:
    key: dict[str, Any]
    published: Published
    rates: dict[str, float | None]

    def value(self, name: str) -> int | None:
        return self.published.values[name]


@dataclass(frozen=True, slots=True)
class Summary:
    date_from: date | None
    date_to: date | None
    group_by: tuple[str, ...]
    groups: list[Group]


def _sum_if(condition: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _key(group_by: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(bool(value) if name == "out_of_area" and value is not None else value
                 for name, value in zip(group_by, values, strict=True))


def summarise(session: Session, organisation_code: str, *, date_from: date | None,
              date_to: date | None, group_by: Sequence[str], now: datetime) -> Summary:
    """Counts per group of the records visible to the organisation whose return (or, for a
    child still missing, whose latest start) falls from `date_from` to `date_to` (London dates,
    both included), suppressed for publication."""
    unknown = [name for name in group_by if name not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}")
    dims = [GROUPINGS[name].label(name) for name in group_by]
    where: list[ColumnElement[bool]] = [visible(organisation_code)]
    if date_from is not None:
        where.append(col(FeedRow.period_date) >= date_from)
    if date_to is not None:
        where.append(col(FeedRow.period_date) <= date_to)
    n = len(dims)

    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    headline = select(
        *dims,
        func.count().label("interviews"),
        func.coalesce(func.sum(FeedRow.episode_count), 0),
        func.count(func.distinct(FeedRow.child_key)),
        _sum_if(col(FeedRow.out_of_area)),
        *(_sum_if(col(FeedRow.outcome) == outcome) for outcome in OUTCOMES),
        _sum_if(col(FeedRow.offered_within_72h)),
        _sum_if(col(FeedRow.completed_within_72h)),
    ).where(*where).group_by(*dims)
    names = ("interviews", "episodes", "children", "out_of_area",
             *(f"outcomes.{outcome}" for outcome in OUTCOMES),
             "offered_within_72h", "completed_within_72h")
    for row in session.execute(headline):
        if not row[n]:
            continue  # an empty period: no group
        group = counts[_key(group_by, row[:n])] = dict.fromkeys(COUNT_NAMES, 0)
        group.update({name: int(value) for name, value in zip(names, row[n:], strict=True)})

    for kind, (column, listed) in CODE_LISTS.items():
        allowed = set(listed)
        query = select(*dims, col(column), func.count()).where(*where) \
            .group_by(*dims, col(column))
        for row in session.execute(query):
            group = counts[_key(group_by, row[:n])]
            for code in split_delimited(row[n]):
                if code in allowed:
                    group[f"{kind}.{code}"] += int(row[n + 1])

    standards = set(STANDARD_CODES)
    query = select(*dims, col(FeedRow.standard_results), func.count()).where(*where) \
        .group_by(*dims, col(FeedRow.standard_results))
    for row in session.execute(query):
        group = counts[_key(group_by, row[:n])]
        for code, letter in zip(STANDARD_CODES, row[n], strict=False):
            result = LETTER_RESULTS.get(letter)
            if result in STANDARD_RESULTS:
                group[f"standards.{code}.{result}"] += int(row[n + 1])
                group[f"standards.{code}.applicable"] += int(row[n + 1])

    passed = select(*dims, col(FeedPendingFinding.code), func.count()).select_from(FeedRow) \
        .join(FeedPendingFinding,
              col(FeedPendingFinding.interview_id) == col(FeedRow.interview_id)) \
        .where(*where, col(FeedPendingFinding.due_at) < now) \
        .group_by(*dims, col(FeedPendingFinding.code))
    for row in session.execute(passed):
        code = row[n]
        if code in standards:
            group = counts[_key(group_by, row[:n])]
            group[f"standards.{code}.pending"] -= int(row[n + 1])
            group[f"standards.{code}.not_met"] += int(row[n + 1])

    groups = []
    for key in sorted(counts, key=_sort_key):
        published = suppress(counts[key], COUNT_SETS)
        groups.append(Group(
            key=dict(zip(group_by, key, strict=True)), published=published,
            rates={name: published.rate(*parts) for name, parts in RATES.items()}))
    return Summary(date_from, date_to, tuple(group_by), groups)


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in key)


# --- answers -----------------------------------------------------------------------------------


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in flat.items():
        *parents, last = name.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def to_json(summary: Summary) -> dict[str, Any]:
    """The summary as `GET /api/v1/feed/summary` answers it."""
    return {
        "from": summary.date_from.isoformat() if summary.date_from else None,
        "to": summary.date_to.isoformat() if summary.date_to else None,
        "group_by": list(summary.group_by),
        "standard_set": CURRENT.version,
        "groups": [{
            "group": group.key,
            **_nest({**group.published.values, **group.rates}),
            "suppressed": list(group.published.suppressed),
        } for group in summary.groups],
    }


CSV_RATE_NAMES: Final = tuple(RATES)


def _rate_cell(group: Group, name: str) -> str:
    value = group.rates[name]
    if value is not None:
        return str(value)
    numerator, denominator = RATES[name]
    hidden = set(group.published.suppressed)
    # `c`: held back because a count is; `z`: not applicable (nothing to divide by).
    return "c" if numerator in hidden or denominator in hidden else "z"


def _group_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(summary: Summary) -> Iterator[str]:
    """The summary as CSV: a row per group, a column per count (`c` when suppressed)."""
    yield csv_line([*summary.group_by, *COUNT_NAMES, *CSV_RATE_NAMES])
    for group in summary.groups:
        yield csv_line([*(_group_cell(group.key[name]) for name in summary.group_by),
                        *(shown(group.value(name)) for name in COUNT_NAMES),
                        *(_rate_cell(group, name) for name in CSV_RATE_NAMES)])
