"""The SSDA903 "Missing" return: `CHILD,DOB,MISSING,MIS_START,MIS_END` for a collection year.

The statutory return a local authority makes to the DfE for its looked-after children, so unlike
the feed it names each child by the authority's own case identifier and date of birth: only a
key with the `returns` scope, or a manager of that authority, may have it.

An episode is in the return when the child was looked after (the legal status of the latest
record holding the episode), the caller is the child's responsible authority, and the episode
overlaps 1 April to 31 March. Before anything is sent it is checked against the DfE validator's
rules for the module: 1006 (`MISSING` is M or A), 567 (an end before its start) and 574
(a child's episodes overlap, or one starts while another is open).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.errors import DomainError, FieldError
from app.core.london import london_day, london_midnight
from app.feed.models import FeedRow
from app.feed.record import csv_line
from app.record.models import Child, Episode, Interview

COLUMNS: Final = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")
MISSING_CODES: Final = {"missing": "M", "away": "A"}
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class ReturnNotValid(DomainError):
    status = 422
    type = "/problems/ssda903-invalid"
    title = "The SSDA903 missing return would fail the DfE's validation"


@dataclass(frozen=True, slots=True)
class CollectionYear:
    label: str  # "2025-26"
    start: date  # 1 April
    end: date  # 31 March

    @classmethod
    def parse(cls, label: str) -> CollectionYear | None:
        match = _YEAR.match(label.strip())
        if not match:
            return None
        first = int(match.group(1))
        if not 2000 <= first <= 2199 or int(match.group(2)) != (first + 1) % 100:
            return None
        return cls(f"{first}-{match.group(2)}", date(first, 4, 1), date(first + 1, 3, 31))


@dataclass(frozen=True, slots=True)
class MissingRow:
    child: str
    date_of_birth: date | None
    missing: str  # M, A, or the unknown type as stored (refused by rule 1006)
    start: date
    end: date | None

    def cells(self) -> list[str]:
        return [self.child, _ddmmyyyy(self.date_of_birth), self.missing,
                _ddmmyyyy(self.start), _ddmmyyyy(self.end)]


def _ddmmyyyy(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _local_date(moment: datetime) -> date:
    return london_day(moment)


def missing_rows(session: Session, authority: str, year: CollectionYear) -> list[MissingRow]:
    """The authority's looked-after children's episodes overlapping the year, each once."""
    start = london_midnight(year.start)
    end = london_midnight(year.end + timedelta(days=1))
    query = (
        select(col(Child.id), col(Child.local_id), col(Child.date_of_birth), col(Episode.type),
               col(Episode.started_at), col(Episode.returned_at), col(FeedRow.legal_status))
        .join(Child, col(Child.id) == col(Episode.child_id))
        .join(Interview, col(Interview.id) == col(Episode.interview_id))
        .join(FeedRow, col(FeedRow.interview_id) == col(Interview.id))  # submitted records only
        .where(col(Child.responsible_authority) == authority,
               col(Interview.responsible_authority) == authority,
               col(Episode.started_at) < end,
               or_(col(Episode.returned_at).is_(None), col(Episode.returned_at) >= start))
        # The latest record holding an episode speaks for it.
        .order_by(col(Child.id), col(Episode.started_at), col(Interview.updated_at).desc())
    )
    rows: list[MissingRow] = []
    seen: set[tuple[int | None, datetime | None]] = set()
    for child_id, local_id, born, kind, started, returned, legal_status in session.execute(query):
        if (child_id, started) in seen or started is None:
            continue
        seen.add((child_id, started))
        if legal_status != "looked_after":
            continue
        rows.append(MissingRow(local_id, born, MISSING_CODES.get(kind or "", kind or ""),
                               _local_date(started), _local_date(returned) if returned else None))
    rows.sort(key=lambda row: (row.child, row.start))
    return rows


def problems(rows: list[MissingRow]) -> list[FieldError]:
    """Every row the DfE's validator would refuse, by rule (pointers are CSV data rows, from 0)."""
    found: list[FieldError] = []
    by_child: dict[str, list[tuple[int, MissingRow]]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_child[row.child].append((index, row))
        if row.missing not in ("M", "A"):
            found.append(FieldError(f"/rows/{index}/MISSING", "ssda903_1006",
                                    f"Child {row.child}: the episode type must be M or A"))
        if row.end is not None and row.end < row.start:
            found.append(FieldError(f"/rows/{index}/MIS_END", "ssda903_567",
                                    f"Child {row.child}: the episode from "
                                    f"{_ddmmyyyy(row.start)} ends before it starts"))
    for child, episodes in by_child.items():
        # As the validator orders them: by end (an open episode by its start), then start.
        ordered = sorted(episodes, key=lambda item: (item[1].end or item[1].start, item[1].start))
        for (_, before), (index, after) in zip(ordered, ordered[1:], strict=False):
            if before.end is None or after.start < before.end:
                found.append(FieldError(
                    f"/rows/{index}/MIS_START", "ssda903_574",
                    f"Child {child}: the episode from {_ddmmyyyy(after.start)} starts while the "
                    f"one from {_ddmmyyyy(before.start)} is still open or overlaps it"))
    return found


def export_csv(rows: list[MissingRow]) -> str:
    """The return as CSV, after checking it: ReturnNotValid (422) lists every problem."""
    found = problems(rows)
    if found:
        raise ReturnNotValid(f"{len(found)} row{'s' if len(found) != 1 else ''} would be "
                             "refused; correct the records and export again",
                             errors=[error.to_json() for error in found])
    return csv_line(COLUMNS) + "".join(csv_line(row.cells()) for row in rows)
