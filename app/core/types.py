"""Column types shared by every package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# JSON documents: JSONB on PostgreSQL, JSON (text with json functions) on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no offset) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


# The moment `replaying` stands in for now, or None (always, outside the demo's history).
_replayed_now: ContextVar[datetime | None] = ContextVar("rhi_replayed_now", default=None)


def utcnow() -> datetime:
    """Now, aware UTC: every timestamp the service writes comes from here."""
    moment = _replayed_now.get()
    return datetime.now(UTC) if moment is None else moment


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Run what is inside as if it were `moment`: `utcnow()` answers `moment`.

    Only `rhi demo seed` uses it, to make two years of synthetic history through the same
    services people and partner systems use, each step stamped when it would have happened
    (its records, versions, audit entries, feed rows and findings judged as of that moment).
    It holds for the current thread (or task) only; nothing that serves requests calls it.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to replaying()")
    token = _replayed_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _replayed_now.reset(token)
