"""The demo's history, planned before anything is written: the children, each of their missing
and away episodes (started mostly in the evening and at weekends), who told the service of it
and when, and the record that followed each return (`records.py`).

Pure and deterministic: `make_plan(now, ...)` gives the same plan for the same arguments (one
seeded `random.Random`, no clock, no database). `history.py` plays it through the services.

Outcomes are dealt in turn per authority, in the order of the returns (a smooth weighted round
robin with a little jitter), so every quarter holds about the same mix (60 % completed, 14 %
declined, 13 % not achieved, 13 % not offered) instead of whatever a run of luck gives: the
board report's figures are then big enough to publish each quarter, as a real authority's are.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from app.core.london import london_day
from app.demo import cast
from app.demo.children import DemoChild, draw_pattern, make_child
from app.demo.documents import Facts
from app.demo.episodes import EpisodePlan, episodes_of
from app.demo.records import RecordPlan, plan_record
from app.demo.steps import Step, new_id
from app.demo.times import after, office_time, start_day, whole_minute

SEED: Final = 20261129
YEARS: Final = 2
EPISODES_A_YEAR: Final = 400  # across the authorities: Bristol's some 330 (`cast.COMMISSIONERS`)
OUTCOMES: Final = {"completed": 0.60, "declined": 0.14, "not_achieved": 0.13,
                   "not_offered": 0.13}
# The share of records typed on the form by the demo interviewer (the rest come from the
# provider's case system through the API): a few at first, a quarter by the end, as a service
# takes up the form.
FORM_SHARE: Final = (0.03, 0.27)
# Returns this recent are allocated to the interviewer by name, and their records more often
# returned by the manager: the work in hand today.
RECENT: Final = timedelta(days=21)


@dataclass(slots=True)
class Plan:
    now: datetime
    first_day: date
    children: list[DemoChild]
    episodes: list[EpisodePlan]
    records: list[RecordPlan]

    def steps(self) -> Iterator[tuple[EpisodePlan | RecordPlan, Step]]:
        """Every step up to now, in time order (a record's or an episode's own in its order)."""
        found: list[tuple[datetime, int, int, EpisodePlan | RecordPlan, Step]] = []
        owners: list[EpisodePlan | RecordPlan] = [*self.episodes, *self.records]
        for number, owner in enumerate(owners):
            for position, step in enumerate(owner.steps):
                if step.at <= self.now:
                    found.append((step.at, number, position, owner, step))
        found.sort(key=lambda item: (item[0], item[1], item[2]))
        for *_, owner, step in found:
            yield owner, step


class Dealer:
    """Deals outcomes in their shares, evenly: any run of n deals holds about n × share of
    each (a smooth weighted round robin), jittered a little so the order is not a pattern."""

    def __init__(self, shares: dict[str, float]) -> None:
        self.shares = shares
        self.credit = dict.fromkeys(shares, 0.0)

    def deal(self, rng: random.Random) -> str:
        for name, share in self.shares.items():
            self.credit[name] += share
        chosen = max(self.credit, key=lambda name: self.credit[name] + rng.uniform(-0.2, 0.2))
        self.credit[chosen] -= 1.0
        return chosen


class Spread:
    """Where in the two years each child's going missing falls: evenly, a golden-ratio
    sequence per pattern from a random phase, so that every quarter has about as many
    children going missing as another (what is left random is the day, near that point, and
    the days of a repeat child's months), instead of a cluster in one quarter and few in the
    next."""

    GOLDEN: Final = 0.6180339887498949

    def __init__(self, rng: random.Random) -> None:
        self.phase = {pattern: rng.random() for pattern in ("once", "twice", "repeat",
                                                              "frequent")}

    def next(self, pattern: str) -> float:
        self.phase[pattern] = (self.phase[pattern] + self.GOLDEN) % 1.0
        return self.phase[pattern]


def make_plan(now: datetime, *, years: int = YEARS, episodes_a_year: int = EPISODES_A_YEAR,
              seed: int = SEED) -> Plan:
    """About `episodes_a_year` episodes a year for `years` years up to `now`, and what
    followed each."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security  # nosec B311
    now = whole_minute(now) - timedelta(minutes=1)
    last_day = london_day(now)
    first_day = last_day - timedelta(days=round(365.25 * years))
    children: list[DemoChild] = []
    episodes: list[EpisodePlan] = []
    numbers: dict[str, int] = {}
    groups = [*cast.COMMISSIONERS.items(), ("neighbours", cast.PLACED_HERE)]
    spread = Spread(rng)
    for group, share in groups:
        planned = 0
        while planned < episodes_a_year * years * share:
            placed_in: str | None = None
            authority = group
            if group == "neighbours":
                authority = rng.choice(cast.NEIGHBOURS)
                placed_in = rng.choice(tuple(cast.COMMISSIONERS))
            pattern, count = draw_pattern(rng, placed_in is not None)
            days = _days(rng, spread, pattern, count, first_day, last_day)
            if not days:
                continue
            numbers[authority] = numbers.get(authority, 0) + 1
            child = make_child(rng, numbers[authority], authority, placed_in=placed_in,
                               pattern=pattern, episodes=len(days), last_day=days[-1])
            made = episodes_of(rng, child, days, now)
            if made:
                children.append(child)
                episodes += made
                planned += len(made)
    records = _records(rng, episodes, now, first_day)
    return Plan(now, first_day, children, episodes, records)


def _days(rng: random.Random, spread: Spread, pattern: str, count: int, first: date,
          last: date) -> list[date]:
    """The days a child goes missing on, from `first` to `last` (those past either end are
    left out: the history has a beginning, and today)."""
    if pattern in ("once", "twice"):
        point = first + timedelta(days=int(spread.next(pattern) * (last - first).days))
        one = start_day(rng, max(point - timedelta(days=3), first),
                        min(point + timedelta(days=3), last))
        if pattern == "once":
            return [one]
        two = one + timedelta(days=rng.randint(10, 200))
        return [one, two] if two <= last else [one]
    length = rng.randint(40, 300) if pattern == "repeat" else rng.randint(90, 365)
    span = (last - first).days + length
    begin = first - timedelta(days=length // 2) + timedelta(days=int(spread.next(pattern) * span))
    end = begin + timedelta(days=length)
    days = sorted(start_day(rng, begin, end) for _ in range(count))
    return [day for day in days if first <= day <= last]


def _records(rng: random.Random, episodes: list[EpisodePlan], now: datetime,
             first_day: date) -> list[RecordPlan]:
    """The records that followed the returns: most cover one episode; a child who went again
    before anyone could see them has one record for both (or three)."""
    by_child: dict[str, list[EpisodePlan]] = {}
    for episode in episodes:
        by_child.setdefault(episode.child.local_id, []).append(episode)
    groups: list[list[EpisodePlan]] = []
    for own in by_child.values():
        waiting: list[EpisodePlan] = []
        for position, episode in enumerate(own):
            if episode.returned_at is None:
                break
            waiting.append(episode)
            following = own[position + 1] if position + 1 < len(own) else None
            contact = episode.allocated_at or after(episode.returned_at, 24)
            if following is not None and following.started_at < after(contact, 12) and \
                    len(waiting) < 3:
                continue
            groups.append(waiting)
            waiting = []
    groups.sort(key=lambda group: (group[-1].returned_at or now, group[-1].child.local_id))
    dealers: dict[str, Dealer] = {}
    records: list[RecordPlan] = []
    days = max((london_day(now) - first_day).days, 1)
    for group in groups:
        last = group[-1]
        child = last.child
        assert last.returned_at is not None  # noqa: S101 - grouped returns  # nosec B101
        dealer = dealers.setdefault(child.responsible_authority, Dealer(OUTCOMES))
        elapsed = (london_day(last.returned_at) - first_day).days / days
        form = rng.random() < FORM_SHARE[0] + FORM_SHARE[1] * elapsed ** 2
        record = RecordPlan(new_id(rng), child, group, "form" if form else "api",
                            Facts(outcome=dealer.deal(rng)))
        contact = last.allocated_at or office_time(rng, after(last.returned_at, 1))
        starts = [e.started_at for e in by_child[child.local_id]
                  if e.started_at <= last.started_at]
        repeat = sum(1 for s in starts if s >= last.started_at - timedelta(days=30)) >= 3
        # A draft on the form starts from the register's episode, once the service may see it.
        plan_record(rng, record, contact, contact if last.known_at else None, repeat,
                    [e.as_entry() for e in group], recent=last.returned_at > now - RECENT)
        if last.returned_at > now - RECENT and last.notifier in ("police", "authority"):
            last.steps.append(Step(office_time(rng, contact), "assign"))
        records.append(record)
    return records
