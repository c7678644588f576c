"""Deadlines: elapsed hours, and working days in England and Wales.

Working days are Monday to Friday except the England and Wales bank holidays of the maintained
`holidays` package (substitute days included). Both the holiday table and each computed deadline are
cached: checks ask for the same few dates again and again, and evaluating findings for a whole feed
must stay fast.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Final

import holidays

from app.core.london import LONDON

_END_OF_DAY: Final = time(23, 59, 59, 999999)
_ONE_DAY: Final = timedelta(days=1)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_HOURS: Final = tuple(timedelta(hours=h) for h in range(25))


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of `year`, including substitute days."""
    # "ENG" is the subdivision the package uses for England; Wales has the same bank holidays.
    table = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(table.keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


# About eleven years of UTC days: a long-running server sees a few years of records, and a day's
# table is 24 references to at most two shared `date` objects.
@lru_cache(maxsize=4096)
def _london_dates_by_utc_hour(utc_ordinal: int) -> tuple[date | None, ...]:
    """For each hour of a UTC day (by ordinal), the London date throughout that hour, or None for
    an hour during which the London date changes (none since 1847: UK clocks change at 01:00 UTC
    by whole hours, so London's midnight always falls on a UTC hour boundary)."""
    start = datetime.combine(date.fromordinal(utc_ordinal), time(), tzinfo=UTC)
    dates: list[date | None] = []
    for hour in range(24):
        first = (start + _HOURS[hour]).astimezone(LONDON).date()
        last = (start + _HOURS[hour + 1] - _ONE_MICROSECOND).astimezone(LONDON).date()
        dates.append(first if first == last else None)
    return tuple(dates)


def london_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    # Fast path for the UTC instants documents hold: a cached table per UTC day instead of a
    # zoneinfo conversion per call (this runs several times for every record evaluated). The
    # table hands out the same `date` objects each time, so they hash once for the caches keyed
    # on them.
    if instant.tzinfo is UTC:
        local = _london_dates_by_utc_hour(instant.toordinal())[instant.hour]
        if local is not None:
            return local
    return instant.astimezone(LONDON).date()


@lru_cache(maxsize=16384)
def working_day_after(start: date, n: int) -> date:
    """The Nth working day after `start` (`start` itself never counts; n = 0 gives `start`)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


@lru_cache(maxsize=16384)
def end_of_london_day(day: date) -> datetime:
    """23:59:59.999999 Europe/London on `day`, as an aware UTC datetime."""
    # UK clocks change at 01:00 UTC, so the end of a local day is never ambiguous.
    return datetime.combine(day, _END_OF_DAY, tzinfo=LONDON).astimezone(UTC)


@lru_cache(maxsize=16384)
def _end_of_working_day_after(start: date, n: int) -> datetime:
    return end_of_london_day(working_day_after(start, n))


def add_working_days(instant: datetime, n: int) -> datetime:
    """The end (23:59:59.999999 London time, returned in UTC) of the Nth working day after the
    Europe/London local date of `instant`.

    Wednesday 23 December 2026 + 3 working days is the end of Wednesday 30 December 2026:
    Christmas Day (Friday 25) and the substitute Boxing Day (Monday 28) do not count.
    """
    return _end_of_working_day_after(london_date(instant), n)


@lru_cache(maxsize=64)  # keyed on the standard sets' hour limits: a handful
def _hours(hours: int) -> timedelta:
    # Building a timedelta from keywords costs more than the addition itself.
    return timedelta(hours=hours)


def add_hours(instant: datetime, hours: int) -> datetime:
    """`instant` plus `hours` of elapsed time, in UTC: a clock change does not move it."""
    # Arithmetic on a London-aware datetime would be wall-clock time, so go through UTC.
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant + _hours(hours)
