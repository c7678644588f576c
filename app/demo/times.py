"""Plausible moments for the demo's history: when children go missing (more in the evening and
at weekends), when offices work (the co-ordinator's allocations, managers' decisions), and when
children are seen (after school, or in the day in the holidays). All UK time.

Every moment is on a whole minute and one a person can type into the form's date and time
fields and get back exactly (never in the hour the clocks repeat or skip).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from app.core.london import LONDON, london_day
from app.standards.calendar import is_working_day

# Relative chance of a child going missing in each hour of the day (UK time): the evening
# peak, a smaller one after school, few in the small hours.
START_HOURS: Final = (3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 5, 7, 9, 10, 11, 11, 11, 10, 8, 5)
WEEKEND_WEIGHT: Final = 1.4  # a Saturday or Sunday against a weekday
OFFICE_OPENS: Final = time(8, 45)
OFFICE_CLOSES: Final = time(17, 15)


def typed_back(moment: datetime) -> bool:
    """Whether the form's fields (London date, hours and minutes) give back `moment` exactly."""
    local = moment.astimezone(LONDON)
    again = datetime.combine(local.date(), local.time(), tzinfo=LONDON).astimezone(UTC)
    return again == moment and local.second == 0 and local.microsecond == 0


def at(day: date, hour: int, minute: int) -> datetime:
    """`day` at hour:minute UK time, as aware UTC; moved two hours on when the clocks change
    then (so the form gives it back)."""
    moment = datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)
    return moment if typed_back(moment) else moment + timedelta(hours=2)


def whole_minute(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment if typed_back(moment) else moment + timedelta(hours=2)


def start_day(rng: random.Random, first: date, last: date) -> date:
    """A day from `first` to `last`, weekends more likely."""
    span = (last - first).days
    while True:
        day = first + timedelta(days=rng.randint(0, max(span, 0)))
        if day.weekday() >= 5 or rng.random() < 1 / WEEKEND_WEIGHT:
            return day


def start_time(rng: random.Random, day: date) -> datetime:
    """When on `day` a child goes missing: mostly the evening."""
    hour = rng.choices(range(24), weights=START_HOURS)[0]
    return at(day, hour, rng.randrange(0, 60, 5))


def after(moment: datetime, hours: float) -> datetime:
    return whole_minute(moment + timedelta(hours=hours))


def office_time(rng: random.Random, moment: datetime, *, soon: float = 3.0) -> datetime:
    """The first moment an office worker would act on something that came in at `moment`:
    within `soon` hours when the office is open, else the next working morning."""
    local = moment.astimezone(LONDON)
    day = local.date()
    if is_working_day(day) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES:
        later = after(moment, rng.uniform(0.2, soon))
        if later.astimezone(LONDON).time() < OFFICE_CLOSES and london_day(later) == day:
            return later
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return at(day, 9, 0) + timedelta(minutes=rng.randrange(0, 150, 5))


def office_days_later(rng: random.Random, moment: datetime, low: float, high: float) -> datetime:
    """`low` to `high` days after `moment`, in office hours."""
    return office_time(rng, after(moment, rng.uniform(low, high) * 24))


def visit_time(rng: random.Random, moment: datetime) -> datetime:
    """The first time from `moment` a worker would see or call a child: after school on a
    school day, in the day at weekends and in the holidays (08:00 to 20:00)."""
    local = moment.astimezone(LONDON)
    day, clock = local.date(), local.time()
    for _ in range(10):
        hours: tuple[int, ...] = (10, 11, 12, 13, 14, 15, 16)
        if is_working_day(day) and day.month != 8:
            hours = (15, 16, 16, 17, 17, 18) if rng.random() < 0.8 else (10, 11, 13, 14)
        hour = rng.choice(hours)
        if time(hour, 0) > clock:
            return at(day, hour, rng.randrange(0, 60, 5))
        day, clock = day + timedelta(days=1), time(0, 0)
    return whole_minute(moment + timedelta(hours=12))
