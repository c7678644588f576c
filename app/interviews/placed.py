"""The host authority's pages: the children another authority placed in our area, and a
restricted view of each one's return interview record (issue 16).

`/placed-in-our-area` lists the records the signed-in person's organisation may see as the host
authority (`app.record.visibility.placed_in`: submitted, not drafts; the child's placement
authority is this organisation, and it neither recorded the record nor is responsible for the
child), most recently submitted first. `/placed-in-our-area/{id}` shows one of them, and it
holds exactly the host authority's report (`app.interviews.reports`, recipient
`host_authority`: the one definition of what a host authority may see), under a banner saying
that it is a restricted view and whom to contact. Both read the version last submitted, so a
record a manager returned to the interviewer shows what was submitted, never what is being
changed.

Nothing else of the record is open to the host authority: the record's own pages, the other
recipients' reports and the API answer 404 to it as they do for any record it may not see. A
record that is not one of these answers 404 here, worded as an id never used. Each read is
audited: `interview.host-list` with the ids shown, `interview.host-view` with the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Select, and_, desc, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.templating import templates
from app.interviews.pages import RECORD_ROLES, organisation_names
from app.interviews.reports import build_report
from app.interviews.summary import NOT_RECORDED
from app.record.formats import parse_timestamp
from app.record.models import Interview, InterviewVersion
from app.record.visibility import NOT_VISIBLE, placed_in

router = APIRouter()

HostUser = Annotated[Caller, Depends(allow(roles=RECORD_ROLES))]

MOST_SHOWN: Final = 100
RECIPIENT: Final = "host_authority"


@dataclass(frozen=True)
class Placed:
    """A record on the list, as last submitted."""

    id: UUID
    name: str
    date_of_birth: str  # in words, as every value shown
    responsible_authority: str  # the code
    went_missing: datetime | None  # the latest episode's start
    submitted_at: datetime


def _child(document: dict[str, Any]) -> dict[str, Any]:
    child = document.get("child")
    return child if isinstance(child, dict) else {}


def _name(document: dict[str, Any]) -> str:
    child = _child(document)
    name = " ".join(str(child.get(part) or "").strip() for part in ("given_name", "family_name"))
    return name.strip() or "Unnamed child"


def _date_of_birth(document: dict[str, Any]) -> str:
    value = _child(document).get("date_of_birth")
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    return f"{day.day} {day:%B %Y}" if day else NOT_RECORDED


def _went_missing(document: dict[str, Any]) -> datetime | None:
    episodes = document.get("episodes")
    starts = [parse_timestamp(e["started_at"]) for e in episodes if isinstance(e, dict)
              and isinstance(e.get("started_at"), str)] if isinstance(episodes, list) else []
    return max((s for s in starts if s is not None), default=None)


def _submitted(organisation_code: str) -> Select[Interview, InterviewVersion]:
    """The records placed in the organisation's area, each with its version last submitted."""
    return (select(Interview, InterviewVersion)
            .join(InterviewVersion, and_(
                col(InterviewVersion.interview_id) == col(Interview.id),
                col(InterviewVersion.version) == col(Interview.version)))
            .where(placed_in(organisation_code)))


def placed_records(session: Session, organisation_code: str,
                   limit: int = MOST_SHOWN) -> list[Placed]:
    """The records of children placed in the organisation's area by another authority, most
    recently submitted first (at most `limit`)."""
    rows = session.execute(
        _submitted(organisation_code)
        .order_by(desc(col(InterviewVersion.created_at)), col(Interview.id)).limit(limit)).all()
    return [Placed(interview.id, _name(version.document), _date_of_birth(version.document),
                   interview.responsible_authority or "", _went_missing(version.document),
                   version.created_at)
            for interview, version in rows]


def placed_record(session: Session, interview_id: UUID,
                  organisation_code: str) -> tuple[Interview, InterviewVersion]:
    """One record placed in the organisation's area, and its version last submitted; NotFound,
    worded as for any record the organisation may not see, when it is not one."""
    found = session.execute(
        _submitted(organisation_code).where(col(Interview.id) == interview_id)).one_or_none()
    if found is None:
        raise NotFound(NOT_VISIBLE)
    return found[0], found[1]


def _render(request: Request, template: str, user: Caller, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {
        "current_user": user, "csrf_token": user.csrf_token, **context})


@router.get("/placed-in-our-area", response_class=HTMLResponse)
def placed_list(request: Request, db: SessionDep, user: HostUser) -> Response:
    """Children placed in our area: their records, most recently submitted first."""
    records = placed_records(db, user.organisation_code, MOST_SHOWN + 1)
    shown, more = records[:MOST_SHOWN], len(records) > MOST_SHOWN
    if shown:  # the list names children: which records it showed is audited
        audit.record(db, actor=user.label, organisation=user.organisation_code,
                     action="interview.host-list", address=user.address,
                     details={"count": len(shown), "ids": [str(p.id) for p in shown],
                              **({"more": True} if more else {})})
    return _render(request, "interviews/placed_list.html", user, records=shown, more=more,
                   most=MOST_SHOWN, names=organisation_names(db))


@router.get("/placed-in-our-area/{interview_id}", response_class=HTMLResponse)
def placed_page(request: Request, interview_id: UUID, db: SessionDep,
                user: HostUser) -> Response:
    """One record of a child placed in our area: the host authority's report, no more."""
    interview, version = placed_record(db, interview_id, user.organisation_code)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="interview.host-view", target=str(interview.id), address=user.address,
                 details={"version": version.version})
    names = organisation_names(db)
    return _render(request, "interviews/placed.html", user, interview=interview,
                   version=version, names=names,
                   report=build_report(RECIPIENT, version.document, names),
                   responsible=interview.responsible_authority or "",
                   child_name=_name(version.document))
