"""Records and the register: every episode a record covers is an episode of the register.

Subscribed to "a record changed" (`app/startup.py`), so it runs inside the transaction that
changed the record. Each of the record's episode rows is matched to the register (same child,
same start); a submitted record's episode that nobody notified is registered (`source`
"record"). The offer and its outcome on each register episode are those of the latest
submitted record covering it; a register episode a record registered, which no record covers
any more (its start was corrected), leaves the register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.record.formats import parse_timestamp
from app.record.models import Child, Episode, Interview, RegisterEpisode


def link(session: Session, interview: Interview, *, new: bool = False) -> None:
    """Match the record's episodes to the register, then bring the register up to date."""
    rows = session.execute(
        select(col(Episode.id), col(Episode.child_id), col(Episode.started_at),
               col(Episode.register_id))
        .where(col(Episode.interview_id) == interview.id)).all()
    touched: set[UUID] = set()
    submitted = interview.status != "draft"
    for row_id, child_id, started, linked in rows:
        if child_id is None or started is None:
            continue
        register_id = _registered(session, child_id, started)
        if register_id is None and submitted:
            register_id = _register(session, interview, child_id, started)
        if register_id != linked:
            session.execute(update(Episode).where(col(Episode.id) == row_id)
                            .values(register_id=register_id))
        if register_id is not None:
            touched.add(register_id)
    if not new:
        # Episodes this record spoke for before a change: brought up to date, or removed.
        touched |= set(session.execute(
            select(col(RegisterEpisode.id))
            .where(col(RegisterEpisode.interview_id) == interview.id)).scalars())
    for register_id in sorted(touched, key=str):
        refresh(session, register_id)


def _registered(session: Session, child_id: int, started: datetime) -> UUID | None:
    found: UUID | None = session.execute(
        select(col(RegisterEpisode.id))
        .where(col(RegisterEpisode.child_id) == child_id,
               col(RegisterEpisode.started_at) == started,
               col(RegisterEpisode.duplicate_of).is_(None))
        .order_by(col(RegisterEpisode.created_at)).limit(1)).scalar_one_or_none()
    return found


def _register(session: Session, interview: Interview, child_id: int,
              started: datetime) -> UUID:
    authority = session.execute(select(col(Child.responsible_authority))
                                .where(col(Child.id) == child_id)).scalar_one()
    now = utcnow()
    episode = RegisterEpisode(
        id=uuid4(), child_id=child_id, responsible_authority=authority,
        notified_by_org=interview.recorded_by_org, source="record", type="missing",
        started_at=started, created_by_user_id=interview.created_by_user_id,
        created_by_api_key_id=interview.created_by_api_key_id, created_at=now, updated_at=now)
    session.add(episode)
    session.flush()
    return episode.id


def _timestamp(value: Any) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, str) else None


def refresh(session: Session, register_id: UUID) -> None:
    """The register episode's offer and outcome from the latest submitted record covering it;
    what a record registered, and no record covers any more, is removed."""
    episode = session.get(RegisterEpisode, register_id)
    if episode is None:
        return
    latest = session.execute(
        select(Interview, col(Episode.position))
        .join(Episode, col(Episode.interview_id) == col(Interview.id))
        .where(col(Episode.register_id) == register_id, col(Interview.status) != "draft")
        .order_by(col(Interview.submitted_at).desc(), col(Interview.updated_at).desc())
        .limit(1)).first()
    if latest is None:
        if episode.source == "record":
            session.execute(update(Episode).where(col(Episode.register_id) == register_id)
                            .values(register_id=None))
            session.delete(episode)
            return
        _offer(episode, None, {})
        return
    interview, position = latest
    document = interview.document
    entries = document.get("episodes") or []
    entry = entries[position] if position < len(entries) and isinstance(
        entries[position], dict) else {}
    child = document.get("child") or {}
    known: dict[str, Any] = {}
    if episode.source == "record":
        # Nobody notified it: the record is all the register knows.
        known = {"type": entry.get("type") or episode.type,
                 "returned_at": _timestamp(entry.get("returned_at")),
                 "police_reference": entry.get("police_reference"),
                 "police_risk_grade": entry.get("police_risk_grade"),
                 "legal_status": child.get("legal_status"),
                 "placement_authority": child.get("placement_authority"),
                 "notified_by_org": interview.recorded_by_org}
    elif episode.returned_at is None:
        # The record says the child came back; the notifier had not said so yet.
        known = {"returned_at": _timestamp(entry.get("returned_at"))}
    _offer(episode, interview, document, known)

def _offer(episode: RegisterEpisode, interview: Interview | None,
           document: dict[str, Any], known: dict[str, Any] | None = None) -> None:
    offer = document.get("offer") or {}
    content = document.get("interview") or {}
    outcome = offer.get("outcome")
    shared = sorted(moment for moment in (
        _timestamp(item.get("at")) for item in document.get("sharing") or []
        if isinstance(item, dict)) if moment is not None)
    values = {
        "interview_id": interview.id if interview else None,
        "offer_outcome": outcome,
        "offered_at": _timestamp(offer.get("offered_at")),
        "conducted_at": _timestamp(content.get("conducted_at")) if outcome == "completed"
        else None,
        "shared_at": shared[0] if shared else None,
        **(known or {}),
    }
    if any(getattr(episode, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(episode, key, value)
        episode.updated_at = utcnow()
