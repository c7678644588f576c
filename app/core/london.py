"""UK time: the one `Europe/London` zone, and the conversions every package needs.

Instants are stored and compared in UTC; people, deadlines and reporting periods speak UK time.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

LONDON: Final = ZoneInfo("Europe/London")


def london_day(instant: datetime) -> date:
    """The UK calendar date of an aware instant."""
    return instant.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """The moment `day` starts in the UK (00:00 London time), as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=LONDON)
