"""What partner systems and the co-ordinator do to the register: notify an episode (safe to
retry on its id), change it (only with `If-Match`), allocate it to an organisation and a person,
and start an interview from it. Services flush; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import Organisation, User
from app.audit import service as audit
from app.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from app.core.types import utcnow
from app.episodes.known import child_section, known_child
from app.interviews import service as interviews
from app.interviews import storage
from app.record import notification
from app.record.formats import format_timestamp
from app.record.models import Child, Interview, RegisterEpisode
from app.record.register import get_visible, state
from app.record.validation import validate_document

# Who may interview: the roles an episode can be allocated to.
INTERVIEWING_ROLES: Final = ("interviewer", "manager")


def etag(episode: RegisterEpisode) -> str:
    return f'"{episode.id}-v{episode.version}"'


def _organisations(session: Session) -> Any:
    codes = set(session.execute(select(col(Organisation.code))).scalars())
    return codes.__contains__


def _hash(note: notification.Notification) -> str:
    body = {"child": {k: str(v) for k, v in vars_of(note.child).items() if v is not None},
            **{k: _plain(v) for k, v in note.values.items() if v is not None}}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def vars_of(child: notification.NotifiedChild) -> dict[str, Any]:
    return {name: getattr(child, name) for name in notification.CHILD_FIELDS}


def _plain(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _canonical(session: Session, child_id: int, started: datetime) -> RegisterEpisode | None:
    found: RegisterEpisode | None = session.execute(
        select(RegisterEpisode)
        .where(col(RegisterEpisode.child_id) == child_id,
               col(RegisterEpisode.started_at) == started,
               col(RegisterEpisode.duplicate_of).is_(None))
        .order_by(col(RegisterEpisode.created_at)).limit(1)).scalar_one_or_none()
    return found


def _may_see(episode: RegisterEpisode, session: Session, organisation: str) -> bool:
    try:
        get_visible(session, episode.id, organisation)
    except NotFound:
        return False
    return True


def notify(session: Session, actor: Caller, raw: Any) -> tuple[RegisterEpisode, bool]:
    """Register a missing or away episode (or its return); the same id and body again is a
    safe retry (created=False), the same id with another body a 409.

    The same child and start already registered is the same episode: a caller who may see it
    is told its id (409, change that one); a caller who may not (another organisation
    notified it) has its notification kept as its own row, counted once as a duplicate, and
    learns nothing of the first: its return, if the first has none, fills it.
    """
    note, errors = notification.read(raw, complete=True, now=utcnow(),
                                     organisations=_organisations(session))
    if errors:
        raise ValidationFailed(errors)
    assert note.id is not None  # noqa: S101 - read() reports a missing id  # nosec B101
    body_hash = _hash(note)
    existing = session.get(RegisterEpisode, note.id)
    if existing is not None:
        if existing.notified_by_org == actor.organisation_code and \
                existing.body_hash == body_hash:
            return existing, False
        raise Conflict("An episode with this id already exists with different content; "
                       "change it with PATCH and If-Match, or use a new id")
    child = note.child
    assert child.responsible_authority and child.local_id  # noqa: S101  # nosec B101
    started: datetime = note.values["started_at"]
    child_id = storage.child_row(session, child.responsible_authority, child.local_id,
                                 child.date_of_birth, actor.organisation_code)
    first = _canonical(session, child_id, started)
    if first is not None and _may_see(first, session, actor.organisation_code):
        raise Conflict(
            f"This child's episode from {format_timestamp(started)} is already registered, as "
            f"episode {first.id}; change that one with PATCH and If-Match",
            errors=[FieldError("/started_at", "already_registered",
                               f"Already registered as episode {first.id}").to_json()])
    now = utcnow()
    values = {k: v for k, v in note.values.items() if v is not None}
    values.setdefault("notified_at", now)
    episode = RegisterEpisode(
        id=note.id, child_id=child_id, responsible_authority=child.responsible_authority,
        notified_by_org=actor.organisation_code,
        source="notification" if actor.api_key_id else "coordinator",
        created_by_user_id=actor.user_id, created_by_api_key_id=actor.api_key_id,
        duplicate_of=first.id if first is not None else None,
        legal_status=child.legal_status, placement_authority=child.placement_authority,
        stated_date_of_birth=child.date_of_birth,
        body_hash=body_hash, created_at=now, updated_at=now, **values)
    try:
        with session.begin_nested():
            session.add(episode)
            session.flush()
    except IntegrityError:
        # Only the primary key can clash here (a request with the same id at the same moment);
        # anything else is a fault, not the caller's.
        if episode in session:
            session.expunge(episode)
        if session.get(RegisterEpisode, note.id) is None:
            raise
        raise Conflict("An episode with this id already exists; change it with PATCH and "
                       "If-Match, or use a new id") from None
    if first is not None:
        _fill_blanks(first, episode)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="episode.notify", target=str(episode.id),
                 details={"via": "api" if actor.api_key_id else "web"})
    return episode, True


def _fill_blanks(first: RegisterEpisode, second: RegisterEpisode) -> None:
    """What a second notifier knows and the first did not: when the child was found or came
    back. Nothing the first said is changed."""
    changed = False
    for key in ("found_at", "returned_at"):
        if getattr(first, key) is None and getattr(second, key) is not None:
            setattr(first, key, getattr(second, key))
            changed = True
    if changed:
        first.updated_at = utcnow()


def may_change(episode: RegisterEpisode, actor: Caller) -> bool:
    return actor.organisation_code in (episode.notified_by_org, episode.responsible_authority)


def change(session: Session, actor: Caller, episode_id: UUID, raw: Any,
           if_match: str | None) -> RegisterEpisode:
    """Change a notified episode (its return, found time, police details), only when
    `If-Match` names the current version (the web form sends the version it showed)."""
    episode = get_visible(session, episode_id, actor.organisation_code, for_update=True)
    if not may_change(episode, actor):
        raise Forbidden("Only the organisation that notified this episode, or the child's "
                        "responsible authority, can change it")
    if if_match is not None and if_match.strip() not in (etag(episode), "*"):
        raise PreconditionFailed(
            f"The episode is at version {episode.version}; read it again and resend your "
            f"change with If-Match: {etag(episode)}")
    stored = {key: getattr(episode, key) for key in ("started_at", *notification.CHANGEABLE)}
    note, errors = notification.read(raw, complete=False, now=utcnow(),
                                     organisations=_organisations(session), stored=stored)
    if errors:
        raise ValidationFailed(errors)
    changes = {k: v for k, v in note.values.items()
               if k in note.given and getattr(episode, k) != v}
    if not changes:
        return episode
    for key, value in changes.items():
        setattr(episode, key, value)
    episode.version += 1
    episode.updated_at = utcnow()
    if episode.duplicate_of is not None:
        first = session.get(RegisterEpisode, episode.duplicate_of)
        if first is not None:
            _fill_blanks(first, episode)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="episode.change", target=str(episode.id),
                 details={"version": episode.version, "fields": sorted(changes),
                          "via": "api" if actor.api_key_id else "web"})
    return episode


# --- allocation and starting the interview ------------------------------------------------------


def may_allocate(episode: RegisterEpisode, actor: Caller) -> bool:
    """The responsible authority allocates to an organisation (itself, or the provider it
    commissions); that organisation's manager allocates to one of its people, and so does a
    return service that registered the episode itself (on the web, or by a record). A partner
    system that notified it (the police) does not allocate."""
    if actor.role != "manager":
        return False
    own_entry = episode.source != "notification" and \
        actor.organisation_code == episode.notified_by_org
    return own_entry or actor.organisation_code in (episode.responsible_authority,
                                                    episode.allocated_org)


@dataclass(frozen=True)
class Interviewer:
    id: int
    name: str


def interviewers(session: Session, organisation_code: str) -> list[Interviewer]:
    """The active people of an organisation who can be given an episode to offer."""
    rows = session.execute(
        select(col(User.id), col(User.name))
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(col(Organisation.code) == organisation_code, col(User.active).is_(True),
               col(User.role).in_(INTERVIEWING_ROLES))
        .order_by(col(User.name))).all()
    return [Interviewer(user_id, name) for user_id, name in rows if user_id is not None]


def allocate(session: Session, actor: Caller, episode_id: UUID, *,
             organisation: str | None = None, user_id: int | None = None) -> RegisterEpisode:
    """Give the episode to an organisation, or to one of the caller's own people."""
    episode = get_visible(session, episode_id, actor.organisation_code, for_update=True)
    if not may_allocate(episode, actor):
        raise Forbidden("Only a manager of the child's responsible authority, or of the "
                        "organisation the episode is allocated to, can allocate it")
    details: dict[str, Any] = {}
    if organisation is not None:
        if actor.organisation_code != episode.responsible_authority:
            raise Forbidden("Only the child's responsible authority can allocate the episode "
                            "to another organisation")
        if not _organisations(session)(organisation):
            raise ValidationFailed([FieldError("/organisation", "unknown_organisation",
                                               "Choose an organisation from the list")])
        episode.allocated_org = organisation
        episode.allocated_user_id = None
        details["organisation"] = organisation
    if user_id is not None:
        mine = {person.id for person in interviewers(session, actor.organisation_code)}
        if user_id not in mine:
            raise ValidationFailed([FieldError("/user_id", "unknown_person",
                                               "Choose a person from the list")])
        episode.allocated_org = actor.organisation_code
        episode.allocated_user_id = user_id
        details["user_id"] = user_id
    if not details:
        raise ValidationFailed([FieldError("/user_id", "required",
                                           "Choose who will offer the interview")])
    episode.allocated_at = utcnow()
    episode.updated_at = episode.allocated_at
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="episode.allocate", target=str(episode.id), details=details)
    return episode


def start_interview(session: Session, actor: Caller, episode_id: UUID) -> Interview:
    """A draft record for the episode, with the child and the episode filled in."""
    episode = get_visible(session, episode_id, actor.organisation_code)
    if state(episode) not in ("returned", "offered"):
        raise Conflict("An interview can be started only for a child who has returned and "
                       "has no interview recorded yet")
    child = session.get(Child, episode.child_id)
    assert child is not None  # noqa: S101 - the foreign key says it exists  # nosec B101
    draft = interviews.start_draft(session, actor)
    entry: dict[str, Any] = {
        "type": episode.type, "started_at": format_timestamp(episode.started_at),
        "reported_to_police": episode.reported_by == "police" or bool(
            episode.police_reference) or None,
        "returned_at": _plain(episode.returned_at),
        "police_reference": episode.police_reference,
        "police_risk_grade": episode.police_risk_grade,
    }
    person: dict[str, Any] = {
        "responsible_authority": child.responsible_authority, "local_id": child.local_id,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "legal_status": episode.legal_status,
        "placement_authority": episode.placement_authority,
    }
    # The rest of the child (the name, gender, placement...) as a new record for the child
    # would have it; this episode's own facts over it.
    known = child_section(known_child(session, actor, child.id or 0), actor.organisation_code)
    raw = {**draft.document,
           "child": {**known, **{k: v for k, v in person.items() if v is not None}},
           "episodes": [{k: v for k, v in entry.items() if v is not None}],
           "offer": ({"offered_at": _plain(episode.offered_at)} if episode.offered_at
                     else {})}
    validated = validate_document(raw, complete=False, now=utcnow())
    kept = raw if validated.ok else draft.document
    typed = validate_document(kept, complete=False, now=utcnow()).document
    storage.store(session, draft, typed)
    if episode.allocated_user_id is None and actor.user_id is not None and \
            actor.organisation_code in (episode.allocated_org, episode.responsible_authority):
        episode.allocated_org = actor.organisation_code
        episode.allocated_user_id = actor.user_id
        episode.allocated_at = utcnow()
        episode.updated_at = episode.allocated_at
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="episode.start-interview", target=str(episode.id),
                 details={"interview": str(draft.id)})
    return draft


# --- answers ------------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def episode_json(episode: RegisterEpisode, local_id: str, viewer: str,
                 as_of: datetime, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """An episode as the API answers it. A duplicate's notifier sees its own notification, not
    that another organisation notified the same episode."""
    shown = state(episode)
    if shown == "duplicate" and viewer != episode.responsible_authority:
        shown = "missing" if episode.returned_at is None else "returned"
    body: dict[str, Any] = {
        "id": str(episode.id),
        "child": {"responsible_authority": episode.responsible_authority,
                  "local_id": local_id, "legal_status": episode.legal_status,
                  "placement_authority": episode.placement_authority},
        "type": episode.type,
        "started_at": _when(episode.started_at),
        "found_at": _when(episode.found_at),
        "returned_at": _when(episode.returned_at),
        "reported_by": episode.reported_by,
        "police_reference": episode.police_reference,
        "police_risk_grade": episode.police_risk_grade,
        "notified_at": _when(episode.notified_at),
        "notified_by_org": episode.notified_by_org,
        "state": shown,
        "allocated_org": episode.allocated_org,
        "offer": {"outcome": episode.offer_outcome, "offered_at": _when(episode.offered_at),
                  "conducted_at": _when(episode.conducted_at),
                  "shared_at": _when(episode.shared_at)},
        "standards": findings,
        "version": episode.version,
        "created_at": _when(episode.created_at),
        "updated_at": _when(episode.updated_at),
    }
    if viewer == episode.responsible_authority and episode.duplicate_of is not None:
        body["duplicate_of"] = str(episode.duplicate_of)
    return body


def local_id_of(session: Session, episode: RegisterEpisode) -> str:
    found: str = session.execute(select(col(Child.local_id))
                                 .where(col(Child.id) == episode.child_id)).scalar_one()
    return found

