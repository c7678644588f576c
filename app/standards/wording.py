"""Words for findings: dates and times as people in England read them, counts and lists.

Hand-rolled rather than `strftime` so the text never depends on the process locale, and cached
because the same dates recur across thousands of records.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from app.core.london import LONDON
from app.standards.calendar import london_date

_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


@lru_cache(maxsize=8192)
def day(d: date) -> str:
    """'Thursday 31 December 2026'."""
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def local_day(instant: datetime) -> str:
    """The Europe/London date of an instant, as `day` writes it."""
    return day(london_date(instant))


def moment(instant: datetime) -> str:
    """'11:00 UK time on Tuesday 27 October 2026'."""
    local = instant.astimezone(LONDON)
    return f"{local.hour:02d}:{local.minute:02d} UK time on {day(local.date())}"


def count(n: int, noun: str) -> str:
    """'1 working day', '3 working days'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def whole_minutes(span: timedelta) -> int:
    """The span in whole minutes, never negative.

    Rounded up, so a time a few seconds past a limit never reads as on the limit.
    """
    # Integer arithmetic on the parts: dividing timedeltas goes through big microsecond counts.
    minutes, seconds = divmod(span.days * 86400 + span.seconds, 60)
    if seconds or span.microseconds:
        minutes += 1
    return max(0, minutes)


@lru_cache(maxsize=8192)
def minutes_text(minutes: int) -> str:
    """'80 hours', '72 hours 30 minutes', '45 minutes', for a whole number of minutes."""
    hours, minutes = divmod(minutes, 60)
    if not minutes:
        return count(hours, "hour")
    if not hours:
        return count(minutes, "minute")
    return f"{count(hours, 'hour')} {count(minutes, 'minute')}"


def days_late(evidence_day: date, due_day: date) -> str:
    """'2 days late', counted in London calendar days from the deadline's day."""
    return _days_late_words(max((evidence_day - due_day).days, 1))


@lru_cache(maxsize=1024)
def _days_late_words(late: int) -> str:
    return f"{count(late, 'day')} late"


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def capitalised(text: str) -> str:
    """The text with its first letter in upper case; unlike `str.capitalize`, the rest is kept."""
    return text[:1].upper() + text[1:]
