"""Pulling the feed: filters, visibility, keyset pages, fingerprints for ETags, and streams.

Every read is one indexed scan of `feed_rows` with SQLAlchemy Core, passing the stored JSON or
CSV text through untouched. Only rows whose earliest pending deadline has passed (`next_due_at`)
are parsed and patched, so a finding past its deadline is never served as `pending`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final, Literal, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Select,
    and_,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.schema import Column
from sqlmodel import col

from app.core import observability
from app.core.db import reading
from app.core.errors import BadRequest, FieldError
from app.feed import parquet
from app.feed.models import SUMMARY_INDEX, FeedPendingFinding, FeedRow
from app.feed.record import (
    CSV_HEADER,
    RESULT_LETTERS,
    csv_row,
    patch_line,
    standard_position,
)
from app.record.formats import format_timestamp
from app.record.models import Interview
from app.record.visibility import visible_to

Format = Literal["json", "ndjson", "csv", "parquet"]
STREAM_BATCH: Final = 500  # rows per chunk: ~2 MB of NDJSON, so memory stays low and flat
MAX_CURSOR_LENGTH: Final = 200
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class FeedFilters:
    """The feed's filters (`api.md`), already checked. Times are aware UTC; `returned_to` is
    exclusive."""

    updated_since: datetime | None = None
    returned_from: datetime | None = None
    returned_to: datetime | None = None
    responsible_authority: str | None = None
    recorded_by_org: str | None = None
    out_of_area: bool | None = None
    legal_status: str | None = None
    risk_indicator: str | None = None
    standard: str | None = None
    result: str | None = None

    def describe(self) -> dict[str, Any]:
        """The filters in use, as the audit log and the ETag record them."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            out[name] = format_timestamp(value) if isinstance(value, datetime) else value
        return out


# --- visibility --------------------------------------------------------------------------------


def on_feed_rows(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition on `interviews` columns, rewritten onto the same-named `feed_rows` columns.

    So the feed applies `app.record.visibility.visible_to` itself, not a copy of it: if the rule
    ever reads a column the projection does not carry, this fails loudly instead of the feed
    quietly applying an older rule.
    """
    interviews, feed = Interview.__table__, FeedRow.__table__  # type: ignore[attr-defined]

    def replace(element: Any) -> Any:
        if isinstance(element, Column) and element.table is interviews:
            if element.name not in feed.c:
                raise RuntimeError(f"The visibility rule reads interviews.{element.name}, "
                                   "which feed_rows does not carry: add it to the projection")
            return feed.c[element.name]
        return None

    adapted: ColumnElement[bool] = visitors.replacement_traverse(  # type: ignore[call-overload]
        clause, {}, replace)
    return adapted


def visible(organisation_code: str) -> ColumnElement[bool]:
    """Feed rows the organisation may see: the interviews visibility rule, on the projection."""
    return on_feed_rows(visible_to(organisation_code))


def passed_deadline(standard: str, now: datetime) -> ColumnElement[bool]:
    """The row holds a pending finding of `standard` whose deadline has passed."""
    return exists().where(
        col(FeedPendingFinding.interview_id) == col(FeedRow.interview_id),
        col(FeedPendingFinding.code) == standard,
        col(FeedPendingFinding.due_at) < now,
    )


def conditions(filters: FeedFilters, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters, on `feed_rows`."""
    out: list[ColumnElement[bool]] = []
    if filters.updated_since is not None:
        out.append(col(FeedRow.updated_at) >= filters.updated_since)
    if filters.returned_from is not None:
        out.append(col(FeedRow.latest_returned_at) >= filters.returned_from)
    if filters.returned_to is not None:
        out.append(col(FeedRow.latest_returned_at) < filters.returned_to)
    if filters.responsible_authority is not None:
        out.append(col(FeedRow.responsible_authority) == filters.responsible_authority)
    if filters.recorded_by_org is not None:
        out.append(col(FeedRow.recorded_by_org) == filters.recorded_by_org)
    if filters.out_of_area is not None:
        out.append(col(FeedRow.out_of_area) == filters.out_of_area)
    if filters.legal_status is not None:
        out.append(col(FeedRow.legal_status) == filters.legal_status)
    if filters.risk_indicator is not None:
        out.append(col(FeedRow.risk_indicators).contains(f";{filters.risk_indicator};",
                                                         autoescape=True))
    if filters.standard is not None and filters.result is not None:
        stored = func.substr(col(FeedRow.standard_results),
                             standard_position(filters.standard), 1) \
            == RESULT_LETTERS[filters.result]
        if filters.result == "not_met":
            out.append(or_(stored, passed_deadline(filters.standard, now)))
        elif filters.result == "pending":
            out.append(and_(stored, not_(passed_deadline(filters.standard, now))))
        else:
            out.append(stored)
    return out


# --- cursors -----------------------------------------------------------------------------------


class InvalidCursor(BadRequest):
    type = "/problems/invalid-cursor"
    title = "The cursor is not valid"

    def __init__(self) -> None:
        advice = "Use the `next` URL of the previous page as it is, or start again without it"
        super().__init__(f"The cursor is not one this feed made. {advice}",
                         errors=[FieldError("/query/cursor", "invalid_cursor", advice).to_json()])


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the keyset `(updated_at, interview_id)`."""

    updated_at: datetime
    interview_id: UUID

    def encode(self) -> str:
        raw = orjson.dumps([format_timestamp(self.updated_at), str(self.interview_id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_",
                                   validate=True)
            moment, interview_id = orjson.loads(raw)
            updated_at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            if updated_at.tzinfo is None:
                raise ValueError
            return cls(updated_at, UUID(interview_id))
        except (ValueError, TypeError, AttributeError, binascii.Error):
            raise InvalidCursor() from None


def _after(position: Position) -> ColumnElement[bool]:
    # The row-value comparison lets SQLite and PostgreSQL seek the (updated_at, interview_id)
    # index, so the last page costs what the first does; the plain bound helps older planners.
    return and_(
        col(FeedRow.updated_at) >= position.updated_at,
        # A plain tuple on the right, so each value is bound with its column's type.
        tuple_(col(FeedRow.updated_at), col(FeedRow.interview_id))
        > (position.updated_at, position.interview_id),
    )


# --- reading -----------------------------------------------------------------------------------


def _stale(now: datetime) -> ColumnElement[bool]:
    return case((col(FeedRow.next_due_at) < now, True), else_=False)


def _ordered(query: _Query) -> _Query:
    return query.order_by(col(FeedRow.updated_at), col(FeedRow.interview_id))


@dataclass(frozen=True, slots=True)
class Page:
    lines: list[str]
    last: Position | None
    more: bool


def page(session: Session, organisation_code: str, filters: FeedFilters, *,
         after: Position | None, limit: int, now: datetime) -> Page:
    """Up to `limit` JSON records after `after`, in feed order."""
    query = select(col(FeedRow.updated_at), col(FeedRow.interview_id), col(FeedRow.json_line),
                   _stale(now)) \
        .where(visible(organisation_code), *conditions(filters, now))
    if after is not None:
        query = query.where(_after(after))
    rows = session.execute(_ordered(query).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    lines = [_json_text(line, stale, now) for _, _, line, stale in rows]
    last = Position(rows[-1][0], rows[-1][1]) if rows else None
    return Page(lines, last, more)


def _json_text(line: str, stale: Any, now: datetime) -> str:
    return orjson.dumps(patch_line(line, now)).decode() if stale else line


@dataclass(frozen=True, slots=True)
class Fingerprint:
    count: int
    last_updated_at: datetime | None
    passed_deadline: datetime | None

    def etag(self, *parts: Any) -> str:
        """A strong ETag of what an answer holds: the parts (filters, format) and this state."""
        material = orjson.dumps([*parts, self.count, _iso(self.last_updated_at),
                                 _iso(self.passed_deadline)], option=orjson.OPT_SORT_KEYS)
        return f'"feed-{hashlib.sha256(material).hexdigest()[:40]}"'


def _iso(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def fingerprint(session: Session, organisation_code: str, filters: FeedFilters,
                now: datetime) -> Fingerprint:
    """How many records match, the latest change among them, and the latest deadline that has
    passed (so the tag changes when a pending finding turns `not_met`): one aggregate query."""
    latest_passed = select(func.max(FeedPendingFinding.due_at)) \
        .where(col(FeedPendingFinding.due_at) < now).scalar_subquery()
    with reading(session.get_bind()) as connection:
        count, last, passed = connection.execute(narrow(
            select(func.count(), func.max(FeedRow.updated_at), latest_passed)
            .where(visible(organisation_code), *conditions(filters, now)))
        ).one()
    return Fingerprint(int(count), last, passed)


class _Utf8(FunctionElement[bytes]):
    """A text column as its UTF-8 bytes, which the database holds already: the stream sends
    them as they are, without decoding 4 KB a record into a Python string and encoding it
    back (about a fifth of a pull's time)."""

    type = LargeBinary()
    inherit_cache = True
    name = "utf8"


@compiles(_Utf8, "sqlite")
def _utf8_sqlite(element: _Utf8, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(_Utf8, "postgresql")
def _utf8_postgresql(element: _Utf8, compiler: SQLCompiler, **kw: Any) -> str:
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


def stream(session: Session, organisation_code: str, filters: FeedFilters, fmt: Format,
           now: datetime, batch_size: int = STREAM_BATCH) -> Iterator[bytes]:
    """Every matching record as NDJSON lines, CSV rows or a Parquet file, in chunks, with flat
    memory.

    The generator reads on its own connection (the request's session is closed by the time the
    response body is sent), except when the session is bound to a connection with an open
    transaction, which it then shares. Parquet is made from the NDJSON lines themselves
    (`parquet.py`), so both hold the same records with the same values.
    """
    columns: tuple[Any, Any] = (
        (_Utf8(col(FeedRow.csv_row)), case((_stale(now), col(FeedRow.json_line)), else_=None))
        if fmt == "csv" else (_Utf8(col(FeedRow.json_line)), _stale(now)))
    query = _ordered(select(*columns).where(visible(organisation_code),
                                            *conditions(filters, now)))
    bind = session.get_bind()

    def generate() -> Iterator[bytes]:
        if fmt == "csv":
            yield CSV_HEADER.encode()
        with reading(bind) as connection:
            # Options on the statement, not the connection: a shared connection keeps its own.
            result = connection.execute(query.execution_options(stream_results=True,
                                                                yield_per=batch_size))
            for rows in result.partitions():
                observability.count_feed_rows("interviews", fmt, len(rows))
                # One join a chunk (the last newline included), so 2 MB is copied once.
                if fmt == "csv":
                    yield b"".join([text if patch is None
                                    else csv_row(patch_line(patch, now)).encode()
                                    for text, patch in rows])
                else:
                    yield b"\n".join([*(orjson.dumps(patch_line(line, now)) if stale else line
                                         for line, stale in rows), b""])

    if fmt == "parquet":
        return parquet.stream(generate(), parquet.interview_schema())
    return generate()


def narrow(query: _Query) -> _Query:
    """The query answered from `ix_feed_rows_summary` rather than the table, on SQLite.

    SQLite's planner sizes a row by its declared types, so it sees no difference between the
    index and the table (whose rows really are 5 KB) and scans the table unless the grouping
    happens to follow the index. Every column of `feed_rows` but the texts is in the index.
    Rendered by the reader engine (`app.core.db.reading`); elsewhere the hint is left out.
    """
    return query.with_hint(FeedRow, f"INDEXED BY {SUMMARY_INDEX}", "sqlite")


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names this tag (weak comparison, RFC 9110)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def body_etag(body: bytes) -> str:
    return f'"feed-{hashlib.sha256(body).hexdigest()[:40]}"'


def json_page_body(lines: Sequence[str], next_url: str | None) -> bytes:
    """`{"data": [...], "next": ...}` around the stored lines, without parsing them."""
    return b'{"data":[' + ",".join(lines).encode() + b'],"next":' + orjson.dumps(next_url) + b"}"
