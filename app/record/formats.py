"""How the data dictionary writes its values: timestamps, postcodes and organisation codes.

Timestamps are ISO 8601. Coming in, one without an offset is UK local time; going out, every
timestamp is UTC with a `Z`, so `parse_timestamp(format_timestamp(t)) == t`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from app.core.london import LONDON
from app.core.text import ORG_CODE as ORG_CODE  # the record's formats include it

POSTCODE: Final = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def parse_timestamp(value: str) -> datetime | None:
    """ISO 8601; without an offset it is Europe/London local time. Returns aware UTC or None."""
    text = value.strip()
    if len(text) < 16 or len(text) > 40 or text[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def format_timestamp(value: datetime) -> str:
    """UTC with a `Z`; microseconds only when there are some."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{value.microsecond:06d}Z" if value.microsecond else "Z")


def normalise_postcode(value: str) -> str | None:
    """`bs161qy` → `BS16 1QY`; None when it is not a full UK postcode."""
    compact = re.sub(r"\s+", "", value).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None
