"""The DfE SSDA903 validator's rules for the "Missing" table, as pure functions.

Every rule of the DfE's published SSDA903 validator that reads the Missing table and needs nothing
but its rows (`CHILD,DOB,MISSING,MIS_START,MIS_END`) and the collection year is checked here,
with the validator's own number and logic. Rules that also need the Episodes, Header or last
year's tables are not (the list, and why, is in `docs/ssda903.md`).

The validator reads each date cell as `dd/mm/yyyy` into a pandas timestamp, and a date it cannot
read (a blank, or one outside the years pandas can hold) becomes "not a date": every comparison
with it is false. `_readable` does the same here, so each rule passes and fails exactly where
the validator's would.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from app.core.errors import FieldError

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
# The days pandas' nanosecond timestamps can hold (1677-09-21 00:12:43 to 2262-04-11 23:47:16):
# the validator reads a date outside them as no date at all.
_FIRST_READABLE: Final = date(1677, 9, 22)
_LAST_READABLE: Final = date(2262, 4, 11)
_TYPES: Final = ("M", "A")


@dataclass(frozen=True, slots=True)
class CollectionYear:
    label: str  # "2025-26"
    start: date  # 1 April
    end: date  # 31 March

    @classmethod
    def parse(cls, label: str) -> CollectionYear | None:
        """`"2025-26"` (2000-01 to 2199-00), or None when it is not a collection year."""
        match = _YEAR.match(label.strip())
        if not match:
            return None
        first = int(match.group(1))
        if not 2000 <= first <= 2199 or int(match.group(2)) != (first + 1) % 100:
            return None
        return cls(f"{first}-{match.group(2)}", date(first, 4, 1), date(first + 1, 3, 31))


@dataclass(frozen=True, slots=True)
class MissingRow:
    """One data row of the Missing table."""

    child: str  # CHILD, the authority's case id
    date_of_birth: date | None  # DOB
    missing: str  # "M", "A", "" when unknown, or an unknown code as stored (rule 1006)
    start: date | None  # MIS_START
    end: date | None  # MIS_END; None while the episode is open at the end of the year

    def cells(self) -> list[str]:
        return [self.child, _ddmmyyyy(self.date_of_birth), self.missing,
                _ddmmyyyy(self.start), _ddmmyyyy(self.end)]


RULES: Final[tuple[tuple[str, str], ...]] = (
    ("ssda903_1004", "MIS_START is a date (dd/mm/yyyy) the validator can read: never blank"),
    ("ssda903_1005", "MIS_END, when given, is a date (dd/mm/yyyy) the validator can read"),
    ("ssda903_1006", "MISSING, when given, is M (missing) or A (away without authorisation)"),
    ("ssda903_564", "an episode whose MISSING is M or A has a start date"),
    ("ssda903_565", "an episode with a start date says whether it was M or A"),
    ("ssda903_566", "an episode with an end date says whether it was M or A"),
    ("ssda903_567", "an episode does not end before it starts"),
    ("ssda903_570", "an episode does not start after the collection year ends (31 March)"),
    ("ssda903_571", "an episode's end date, when given, is inside the collection year"),
    ("ssda903_574", "a child's episodes do not overlap, and none starts while another is open"),
    ("ssda903_586", "an episode starts after the child's date of birth"),
)
_ORDER: Final = {code: position for position, (code, _) in enumerate(RULES)}


def problems(rows: Sequence[MissingRow], year: CollectionYear) -> list[FieldError]:
    """Every cell the DfE's validator would refuse, row by row (pointers count rows from 0)."""
    found: list[tuple[int, FieldError]] = []
    for index, row in enumerate(rows):
        for rule in _ROW_RULES:
            error = rule(index, row, year)
            if error is not None:
                found.append((index, error))
    found.extend(_overlaps(rows))
    found.sort(key=lambda item: (item[0], _ORDER[item[1].code]))
    return [error for _, error in found]


def _ddmmyyyy(day: date | None) -> str:
    # Always four digits of year, whatever the platform's strftime does with years before 1000.
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if day else ""


def _readable(day: date | None) -> date | None:
    """The date as the validator reads it: None when blank or beyond what it can hold."""
    return day if day is not None and _FIRST_READABLE <= day <= _LAST_READABLE else None


def _episode(row: MissingRow) -> str:
    """The episode named by its start date, as the person correcting it will look for it."""
    if row.start is not None:
        return f"the episode from {_ddmmyyyy(row.start)}"
    if row.end is not None:
        return f"the episode ending {_ddmmyyyy(row.end)}"
    return "an episode with no dates"


def _error(index: int, column: str, rule: str, row: MissingRow, says: str) -> FieldError:
    return FieldError(f"/rows/{index}/{column}", f"ssda903_{rule}",
                      f"Child {row.child}: {_episode(row)} {says}")


def _start_not_a_date(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    if row.start is None:
        return _error(index, "MIS_START", "1004", row, "has no start date")
    if _readable(row.start) is None:
        return _error(index, "MIS_START", "1004", row,
                      "has a start date the DfE's validator cannot read as a date")
    return None


def _end_not_a_date(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    if row.end is not None and _readable(row.end) is None:
        return _error(index, "MIS_END", "1005", row,
                      f"has an end date ({_ddmmyyyy(row.end)}) the DfE's validator cannot read "
                      "as a date")
    return None


def _unknown_type(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    # A blank type is not this rule's: 565 and 566 (or 1004) refuse it.
    if row.missing and row.missing not in _TYPES:
        return _error(index, "MISSING", "1006", row,
                      f"has the type {row.missing!r}; it must be M (missing) or A (away from "
                      "placement without authorisation)")
    return None


def _typed_without_start(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    # The validator accepts either case here; 1006 refuses the lower case.
    if row.missing.upper() in _TYPES and row.start is None:
        return _error(index, "MIS_START", "564", row,
                      f"is recorded as {row.missing} but has no start date")
    return None


def _started_without_type(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    if row.start is not None and not row.missing:
        return _error(index, "MISSING", "565", row,
                      "has a start date but does not say whether the child was missing (M) or "
                      "away from placement without authorisation (A)")
    return None


def _ended_without_type(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    if row.end is not None and not row.missing:
        return _error(index, "MISSING", "566", row,
                      "has an end date but does not say whether the child was missing (M) or "
                      "away from placement without authorisation (A)")
    return None


def _ends_before_start(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    start, end = _readable(row.start), _readable(row.end)
    if start is not None and end is not None and end < start:
        return _error(index, "MIS_END", "567", row,
                      f"ends ({_ddmmyyyy(end)}) before it starts")
    return None


def _starts_after_year(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    start = _readable(row.start)
    if start is not None and start > year.end:
        return _error(index, "MIS_START", "570", row,
                      f"starts after the {year.label} collection year ends "
                      f"({_ddmmyyyy(year.end)})")
    return None


def _ends_outside_year(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    end = _readable(row.end)
    if end is not None and not year.start <= end <= year.end:
        return _error(index, "MIS_END", "571", row,
                      f"ends on {_ddmmyyyy(end)}, outside the {year.label} collection year "
                      f"({_ddmmyyyy(year.start)} to {_ddmmyyyy(year.end)}); an episode still "
                      "open on 31 March has no end date")
    return None


def _starts_by_birth(index: int, row: MissingRow, year: CollectionYear) -> FieldError | None:
    start, born = _readable(row.start), _readable(row.date_of_birth)
    if start is not None and born is not None and start <= born:
        return _error(index, "MIS_START", "586", row,
                      f"starts on or before the child's date of birth ({_ddmmyyyy(born)})")
    return None


_ROW_RULES: Final[tuple[Callable[[int, MissingRow, CollectionYear], FieldError | None], ...]] = (
    _start_not_a_date, _end_not_a_date, _unknown_type, _typed_without_start,
    _started_without_type, _ended_without_type, _ends_before_start, _starts_after_year,
    _ends_outside_year, _starts_by_birth,
)


def _overlaps(rows: Sequence[MissingRow]) -> list[tuple[int, FieldError]]:
    """Rule 574, on each episode that follows an open or overlapping one of the same child.

    The validator puts a child's episodes in order of end date (an open one by its start date;
    one with neither date last), then start date, the row order breaking ties, and compares each
    with the one before it.
    """
    by_child: dict[str, list[tuple[int, date | None, date | None]]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_child[row.child].append((index, _readable(row.start), _readable(row.end)))
    found: list[tuple[int, FieldError]] = []
    for episodes in by_child.values():
        episodes.sort(key=lambda item: (_last_if_none(item[2] or item[1]),
                                        _last_if_none(item[1])))
        for (before, _, before_end), (index, start, _) in zip(
                episodes, episodes[1:], strict=False):
            if before_end is None or (start is not None and start < before_end):
                row, earlier = rows[index], rows[before]
                found.append((index, _error(
                    index, "MIS_START", "574", row,
                    f"starts while {_episode(earlier)} is still open or overlaps it")))
    return found


def _last_if_none(day: date | None) -> tuple[bool, date]:
    return (day is None, day or date.min)
