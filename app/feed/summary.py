"""The analyst summary: counts per group, aggregated in SQL, then suppressed.

Everything is counted by the database with GROUP BY over `feed_rows` (on SQLite, over its
covering index `ix_feed_rows_summary`, never the wide rows). Code lists are counted by grouping
on their delimited column (`;a;b;`): the database returns each combination once per group with
how many records hold it, and each distinct combination is split into codes here once.
Findings whose deadline passed since they were stored are moved from `pending` to `not_met` by
one more aggregate over `feed_pending_findings`.

The coverage of returns (`coverage_counts`) is counted from the episode register instead: each
return once, with or without a record, for the whole period.

Groupings (`GROUPINGS`) put each record in one group, or, for a list (push factors, districts:
`Grouping.each`), in the group of each value it holds. Suppressed, the groups are suppressed
together (`suppression.suppress_groups`): where a grouping's groups add up to the total without
it, they are a set, as the rows of the board pack's tables are.

The quarterly report uses this module too, so its published figures are the API's figures; the
board pack's partnership's own figures are the same counts with nothing suppressed
(`suppressed=False`, never offered by the API), and its differences between groups are the
groupings `age_band`, `gender`, `ethnicity`, `disability_or_send`, `uasc` and `placement_type`
(`board_pack.py`). The pack's tables that count something else (the register's episodes, the
actions, the stage delays) reach the API through `summary_tables.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.db import reading
from app.core.london import london_midnight
from app.feed.episodes import PlusHours, counted
from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.record import (
    AGE_BANDS,
    LETTER_RESULTS,
    STANDARD_CODES,
    csv_line,
    delimited,
    split_delimited,
)
from app.feed.service import narrow, visible
from app.feed.suppression import CountSet, Published, shown, suppress, suppress_groups
from app.record import codes
from app.record.models import RegisterEpisode
from app.standards import CURRENT


@dataclass(frozen=True, slots=True)
class Grouping:
    """How the records fall into the groups of one `group_by` name.

    `column` holds a record's value. A grouping of `each` value is a delimited list
    (`;a;b;`): a record is in the group of each value it holds, once, and in none when it holds
    none; such groups overlap, so they add up to nothing and are never a suppression set. A
    record outside `only` is in no group. `order` is the codes' order, which breaks ties in
    suppression as the board pack does.
    """

    column: Any
    each: bool = False
    boolean: bool = False
    only: Any = None
    # found_district: the values are the episodes', one per episode, so a record's `episodes`
    # in a group are its episodes of that value.
    per_episode: bool = False
    order: tuple[Any, ...] = ()


YES_NO: Final = (True, False)
GROUPINGS: Final[Mapping[str, Grouping]] = {
    "quarter": Grouping(FeedRow.period_quarter),
    "month": Grouping(FeedRow.period_month),
    "responsible_authority": Grouping(FeedRow.responsible_authority),
    "recorded_by_org": Grouping(FeedRow.recorded_by_org),
    "out_of_area": Grouping(FeedRow.out_of_area, boolean=True, order=YES_NO),
    "legal_status": Grouping(FeedRow.legal_status, order=tuple(codes.LEGAL_STATUS)),
    "gender": Grouping(FeedRow.gender, order=tuple(codes.GENDER)),
    "age_band": Grouping(FeedRow.age_band, order=AGE_BANDS),
    # The board pack's differences between groups (`board_pack.py`).
    "ethnicity": Grouping(FeedRow.ethnicity, order=tuple(codes.ETHNICITY)),
    "disability_or_send": Grouping(FeedRow.disability_or_send,
                                   order=tuple(codes.DISABILITY_OR_SEND)),
    "uasc": Grouping(FeedRow.uasc, boolean=True, order=YES_NO),
    "placement_type": Grouping(FeedRow.placement_type, order=tuple(codes.PLACEMENT_TYPE)),
    # The board pack's themes and places.
    "decline_reason_given": Grouping(FeedRow.decline_reason_given, boolean=True, order=YES_NO,
                                     only=col(FeedRow.outcome) == "declined"),
    "push_factor": Grouping(FeedRow.push_factors, each=True),
    "pull_factor": Grouping(FeedRow.pull_factors, each=True),
    "risk_indicator": Grouping(FeedRow.risk_indicators, each=True),
    "found_district": Grouping(FeedRow.found_districts, each=True, per_episode=True),
    "location_district": Grouping(FeedRow.location_districts, each=True),
}
OUTCOMES: Final = tuple(codes.OFFER_OUTCOME)
STANDARD_RESULTS: Final = ("met", "not_met", "pending")
CODE_LISTS: Final[Mapping[str, tuple[Any, tuple[str, ...]]]] = {
    "push_factors": (FeedRow.push_factors, tuple(codes.PUSH_FACTORS)),
    "pull_factors": (FeedRow.pull_factors, tuple(codes.PULL_FACTORS)),
    "risk_indicators": (FeedRow.risk_indicators, tuple(codes.RISK_INDICATORS)),
    "action_types": (FeedRow.action_types, tuple(codes.ACTION_TYPE)),
}
ALLOWED: Final = {kind: frozenset(listed) for kind, (_, listed) in CODE_LISTS.items()}

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
class Coverage:
    """The returns of the period, from the register: each counted once, with or without a
    record (`COVERAGE_NAMES`)."""

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
    coverage: Coverage


def _count_if(condition: Any) -> ColumnElement[int]:
    # `FILTER` (SQLite ≥ 3.30, PostgreSQL) skips the aggregate step for other rows: about a
    # third cheaper than summing a CASE.
    return func.count().filter(condition)


HEADLINE_COUNTS: Final = ("interviews", "episodes", "children", "out_of_area",
                          *(f"outcomes.{outcome}" for outcome in OUTCOMES),
                          "offered_within_72h", "completed_within_72h")
STANDARDS_KIND: Final = "standards"


def in_period(organisation_code: str, date_from: date | None,
              date_to: date | None) -> list[ColumnElement[bool]]:
    """The feed rows the organisation counts for a period: visible to it, with a return (or,
    for a child still missing, a latest start) from `date_from` to `date_to` (London dates,
    both included)."""
    where: list[ColumnElement[bool]] = [visible(organisation_code)]
    if date_from is not None:
        where.append(col(FeedRow.period_date) >= date_from)
    if date_to is not None:
        where.append(col(FeedRow.period_date) <= date_to)
    return where


def as_counted(counts: Mapping[str, int], sets: Sequence[CountSet] = ()) -> Published:
    """Counts published as they are, none held back: the partnership's own figures (the board
    pack's `own` mode), never for publication."""
    return Published(values=dict(counts), suppressed=())


def summarise(session: Session, organisation_code: str, *, date_from: date | None,
              date_to: date | None, group_by: Sequence[str], now: datetime,
              suppressed: bool = True) -> Summary:
    """Counts per group of the records visible to the organisation whose return (or, for a
    child still missing, whose latest start) falls from `date_from` to `date_to` (London dates,
    both included), suppressed for publication (`suppressed=False`: the real counts, for the
    board pack's partnership's own figures only). Suppressed, the groups are suppressed
    together (`suppress_groups`): each grouping's groups add up to the total without it, as in
    the board pack's tables, except a grouping of each value (`Grouping.each`), whose groups
    overlap.

    Four statements, read from one snapshot: the headline counts, the code-list and standard
    combinations, the findings whose deadline has passed since they were stored, and the
    coverage of returns from the register; a fifth, each group's distinct children, when a
    record can be in several groups.
    """
    unknown = [name for name in group_by if name not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}")
    specs = [GROUPINGS[name] for name in group_by]
    dims: list[Any] = [col(spec.column).label(name)
                       for name, spec in zip(group_by, specs, strict=True)]
    where = [*in_period(organisation_code, date_from, date_to),
             *(spec.only for spec in specs if spec.only is not None)]
    expand = _expander(group_by)
    n = len(dims)

    headline = select(
        *dims,
        func.count().label("interviews"),
        func.coalesce(func.sum(FeedRow.episode_count), 0),
        func.count(func.distinct(FeedRow.child_key)),
        _count_if(col(FeedRow.out_of_area)),
        *(_count_if(col(FeedRow.outcome) == outcome) for outcome in OUTCOMES),
        _count_if(col(FeedRow.offered_within_72h)),
        _count_if(col(FeedRow.completed_within_72h)),
    ).where(*where).group_by(*dims)
    headline = narrow(headline)
    # Each code list (and the standards' letters) grouped on its whole stored value: the
    # database returns each combination once per group, and each distinct combination is
    # split into count names once, however many groups hold it. Each GROUP BY sorts its rows,
    # so records with an empty list (a third to a half of them), which add to no count, are
    # left out of its sort.
    combinations = union_all(*(
        narrow(select(*dims, literal(kind).label("kind"), col(column).label("combination"),
                      func.count().label("records"))
               .where(*where, *extra).group_by(*dims, col(column)))
        for kind, column, extra in (
            *((kind, column, [col(column) != delimited(())])
              for kind, (column, _) in CODE_LISTS.items()),
            (STANDARDS_KIND, FeedRow.standard_results, []))))
    passed = select(*dims, col(FeedPendingFinding.code), func.count()).select_from(FeedRow) \
        .join(FeedPendingFinding,
              col(FeedPendingFinding.interview_id) == col(FeedRow.interview_id)) \
        .where(*where, col(FeedPendingFinding.due_at) < now) \
        .group_by(*dims, col(FeedPendingFinding.code))
    # A grouping of each value puts a record in several groups, so a group's children are
    # counted from each stored combination's distinct children, not added up.
    children = narrow(select(*dims, col(FeedRow.child_key)).where(
        *where, col(FeedRow.child_key).is_not(None)).group_by(*dims, col(FeedRow.child_key))
    ) if any(spec.each for spec in specs) else None

    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    with reading(session.get_bind()) as connection:
        for row in connection.execute(headline):
            if not row[n]:
                continue  # an empty period: no group
            measured = dict(zip(HEADLINE_COUNTS, map(int, row[n:]), strict=True))
            for group_key, episodes_each in expand(row):
                group = counts.get(group_key)
                if group is None:
                    group = counts[group_key] = dict.fromkeys(COUNT_NAMES, 0)
                for name, value in measured.items():
                    group[name] += value
                if episodes_each is not None:  # only the episodes of the group's value
                    group["episodes"] += (measured["interviews"] * episodes_each
                                          - measured["episodes"])

        if children is not None:
            distinct: dict[tuple[Any, ...], set[str]] = {}
            for row in connection.execute(children):
                for group_key, _ in expand(row):
                    distinct.setdefault(group_key, set()).add(row[n])
            for group_key, group in counts.items():
                group["children"] = len(distinct.get(group_key, ()))

        names: dict[tuple[str, str], tuple[str, ...]] = {}
        for row in connection.execute(combinations):
            kind, combination, records = row[n:]
            split = names.get((kind, combination))
            if split is None:
                split = names[(kind, combination)] = _count_names(kind, combination)
            for group_key, _ in expand(row):
                group = counts[group_key]
                for name in split:
                    group[name] += records

        found = coverage_counts(connection, organisation_code, date_from=date_from,
                                date_to=date_to, now=now)

        standards = set(STANDARD_CODES)
        for row in connection.execute(passed):
            code, records = row[n:]
            if code in standards:
                for group_key, _ in expand(row):
                    group = counts[group_key]
                    group[f"standards.{code}.pending"] -= records
                    group[f"standards.{code}.not_met"] += records

    if suppressed:
        published = suppress_groups(
            counts, COUNT_SETS, rank=lambda at, value: rank(specs[at].order, value),
            partitions={at: ADDITIVE for at, spec in enumerate(specs) if not spec.each})
    else:
        published = {group_key: as_counted(group) for group_key, group in counts.items()}
    groups = []
    for group_key in sorted(counts, key=_sort_key):
        group_published = published[group_key]
        groups.append(Group(
            key=dict(zip(group_by, group_key, strict=True)), published=group_published,
            rates={name: group_published.rate(*parts) for name, parts in RATES.items()}))
    return Summary(date_from, date_to, tuple(group_by), groups,
                   publish_coverage(found, suppressed=suppressed))


# Every count of a group but `children` adds up over groups that split the records (a child
# may be in two of them).
ADDITIVE: Final = tuple(name for name in COUNT_NAMES if name != "children")
# A group's key, and how many episodes each of its records has in it (None: all of them).
Expansion = list[tuple[tuple[Any, ...], int | None]]


def rank(order: Sequence[Any], value: Any) -> tuple[bool, int, str]:
    """Where a group's value stands among its grouping's: the codes' order, then any other
    value in the order of its text, then none (as the board pack orders its rows)."""
    known = order.index(value) if value is not None and value in order else len(order)
    return value is None, known, str(value)


def _expander(group_by: Sequence[str]) -> Callable[[Sequence[Any]], Expansion]:
    """The groups a result row's leading columns put its records in (SQLite answers yes/no as
    0/1; a delimited list puts them in the group of each value it holds)."""
    specs = [GROUPINGS[name] for name in group_by]
    n = len(specs)
    if not any(spec.each or spec.boolean for spec in specs):
        return lambda row: [(tuple(row[:n]), None)]

    def expand(row: Sequence[Any]) -> Expansion:
        choices: list[list[tuple[Any, int | None]]] = []
        for spec, value in zip(specs, row[:n], strict=True):
            if spec.each:
                held = Counter(split_delimited(value))
                choices.append([(code, times if spec.per_episode else None)
                                for code, times in held.items()])
            elif spec.boolean and value is not None:
                choices.append([(bool(value), None)])
            else:
                choices.append([(value, None)])
        return [(tuple(value for value, _ in chosen),
                 next((times for _, times in chosen if times is not None), None))
                for chosen in product(*choices)]

    return expand


def _count_names(kind: str, combination: str) -> tuple[str, ...]:
    """The counts one record of this stored combination adds to."""
    if kind == STANDARDS_KIND:
        out: list[str] = []
        for code, letter in zip(STANDARD_CODES, combination, strict=False):
            result = LETTER_RESULTS.get(letter)
            if result in STANDARD_RESULTS:
                out += (f"standards.{code}.{result}", f"standards.{code}.applicable")
        return tuple(out)
    allowed = ALLOWED[kind]
    return tuple(f"{kind}.{code}" for code in split_delimited(combination) if code in allowed)


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in key)


# --- coverage: returns counted once, from the register -----------------------------------------

COVERAGE_OUTCOMES: Final = (*OUTCOMES, "no_outcome_yet")
# Every coverage count, in publishing order; under `coverage` in JSON, the columns of its CSV.
COVERAGE_NAMES: Final = (
    "episodes", "returns", "still_missing", "children",
    "offered_within_72h", "offer_pending", "offer_not_met",
    *(f"outcomes.{outcome}" for outcome in COVERAGE_OUTCOMES),
    "completed_within_72h",
)
COVERAGE_SETS: Final = (
    CountSet("episodes", ("returns", "still_missing")),
    CountSet("returns", ("offered_within_72h", "offer_pending", "offer_not_met")),
    CountSet("returns", tuple(f"outcomes.{outcome}" for outcome in COVERAGE_OUTCOMES)),
)
COVERAGE_RATES: Final = {
    "rates.offered_within_72h": ("offered_within_72h", "returns"),
    "rates.completed_within_72h": ("completed_within_72h", "returns"),
}


def coverage_counts(connection: Connection, organisation_code: str, *, date_from: date | None,
                    date_to: date | None, now: datetime) -> dict[str, int]:
    """The register's episodes visible to the organisation (a second notification of one
    counted once), returned from `date_from` to `date_to` (London dates, both included), or
    still missing with a start in that period; one aggregate statement.

    Offered and completed within 72 hours, and pending, are the per-episode findings of
    `app.standards.episode_findings` written as SQL: evidence by the deadline is met; without
    evidence the offer is pending until its 72 hours end; `not_offered` is never met.
    """
    episode = RegisterEpisode
    returned, started = col(episode.returned_at), col(episode.started_at)
    outcome = col(episode.offer_outcome)
    period: list[ColumnElement[bool]] = []
    started_in: list[ColumnElement[bool]] = []
    if date_from is not None:
        period.append(returned >= london_midnight(date_from))
        started_in.append(started >= london_midnight(date_from))
    if date_to is not None:
        end = london_midnight(date_to + timedelta(days=1))
        period.append(returned < end)
        started_in.append(started < end)
    is_return = and_(returned.is_not(None), *period)
    missing = and_(returned.is_(None), *started_in)
    may_be_offered = or_(outcome.is_(None), outcome != "not_offered")
    offered = col(episode.offered_at)
    conducted = col(episode.conducted_at)
    offer_hours, interview_hours = CURRENT.offer_hours, CURRENT.interview_hours
    counts = select(
        _count_if(is_return),
        _count_if(missing),
        func.count(func.distinct(case((is_return, col(episode.child_id))))),
        _count_if(and_(is_return, may_be_offered, offered.is_not(None),
                       offered <= PlusHours(returned, offer_hours))),
        _count_if(and_(is_return, may_be_offered, offered.is_(None),
                       returned >= now - timedelta(hours=offer_hours))),
        *(_count_if(and_(is_return, outcome == name)) for name in OUTCOMES),
        _count_if(and_(is_return, outcome.is_(None))),
        _count_if(and_(is_return, or_(outcome.is_(None), outcome == "completed"),
                       conducted.is_not(None),
                       conducted <= PlusHours(returned, interview_hours))),
    ).where(counted(organisation_code), or_(is_return, missing))
    returns, still_missing, children, met, pending, *outcomes, completed = (
        int(value) for value in connection.execute(counts).one())
    return {
        "episodes": returns + still_missing, "returns": returns, "still_missing": still_missing,
        "children": children, "offered_within_72h": met, "offer_pending": pending,
        "offer_not_met": returns - met - pending,
        **{f"outcomes.{name}": count
           for name, count in zip(COVERAGE_OUTCOMES, outcomes, strict=True)},
        "completed_within_72h": completed,
    }


def publish_coverage(counts: Mapping[str, int], *, suppressed: bool = True) -> Coverage:
    """The coverage counts suppressed as the groups' are (or, `suppressed=False`, as counted),
    with their rates."""
    publish = suppress if suppressed else as_counted
    published = publish({name: counts[name] for name in COVERAGE_NAMES}, COVERAGE_SETS)
    return Coverage(published, {name: published.rate(*parts)
                                for name, parts in COVERAGE_RATES.items()})


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
        "coverage": {
            **_nest({**summary.coverage.published.values, **summary.coverage.rates}),
            "suppressed": list(summary.coverage.published.suppressed),
        },
    }


CSV_RATE_NAMES: Final = tuple(RATES)


def _rate_cell(group: Group | Coverage, name: str,
               parts: Mapping[str, tuple[str, str]] = RATES) -> str:
    value = group.rates[name]
    if value is not None:
        return str(value)
    numerator, denominator = parts[name]
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


def coverage_csv_lines(summary: Summary, more: Sequence[tuple[str, str]] = ()
                       ) -> Iterator[str]:
    """The coverage of returns as CSV (`table=coverage`): one row, a column per count, then
    the `more` columns given (column, cell)."""
    coverage = summary.coverage
    yield csv_line(["from", "to", *COVERAGE_NAMES, *COVERAGE_RATES,
                    *(column for column, _ in more)])
    yield csv_line([summary.date_from.isoformat() if summary.date_from else "",
                    summary.date_to.isoformat() if summary.date_to else "",
                    *(shown(coverage.value(name)) for name in COVERAGE_NAMES),
                    *(_rate_cell(coverage, name, COVERAGE_RATES) for name in COVERAGE_RATES),
                    *(cell for _, cell in more)])
