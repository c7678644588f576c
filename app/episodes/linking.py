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

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.record.formats import parse_timestamp
from app.record.models import Child, Episode, Interview, RegisterEpisode

_EPISODES: Table = Episode.__table__  # type: ignore[attr-defined]
_REGISTER: Table = RegisterEpisode.__table__  # type: ignore[attr-defined]
_CHILDREN: Table = Child.__table__  # type: ignore[attr-defined]

# Built once (a statement made afresh for each record costs more than running it).
_RECORD_EPISODES = select(
    _EPISODES.c.id, _EPISODES.c.child_id, _EPISODES.c.started_at, _EPISODES.c.register_id,
    _EPISODES.c.position,
).where(_EPISODES.c.interview_id == bindparam("interview_id")).order_by(_EPISODES.c.id)
_REGISTERED = select(_REGISTER.c.id, _REGISTER.c.child_id, _REGISTER.c.started_at).where(
    _REGISTER.c.child_id.in_(bindparam("children", expanding=True)),
    _REGISTER.c.started_at.in_(bindparam("starts", expanding=True)),
    _REGISTER.c.duplicate_of.is_(None),
).order_by(_REGISTER.c.created_at)
_SPOKEN_FOR = select(_REGISTER.c.id).where(_REGISTER.c.interview_id == bindparam("interview_id"))
_LINK_EPISODE = update(_EPISODES).where(_EPISODES.c.id == bindparam("row_id")).values(
    register_id=bindparam("register_id"))
_AUTHORITY = select(_CHILDREN.c.responsible_authority).where(
    _CHILDREN.c.id == bindparam("child_id"))
_INSERT_REGISTERED = insert(_REGISTER)


def link(session: Session, interview: Interview, *, new: bool = False) -> None:
    """Match the record's episodes to the register, then bring the register up to date.

    Plain statements, one of each whatever the number of episodes: the record's episode rows,
    the register episodes they match, the episodes the record registers (written complete, as
    `refresh` would leave them: no other record covers them yet) and the rows' new links.
    """
    rows = [row for row in session.execute(_RECORD_EPISODES, {"interview_id": interview.id})
            if row.child_id is not None and row.started_at is not None]
    registered: dict[tuple[int, datetime], UUID] = {}
    if rows:
        for register_id, child_id, started in session.execute(_REGISTERED, {
                "children": sorted({row.child_id for row in rows}),
                "starts": sorted({row.started_at for row in rows})}):
            registered.setdefault((child_id, started), register_id)  # the earliest made
    touched: set[UUID] = set()
    made: dict[UUID, Any] = {}  # registered now → the episode row that registered it
    links: list[dict[str, Any]] = []
    submitted = interview.status != "draft"
    for row in rows:
        register_id = registered.get((row.child_id, row.started_at))
        if register_id is None and submitted:
            register_id = registered[(row.child_id, row.started_at)] = uuid4()
            made[register_id] = row
        if register_id != row.register_id:
            links.append({"row_id": row.id, "register_id": register_id})
        if register_id is not None:
            touched.add(register_id)
    if made:
        _register(session, interview, made)
    if links:
        session.execute(_LINK_EPISODE, links)
    if not new and interview.submitted_at is not None:  # a draft never submitted speaks for none
        # Episodes this record spoke for before a change: brought up to date, or removed.
        touched |= set(session.execute(_SPOKEN_FOR, {"interview_id": interview.id}).scalars())
    for register_id in sorted(touched - made.keys(), key=str):
        refresh(session, register_id)


def _register(session: Session, interview: Interview, made: dict[UUID, Any]) -> None:
    """Register the episodes of a submitted record that nobody notified, in one INSERT."""
    authorities: dict[int, str] = {}
    if interview.child_id is not None and interview.responsible_authority is not None:
        authorities[interview.child_id] = interview.responsible_authority
    now = utcnow()
    document = interview.document
    registering = []
    for register_id, row in made.items():
        if row.child_id not in authorities:  # a returned record's rows, of the child before
            authorities[row.child_id] = session.execute(
                _AUTHORITY, {"child_id": row.child_id}).scalar_one()
        registering.append({
            "id": register_id, "child_id": row.child_id,
            "responsible_authority": authorities[row.child_id],
            "notified_by_org": interview.recorded_by_org, "source": "record",
            "started_at": row.started_at,
            "created_by_user_id": interview.created_by_user_id,
            "created_by_api_key_id": interview.created_by_api_key_id,
            "created_at": now, "updated_at": now,
            **_offered(interview, document,
                       _from_record(interview, _entry(document, row.position), "missing")),
        })
    session.execute(_INSERT_REGISTERED, registering)


def _entry(document: dict[str, Any], position: int) -> dict[str, Any]:
    entries = document.get("episodes") or []
    entry = entries[position] if position < len(entries) else None
    return entry if isinstance(entry, dict) else {}


def _from_record(interview: Interview, entry: dict[str, Any], kind: str) -> dict[str, Any]:
    """What the register knows of an episode nobody notified: what the record says."""
    child = interview.document.get("child") or {}
    return {"type": entry.get("type") or kind,
            "returned_at": _timestamp(entry.get("returned_at")),
            "police_reference": entry.get("police_reference"),
            "police_risk_grade": entry.get("police_risk_grade"),
            "legal_status": child.get("legal_status"),
            "placement_authority": child.get("placement_authority"),
            "notified_by_org": interview.recorded_by_org}


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
    entry = _entry(document, position)
    known: dict[str, Any] = {}
    if episode.source == "record":
        # Nobody notified it: the record is all the register knows.
        known = _from_record(interview, entry, episode.type)
    elif episode.returned_at is None:
        # The record says the child came back; the notifier had not said so yet.
        known = {"returned_at": _timestamp(entry.get("returned_at"))}
    _offer(episode, interview, document, known)


def _timestamp(value: Any) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, str) else None


def _offered(interview: Interview | None, document: dict[str, Any],
             known: dict[str, Any] | None = None) -> dict[str, Any]:
    """A register episode's offer and outcome as the record says them, and what else it
    `known`s."""
    offer = document.get("offer") or {}
    content = document.get("interview") or {}
    outcome = offer.get("outcome")
    shared = sorted(moment for moment in (
        _timestamp(item.get("at")) for item in document.get("sharing") or []
        if isinstance(item, dict)) if moment is not None)
    return {
        "interview_id": interview.id if interview else None,
        "offer_outcome": outcome,
        "offered_at": _timestamp(offer.get("offered_at")),
        "conducted_at": _timestamp(content.get("conducted_at")) if outcome == "completed"
        else None,
        "shared_at": shared[0] if shared else None,
        **(known or {}),
    }


def _offer(episode: RegisterEpisode, interview: Interview | None,
           document: dict[str, Any], known: dict[str, Any] | None = None) -> None:
    values = _offered(interview, document, known)
    if any(getattr(episode, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(episode, key, value)
        episode.updated_at = utcnow()
