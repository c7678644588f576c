"""Writing and verifying the audit log. Each entry carries the hash of the one before it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.types import utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, organisation: str | None, action: str,
            target: str | None, details: dict[str, Any], address: str | None) -> str:
    payload = orjson.dumps(
        [prev_hash, at.isoformat(), actor, organisation, action, target, details, address],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(payload).hexdigest()


def record(session: Session, *, actor: str, action: str, organisation: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None,
           address: str | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction (flushes; the request owner commits)."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers of the chain so two entries never share a predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    prev = session.execute(
        select(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
    ).scalar_one_or_none()
    prev_hash = prev or GENESIS
    at = utcnow()
    details = details or {}
    entry = AuditEntry(
        at=at, actor=actor, organisation=organisation, action=action, target=target,
        details=details, address=address, prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor, organisation, action, target, details, address),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    problem: str


def verify(entries: Iterable[AuditEntry]) -> list[ChainProblem]:
    """Every place where the chain is broken: a changed entry, or one removed before it."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    for entry in entries:
        assert entry.id is not None  # noqa: S101 - rows read from the database have ids
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(entry.id, "an entry before this one is missing or changed"))
        recomputed = _digest(entry.prev_hash, entry.at, entry.actor, entry.organisation,
                             entry.action, entry.target, entry.details, entry.address)
        if recomputed != entry.hash:
            problems.append(ChainProblem(entry.id, "this entry was changed after it was written"))
        expected_prev = entry.hash
    return problems
