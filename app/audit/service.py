"""Writing, verifying and searching the audit log. Each entry carries the hash of the one before,
keyed (HMAC-SHA256) with RHI_AUDIT_KEY, which is not in the database: rewriting the chain after
changing or removing entries needs the key. What no chain can show by itself, entries cut off its
end, signed checkpoints outside the table show (`app/audit/checkpoints.py`).

Entries are only ever added: no code path changes or removes one (on PostgreSQL a trigger refuses
UPDATE and TRUNCATE too). Targets are ids (`user:12`, an interview's UUID), never names, so the
log itself holds no child's identifying data.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.db import start_writing
from app.core.settings import get_settings
from app.core.types import utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, organisation: str | None, action: str,
            target: str | None, details: dict[str, Any], address: str | None, *,
            keyed: bool = True) -> str:
    payload = orjson.dumps(
        [prev_hash, at.isoformat(), actor, organisation, action, target, details, address],
        option=orjson.OPT_SORT_KEYS,
    )
    if keyed:
        return hmac.new(audit_key(), payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()  # entries written before the log was keyed


def audit_key() -> bytes:
    return get_settings().audit_key.encode()


# Built once (a statement made afresh for each entry costs more than running it).
_ENTRIES: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_HEAD = select(_ENTRIES.c.hash).order_by(_ENTRIES.c.id.desc()).limit(1)
_APPEND = insert(_ENTRIES).returning(_ENTRIES.c.id)
_SERIALISE_WRITERS = text("SELECT pg_advisory_xact_lock(727274)")


def record(session: Session, *, actor: str, action: str, organisation: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None,
           address: str | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction (one plain INSERT; the request owner
    commits). The entry comes back as an object the session does not hold: entries are never
    changed."""
    start_writing(session)  # the chain's head must be read inside the write transaction
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers of the chain so two entries never share a predecessor.
        session.execute(_SERIALISE_WRITERS)
    prev = session.execute(_HEAD).scalar_one_or_none()
    prev_hash = prev or GENESIS
    at = utcnow()
    details = details or {}
    values: dict[str, Any] = {
        "at": at, "actor": actor, "organisation": organisation, "action": action,
        "target": target, "details": details, "address": address, "prev_hash": prev_hash,
        "keyed": True,
        "hash": _digest(prev_hash, at, actor, organisation, action, target, details, address)}
    entry_id = session.execute(_APPEND, values).scalar_one()
    return AuditEntry(id=entry_id, **values)


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    problem: str


def verify(entries: Iterable[AuditEntry]) -> list[ChainProblem]:
    """Every place where the chain is broken: a changed entry, or one removed before it."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    keyed_seen = False
    for entry in entries:
        assert entry.id is not None  # noqa: S101 - rows read have ids  # nosec B101
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(entry.id, "an entry before this one is missing or changed"))
        if keyed_seen and not entry.keyed:
            problems.append(ChainProblem(
                entry.id, "this entry is not keyed but follows keyed ones: the log was rewritten"))
        keyed_seen = keyed_seen or entry.keyed
        recomputed = _digest(entry.prev_hash, entry.at, entry.actor, entry.organisation,
                             entry.action, entry.target, entry.details, entry.address,
                             keyed=entry.keyed)
        if not hmac.compare_digest(recomputed, entry.hash):
            problems.append(ChainProblem(entry.id, "this entry was changed after it was written"))
        expected_prev = entry.hash
    return problems


@dataclass(frozen=True)
class Verification:
    """The result of checking the whole chain: how many entries, and what is broken."""

    count: int
    last_id: int | None
    last_hash: str
    problems: list[ChainProblem]
    # For each id asked about (`anchors`): how many entries up to it, and its hash.
    at_anchor: dict[int, tuple[int, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_all(session: Session, batch_size: int = 1000,
               anchors: Collection[int] = ()) -> Verification:
    """Check every entry in id order, reading in batches so memory stays flat; note the count
    and hash at each id in `anchors` (the checkpoints')."""
    seen = 0
    last: AuditEntry | None = None
    at_anchor: dict[int, tuple[int, str]] = {}
    wanted = frozenset(anchors)

    def entries() -> Iterator[AuditEntry]:
        nonlocal seen, last
        rows = session.execute(
            select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(
                yield_per=batch_size)
        ).scalars()
        for entry in rows:
            seen += 1
            last = entry
            if entry.id in wanted:
                at_anchor[entry.id] = (seen, entry.hash)
            yield entry

    problems = verify(entries())
    return Verification(count=seen, last_id=last.id if last else None,
                        last_hash=last.hash if last else GENESIS, problems=problems,
                        at_anchor=at_anchor)


# --- searching ------------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditQuery:
    """What a manager or admin filters by: exact actor, action and target; a range of days."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    older_than: int | None  # the `before` of the next page, None on the last one


def search(session: Session, query: AuditQuery, *, organisation: str,
           before: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    """Entries of one organisation, newest first, paged by id (keyset: stable while written to)."""
    statement = select(AuditEntry).where(col(AuditEntry.organisation) == organisation)
    if query.actor:
        statement = statement.where(col(AuditEntry.actor) == query.actor)
    if query.action:
        statement = statement.where(col(AuditEntry.action) == query.action)
    if query.target:
        statement = statement.where(col(AuditEntry.target) == query.target)
    if query.since is not None:
        statement = statement.where(col(AuditEntry.at) >= query.since)
    if query.until is not None:
        statement = statement.where(col(AuditEntry.at) < query.until)
    if before is not None:
        statement = statement.where(col(AuditEntry.id) < before)
    rows = list(session.execute(
        statement.order_by(col(AuditEntry.id).desc()).limit(limit + 1)).scalars())
    page = rows[:limit]
    more = len(rows) > limit and page[-1].id is not None
    return AuditPage(entries=page, older_than=page[-1].id if more else None)
