"""The register on the web: the co-ordinator's work list, recording an episode or a return,
allocating it, an interviewer's own list, and starting the interview from an episode.

Managers co-ordinate (the work list, recording, allocating); interviewers, placement teams and
managers see an episode and the returns allocated to them, and start the interview. Every page
showing episodes is a read of identifying data (case ids): audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col
from starlette.datastructures import FormData

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.accounts.models import Organisation, User
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from app.core.templating import templates
from app.core.text import digits
from app.core.types import utcnow
from app.episodes import identity, service
from app.interviews import forms
from app.record import codes
from app.record.models import REPORTED_BY, Child, RegisterEpisode
from app.record.register import STATE_LABELS, get_visible, state, visible_to
from app.standards import CURRENT, Finding, episode_findings

router = APIRouter()

EPISODE_ROLES = ("interviewer", "placement_team", "manager")
EpisodeUser = Annotated[Caller, Depends(allow(roles=EPISODE_ROLES))]
Coordinator = Annotated[Caller, Depends(allow(roles=("manager",)))]

# The form's fields, by the notification's JSON Pointer (`forms.field_id` names them).
TIMES = ("started_at", "found_at", "returned_at")


@dataclass(frozen=True)
class Row:
    """One episode on a list, with what the co-ordinator needs to decide."""

    episode: RegisterEpisode
    local_id: str
    state: str
    offer: Finding
    allocated_to: str | None

    @property
    def hours_left(self) -> int | None:
        """Whole hours left on the 72 hours (negative when overdue); None when not running."""
        due = self.offer.due_at
        if due is None or self.offer.result.value not in ("pending", "not_met") or \
                self.episode.offered_at is not None:
            return None
        return int((due - utcnow()) / timedelta(hours=1))  # whole hours, towards zero

    @property
    def overdue(self) -> bool:
        due = self.offer.due_at
        return self.hours_left is not None and due is not None and due < utcnow()


def _render(request: Request, template: str, user: Caller, status: int = 200,
            **context: Any) -> HTMLResponse:
    base = {"current_user": user, "csrf_token": user.csrf_token, "codes": codes,
            "reported_by": REPORTED_BY, "state_labels": STATE_LABELS}
    return templates.TemplateResponse(request, template, {**base, **context},
                                      status_code=status)


def _names(session: SessionDep, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(col(User.id), col(User.name))
                           .where(col(User.id).in_(user_ids))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def _rows(session: SessionDep, query: Any) -> list[Row]:
    found = session.execute(query).all()
    names = _names(session, {e.allocated_user_id for e, _ in found
                             if e.allocated_user_id is not None})
    now = utcnow()
    rows = []
    for episode, local_id in found:
        offer, _ = episode_findings(episode, CURRENT, now)
        person = names.get(episode.allocated_user_id) if episode.allocated_user_id else None
        rows.append(Row(episode, local_id, state(episode), offer,
                        person or episode.allocated_org))
    return rows


def _listed(session: SessionDep, user: Caller, rows: list[Row], page: str) -> None:
    audit.record(session, actor=user.label, organisation=user.organisation_code,
                 action="episode.list", address=user.address,
                 details={"page": page, "count": len(rows),
                          "ids": [str(row.episode.id) for row in rows]})


def _visible(user: Caller) -> Any:
    return (select(RegisterEpisode, col(Child.local_id))
            .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
            .where(visible_to(user.organisation_code),
                   col(RegisterEpisode.duplicate_of).is_(None)))


@router.get("/episodes", response_class=HTMLResponse)
def work_list(request: Request, user: Coordinator, db: SessionDep) -> Response:
    """Returns waiting for an offer (oldest deadline first), children still missing, and
    returns offered and waiting for the interview."""
    waiting = _rows(db, _visible(user).where(
        col(RegisterEpisode.returned_at).is_not(None),
        col(RegisterEpisode.offer_outcome).is_(None))
        .order_by(col(RegisterEpisode.returned_at), col(RegisterEpisode.id)).limit(500))
    missing = _rows(db, _visible(user).where(col(RegisterEpisode.returned_at).is_(None))
                    .order_by(col(RegisterEpisode.started_at)).limit(500))
    _listed(db, user, waiting + missing, "work-list")
    return _render(request, "episodes/list.html", user,
                   waiting=[r for r in waiting if r.state == "returned"],
                   offered=[r for r in waiting if r.state == "offered"], missing=missing,
                   differences=len(identity.differences(db, user.organisation_code)))


@router.get("/episodes/mine", response_class=HTMLResponse)
def my_list(request: Request, user: EpisodeUser, db: SessionDep) -> Response:
    """The returns allocated to the person signed in that have no interview recorded yet."""
    rows = _rows(db, _visible(user).where(
        col(RegisterEpisode.allocated_user_id) == user.user_id,
        col(RegisterEpisode.offer_outcome).is_(None))
        .order_by(col(RegisterEpisode.returned_at), col(RegisterEpisode.id)).limit(500))
    _listed(db, user, rows, "mine")
    return _render(request, "episodes/mine.html", user, rows=rows)


# --- recording an episode, or a return -------------------------------------------------------


def _blank_form(user: Caller) -> dict[str, Any]:
    return {"id": str(uuid4()), "child-responsible_authority": user.organisation_code}


def _from_form(form: FormData, *, new: bool) -> dict[str, Any]:
    """The notification the form says, in the API's names (so it is checked the same way)."""
    def text(name: str) -> str | None:
        value = form.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    body: dict[str, Any] = {}
    for key in ("found_at", "returned_at"):
        body[key] = forms.timestamp_from_form(form, key)
    body.update({key: text(key) for key in ("reported_by", "police_reference",
                                            "police_risk_grade")})
    if new:
        body.update({
            "id": text("id"), "type": text("type"),
            "started_at": forms.timestamp_from_form(form, "started_at"),
            "child": {"responsible_authority": text("child-responsible_authority"),
                      "local_id": text("child-local_id"),
                      "date_of_birth": forms.date_from_form(form, "child-date_of_birth"),
                      "legal_status": text("child-legal_status")},
        })
        body["child"] = {k: v for k, v in body["child"].items() if v is not None}
        return {k: v for k, v in body.items() if v is not None}
    return body  # a change: a blank field clears it


def _errors(errors: list[FieldError]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Messages by field name, and the GOV.UK error summary linking to each."""
    by_field: dict[str, str] = {}
    summary = []
    for error in errors:
        shown = forms.for_people(error)
        name = forms.field_id(error.pointer)
        if error.pointer in ("", "/id"):
            name = "form"
        by_field.setdefault(name, shown.message)
        target = f"{name}-day" if name.endswith(("_at", "date_of_birth")) else name
        summary.append({"text": shown.message, "href": f"#{target}"})
    return by_field, summary


def _values(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _organisations(db: SessionDep) -> dict[str, str]:
    rows = db.execute(select(col(Organisation.code), col(Organisation.name))
                      .order_by(col(Organisation.name))).all()
    return {code: f"{name} ({code})" for code, name in rows}


@router.get("/episodes/new", response_class=HTMLResponse)
def new_episode(request: Request, user: Coordinator, db: SessionDep) -> Response:
    return _render(request, "episodes/new.html", user, values=_blank_form(user), errors={},
                   error_list=[], organisations=_organisations(db))


@router.post("/episodes/new", response_class=HTMLResponse)
async def record_episode(request: Request, user: Coordinator, db: SessionDep) -> Response:
    form = await request.form()
    try:
        episode, _ = service.notify(db, user, _from_form(form, new=True))
    except (ValidationFailed, Conflict) as problem:
        errors = problem.errors if isinstance(problem, ValidationFailed) else [
            FieldError(e["pointer"], e["code"], problem.detail)
            for e in problem.extra.get("errors", [])] or [
            FieldError("", "conflict", problem.detail)]
        by_field, summary = _errors(errors)
        values = {**_values(form)}
        if isinstance(problem, Conflict) and not problem.extra.get("errors"):
            values["id"] = str(uuid4())  # a clash of ids: the next try is a new notification
        return _render(request, "episodes/new.html", user, 422, values=values,
                       errors=by_field, error_list=summary, organisations=_organisations(db))
    return RedirectResponse(f"/episodes/{episode.id}?recorded=1", status_code=303)


def _load(db: SessionDep, episode_id: str, user: Caller) -> RegisterEpisode:
    try:
        parsed = UUID(episode_id)
    except ValueError:
        raise NotFound("No episode with this id is visible to you") from None
    return get_visible(db, parsed, user.organisation_code)


def _episode_values(episode: RegisterEpisode) -> dict[str, str]:
    values: dict[str, str] = {}
    for key in ("found_at", "returned_at"):
        moment: datetime | None = getattr(episode, key)
        if moment is not None:
            parts = forms.split_timestamp(moment.isoformat())
            values.update({f"{key}-{part}": value for part, value in parts.items()})
    for key in ("reported_by", "police_reference", "police_risk_grade"):
        values[key] = getattr(episode, key) or ""
    values["version"] = str(episode.version)
    return values


def _show(request: Request, db: SessionDep, user: Caller, episode: RegisterEpisode,
          status: int = 200, **context: Any) -> HTMLResponse:
    local_id = service.local_id_of(db, episode)
    findings = episode_findings(episode, CURRENT, utcnow())
    allocated = _names(db, {episode.allocated_user_id}) if episode.allocated_user_id else {}
    context.setdefault("values", _episode_values(episode))
    context.setdefault("errors", {})
    context.setdefault("error_list", [])
    return _render(
        request, "episodes/episode.html", user, status, episode=episode, local_id=local_id,
        state=state(episode), findings=findings,
        allocated_person=allocated.get(episode.allocated_user_id or -1),
        may_change=service.may_change(episode, user),
        may_allocate=service.may_allocate(episode, user),
        may_start=state(episode) in ("returned", "offered"),
        authority=user.organisation_code == episode.responsible_authority,
        people=service.interviewers(db, user.organisation_code),
        organisations=_organisations(db), recorded=request.query_params.get("recorded"),
        **context)


@router.get("/episodes/{episode_id}", response_class=HTMLResponse)
def episode_page(request: Request, episode_id: str, user: EpisodeUser,
                 db: SessionDep) -> Response:
    episode = _load(db, episode_id, user)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="episode.view", target=str(episode.id), address=user.address)
    return _show(request, db, user, episode)


@router.post("/episodes/{episode_id}", response_class=HTMLResponse)
async def change_episode(request: Request, episode_id: str, user: Coordinator,
                         db: SessionDep) -> Response:
    """Record the return (or when the child was found, the police details)."""
    form = await request.form()
    episode = _load(db, episode_id, user)
    version = form.get("version")
    # The version the page showed: a change made since by someone else is not overwritten.
    shown = version if isinstance(version, str) and digits(version) and len(version) < 9 \
        else "0"
    try:
        service.change(db, user, episode.id, _from_form(form, new=False),
                       f'"{episode.id}-v{shown}"')
    except ValidationFailed as problem:
        by_field, summary = _errors(problem.errors)
        return _show(request, db, user, episode, 422, values=_values(form), errors=by_field,
                     error_list=summary)
    except PreconditionFailed:
        message = ("Someone else changed this episode after you opened it. It is shown as it "
                   "is now: check it, then enter your change again")
        return _show(request, db, user, episode, 409, errors={"form": message},
                     error_list=[{"text": message, "href": "#return"}])
    return RedirectResponse(f"/episodes/{episode.id}?recorded=1", status_code=303)


@router.post("/episodes/{episode_id}/allocate", response_class=HTMLResponse)
async def allocate(request: Request, episode_id: str, user: Coordinator,
                   db: SessionDep) -> Response:
    form = await request.form()
    episode = _load(db, episode_id, user)
    person, organisation = form.get("user_id"), form.get("organisation")
    try:
        service.allocate(
            db, user, episode.id,
            organisation=organisation if isinstance(organisation, str) and organisation
            else None,
            user_id=int(person) if isinstance(person, str) and digits(person) and
            len(person) < 12 else (-1 if person else None))
    except ValidationFailed as problem:
        by_field, summary = _errors(problem.errors)
        return _show(request, db, user, episode, 422, errors=by_field, error_list=summary)
    back = form.get("back")
    target = "/episodes" if back == "list" else f"/episodes/{episode.id}"
    return RedirectResponse(target, status_code=303)


@router.post("/episodes/{episode_id}/start")
def start_interview(episode_id: str, user: EpisodeUser, db: SessionDep) -> Response:
    episode = _load(db, episode_id, user)
    draft = service.start_interview(db, user, episode.id)
    return RedirectResponse(f"/interviews/{draft.id}/{forms.SECTIONS[0].slug}",
                            status_code=303)



# --- the child's identity: differences for the responsible authority to decide ---------------


@router.get("/children/differences", response_class=HTMLResponse)
def differences_page(request: Request, user: Coordinator, db: SessionDep) -> Response:
    """Dates of birth other organisations gave for the authority's children differently."""
    found = identity.differences(db, user.organisation_code)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="child.differences", address=user.address,
                 details={"count": len(found), "children": sorted({d.child_id for d in found})})
    return _render(request, "episodes/differences.html", user, differences=found,
                   decided=request.query_params.get("decided"))


@router.post("/children/differences/{source}/{source_id}/{decision}")
def decide_difference(source: str, source_id: str, decision: str, user: Coordinator,
                      db: SessionDep) -> Response:
    try:
        UUID(source_id)
    except ValueError:
        raise NotFound("No such difference is waiting for your decision") from None
    identity.decide(db, user, source, source_id, decision)
    return RedirectResponse(f"/children/differences?decided={decision}", status_code=303)
