"""A new record for a child the service already knows: found on the start page by name or case
id among the children the organisation may see (`/interviews/new?q=`, the search of `/search`,
audited the same way with `via: start`), then started with the child section filled in from what
the organisation may see of the child (`POST /children/{child_id}/start`), for the interviewer to
check with the child instead of typing it all.

What is filled in: the case id and responsible authority from the child's row; the name, gender,
ethnicity, UASC, SEND, involvement with children's services and placement from the latest record
naming the child (a submitted one before a draft); involvement and placement from the register
instead when its latest episode was notified after that record; the date of birth as the
organisation may see it (`children.date_of_birth_for`). A child first recorded with no case id
is started with their provisional id, so both records are the one child's. A child with nothing
visible to the organisation does not exist for it: starting answers 404 exactly as an id never
used. Starting is audited (`child.start-interview`: the draft, and the records and episode read).
Starting from an episode of the register fills the child the same way (`service.start_interview`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.templating import templates
from app.episodes import children
from app.interviews import forms, rejected
from app.interviews import service as interviews
from app.record.models import Child, Interview, RegisterEpisode

router = APIRouter()

StartUser = Annotated[Caller, Depends(allow(roles=children.CHILD_ROLES))]

# The child section's answers a record gives for the next one; the case id, the responsible
# authority and the date of birth come from the child's row and its visibility rule.
FROM_THE_RECORD: Final = ("given_name", "family_name", "gender", "ethnicity", "uasc",
                          "disability_or_send", "legal_status", "placement_type",
                          "placement_authority")
FROM_THE_REGISTER: Final = ("legal_status", "placement_authority")


@dataclass(frozen=True)
class Known:
    """A child and what the organisation may see of them, newest first."""

    child: Child
    records: Sequence[Interview]
    episodes: Sequence[RegisterEpisode]


def known_child(db: Session, user: Caller, child_id: int) -> Known:
    """The child with their visible records and episodes; NotFound when nothing is visible."""
    records = db.execute(children.visible_records(user).where(
        col(Interview.child_id) == child_id)
        .order_by(col(Interview.updated_at).desc())).scalars().all()
    episodes = db.execute(children.visible_episodes(user).where(
        col(RegisterEpisode.child_id) == child_id)
        .order_by(col(RegisterEpisode.started_at).desc())).scalars().all()
    child = db.get(Child, child_id) if records or episodes else None
    if child is None:
        raise NotFound(children.NOT_FOUND)
    return Known(child, records, episodes)


def _source(records: Sequence[Interview]) -> Interview | None:
    """The record the child section is filled from: the latest naming the child, a submitted
    one before a draft."""
    return next((r for r in records if r.status != "draft" and children.name_of(r)),
                None) or children.latest_named(records)


def child_section(known: Known, organisation: str) -> dict[str, Any]:
    """The `child` part of a new record, as far as the organisation may know it."""
    source = _source(known.records)
    stated = (source.document.get("child") or {}) if source is not None else {}
    part = {k: stated[k] for k in FROM_THE_RECORD if stated.get(k) is not None}
    latest = known.episodes[0] if known.episodes else None
    if latest is not None and (source is None or latest.created_at > source.updated_at):
        part.update({k: getattr(latest, k) for k in FROM_THE_REGISTER
                     if getattr(latest, k) is not None})
    part["local_id"] = known.child.local_id
    part["responsible_authority"] = known.child.responsible_authority
    born = children.date_of_birth_for(known.child, source, known.episodes, organisation)
    if born is not None:
        part["date_of_birth"] = born.isoformat()
    return part


def start_for_child(db: Session, user: Caller, child_id: int) -> Interview:
    """A new draft with the child section filled in, saved as if typed: an answer the record
    cannot take now waits on the page with its error, as typed (nothing is refused here)."""
    known = known_child(db, user, child_id)
    draft = interviews.start_draft(db, user)
    values = forms.values_from_document({"child": child_section(known, user.organisation_code)})
    interviews.save_section(db, draft, user, forms.BY_SLUG["child"], rejected.as_form(values))
    source = _source(known.records)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="child.start-interview", target=str(known.child.id),
                 address=user.address,
                 details={"interview": str(draft.id),
                          "records": [str(source.id)] if source is not None else [],
                          "episodes": [str(known.episodes[0].id)] if known.episodes else []})
    return draft


# --- the pages -------------------------------------------------------------------------------
# Included before the capture pages' router: `/interviews/{interview_id}` would take "new".


@router.get("/interviews/new", response_class=HTMLResponse)
def start_page(request: Request, user: StartUser, db: SessionDep) -> Response:
    """Start a record: for a child the service knows (found here), or for a new child."""
    context, status = children.searched(db, user, request.query_params.get("q"), via="start")
    return templates.TemplateResponse(
        request, "interviews/new.html",
        {"current_user": user, "csrf_token": user.csrf_token, **context},
        status_code=status)


@router.post("/children/{child_id}/start")
def start_interview(child_id: str, user: StartUser, db: SessionDep) -> Response:
    draft = start_for_child(db, user, children.child_key(child_id))
    return RedirectResponse(f"/interviews/{draft.id}/{forms.SECTIONS[0].slug}?known=1",
                            status_code=303)
