"""The SSDA903 "Missing" return: `CHILD,DOB,MISSING,MIS_START,MIS_END` for a collection year.

The statutory return a local authority makes to the DfE for its looked-after children, so unlike
the feed it names each child by the authority's own case identifier and date of birth: only a
key with the `returns` scope, or a manager of that authority, may have it.

Read from the episode register, so every missing or away episode is in it, whether notified
(by the police, children's services, the co-ordinator) with no interview, or registered by a
submitted record: a record and a notification of the same episode are one register episode, and
a second organisation's notification of an episode already registered (`duplicate_of` set) is
counted once, as the episode it duplicates. An episode is in the return when the child is one of
the caller's (the child's responsible authority, on the child's row and the register's), was
looked after (the register episode's legal status; when it has none, that of the latest
submitted record covering it), and the episode overlaps 1 April to 31 March. Dates are UK dates;
the date of birth is the child's row's (the responsible authority's). An episode that ended
after 31 March is written open (blank `MIS_END`), as the DfE's rule 571 asks.

Before anything is sent it is checked against every rule of the DfE validator that reads the
Missing table alone (`app.feed.ssda903_rules`, listed in `docs/ssda903.md`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.errors import DomainError
from app.core.london import london_day, london_midnight
from app.feed.models import FeedRow
from app.feed.record import csv_line
from app.feed.ssda903_rules import CollectionYear, MissingRow, problems
from app.record.models import Child, Episode, Interview, RegisterEpisode

__all__ = ["COLUMNS", "MISSING_CODES", "CollectionYear", "MissingRow", "ReturnNotValid",
           "export_csv", "missing_rows", "problems"]

COLUMNS: Final = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")
MISSING_CODES: Final = {"missing": "M", "away": "A"}
LOOKED_AFTER: Final = "looked_after"


class ReturnNotValid(DomainError):
    status = 422
    type = "/problems/ssda903-invalid"
    title = "The SSDA903 missing return would fail the DfE's validation"


def missing_rows(session: Session, authority: str, year: CollectionYear) -> list[MissingRow]:
    """The register episodes of the authority's looked-after children overlapping the year,
    each once, in order of case id then start."""
    start = london_midnight(year.start)
    end = london_midnight(year.end + timedelta(days=1))
    # The legal status of the latest submitted record covering the episode, as the feed holds
    # it (the version last submitted, for a record a manager returned): asked only when the
    # register episode has none of its own.
    recorded = (
        select(col(FeedRow.legal_status))
        .join(Interview, col(Interview.id) == col(FeedRow.interview_id))
        .join(Episode, col(Episode.interview_id) == col(Interview.id))
        .where(col(Episode.register_id) == col(RegisterEpisode.id))
        .order_by(col(Interview.submitted_at).desc(), col(Interview.updated_at).desc())
        .limit(1)
        .correlate(RegisterEpisode)
        .scalar_subquery()
    )
    query = (
        select(col(Child.local_id), col(Child.date_of_birth), col(RegisterEpisode.type),
               col(RegisterEpisode.started_at), col(RegisterEpisode.returned_at))
        .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
        .where(col(Child.responsible_authority) == authority,
               col(RegisterEpisode.responsible_authority) == authority,
               col(RegisterEpisode.duplicate_of).is_(None),
               col(RegisterEpisode.started_at) < end,
               or_(col(RegisterEpisode.returned_at).is_(None),
                   col(RegisterEpisode.returned_at) >= start),
               func.coalesce(col(RegisterEpisode.legal_status), recorded) == LOOKED_AFTER)
        .order_by(col(RegisterEpisode.started_at), col(RegisterEpisode.id))
    )
    rows: list[MissingRow] = []
    for local_id, born, kind, started, returned in session.execute(query):
        ended = london_day(returned) if returned is not None else None
        rows.append(MissingRow(
            local_id, born, MISSING_CODES.get(kind or "", kind or ""), london_day(started),
            # Still missing on 31 March as far as this year's return is concerned (rule 571).
            ended if ended is not None and ended <= year.end else None))
    # By case id as Python orders text, the same on every database (a stable sort: episodes of
    # one child that start on the same day stay in the database's order of start, then id).
    rows.sort(key=lambda row: (row.child, row.start or year.start))
    return rows


def export_csv(rows: list[MissingRow], year: CollectionYear) -> str:
    """The return as CSV, after checking it: ReturnNotValid (422) lists every problem."""
    found = problems(rows, year)
    if found:
        raise ReturnNotValid(f"{len(found)} problem{'s' if len(found) != 1 else ''} would make "
                             "the DfE refuse the return; correct the episodes in the register "
                             "and export again",
                             errors=[error.to_json() for error in found])
    return csv_line(COLUMNS) + "".join(csv_line(row.cells()) for row in rows)
