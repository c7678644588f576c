"""Looked-after children placed out of area: the figures of the board pack's Protect 2 table
(practice review row 4), quarterly assurance that they get timely return interviews that reach
the authority that placed them and feed their safety plans.

Counted per **return** from the episode register (each episode once, visible to the organisation
as the summary's coverage counts it: `episodes.counted`), whether or not a record covers it, so
a return nobody offered an interview for is counted, as not offered. What the child is (looked
after, where placed) is what the latest submitted record covering the return says (its feed
row), and for a return no record covers, what the notification said: a police notification
often gives no legal status, and the record is the one the interviewer checked.

Children are counted once each: the register's child, the same as a distinct `child_key`.
Directions, seen from the organisation reading the figures: `placed_away` (it is the responsible,
placing authority, and the child lives elsewhere), `placed_here` (another authority placed the
child in its area), `other` (neither: a provider or the police seeing another authority's child
placed in a third area).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from app.core.london import london_midnight
from app.feed.episodes import counted
from app.feed.models import FeedRow
from app.feed.record import action_state, result_in
from app.record.models import RegisterEpisode
from app.standards import CURRENT, Result, episode_findings

DIRECTIONS: Final = ("placed_away", "placed_here", "other")
# Every figure, counted per direction and for all ("returns.placed_here", "children.all").
FIGURES: Final = ("children", "returns", "offered_within_72h", "completed_within_72h",
                  "placing_authority_told", "safety_plan_updated")
TOLD: Final = "placing-authority-told"  # the standard whose `met` is "shared in time"


@dataclass(frozen=True, slots=True)
class OutOfAreaReturn:
    """One return of a looked-after child placed out of area. Has what `EpisodeFacts` asks for,
    so the 72-hour standards judge it as they judge every return of the register."""

    child_id: int
    direction: str
    returned_at: datetime | None  # never None here: returns only
    offer_outcome: str | None
    offered_at: datetime | None
    conducted_at: datetime | None
    told: bool  # the latest record's `placing-authority-told` is met
    safety_plan_updated: bool  # the latest record holds a safety plan action done


def direction(organisation_code: str, responsible: str, placement: str) -> str:
    if responsible == organisation_code:
        return "placed_away"
    return "placed_here" if placement == organisation_code else "other"


def returns(connection: Connection, organisation_code: str, first: date | None,
            last: date | None) -> list[OutOfAreaReturn]:
    """The returns from `first` to `last` (UK dates, both included; either may be open, as the
    summary API's period may be) of looked-after children
    placed out of area, visible to the organisation: one statement, the register joined to the
    feed row of the latest record covering each return (its primary key)."""
    episode = RegisterEpisode
    returned = col(episode.returned_at)
    responsible = col(episode.responsible_authority)
    legal_status = func.coalesce(col(FeedRow.legal_status), col(episode.legal_status))
    placement = func.coalesce(col(FeedRow.placement_authority), col(episode.placement_authority))
    query = (
        select(col(episode.child_id), responsible, placement, returned,
               col(episode.offer_outcome), col(episode.offered_at), col(episode.conducted_at),
               col(FeedRow.standard_results), col(FeedRow.action_states))
        .select_from(episode)
        .outerjoin(FeedRow, col(FeedRow.interview_id) == col(episode.interview_id))
        .where(counted(organisation_code), returned.is_not(None),
               *(() if first is None else (returned >= london_midnight(first),)),
               *(() if last is None else (returned < london_midnight(last + timedelta(days=1)),)),
               legal_status == "looked_after", placement.is_not(None),
               placement != responsible))
    found = []
    for (child_id, authority, placed, returned_at, outcome, offered_at, conducted_at,
         letters, states) in connection.execute(query):
        actions = [action_state(stored) for stored in (states or "").split(";") if stored]
        found.append(OutOfAreaReturn(
            child_id, direction(organisation_code, authority, placed), returned_at, outcome,
            offered_at, conducted_at, result_in(letters, TOLD) == "met",
            any(a.type == "safety_plan" and a.status == "done" for a in actions)))
    return found


def counts(found: Sequence[OutOfAreaReturn], now: datetime) -> dict[str, int]:
    """Every figure per direction and for all (`FIGURES`): distinct children, returns, and the
    returns offered and interviewed within 72 hours (`episode_findings` met, as at `now`), told
    to the placing authority in time, and with a safety plan updated."""
    every = (*DIRECTIONS, "all")
    tally = {f"{figure}.{where}": 0 for figure in FIGURES for where in every}
    children: dict[str, set[int]] = {where: set() for where in every}
    for one in found:
        offer, interview = episode_findings(one, CURRENT, now)
        reached = (("returns", True),
                   ("offered_within_72h", offer.result is Result.MET),
                   ("completed_within_72h", interview.result is Result.MET),
                   ("placing_authority_told", one.told),
                   ("safety_plan_updated", one.safety_plan_updated))
        for where in (one.direction, "all"):
            children[where].add(one.child_id)
            for figure, yes in reached:
                tally[f"{figure}.{where}"] += yes
    for where, ids in children.items():
        tally[f"children.{where}"] = len(ids)
    return tally
