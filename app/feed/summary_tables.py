"""The summary's tables beside the records' groups: the board pack's figures that count
something other than records, through `GET /api/v1/feed/summary`.

- **Episode groups** (`group_by` of `EPISODE_GROUPINGS`): the register's episodes of the period,
  each once (the summary's `coverage.episodes`), by the band of the day and the day of the week
  they started and by whether their child went missing repeatedly in the period; each group's
  episodes and distinct children, and its share of the period's episodes.
- **Action groups** (`group_by` of `ACTION_GROUPINGS`): the follow-up actions of the period's
  records by type and by where they stand, with the actions that have an outcome written.
- **Stage delays** (`stage_delays=true`): the hours from each return of the period to each
  stage, under the summary's `coverage`.

Each is counted by the board pack's own functions (`board_pack.episodes_between`,
`started_band`, `started_day`, `missing_repeatedly`, `stored_actions`, `action_figures`,
`stage_delay_figures`), so the API and the pack cannot count differently, and published as the
pack publishes them: small numbers suppressed, and wherever groups add up to a total, the next
smallest hidden too (`suppression.suppress_groups`; the actions as the pack's two action tables
are, together).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy.orm import Session

from app.core.db import reading
from app.feed import board_pack, out_of_area
from app.feed.board_pack import StageDelay, Times
from app.feed.record import csv_line
from app.feed.summary import YES_NO, Group, Summary, in_period, rank
from app.feed.suppression import SUPPRESSED, Published, rate, shown, suppress, suppress_groups

Kind = Literal["records", "episodes", "actions"]
NOT_APPLICABLE: Final = "z"

# Each grouping of the register's episodes, with its values in order.
EPISODE_GROUPINGS: Final[Mapping[str, tuple[Any, ...]]] = {
    "time_of_day": tuple(band for band, _ in board_pack.BANDS),
    "day_of_week": tuple(day for day, _ in board_pack.DAYS),
    "repeat_missing": YES_NO,
}
EPISODE_COUNTS: Final = ("episodes", "children")
EPISODE_RATES: Final = ("rates.share_of_episodes",)
ACTION_GROUPINGS: Final = ("action_type", "action_status")
ACTION_STATUSES: Final = tuple(state for state, _ in board_pack.ACTION_STATES)
STAGES: Final = tuple(name for name, _, _ in board_pack.STAGES)
STAGE_FIGURES: Final = ("returns", "median_hours", "p90_hours")


def kind_of(name: str) -> Kind:
    """Which table a grouping splits: the records' groups, the episodes' or the actions'."""
    if name in EPISODE_GROUPINGS:
        return "episodes"
    return "actions" if name in ACTION_GROUPINGS else "records"


@dataclass(frozen=True, slots=True)
class Grouped:
    """One table's groups and the totals they add up to (each published on its own)."""

    group_by: tuple[str, ...]
    groups: list[Group]
    totals: Group


@dataclass(frozen=True, slots=True)
class Tables:
    """What a summary holds beside its records' groups and coverage."""

    episodes: Grouped | None = None
    actions: Grouped | None = None
    stage_delays: dict[str, StageDelay] | None = None
    # The Protect 2 figures (`children.placed_here`, `returns.all`, ...), published.
    placed_out_of_area: dict[str, int | None] | None = None


def tables(session: Session, organisation_code: str, *, date_from: date | None,
           date_to: date | None, group_by: Sequence[str], stage_delays: bool,
           now: datetime, placed_out_of_area: bool = False) -> Tables:
    """The episode or action groups `group_by` asks for (its groupings all of one kind), and
    the stage delays when asked, for the period as the summary counts it, published."""
    kinds = {kind_of(name) for name in group_by}
    if len(kinds) > 1:
        raise ValueError(f"cannot group {sorted(kinds)} at once: {list(group_by)}")
    kind = kinds.pop() if kinds else "records"
    if kind == "records" and not stage_delays and not placed_out_of_area:
        return Tables()
    with reading(session.get_bind()) as connection:
        episodes = (board_pack.episodes_between(connection, organisation_code, date_from,
                                                date_to)
                    if kind == "episodes" or stage_delays else [])
        actions = (board_pack.stored_actions(connection,
                                             in_period(organisation_code, date_from, date_to))
                   if kind == "actions" else [])
        placed = (out_of_area.counts(out_of_area.returns(
            connection, organisation_code, date_from, date_to), now)
            if placed_out_of_area else None)
    return Tables(
        placed_out_of_area=None if placed is None else board_pack.out_of_area_figures(
            placed, "published"),
        episodes=episode_groups(episodes, tuple(group_by)) if kind == "episodes" else None,
        actions=action_groups(actions, tuple(group_by), now) if kind == "actions" else None,
        stage_delays=board_pack.stage_delay_figures(episodes, "published")[1]
        if stage_delays else None)


def _published(values: Mapping[str, int | None]) -> Published:
    return Published(dict(values), tuple(name for name, value in values.items() if value is None))


# --- the register's episodes -------------------------------------------------------------------


def episode_groups(episodes: Sequence[Times], group_by: tuple[str, ...]) -> Grouped:
    """The episodes counted per group (`episodes`, distinct `children`), suppressed together:
    along every grouping the episodes add up to the period's, and along `repeat_missing` the
    children too (a child is in one of its groups). The totals are published on their own, as
    a table's total row is."""
    repeated = board_pack.missing_repeatedly(episodes)
    value_of: dict[str, Callable[[Times], Any]] = {
        "time_of_day": board_pack.started_band, "day_of_week": board_pack.started_day,
        "repeat_missing": lambda episode: episode.child_id in repeated}
    values = [value_of[name] for name in group_by]
    counted: Counter[tuple[Any, ...]] = Counter()
    children: dict[tuple[Any, ...], set[int]] = {}
    for episode in episodes:
        key = tuple(value(episode) for value in values)
        counted[key] += 1
        children.setdefault(key, set()).add(episode.child_id)
    counts = {key: {"episodes": counted[key], "children": len(children[key])}
              for key in counted}
    orders = [EPISODE_GROUPINGS[name] for name in group_by]
    published = suppress_groups(
        counts, rank=lambda at, value: rank(orders[at], value),
        partitions={at: EPISODE_COUNTS if name == "repeat_missing" else ("episodes",)
                    for at, name in enumerate(group_by)})
    totals = suppress({"episodes": len(episodes),
                       "children": len({episode.child_id for episode in episodes})})
    groups = [Group(dict(zip(group_by, key, strict=True)), published[key],
                    {"rates.share_of_episodes": rate(published[key].values["episodes"],
                                                     totals.values["episodes"])})
              for key in sorted(counts, key=lambda key: [rank(orders[at], value)
                                                          for at, value in enumerate(key)])]
    return Grouped(group_by, groups, Group({}, totals, {}))


# --- the records' actions ----------------------------------------------------------------------


def action_groups(actions: Sequence[str], group_by: tuple[str, ...], now: datetime) -> Grouped:
    """The actions per type, per status (planned, overdue at `now`, done, not done) or per
    both, from the board pack's table of them (`board_pack.action_figures`), published as the
    pack publishes it: so an action group's figure is always the pack's. How many have an
    outcome written is counted per status, as the pack counts it."""
    raw, values, kinds = board_pack.action_figures(actions, "published", now)
    groups = []
    if group_by == ("action_status",):
        for status in ACTION_STATUSES:
            if raw[f"all.{status}"]:
                groups.append(Group({"action_status": status}, _published({
                    "actions": values[f"all.{status}"],
                    "with_outcome": values[f"outcome.{status}"]}), {}))
    elif group_by == ("action_type",):
        groups = [Group({"action_type": kind}, _published({"actions": values[f"{kind}.all"]}),
                        {}) for kind in kinds]
    else:
        for kind in kinds:
            for status in ACTION_STATUSES:
                if raw[f"{kind}.{status}"]:
                    both = {"action_type": kind, "action_status": status}
                    groups.append(Group({name: both[name] for name in group_by}, _published(
                        {"actions": values[f"{kind}.{status}"]}), {}))
    totals = _published({"actions": values["all.all"], "with_outcome": values["outcome.all"]})
    return Grouped(group_by, groups, Group({}, totals, {}))


# --- answers -----------------------------------------------------------------------------------


def _group_json(group: Group) -> dict[str, Any]:
    rates = {name.removeprefix("rates."): value for name, value in group.rates.items()}
    return {"group": group.key, **group.published.values,
            **({"rates": rates} if rates else {}),
            "suppressed": list(group.published.suppressed)}


def to_json(found: Tables, answer: dict[str, Any]) -> dict[str, Any]:
    """`answer` (`summary.to_json`) with these tables: `episode_groups` and `episode_totals`,
    `action_groups` and `action_totals`, and `coverage.stage_delays`."""
    for name, grouped in (("episode", found.episodes), ("action", found.actions)):
        if grouped is not None:
            answer[f"{name}_groups"] = [_group_json(group) for group in grouped.groups]
            answer[f"{name}_totals"] = {
                **grouped.totals.published.values,
                "suppressed": list(grouped.totals.published.suppressed)}
    if found.placed_out_of_area is not None:
        coverage = answer["coverage"]
        figures = found.placed_out_of_area
        coverage["placed_out_of_area"] = {
            figure: {where: figures[f"{figure}.{where}"]
                     for where in (*out_of_area.DIRECTIONS, "all")}
            for figure in out_of_area.FIGURES}
        coverage["suppressed"] = [*coverage["suppressed"], *(
            f"placed_out_of_area.{name}" for name, value in figures.items() if value is None)]
    if found.stage_delays is not None:
        coverage = answer["coverage"]
        coverage["stage_delays"] = {
            stage: {"returns": delay.returns, "median_hours": delay.median_hours,
                    "p90_hours": delay.p90_hours}
            for stage, delay in found.stage_delays.items()}
        coverage["suppressed"] = [*coverage["suppressed"], *(
            f"stage_delays.{stage}.returns" for stage, delay in found.stage_delays.items()
            if delay.returns is None)]
    return answer


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rate_cell(group: Group, name: str) -> str:
    # A group's share is of the period's episodes, which are never fewer than the group's:
    # with nothing to divide by there would be no group, so a share not given is held back.
    value = group.rates[name]
    return SUPPRESSED if value is None else str(value)


def groups_csv_lines(grouped: Grouped) -> Iterator[str]:
    """Episode or action groups as CSV: a row per group, its grouping columns, then a column
    per count (`c` when suppressed) and rate."""
    names = tuple(grouped.groups[0].published.values) if grouped.groups else tuple(
        grouped.totals.published.values)
    rates = tuple(grouped.groups[0].rates) if grouped.groups else ()
    yield csv_line([*grouped.group_by, *names, *rates])
    for group in grouped.groups:
        yield csv_line([*(_cell(group.key[name]) for name in grouped.group_by),
                        *(shown(group.published.values.get(name)) for name in names),
                        *(_rate_cell(group, name) for name in rates)])


def totals_csv_lines(summary: Summary, grouped: Grouped) -> Iterator[str]:
    """A table's totals as CSV: one row, `from`, `to` and a column per count."""
    values = grouped.totals.published.values
    yield csv_line(["from", "to", *values])
    yield csv_line([summary.date_from.isoformat() if summary.date_from else "",
                    summary.date_to.isoformat() if summary.date_to else "",
                    *(shown(value) for value in values.values())])


def placed_out_of_area_columns(found: Tables) -> list[tuple[str, str]]:
    """The coverage CSV's columns for the Protect 2 figures (`c` when suppressed)."""
    if found.placed_out_of_area is None:
        return []
    return [(f"placed_out_of_area.{name}", shown(value))
            for name, value in found.placed_out_of_area.items()]


def stage_delay_columns(found: Tables) -> list[tuple[str, str]]:
    """The coverage CSV's columns for the stage delays: each stage's returns (`c` when
    suppressed) and hours (`c` then too; `z` when no return reached it)."""
    if found.stage_delays is None:
        return []
    columns = []
    for stage, delay in found.stage_delays.items():
        columns.append((f"stage_delays.{stage}.returns", shown(delay.returns)))
        for figure in ("median_hours", "p90_hours"):
            hours = getattr(delay, figure)
            columns.append((f"stage_delays.{stage}.{figure}",
                            SUPPRESSED if delay.returns is None else
                            NOT_APPLICABLE if hours is None else str(hours)))
    return columns
