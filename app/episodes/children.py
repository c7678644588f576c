"""A child across the service, on the web: search by name or case id, and the child's history.

Both show only what the searcher's organisation may see: records through the records' rule
(`app.record.visibility.visible_to`), episodes through the register's
(`app.record.register.visible_to`). A child with nothing visible does not exist for the caller:
it is not found, and its history answers 404 exactly as an id never used. Nothing another
organisation holds is counted either: the repeat-missing flag counts visible episodes only.

Names live only in the interview documents (`child.given_name`, `child.family_name`), so a search
reads them with JSON path expressions (SQLite and PostgreSQL alike); episodes are found by the
case id alone. Each search is audited (`search`: how many children were found, their ids, never
the words searched for, which may be a child's name: the audit log holds no names), and each
history read (`child.view`). The start page searches the same way, to start a record for a
child the service knows (`app/episodes/known.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement, String, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.accounts.models import Organisation
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.templating import templates
from app.core.text import UNSAFE_CHARACTERS, digits
from app.core.types import utcnow
from app.interviews import storage
from app.record import register
from app.record.models import Child, Interview, RegisterEpisode
from app.record.visibility import visible_to
from app.standards import CURRENT, Finding, episode_findings, titles

router = APIRouter()

CHILD_ROLES: Final = ("interviewer", "placement_team", "manager")
ChildUser = Annotated[Caller, Depends(allow(roles=CHILD_ROLES))]

MOST_RESULTS: Final = 50
SHORTEST, LONGEST = 2, 100  # characters searched for
# A child missing this often within this long up to now is flagged as repeatedly missing.
REPEAT_EPISODES: Final = 3
REPEAT_WINDOW: Final = timedelta(days=90)
NOT_FOUND: Final = "No child with this id is visible to you"


# --- what a child's records and episodes say -------------------------------------------------


def name_of(interview: Interview | None) -> str | None:
    child = (interview.document.get("child") or {}) if interview else {}
    name = f"{child.get('given_name') or ''} {child.get('family_name') or ''}".strip()
    return name or None


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def date_of_birth_for(child: Child | None, interview: Interview | None,
                      episodes: Iterable[RegisterEpisode], organisation: str) -> date | None:
    """The child's date of birth as this organisation may see it: the responsible authority's
    own; for anyone else, what their latest visible record or their own notification says
    (the authority's date is not shown to others: a difference stays the authority's business).
    """
    if child is not None and child.responsible_authority == organisation and child.date_of_birth:
        return child.date_of_birth
    stated = _day(((interview.document.get("child") or {}) if interview else {})
                  .get("date_of_birth"))
    return stated or next((e.stated_date_of_birth for e in episodes
                           if e.notified_by_org == organisation and e.stated_date_of_birth),
                          None)


def organisation_names(db: Session, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    rows = db.execute(select(col(Organisation.code), col(Organisation.name))
                      .where(col(Organisation.code).in_(wanted))).all()
    return {code: f"{name} ({code})" for code, name in rows}


def latest_named(records: Sequence[Interview]) -> Interview | None:
    """The latest record that names the child (records newest first), else the latest."""
    return next((r for r in records if name_of(r)), records[0] if records else None)


def visible_records(user: Caller) -> Any:
    return select(Interview).where(visible_to(user.organisation_code))


def visible_episodes(user: Caller) -> Any:
    # A notification repeating another is counted once, as the one it repeats.
    return select(RegisterEpisode).where(register.visible_to(user.organisation_code),
                                         col(RegisterEpisode.duplicate_of).is_(None))


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One child (or a draft naming no case id yet) on the results."""

    name: str | None
    local_id: str | None
    authority: str | None
    date_of_birth: date | None
    latest: RegisterEpisode | None
    child_id: int | None = None
    draft_id: UUID | None = None

    @property
    def href(self) -> str:
        return f"/children/{self.child_id}" if self.child_id else \
            f"/interviews/{self.draft_id}/check"


def search_problem(q: str) -> str | None:
    if UNSAFE_CHARACTERS.search(q):
        return "Enter a name or case id without control characters"
    if len(q) < SHORTEST:
        return f"Enter at least {SHORTEST} characters of a name or case id"
    if len(q) > LONGEST:
        return f"Enter no more than {LONGEST} characters"
    return None


def _contains(expression: Any, term: str) -> ColumnElement[bool]:
    """Case-insensitive "contains", with `%`, `_` and the escape character in the term taken
    literally."""
    lowered = func.lower(expression, type_=String)
    return lowered.contains(term.lower(), autoescape=True)


def _record_matches(term: str) -> ColumnElement[bool]:
    child = col(Interview.document)["child"]
    name = (func.coalesce(child["given_name"].as_string(), "") + " "
            + func.coalesce(child["family_name"].as_string(), ""))
    return _contains(name, term) | _contains(child["local_id"].as_string(), term)


def search_children(db: Session, user: Caller, term: str) -> tuple[list[Found], bool]:
    """The children (at most `MOST_RESULTS`) whose visible records name them or give their case
    id as `term`, or whose visible episodes give that case id; and whether there were more."""
    latest = func.max(col(Interview.updated_at)).label("latest")
    by_record = db.execute(
        select(col(Interview.child_id), latest)
        .where(visible_to(user.organisation_code), col(Interview.child_id).is_not(None),
               _record_matches(term))
        .group_by(col(Interview.child_id)).order_by(latest.desc())
        .limit(MOST_RESULTS + 1)).all()
    by_episode = db.execute(
        select(col(RegisterEpisode.child_id)).distinct()
        .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
        .where(register.visible_to(user.organisation_code),
               col(RegisterEpisode.duplicate_of).is_(None), _contains(col(Child.local_id), term))
        .order_by(col(RegisterEpisode.child_id).desc()).limit(MOST_RESULTS + 1)).scalars().all()
    # Drafts that name a child but give no case id yet: no history, so the draft itself.
    drafts = db.execute(
        visible_records(user).where(col(Interview.child_id).is_(None), _record_matches(term))
        .order_by(col(Interview.updated_at).desc()).limit(MOST_RESULTS + 1)).scalars().all()
    child_ids = list(dict.fromkeys(
        [row[0] for row in by_record if row[0] is not None] + list(by_episode)))
    more = len(child_ids) + len(drafts) > MOST_RESULTS
    child_ids = child_ids[:MOST_RESULTS]
    drafts = drafts[:MOST_RESULTS - len(child_ids)]

    children = {c.id: c for c in db.execute(
        select(Child).where(col(Child.id).in_(child_ids))).scalars()}
    records: dict[int, list[Interview]] = {}
    for interview in db.execute(
            visible_records(user).where(col(Interview.child_id).in_(child_ids))
            .order_by(col(Interview.updated_at).desc())).scalars():
        records.setdefault(interview.child_id or 0, []).append(interview)
    episodes: dict[int, list[RegisterEpisode]] = {}
    for episode in db.execute(
            visible_episodes(user).where(col(RegisterEpisode.child_id).in_(child_ids))
            .order_by(col(RegisterEpisode.started_at).desc())).scalars():
        episodes.setdefault(episode.child_id, []).append(episode)

    found = []
    for child_id in child_ids:
        child = children.get(child_id)
        named = latest_named(records.get(child_id, []))
        own = episodes.get(child_id, [])
        found.append(Found(
            name_of(named), child.local_id if child else None,
            child.responsible_authority if child else None,
            date_of_birth_for(child, named, own, user.organisation_code),
            own[0] if own else None, child_id=child_id))
    for draft in drafts:
        authority = (draft.document.get("child") or {}).get("responsible_authority")
        found.append(Found(name_of(draft), None,
                           authority if isinstance(authority, str) else None,
                           date_of_birth_for(None, draft, (), user.organisation_code), None,
                           draft_id=draft.id))
    return found, more


def searched(db: Session, user: Caller, raw: str | None,
             **audited: str) -> tuple[dict[str, Any], int]:
    """A search page's context and status for the words searched for (`raw`, None before any
    search): `q` as shown again, `error`, and after a search `results`, `more`, `authorities`
    and what the results table needs. Each search is audited (`audited`: more details, such as
    the page it was made from), with what it found, never the words."""
    q = (raw or "").strip()
    context: dict[str, Any] = {"q": UNSAFE_CHARACTERS.sub("", q)[:LONGEST * 2],
                               "error": None, "results": None, "more": False}
    if raw is not None:
        context["error"] = search_problem(q)
    if context["error"]:
        return context, 422
    if q:
        results, more = search_children(db, user, q)
        audit.record(db, actor=user.label, organisation=user.organisation_code,
                     action="search", address=user.address,
                     details={"count": len(results), "more": more,
                              "children": [r.child_id for r in results if r.child_id],
                              "records": [str(r.draft_id) for r in results if r.draft_id],
                              **audited})
        context.update(results=results, more=more, authorities=organisation_names(
            db, (r.authority for r in results)), state_labels=register.STATE_LABELS,
            state=register.state, most=MOST_RESULTS)
    return context, 200


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: ChildUser, db: SessionDep) -> Response:
    """Find a child by name or case id among what the organisation may see."""
    context, status = searched(db, user, request.query_params.get("q"))
    return templates.TemplateResponse(
        request, "episodes/search.html",
        {"current_user": user, "csrf_token": user.csrf_token, **context}, status_code=status)


# --- a child's history -----------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeLine:
    episode: RegisterEpisode
    state: str
    offer: Finding


def child_key(text: str) -> int:
    if not digits(text) or len(text) > 18:
        raise NotFound(NOT_FOUND)
    return int(text)


def repeatedly_missing(episodes: Iterable[RegisterEpisode], now: datetime) -> int:
    """How many of the episodes started within `REPEAT_WINDOW` up to `now` when that is
    `REPEAT_EPISODES` or more; else 0."""
    recent = sum(1 for e in episodes if now - REPEAT_WINDOW <= e.started_at <= now)
    return recent if recent >= REPEAT_EPISODES else 0


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(request: Request, child_id: str, user: ChildUser, db: SessionDep) -> Response:
    """The child's visible episodes and records, the standards they fall short of, and whether
    the child is repeatedly missing."""
    key = child_key(child_id)
    records = db.execute(visible_records(user).where(col(Interview.child_id) == key)
                         .order_by(col(Interview.updated_at).desc())).scalars().all()
    episodes = db.execute(visible_episodes(user).where(col(RegisterEpisode.child_id) == key)
                          .order_by(col(RegisterEpisode.started_at).desc())).scalars().all()
    child = db.get(Child, key) if records or episodes else None
    if child is None:
        raise NotFound(NOT_FOUND)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="child.view", target=str(child.id), address=user.address,
                 details={"records": [str(r.id) for r in records],
                          "episodes": [str(e.id) for e in episodes]})
    now = utcnow()
    lines = [EpisodeLine(e, register.state(e), episode_findings(e, CURRENT, now)[0])
             for e in episodes]
    unmet = [(record, finding) for record in records
             for finding in storage.current_findings(record, now)
             if finding.get("result") == "not_met"]
    named = latest_named(records)
    same_reference = _same_police_reference(db, user, child, episodes)
    return templates.TemplateResponse(request, "episodes/child.html", {
        "current_user": user, "csrf_token": user.csrf_token, "child": child,
        "name": name_of(named), "authority": organisation_names(
            db, [child.responsible_authority]).get(child.responsible_authority,
                                                   child.responsible_authority),
        "date_of_birth": date_of_birth_for(child, named, episodes, user.organisation_code),
        "episodes": lines, "records": records, "unmet": unmet,
        "repeat": repeatedly_missing(episodes, now), "repeat_days": REPEAT_WINDOW.days,
        "state_labels": register.STATE_LABELS, "same_reference": same_reference,
        "provisional": child.local_id.startswith(PROVISIONAL_PREFIX),
        "titles": titles()})


PROVISIONAL_PREFIX = "prov-"


def _same_police_reference(db: Session, user: Caller, child: Child,
                           episodes: Sequence[RegisterEpisode]) -> list[tuple[Child, str]]:
    """Other children of the same responsible authority with an episode the viewer may see that
    carries a police reference of this child's episodes: how a child first recorded without a
    case id (a provisional `prov-` id) is matched later to their case, and the other way round.
    Each with the shared reference, once."""
    references = {e.police_reference for e in episodes if e.police_reference}
    if not references:
        return []
    rows = db.execute(
        select(Child, col(RegisterEpisode.police_reference))
        .join(RegisterEpisode, col(RegisterEpisode.child_id) == col(Child.id))
        .where(register.visible_to(user.organisation_code),
               col(RegisterEpisode.duplicate_of).is_(None),
               col(RegisterEpisode.police_reference).in_(sorted(references)),
               col(RegisterEpisode.responsible_authority) == child.responsible_authority,
               col(RegisterEpisode.child_id) != child.id)
        .order_by(col(RegisterEpisode.started_at).desc())).all()
    found: dict[int, tuple[Child, str]] = {}
    for other, reference in rows:
        if other.id is not None and other.id not in found and reference:
            found[other.id] = (other, reference)
    return list(found.values())
