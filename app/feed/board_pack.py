"""The board pack: the quarterly report's strategic sections (issue 16; practice review row 11).

Stage delays, the repeat-missing group, hotspots (where children were found and the places
they went; the time of day and day of the week episodes started), themes (declines and the
follow-up actions), differences between groups of children, and looked-after children placed
out of area (Protect 2; counted in `out_of_area.py`). Each is a `Table`: the figures,
a chart of them, and the same figures as CSV (`csv_lines`).

Where the figures come from:
- the **episode register** (`register_episodes`, each episode once, with or without a record,
  a second organisation's notification of it counted once: `episodes.counted`) for the stage
  delays, the repeat-missing group and the times: the quarter's episodes are those the
  summary's coverage counts (returned in the quarter, or still missing with a start in it);
- the **feed rows** (`feed_rows`, one per submitted record, visible as the summary's are) for
  places, declines, actions and the differences between groups: the register holds no place,
  no reason and no ethnicity. A record belongs to the quarter of its latest return;
- both for the children placed out of area: the register's returns of the quarter, each with
  the feed row of the latest record covering it.

Every count is made in SQL from narrow columns but three lists that need Python: the register's
times of the quarter (for medians, London hours and days), and the stored combinations of the
district and action columns (expanded once per distinct combination, as the summary does).

Two modes (`MODES`): `published`, small numbers suppressed as the summary API does it, with
secondary suppression wherever the figures of a table add up to a total it shows; and `own`, the
partnership's own real counts, marked OFFICIAL-SENSITIVE and not for publication.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Final, Literal, Protocol

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.db import reading
from app.core.london import LONDON, london_midnight
from app.feed import out_of_area
from app.feed.charts import Chart, bar_chart
from app.feed.episodes import counted
from app.feed.models import FeedRow
from app.feed.record import action_state, csv_line, split_delimited
from app.feed.service import narrow
from app.feed.summary import as_counted, in_period
from app.feed.suppression import SUPPRESSED, CountSet, Published, suppress
from app.record import codes
from app.record.models import RegisterEpisode

Mode = Literal["published", "own"]
MODES: Final[tuple[Mode, ...]] = ("published", "own")
DEFAULT_MODE: Final[Mode] = "published"
MODE_NAMES: Final[Mapping[Mode, str]] = {
    "published": "Published figures (small numbers suppressed)",
    "own": "The partnership's own figures (real counts, not for publication)",
}
# On every page and every file of the pack, so nobody mistakes which figures they hold.
MARKINGS: Final[Mapping[Mode, str]] = {
    "published": "Published figures: numbers from 1 to 5 suppressed (c)",
    "own": "OFFICIAL-SENSITIVE: not for publication",
}
NOT_APPLICABLE: Final = "n/a"  # on the page: nothing to count (CSV: `z`)
NOT_APPLICABLE_CSV: Final = "z"
REPEAT_EPISODES: Final = 3  # a child with this many episodes in the quarter is in the group
TOP: Final = 10  # the districts with the most


class Period(Protocol):
    """A reporting quarter (`pages.Quarter`)."""

    @property
    def label(self) -> str: ...  # "2026-Q1"

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...

    @property
    def title(self) -> str: ...  # "January to March 2026"


# --- what a table holds ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the CSV's column ("median_hours")
    label: str  # the table's heading ("Median hours")


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # as the page shows it: "1,204", "45%", "12.5", "c", "n/a"
    value: str  # as the CSV holds it: "1204", "0.45", "12.5", "c", "z"


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # the code ("wbri"), or "all" for a total
    label: str  # its words
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # "stage-delays": the chart's id, the CSV's name
    title: str
    intro: str
    key_name: str  # the CSV's name for the row keys ("ethnicity")
    key_label: str  # the table's heading over the row labels
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    chart: Chart
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    intro: str
    tables: tuple[str, ...]


SECTIONS: Final = (
    Section("stage-delays-section", "How long each stage took",
            "From the child's return to each stage, for the returns of the quarter in the "
            "episode register: each return once, whether or not an interview was recorded.",
            ("stage-delays",)),
    Section("repeat-missing-section", "Children missing repeatedly",
            "Children with 3 or more missing or away episodes in the quarter, and their share "
            "of the quarter's episodes, from the episode register.",
            ("repeat-missing",)),
    Section("hotspots-section", "Where and when",
            "Where children were found and the places linked to their episodes (outward "
            "postcodes only, from the interview records), and when episodes started (UK time, "
            "from the episode register).",
            ("found-districts", "place-districts", "time-of-day", "day-of-week")),
    Section("themes-section", "Themes",
            "Why children went, why interviews were declined, and what was done about it, "
            "from the interview records of the quarter.",
            ("declined", "actions-by-status", "actions-by-type")),
    Section("differences-section", "Differences between groups of children",
            "Records of the quarter by group of children: how many, their episodes, and the "
            "share offered and completed within 72 hours of the return.",
            ("by-age-band", "by-gender", "by-ethnicity", "by-disability", "by-uasc",
             "by-placement-type")),
    Section("out-of-area-section", "Children placed out of area (Protect 2)",
            "Whether looked-after children placed out of area get timely return interviews "
            "whose findings reach the authority that placed them and feed their safety plans: "
            "the quarter's returns from the episode register, each once, whether or not an "
            "interview was recorded.",
            ("out-of-area",)),
)
TABLES: Final = tuple(name for section in SECTIONS for name in section.tables)


@dataclass(frozen=True, slots=True)
class BoardPack:
    mode: Mode
    marking: str
    tables: dict[str, Table]
    sections: tuple[Section, ...] = SECTIONS


# --- cells -------------------------------------------------------------------------------------


def count_cell(value: int | None) -> Cell:
    if value is None:
        return Cell(SUPPRESSED, SUPPRESSED)
    return Cell(f"{value:,}", str(value))


def share_cell(numerator: int | None, denominator: int | None) -> Cell:
    """A share as a whole percentage (CSV: a fraction to 4 places); `c` when either count is
    held back; `n/a` (`z`) when there is nothing to share."""
    if numerator is None or denominator is None:
        return Cell(SUPPRESSED, SUPPRESSED)
    if denominator == 0:
        return Cell(NOT_APPLICABLE, NOT_APPLICABLE_CSV)
    share = round(numerator / denominator, 4)
    return Cell(f"{round(share * 100)}%", str(share))


def hours_cell(value: float | None, *, held_back: bool) -> Cell:
    if held_back:
        return Cell(SUPPRESSED, SUPPRESSED)
    if value is None:
        return Cell(NOT_APPLICABLE, NOT_APPLICABLE_CSV)
    return Cell(f"{value:,.1f}", f"{value:.1f}")


def _share(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _publish(counts: Mapping[str, int], sets: Sequence[CountSet], mode: Mode) -> Published:
    return suppress(counts, sets) if mode == "published" else as_counted(counts, sets)


def _count_value(count: int | None) -> float | None:
    return None if count is None else float(count)


# --- the register: stage delays, repeat group, times --------------------------------------------


@dataclass(frozen=True, slots=True)
class Times:
    """One register episode of the quarter, as the pack needs it."""

    child_id: int
    started_at: datetime
    returned_at: datetime | None
    notified_at: datetime | None
    offered_at: datetime | None
    conducted_at: datetime | None
    shared_at: datetime | None


def register_episodes(connection: Connection, organisation_code: str, period: Period
                      ) -> list[Times]:
    """The quarter's episodes visible to the organisation, each once: returned in the quarter,
    or still missing with a start in it (the summary's `coverage.episodes`)."""
    return episodes_between(connection, organisation_code, period.start, period.end)


def episodes_between(connection: Connection, organisation_code: str, date_from: date | None,
                     date_to: date | None) -> list[Times]:
    """`register_episodes` from `date_from` to `date_to` (London dates, both included; either
    may be open), as the summary API asks for them."""
    episode = RegisterEpisode
    returned, started = col(episode.returned_at), col(episode.started_at)
    returned_in: list[Any] = [returned.is_not(None)]
    started_in: list[Any] = [returned.is_(None)]
    if date_from is not None:
        returned_in.append(returned >= london_midnight(date_from))
        started_in.append(started >= london_midnight(date_from))
    if date_to is not None:
        end = london_midnight(date_to + timedelta(days=1))
        returned_in.append(returned < end)
        started_in.append(started < end)
    query = select(
        col(episode.child_id), started, returned, col(episode.notified_at),
        col(episode.offered_at), col(episode.conducted_at), col(episode.shared_at),
    ).where(counted(organisation_code), or_(and_(*returned_in), and_(*started_in)))
    return [Times(*row) for row in connection.execute(query)]


STAGES: Final = (
    ("notified", "notified_at", "Service told of the episode"),
    ("offered", "offered_at", "Interview offered"),
    ("interviewed", "conducted_at", "Interview held"),
    ("shared", "shared_at", "Report shared"),
)


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile, interpolated between the two nearest values (as Excel's
    PERCENTILE.INC and pandas' `quantile()` do it): the median is `share=0.5`."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_hours(episodes: Sequence[Times]) -> dict[str, list[float]]:
    """Per stage, the hours from each return to it (returns that reached it). A stage before
    the return (the service was told while the child was still missing) is 0 hours."""
    hours: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
    for episode in episodes:
        if episode.returned_at is None:
            continue
        for name, attribute, _ in STAGES:
            moment: datetime | None = getattr(episode, attribute)
            if moment is not None:
                seconds = (moment - episode.returned_at).total_seconds()
                hours[name].append(max(0.0, seconds / 3600))
    return hours


@dataclass(frozen=True, slots=True)
class StageDelay:
    """One stage's figures: the returns that reached it (None: held back), and the median and
    90th percentile hours (None when held back, or when no return reached it)."""

    returns: int | None
    median_hours: float | None
    p90_hours: float | None


def stage_delay_figures(episodes: Sequence[Times], mode: Mode) -> tuple[Published,
                                                                          dict[str, StageDelay]]:
    """The returns counted (`returns`, and each stage's), published in `mode`, and each stage's
    figures: hours to one decimal, none where its count is held back."""
    hours = stage_hours(episodes)
    returns = sum(1 for episode in episodes if episode.returned_at is not None)
    published = _publish({"returns": returns,
                          **{name: len(values) for name, values in hours.items()}}, (), mode)
    figures = {}
    for name, values in hours.items():
        held_back = published.values[name] is None
        figures[name] = StageDelay(
            published.values[name],
            None if held_back or not values else round(percentile(values, 0.5), 1),
            None if held_back or not values else round(percentile(values, 0.9), 1))
    return published, figures


def stage_delays(episodes: Sequence[Times], mode: Mode, returns_hidden: bool = False) -> Table:
    """`returns_hidden`: the report shows the quarter's returns elsewhere, held back there (a
    secondary suppression): the note must not give the number away."""
    published, figures = stage_delay_figures(episodes, mode)
    returns = None if returns_hidden and mode == "published" else published.values["returns"]
    rows = []
    chart_rows: list[tuple[str, Sequence[tuple[float | None, str]]]] = []
    for name, _, label in STAGES:
        held_back = published.values[name] is None
        median, ninetieth = figures[name].median_hours, figures[name].p90_hours
        median_cell = hours_cell(median, held_back=held_back)
        ninetieth_cell = hours_cell(ninetieth, held_back=held_back)
        rows.append(Row(name, label, (count_cell(published.values[name]), median_cell,
                                      ninetieth_cell)))
        chart_rows.append((label, [(median, median_cell.text), (ninetieth, ninetieth_cell.text)]))
    return Table(
        "stage-delays", "Hours from return to each stage",
        f"Returns in the quarter: {count_cell(returns).text}. For each "
        "stage, the returns that reached it and the hours it took: the median (half took "
        "less) and the 90th percentile (nine in ten took less).",
        "stage", "Hours from the return until",
        (Column("returns", "Returns that reached it"), Column("median_hours", "Median hours"),
         Column("p90_hours", "90th percentile hours")),
        tuple(rows),
        bar_chart("chart-stage-delays", "Hours from return to each stage",
                  "Bars show the median and the 90th percentile of the hours from a child's "
                  "return to each stage. The table gives the figures.",
                  ("Median", "90th percentile"), chart_rows),
        note="Service told: when the return service was told of the episode (by the police, "
             "children's services or the co-ordinator); an episode it heard of while the child "
             "was still missing counts as 0 hours, and a return registered by a record, which "
             "nobody notified, has no such time. Percentiles are worked out as Excel's "
             "PERCENTILE.INC works them out. In published figures a stage reached by 1 to 5 "
             "returns shows no hours.")


def missing_repeatedly(episodes: Sequence[Times]) -> frozenset[int]:
    """The children with `REPEAT_EPISODES` or more of these episodes."""
    per_child = Counter(episode.child_id for episode in episodes)
    return frozenset(child for child, n in per_child.items() if n >= REPEAT_EPISODES)


def repeat_missing(episodes: Sequence[Times], mode: Mode) -> Table:
    per_child = Counter(episode.child_id for episode in episodes)
    repeated = missing_repeatedly(episodes)
    repeat = [n for child, n in per_child.items() if child in repeated]
    counts = {
        "all.children": len(per_child), "repeat.children": len(repeat),
        "other.children": len(per_child) - len(repeat),
        "all.episodes": len(episodes), "repeat.episodes": sum(repeat),
        "other.episodes": len(episodes) - sum(repeat),
    }
    published = _publish(counts, (
        CountSet("all.children", ("repeat.children", "other.children")),
        CountSet("all.episodes", ("repeat.episodes", "other.episodes"))), mode).values
    rows, chart_rows = [], []
    for key, label in (("repeat", f"{REPEAT_EPISODES} or more episodes"),
                       ("other", f"1 or {REPEAT_EPISODES - 1} episodes"),
                       ("all", "All children")):
        children, episodes_of = published[f"{key}.children"], published[f"{key}.episodes"]
        share = share_cell(episodes_of, published["all.episodes"])
        rows.append(Row(key, label, (count_cell(children), count_cell(episodes_of), share)))
        if key != "all":
            chart_rows.append((label, [(_count_value(children), count_cell(children).text),
                                       (_count_value(episodes_of),
                                        count_cell(episodes_of).text)]))
    return Table(
        "repeat-missing", "Children by how often they went missing in the quarter",
        "Each child once, by the number of their episodes in the quarter (returned in it, or "
        "still missing with a start in it).",
        "group", "Children with",
        (Column("children", "Children"), Column("episodes", "Episodes"),
         Column("share_of_episodes", "Share of the quarter's episodes")),
        tuple(rows),
        bar_chart("chart-repeat-missing", "Children missing repeatedly",
                  f"Bars show the children with {REPEAT_EPISODES} or more episodes in the "
                  "quarter and the other children, and the episodes of each. The table gives "
                  "the figures.", ("Children", "Episodes"), chart_rows))


BANDS: Final = (
    ("night", "Night (midnight to 6am)"), ("morning", "Morning (6am to midday)"),
    ("afternoon", "Afternoon (midday to 6pm)"), ("evening", "Evening (6pm to midnight)"),
)
DAYS: Final = (("monday", "Monday"), ("tuesday", "Tuesday"), ("wednesday", "Wednesday"),
               ("thursday", "Thursday"), ("friday", "Friday"), ("saturday", "Saturday"),
               ("sunday", "Sunday"))


def band_of(hour: int) -> str:
    return BANDS[hour // 6][0]


def started_band(episode: Times) -> str:
    """The band of the day (`BANDS`) the episode started in, UK time."""
    return band_of(episode.started_at.astimezone(LONDON).hour)


def started_day(episode: Times) -> str:
    """The day of the week (`DAYS`) the episode started on, UK time."""
    return DAYS[episode.started_at.astimezone(LONDON).weekday()][0]


def _partition(name: str, title: str, intro: str, key_name: str, key_label: str,
               labels: Sequence[tuple[str, str]], counts: Mapping[str, int], mode: Mode,
               description: str) -> Table:
    """A table of counts that add up to a total shown below them (its own CountSet)."""
    total = sum(counts.values())
    values = _publish({"all": total, **{key: counts.get(key, 0) for key, _ in labels}},
                      (CountSet("all", tuple(key for key, _ in labels)),), mode).values
    rows = [Row(key, label, (count_cell(values[key]), share_cell(values[key], values["all"])))
            for key, label in labels]
    rows.append(Row("all", "All episodes", (count_cell(values["all"]),
                                             share_cell(values["all"], values["all"]))))
    return Table(name, title, intro, key_name, key_label,
                 (Column("episodes", "Episodes"), Column("share", "Share")), tuple(rows),
                 bar_chart(f"chart-{name}", title, description, ("Episodes",),
                           [(label, [(_count_value(values[key]), count_cell(values[key]).text)])
                            for key, label in labels]))


def time_of_day(episodes: Sequence[Times], mode: Mode) -> Table:
    counts = Counter(started_band(episode) for episode in episodes)
    return _partition(
        "time-of-day", "Episodes by the time they started",
        "When each episode of the quarter started, in UK time, in four bands of six hours.",
        "band", "Started", BANDS, counts, mode,
        "Bars show how many of the quarter's episodes started in each quarter of the day, UK "
        "time. The table gives the figures.")


def day_of_week(episodes: Sequence[Times], mode: Mode) -> Table:
    counts = Counter(started_day(episode) for episode in episodes)
    return _partition(
        "day-of-week", "Episodes by the day they started",
        "The day of the week (UK time) each episode of the quarter started.",
        "day", "Day", DAYS, counts, mode,
        "Bars show how many of the quarter's episodes started on each day of the week, UK "
        "time. The table gives the figures.")


# --- the feed rows: places, themes, differences ------------------------------------------------


def _feed_where(organisation_code: str, period: Period) -> list[Any]:
    # The quarter named too, so SQLite seeks the summary index (it leads with the quarter).
    return [*in_period(organisation_code, period.start, period.end),
            col(FeedRow.period_quarter) == period.label]


def _combinations(connection: Connection, column: Any, where: Sequence[Any]
                  ) -> Counter[str]:
    """Each code of a delimited column counted over the rows (a code twice in one row counts
    twice): one GROUP BY on the stored combinations, each split once."""
    counts: Counter[str] = Counter()
    query = narrow(select(col(column), func.count()).where(*where, col(column) != ";")
                   .group_by(col(column)))
    for combination, rows in connection.execute(query):
        for code in split_delimited(combination):
            counts[code] += int(rows)
    return counts


def _ranked_places(name: str, title: str, intro: str, what: str, counts: Mapping[str, int],
                   mode: Mode, note: str) -> Table:
    """The districts with the most, published counts first (largest first), then the held
    back ones (each from 1 to 5) while fewer than `TOP` are shown."""
    values = _publish(dict(counts), (), mode).values
    ranked = sorted(values.items(), key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    rows = tuple(Row(code, code, (count_cell(value),)) for code, value in ranked[:TOP])
    return Table(name, title, intro, "district", "District", (Column(what, what.capitalize()),),
                 rows,
                 bar_chart(f"chart-{name}", title,
                           f"Bars show the {what} of the districts with the most in the "
                           "quarter. The table gives the figures.", (what.capitalize(),),
                           [(row.label, [(_count_value(values[row.key]), row.cells[0].text)])
                            for row in rows]),
                 note=note)


# Differences between groups: the summary's groupings (its `GROUPINGS` names), labelled.
# (table, grouping, heading over the groups, "by ..." in the title, the groups' words)
GROUP_TABLES: Final[tuple[tuple[str, str, str, str, Mapping[str, str]], ...]] = (
    ("by-age-band", "age_band", "Age at return", "age at return",
     {"under_10": "Under 10", "10_to_12": "10 to 12", "13_to_15": "13 to 15",
      "16_to_17": "16 to 17", "18_and_over": "18 and over"}),
    ("by-gender", "gender", "Sex (gender)", "sex (gender)", codes.GENDER),
    ("by-ethnicity", "ethnicity", "Ethnicity", "ethnicity", codes.ETHNICITY),
    ("by-disability", "disability_or_send", "Disability or SEND", "disability or SEND",
     codes.DISABILITY_OR_SEND),
    ("by-uasc", "uasc", "Unaccompanied asylum-seeking child",
     "whether the child is an unaccompanied asylum-seeking child (UASC)",
     {"true": "Unaccompanied asylum-seeking child", "false": "Not an unaccompanied child"}),
    ("by-placement-type", "placement_type", "Placement type", "placement type",
     codes.PLACEMENT_TYPE),
)
BOOLEAN_GROUPS: Final = frozenset({"uasc"})
MEASURES: Final = ("records", "episodes", "offered_within_72h", "completed_within_72h")
NOT_RECORDED: Final = "not_recorded"


def _group_code(column: str, value: Any) -> str:
    """A group's code: its stored code, `true` or `false` for a yes/no grouping (SQLite answers
    0 or 1), `not_recorded` for none."""
    if value is None:
        return NOT_RECORDED
    if column in BOOLEAN_GROUPS:
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class FeedCounts:
    """What the pack counts from the quarter's feed rows."""

    groups: dict[str, dict[str, Counter[str]]]  # grouping → group code → measure → count
    declined: int
    reason_given: int
    found: Counter[str]
    places: Counter[str]
    actions: list[str]  # each action's stored state, `status|type|due_at|outcome`


def grouped(organisation_code: str, period: Period) -> Select[Any]:
    """The quarter's rows counted per combination of the six groupings (added up per grouping
    by `feed_counts`), with the declines: read from the summary index alone."""
    dims = [col(getattr(FeedRow, column)) for _, column, _, _, _ in GROUP_TABLES]
    return narrow(select(
        *dims, func.count(), func.coalesce(func.sum(FeedRow.episode_count), 0),
        func.count().filter(col(FeedRow.offered_within_72h)),
        func.count().filter(col(FeedRow.completed_within_72h)),
        func.count().filter(col(FeedRow.outcome) == "declined"),
        func.count().filter(and_(col(FeedRow.outcome) == "declined",
                                 col(FeedRow.decline_reason_given))),
    ).where(*_feed_where(organisation_code, period)).group_by(*dims))


def feed_counts(connection: Connection, organisation_code: str, period: Period) -> FeedCounts:
    """Four statements: the groups (one GROUP BY over the six groupings, added up per
    grouping here), the two district columns, and the actions."""
    where = _feed_where(organisation_code, period)
    n = len(GROUP_TABLES)
    groups: dict[str, dict[str, Counter[str]]] = {
        column: defaultdict(Counter) for _, column, _, _, _ in GROUP_TABLES}
    declined = reason_given = 0
    for row in connection.execute(grouped(organisation_code, period)):
        measures = dict(zip(MEASURES, map(int, row[n:n + 4]), strict=True))
        for (_, column, _, _, _), value in zip(GROUP_TABLES, row[:n], strict=True):
            groups[column][_group_code(column, value)].update(measures)
        declined += int(row[n + 4])
        reason_given += int(row[n + 5])
    found = _combinations(connection, FeedRow.found_districts, where)
    places = _combinations(connection, FeedRow.location_districts, where)
    return FeedCounts(groups, declined, reason_given, found, places,
                      stored_actions(connection, where))


def stored_actions(connection: Connection, where: Sequence[Any]) -> list[str]:
    """Each action of the rows `where` picks, as stored (`status|type|due_at|outcome`)."""
    # Not from the index: the column is unbounded, so only the period's rows are read.
    return [state for (stored,) in connection.execute(
        select(col(FeedRow.action_states)).where(*where, col(FeedRow.action_states) != ";"))
        for state in stored.split(";") if state]


def declined_table(counts: FeedCounts, mode: Mode, declined_hidden: bool = False) -> Table:
    """`declined_hidden`: the report's headline holds the quarter's declined records back (a
    secondary suppression among the outcomes), so the table holds back its total and, as they
    add up to it, its parts."""
    values: dict[str, int | None] = dict(_publish(
        {"declined": counts.declined, "reason_given": counts.reason_given,
         "no_reason": counts.declined - counts.reason_given},
        (CountSet("declined", ("reason_given", "no_reason")),), mode).values)
    if declined_hidden and mode == "published":
        values = dict.fromkeys(values)
    labels = (("reason_given", "A reason written down"), ("no_reason", "No reason written down"),
              ("declined", "Declined"))
    rows = tuple(Row(key, label, (count_cell(values[key]),
                                  share_cell(values[key], values["declined"])))
                 for key, label in labels)
    return Table(
        "declined", "Interviews the child declined",
        "Records of the quarter whose child declined the interview, and whether the reason was "
        "written down.", "declined", "Declined", (Column("records", "Records"),
                                                  Column("share", "Share of declined")),
        rows,
        bar_chart("chart-declined", "Interviews declined, with and without a reason",
                  "Bars show the declined interviews of the quarter with a reason written down "
                  "and without one. The table gives the figures.", ("Records",),
                  [(row.label, [(_count_value(values[row.key]), row.cells[0].text)])
                   for row in rows[:2]]),
        note="The reasons are the words of the child or the worker: the pack counts them and "
             "never shows them. To find their themes, read the records.")


ACTION_STATES: Final = (
    ("planned", "Planned, not yet due"), ("overdue", "Planned, past its due date"),
    ("done", "Done"), ("not_done", "Not done"),
)


def _action_state(stored: str, now: datetime) -> tuple[str, str, bool]:
    """(state, type, an outcome written) of one stored action: planned past its due moment is
    overdue."""
    action = action_state(stored)
    overdue = action.status == "planned" and action.due_at is not None and action.due_at < now
    return ("overdue" if overdue else action.status), action.type, action.outcome_written


def action_figures(actions: Sequence[str], mode: Mode, now: datetime
                   ) -> tuple[Counter[str], dict[str, int | None], list[str]]:
    """The actions counted (`all.all`, `all.<state>`, `outcome.all`, `outcome.<state>`,
    `<type>.all`, `<type>.<state>`), those counts published in `mode`, suppressed together:
    each type's states add up to its total, each state's types to the state's; and the types
    found, in the codes' order."""
    raw: Counter[str] = Counter()
    kinds: set[str] = set()
    for stored in actions:
        state, kind, outcome = _action_state(stored, now)
        kind = kind or "other"
        kinds.add(kind)
        raw[f"{kind}.{state}"] += 1
        raw[f"{kind}.all"] += 1
        raw[f"all.{state}"] += 1
        raw["all.all"] += 1
        if outcome:
            raw[f"outcome.{state}"] += 1
            raw["outcome.all"] += 1
    order = [kind for kind in codes.ACTION_TYPE if kind in kinds] + sorted(
        kinds - set(codes.ACTION_TYPE))
    states = [state for state, _ in ACTION_STATES]
    names = ["all.all", *(f"all.{s}" for s in states), "outcome.all",
             *(f"outcome.{s}" for s in states),
             *(f"{kind}.{part}" for kind in order for part in ("all", *states))]
    sets = [CountSet("all.all", tuple(f"all.{s}" for s in states)),
            CountSet("outcome.all", tuple(f"outcome.{s}" for s in states)),
            CountSet("all.all", tuple(f"{kind}.all" for kind in order)),
            *(CountSet(f"{kind}.all", tuple(f"{kind}.{s}" for s in states)) for kind in order),
            *(CountSet(f"all.{s}", tuple(f"{kind}.{s}" for kind in order)) for s in states)]
    values = _publish({name: raw.get(name, 0) for name in names}, sets, mode).values
    return raw, values, order


def action_tables(counts: FeedCounts, mode: Mode, now: datetime) -> tuple[Table, Table]:
    """Actions by state (with how many have an outcome written) and by type, suppressed
    together (`action_figures`)."""
    _, values, order = action_figures(counts.actions, mode, now)
    states = [state for state, _ in ACTION_STATES]
    by_state = tuple(
        Row(key, label, (count_cell(values[f"all.{key}"]),
                         count_cell(values[f"outcome.{key}"])))
        for key, label in (*ACTION_STATES, ("all", "All actions")))
    states_table = Table(
        "actions-by-status", "Follow-up actions by where they stand",
        "Every action of the quarter's records: planned (and whether its due date has passed, "
        "at the time of this report), done or not done, and how many have an outcome written.",
        "status", "Actions", (Column("actions", "Actions"),
                              Column("with_outcome", "An outcome written")),
        by_state,
        bar_chart("chart-actions-by-status", "Follow-up actions by where they stand",
                  "Bars show the quarter's follow-up actions planned, overdue, done and not "
                  "done. The table gives the figures.", ("Actions",),
                  [(row.label, [(_count_value(values[f"all.{row.key}"]), row.cells[0].text)])
                   for row in by_state[:-1]]),
        note="Outcomes are written in the worker's words: the pack counts them and never shows "
             "them. Actions recorded before actions had a status count as done.")
    labels = codes.ACTION_TYPE
    by_type = tuple(
        Row(kind, labels.get(kind, kind),
            tuple(count_cell(values[f"{kind}.{part}"]) for part in ("all", *states)))
        for kind in order)
    types_table = Table(
        "actions-by-type", "Follow-up actions by type",
        "Every action of the quarter's records by its type, and where it stands.",
        "action_type", "Action",
        (Column("actions", "Actions"), *(Column(state, label) for state, label in ACTION_STATES)),
        by_type,
        bar_chart("chart-actions-by-type", "Follow-up actions by type",
                  "Bars show how many follow-up actions of each type the quarter's records "
                  "hold. The table gives the figures.", ("Actions",),
                  [(row.label, [(_count_value(values[f"{row.key}.all"]), row.cells[0].text)])
                   for row in by_type]))
    return states_table, types_table


def difference_table(name: str, column: str, heading: str, by: str,
                     labels: Mapping[str, str], groups: Mapping[str, Counter[str]],
                     mode: Mode) -> Table:
    """Each group's records, episodes, and offered and completed within 72 hours, beside the
    quarter's totals; in published mode each measure is suppressed across the groups too, as
    the groups add up to the total shown below them."""
    order = [code for code in labels if code in groups] + sorted(
        set(groups) - set(labels) - {NOT_RECORDED}) + (
        [NOT_RECORDED] if NOT_RECORDED in groups else [])
    published: dict[str, dict[str, int | None]] = {}
    for measure in MEASURES:
        counts = {"all": sum(groups[code][measure] for code in order),
                  **{code: groups[code][measure] for code in order}}
        published[measure] = _publish(counts, (CountSet("all", tuple(order)),), mode).values
    rows = []
    chart_rows: list[tuple[str, Sequence[tuple[float | None, str]]]] = []
    for code in (*order, "all"):
        label = ("All records" if code == "all" else
                 "Not recorded" if code == NOT_RECORDED else labels.get(code, code))
        records = published["records"][code]
        offered = published["offered_within_72h"][code]
        completed = published["completed_within_72h"][code]
        offered_share = share_cell(offered, records)
        completed_share = share_cell(completed, records)
        rows.append(Row(code, label, (
            count_cell(records), count_cell(published["episodes"][code]),
            count_cell(offered), offered_share, count_cell(completed), completed_share)))
        if code != "all":
            chart_rows.append((label, [(_share(offered, records), offered_share.text),
                                       (_share(completed, records), completed_share.text)]))
    return Table(
        name, f"By {by}",
        f"Records of the quarter by {by}, as each record gives it; shares are of the group's "
        "records.", column, heading,
        (Column("records", "Records"), Column("episodes", "Episodes"),
         Column("offered_within_72h", "Offered within 72 hours"),
         Column("share_offered_within_72h", "Share offered"),
         Column("completed_within_72h", "Completed within 72 hours"),
         Column("share_completed_within_72h", "Share completed")),
        tuple(rows),
        bar_chart(f"chart-{name}", f"Offered and completed within 72 hours, by {by}",
                  "Bars show, for each group, the share of its records offered an interview "
                  "within 72 hours of the return and the share completed within 72 hours. The "
                  "table gives the figures.",
                  ("Offered within 72 hours", "Completed within 72 hours"), chart_rows,
                  maximum=1.0))


# --- children placed out of area (Protect 2) ---------------------------------------------------

OUT_OF_AREA_FIGURES: Final = (
    ("children", "Children (each once)"),
    ("returns", "Returns (each episode once)"),
    ("offered_within_72h", "Offered within 72 hours"),
    ("completed_within_72h", "Interview held within 72 hours"),
    ("placing_authority_told", "Placing authority told in time"),
    ("safety_plan_updated", "Safety plan updated"),
)
OUT_OF_AREA_DIRECTIONS: Final = (
    ("placed_away", "Placed by us in another area"),
    ("placed_here", "Placed in our area by another authority"),
    ("other", "Placed by another authority elsewhere"),
    ("all", "All"),
)


def out_of_area_figures(counts: Mapping[str, int], mode: Mode) -> dict[str, int | None]:
    """The Protect 2 figures (`figure.direction`, `figure.all`) as the mode shows them: each
    figure's directions suppressed together, as they add up to its total."""
    return dict(_publish(counts, [CountSet(f"{figure}.all", tuple(
        f"{figure}.{where}" for where in out_of_area.DIRECTIONS))
        for figure in out_of_area.FIGURES], mode).values)


def out_of_area_table(counts: Mapping[str, int], mode: Mode) -> Table:
    """One row per figure (`out_of_area.FIGURES`), a column per direction and for all, and the
    share of all the returns; in published mode each figure's directions are suppressed
    together, as they add up to its total."""
    values = out_of_area_figures(counts, mode)
    returns = values["returns.all"]
    rows = []
    chart_rows: list[tuple[str, Sequence[tuple[float | None, str]]]] = []
    for figure, label in OUT_OF_AREA_FIGURES:
        total = values[f"{figure}.all"]
        share = (Cell(NOT_APPLICABLE, NOT_APPLICABLE_CSV) if figure == "children"
                 else share_cell(total, returns))
        rows.append(Row(figure, label, (
            *(count_cell(values[f"{figure}.{where}"]) for where, _ in OUT_OF_AREA_DIRECTIONS),
            share)))
        if figure not in ("children", "returns"):
            chart_rows.append((label, [(_share(total, returns), share.text)]))
    return Table(
        "out-of-area", "Looked-after children placed out of area",
        f"Returns in the quarter of looked-after children placed out of area: "
        f"{count_cell(returns).text}, of {count_cell(values['children.all']).text} children. "
        "For each return, whether the interview was offered and held within 72 hours, whether "
        "the findings reached the placing authority in time, and whether the child's safety "
        "plan was updated.",
        "figure", "Figure",
        (*(Column(where, label) for where, label in OUT_OF_AREA_DIRECTIONS),
         Column("share_of_returns", "Share of all returns")),
        tuple(rows),
        bar_chart("chart-out-of-area", "Returns of children placed out of area",
                  "Bars show the share of the quarter's returns of looked-after children "
                  "placed out of area offered an interview within 72 hours, interviewed within "
                  "72 hours, whose findings reached the placing authority in time, and whose "
                  "safety plan was updated. The table gives the figures.",
                  ("Share of returns",), chart_rows, maximum=1.0),
        note="Looked after and placed out of area as the latest record covering the return "
             "says, or for a return no record covers, as the notification said. In time: the "
             "record's placing-authority-told standard met (shared with the placing "
             "authority's missing co-ordinator within 1 working day of the interview, or of "
             "the last attempt or offer when there was none); a return no record covers, or "
             "whose record is judged under set 2026.1, is not counted as told. Safety plan "
             "updated: the latest record holds a safety plan action done. Children are "
             "counted once in each column, so a child placed in two areas in the quarter may "
             "count in two.")


# --- the pack ----------------------------------------------------------------------------------


def build(session: Session, organisation_code: str, period: Period, mode: Mode,
          now: datetime, hidden_elsewhere: frozenset[str] = frozenset()) -> BoardPack:
    """Every table of the pack for the quarter, as the organisation may see it.

    `hidden_elsewhere`: the totals the report around the pack holds back (`returns`, from the
    coverage of returns; `declined`, from the headline's outcomes), which the pack's tables must
    then not give away in published figures."""
    with reading(session.get_bind()) as connection:
        episodes = register_episodes(connection, organisation_code, period)
        counts = feed_counts(connection, organisation_code, period)
        placed = out_of_area.returns(connection, organisation_code, period.start, period.end)
    tables = [
        stage_delays(episodes, mode, "returns" in hidden_elsewhere),
        repeat_missing(episodes, mode),
        _ranked_places(
            "found-districts", "Where children were found", "The districts (outward "
            "postcodes, like BS16) where children were found, for the episodes on the "
            "quarter's records.", "episodes", counts.found, mode,
            "From the interview records: the register holds no places. An episode two records "
            "cover counts on each."),
        _ranked_places(
            "place-districts", "Places linked to the episodes", "The districts of the places "
            "the quarter's records link to the episodes: where children went or stayed.",
            "records", counts.places, mode,
            "A record naming two places in one district counts once for it."),
        time_of_day(episodes, mode), day_of_week(episodes, mode),
        declined_table(counts, mode, "declined" in hidden_elsewhere),
        *action_tables(counts, mode, now),
        *(difference_table(name, column, heading, by, labels, counts.groups[column], mode)
          for name, column, heading, by, labels in GROUP_TABLES),
        out_of_area_table(out_of_area.counts(placed, now), mode),
    ]
    return BoardPack(mode, MARKINGS[mode], {table.name: table for table in tables})


def csv_lines(table: Table, period: Period, mode: Mode) -> Iterator[str]:
    """A table as CSV: its marking and period on every row, the row's code and words, then a
    column per figure (`c` held back, `z` nothing to count)."""
    yield csv_line(("marking", "period", table.key_name, "label",
                    *(column.name for column in table.columns)))
    for row in table.rows:
        yield csv_line((MARKINGS[mode], period.label, row.key, row.label,
                        *(cell.value for cell in row.cells)))


# --- the PDF -----------------------------------------------------------------------------------


def render(html: str, css: str) -> Any:
    """The pack's print HTML (`pages.report_html_for_print`) laid out on A4 pages with its
    print CSS (`pages.print_css`) by WeasyPrint: a `weasyprint.Document`, before it is written.

    Nothing is fetched: the CSS is given as text, the HTML links to nothing, and the fetcher
    (`nothing_fetched`) refuses every URL but a `data:` one, so no request leaves the server and
    no file of it is read, whatever the HTML holds.
    """
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    fetcher = nothing_fetched()
    return HTML(string=html, base_url=None, url_fetcher=fetcher).render(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)], pdf_tags=True)


def pdf(html: str, css: str) -> bytes:
    """The pack as a tagged PDF (for screen readers), for board papers."""
    result: bytes = render(html, css).write_pdf(pdf_tags=True)
    return result


@cache
def _refusing_fetcher() -> type:
    # Made on first use, not at start-up: WeasyPrint and Pango take most of a second to load.
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class NothingFetched(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher, refusing everything but `data:` URLs."""

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"The board pack fetches nothing: {url[:80]} refused")
            return super().fetch(url, headers)

    return NothingFetched


def nothing_fetched() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but `data:` (network and files alike)."""
    return _refusing_fetcher()()
