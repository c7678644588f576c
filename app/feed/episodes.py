"""The episode feed (`GET /api/v1/feed/episodes`): one pseudonymised row per episode of the
register, so that analysts count returns, not records.

Read straight from `register_episodes` (no projection): the register holds a row per episode
already, with the offer and outcome of the latest record covering it. The 72-hour findings are
judged by `app.standards.episode_findings` at the moment of the pull, so a return nobody offered
an interview for is `pending` until its 72 hours end and `not_met` after, with no record needed.

Built field by field from an allow-list (`COLUMNS`): never the police reference, the child's case
id or date of birth, a person, or any free text. The child is `child_key`, the interview feed's
keyed pseudonym (`app.feed.record.child_key`), so the two feeds join on it.

Which episodes: those the register's visibility rule (`app.record.register.visible_to`) shows
the organisation, except a second organisation's notification of an episode already registered
(`duplicate_of` set), which is counted once, as the episode it duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from app.core import observability
from app.core.db import reading
from app.core.settings import get_settings
from app.feed import parquet
from app.feed.record import child_key, csv_cell, csv_line, feed_timestamp
from app.feed.service import STREAM_BATCH, Fingerprint, Format, Page, Position
from app.record.formats import format_timestamp
from app.record.models import Child, RegisterEpisode
from app.record.register import state, visible_to
from app.standards import CURRENT, StandardSet, episode_findings

ResultCode = Literal["met", "not_met", "not_applicable", "pending"]
# A moment as the feeds write it (`record.feed_timestamp`): UTC, to the microsecond, with `Z`
# (Parquet: `timestamp[us, tz=UTC]`).
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                        "examples": ["2026-03-02T09:00:00.000000Z"]})]


class FeedEpisode(BaseModel):
    """One episode of the register as the episode feed serves it (`analysts.md`, "The episode
    feed"). Times are UTC with `Z`; codes are the data dictionary's."""

    episode_id: str = Field(description="The register episode's id (stable)")
    child_key: str | None = Field(description=(
        "The child's keyed pseudonym: the same value as `child_key` in the interview feed, so "
        "the two feeds join on it"))
    responsible_authority: str = Field(description="The authority responsible for the child")
    notified_by_org: str = Field(description=(
        "The organisation that notified the episode (or whose record registered it)"))
    type: str = Field(description="`missing` or `away`")
    started_at: Moment = Field(description="When the episode started")
    found_at: Moment | None = Field(description="When the child was found, when notified")
    returned_at: Moment | None = Field(description="When the child returned; null while missing")
    reported_by: str | None = Field(description="Who reported the child missing (a code)")
    police_risk_grade: str | None = Field(description="The police risk grade (a code)")
    notified_at: Moment | None = Field(description="When the episode was notified")
    legal_status: str | None = Field(description="The child's legal status (a code)")
    placement_authority: str | None = Field(description="Where the child lives, when known")
    out_of_area: bool = Field(description=(
        "`placement_authority` is set and differs from `responsible_authority`"))
    state: str = Field(description=(
        "`missing`, `returned`, `offered`, `not_offered`, `completed`, `declined`, "
        "`not_achieved` or `shared`"))
    allocated_org: str | None = Field(description="The organisation that will offer the interview")
    offer_outcome: str | None = Field(description=(
        "From the latest record covering the episode: `completed`, `declined`, `not_achieved`, "
        "`not_offered`; null while no record says"))
    offered_at: Moment | None = Field(description="When the interview was first offered")
    conducted_at: Moment | None = Field(description="When the interview took place")
    shared_at: Moment | None = Field(description="When its findings were first shared")
    offer_within_72h: ResultCode = Field(description=(
        "The `offer-within-72h` result for this return, judged at the time of the pull"))
    offer_due_at: Moment | None = Field(description=(
        "When the 72 hours for the offer end (null while missing): a `pending` result is "
        "`not_met` from then on"))
    interview_within_72h: ResultCode = Field(description=(
        "The `interview-within-72h` result for this return, judged at the time of the pull"))
    updated_at: Moment = Field(description="When the register episode last changed")


class FeedEpisodePage(BaseModel):
    """A page of the episode feed: follow `next` until it is null."""

    data: list[FeedEpisode]
    next: str | None


# The columns of every format, in this order: JSON keys, NDJSON keys and the CSV header.
COLUMNS: Final = tuple(FeedEpisode.model_fields)
CSV_HEADER: Final = csv_line(COLUMNS)


@dataclass(frozen=True, slots=True)
class EpisodeFilters:
    """The episode feed's filters, already checked. Times are aware UTC; `returned_to` is
    exclusive."""

    updated_since: datetime | None = None
    returned_from: datetime | None = None
    returned_to: datetime | None = None

    def describe(self) -> dict[str, Any]:
        """The filters in use, as the audit log and the ETag record them."""
        return {name: format_timestamp(value) for name, value in asdict(self).items()
                if value is not None}


# --- which episodes ----------------------------------------------------------------------------


def counted(organisation_code: str) -> ColumnElement[bool]:
    """The register episodes an organisation counts: visible to it, and not a second
    notification of an episode already registered (that one is counted as the episode)."""
    return and_(visible_to(organisation_code), col(RegisterEpisode.duplicate_of).is_(None))


class PlusHours(FunctionElement[datetime]):
    """`moment + hours`, as elapsed time in UTC (`app.standards.calendar.add_hours`), in SQL.

    SQLite keeps an instant as UTC text, `YYYY-MM-DD HH:MM:SS.ffffff`: the whole seconds are
    moved and the fraction kept as it is, so the result compares exactly with the stored text.
    The hours are a literal of the statement, so statements of other hours are cached apart.
    """

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "plus_hours"

    def __init__(self, moment: Any, hours: int) -> None:
        super().__init__(moment, literal_column(str(int(hours))))


def _moment_and_hours(element: PlusHours, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    moment, hours = (compiler.process(clause, **kw) for clause in element.clauses.clauses)
    return moment, hours


@compiles(PlusHours, "sqlite")
def _plus_hours_sqlite(element: PlusHours, compiler: SQLCompiler, **kw: Any) -> str:
    moment, hours = _moment_and_hours(element, compiler, **kw)
    return (f"(strftime('%Y-%m-%d %H:%M:%S', substr({moment}, 1, 19), "
            f"'+' || {hours} || ' hours') || substr({moment}, 20))")


@compiles(PlusHours, "postgresql")
def _plus_hours_postgresql(element: PlusHours, compiler: SQLCompiler, **kw: Any) -> str:
    moment, hours = _moment_and_hours(element, compiler, **kw)
    return f"({moment} + make_interval(hours => {hours}))"


def deadlines_passed_since(since: datetime, now: datetime,
                           params: StandardSet = CURRENT) -> ColumnElement[bool]:
    """Episodes whose 72 hours after return (for the offer or the interview) ended from `since`
    up to `now`: a `pending` finding among them has turned `not_met`."""
    returned = col(RegisterEpisode.returned_at)
    return or_(*(and_(returned >= since - timedelta(hours=hours),
                      returned < now - timedelta(hours=hours))
                 for hours in sorted({params.offer_hours, params.interview_hours})))


def conditions(filters: EpisodeFilters, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters. `updated_since` also brings the episodes whose
    72 hours ended since then, so an incremental pull gets a `pending` that became `not_met`."""
    out: list[ColumnElement[bool]] = []
    if filters.updated_since is not None:
        out.append(or_(col(RegisterEpisode.updated_at) >= filters.updated_since,
                       deadlines_passed_since(filters.updated_since, now)))
    if filters.returned_from is not None:
        out.append(col(RegisterEpisode.returned_at) >= filters.returned_from)
    if filters.returned_to is not None:
        out.append(col(RegisterEpisode.returned_at) < filters.returned_to)
    return out


def _query(organisation_code: str, filters: EpisodeFilters,
           now: datetime) -> Select[RegisterEpisode, str, str]:
    return (select(RegisterEpisode, col(Child.responsible_authority), col(Child.local_id))
            .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
            .where(counted(organisation_code), *conditions(filters, now))
            .order_by(col(RegisterEpisode.updated_at), col(RegisterEpisode.id)))


def _after(position: Position) -> ColumnElement[bool]:
    # The interview feed's keyset, on the register: `Position.interview_id` holds the episode's
    # id. The plain bound lets the planner seek the `updated_at` index.
    return and_(
        col(RegisterEpisode.updated_at) >= position.updated_at,
        tuple_(col(RegisterEpisode.updated_at), col(RegisterEpisode.id))
        > (position.updated_at, position.interview_id),
    )


# --- the record --------------------------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    return feed_timestamp(value) if value is not None else None


def episode_record(episode: RegisterEpisode, authority: str, local_id: str, *,
                   pseudonym_key: str, now: datetime) -> dict[str, Any]:
    """The episode as the feed serves it, its findings judged at `now`; keys in `COLUMNS`
    order."""
    offer, interview = episode_findings(episode, CURRENT, now)
    placement = episode.placement_authority
    return {
        "episode_id": str(episode.id),
        "child_key": child_key(pseudonym_key, authority, local_id),
        "responsible_authority": episode.responsible_authority,
        "notified_by_org": episode.notified_by_org,
        "type": episode.type,
        "started_at": feed_timestamp(episode.started_at),
        "found_at": _timestamp(episode.found_at),
        "returned_at": _timestamp(episode.returned_at),
        "reported_by": episode.reported_by,
        "police_risk_grade": episode.police_risk_grade,
        "notified_at": _timestamp(episode.notified_at),
        "legal_status": episode.legal_status,
        "placement_authority": placement,
        # The data dictionary's rule, as the interview feed applies it to the record's child.
        "out_of_area": bool(placement and placement != episode.responsible_authority),
        "state": state(episode),
        "allocated_org": episode.allocated_org,
        "offer_outcome": episode.offer_outcome,
        "offered_at": _timestamp(episode.offered_at),
        "conducted_at": _timestamp(episode.conducted_at),
        "shared_at": _timestamp(episode.shared_at),
        "offer_within_72h": offer.result.value,
        "offer_due_at": _timestamp(offer.due_at),
        "interview_within_72h": interview.result.value,
        "updated_at": feed_timestamp(episode.updated_at),
    }


def csv_row(record: dict[str, Any]) -> str:
    """The record as one CSV line, through the one writer that neutralises formula starts."""
    return csv_line([csv_cell(record[name]) for name in COLUMNS])


# --- reading -----------------------------------------------------------------------------------


def page(session: Session, organisation_code: str, filters: EpisodeFilters, *,
         after: Position | None, limit: int, now: datetime) -> Page:
    """Up to `limit` JSON records after `after`, in feed order."""
    query = _query(organisation_code, filters, now)
    if after is not None:
        query = query.where(_after(after))
    rows = session.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    key = get_settings().pseudonym_key
    lines = [orjson.dumps(episode_record(episode, authority, local_id, pseudonym_key=key,
                                         now=now)).decode()
             for episode, authority, local_id in rows]
    last = Position(rows[-1][0].updated_at, rows[-1][0].id) if rows else None
    return Page(lines, last, more)


def latest_deadline_passed(session: Session, organisation_code: str, filters: EpisodeFilters,
                           now: datetime, params: StandardSet = CURRENT) -> datetime | None:
    """The latest 72-hour deadline that has passed among the matching episodes: it moves
    whenever any of them passes, so a tag built on it changes when a result turns `not_met`."""
    returned = col(RegisterEpisode.returned_at)
    latest: datetime | None = None
    for hours in sorted({params.offer_hours, params.interview_hours}):
        bound = now - timedelta(hours=hours)
        found = session.execute(
            select(func.max(returned))
            .where(counted(organisation_code), *conditions(filters, now), returned < bound)
        ).scalar_one_or_none()
        if found is not None:
            deadline = found + timedelta(hours=hours)
            latest = deadline if latest is None else max(latest, deadline)
    return latest


def fingerprint(session: Session, organisation_code: str, filters: EpisodeFilters,
                now: datetime) -> Fingerprint:
    """How many episodes match, the latest change among them, and the latest deadline passed.

    Read where the stream reads (`reading`: a read replica when one is configured), so the
    `ETag` describes the body sent with it."""
    with reading(session.get_bind()) as connection, Session(bind=connection) as reader:
        count, last = reader.execute(
            select(func.count(), func.max(RegisterEpisode.updated_at))
            .where(counted(organisation_code), *conditions(filters, now))).one()
        passed = latest_deadline_passed(reader, organisation_code, filters, now)
    return Fingerprint(int(count), last, passed)


def stream(session: Session, organisation_code: str, filters: EpisodeFilters, fmt: Format,
           now: datetime, batch_size: int = STREAM_BATCH) -> Iterator[bytes]:
    """Every matching episode as NDJSON lines, CSV rows or a Parquet file (made from the NDJSON
    lines, `parquet.py`), in chunks, with flat memory.

    Reads on its own connection, as the interview feed's stream does (the request's session is
    closed by the time the body is sent), or on the session's when a test holds it open.
    """
    query = _query(organisation_code, filters, now).execution_options(yield_per=batch_size)
    bind = session.get_bind()
    key = get_settings().pseudonym_key

    def line(row: Sequence[Any]) -> str:
        episode, authority, local_id = row
        record = episode_record(episode, authority, local_id, pseudonym_key=key, now=now)
        return csv_row(record) if fmt == "csv" else orjson.dumps(record).decode() + "\n"

    def generate() -> Iterator[bytes]:
        if fmt == "csv":
            yield CSV_HEADER.encode()
        # The session's identity map holds its objects weakly: each chunk's are let go.
        with reading(bind) as connection, Session(bind=connection) as reader:
            for rows in reader.execute(query).partitions():
                observability.count_feed_rows("episodes", fmt, len(rows))
                yield "".join([line(row) for row in rows]).encode()

    if fmt == "parquet":
        return parquet.stream(generate(), parquet.episode_schema())
    return generate()
