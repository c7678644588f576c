"""The interview pages: home, the form's sections, check your answers, the record, oversight.

One route serves GET and POST for each section. Invalid input re-renders the page with the GOV.UK
error summary and status 422; a good save redirects (PRG). An htmx autosave gets back only the
save status (and, out of band, the error summary) so nothing the person is typing is replaced.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import desc, func, select
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from app.accounts.caller import Caller
from app.accounts.deps import CurrentUser, allow
from app.accounts.models import Organisation
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import BadRequest, FieldError, NotFound, ValidationFailed
from app.core.http import is_htmx
from app.core.templating import templates
from app.interviews import changes, forms, guidance, rejected, service, storage
from app.interviews.oversight import QueueFilter, oversight_queue
from app.interviews.recipients import recipient_reports
from app.interviews.summary import summarise
from app.record import codes, register
from app.record.formats import ORG_CODE
from app.record.models import Interview, RegisterEpisode
from app.record.visibility import get_visible, visible_to
from app.standards import titles as standard_titles

router = APIRouter()

RECORD_ROLES = ("interviewer", "placement_team", "manager")
RecordUser = Annotated[Caller, Depends(allow(roles=RECORD_ROLES))]
ManagerUser = Annotated[Caller, Depends(allow(roles=("manager",)))]


def _render(request: Request, template: str, user: Caller, status: int = 200,
            **context: Any) -> HTMLResponse:
    base = {"current_user": user, "csrf_token": user.csrf_token, "codes": codes,
            "sections": forms.SECTIONS}
    response = templates.TemplateResponse(request, template, {**base, **context},
                                          status_code=status)
    response.headers["Vary"] = "HX-Request"
    return response


def _load(db: SessionDep, interview_id: UUID, user: Caller) -> Interview:
    return get_visible(db, interview_id, user.organisation_code)


def _error_list(errors: list[FieldError]) -> list[dict[str, str]]:
    """GOV.UK error summary items: each links to the field (the first date part for dates)."""
    items = []
    for error in errors:
        target = forms.field_id(error.pointer)
        if error.code in ("invalid_date", "invalid_timestamp", "in_future", "before_start",
                          "before_return", "too_old", "overlapping_episodes",
                          "several_open_episodes") or error.pointer.endswith(
                              ("_at", "/at", "date_of_birth")):
            target += "-day"
        items.append({"text": error.message, "href": f"#{target}"})
    return items


def _audit_view(db: SessionDep, user: Caller, interview: Interview,
                page: str | None = None) -> None:
    """A page showing a record's content is a read of identifying data: audited (`page`: a
    section or the check page; none for the record page)."""
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="interview.view", target=str(interview.id), address=user.address,
                 details={"page": page} if page else {})


def _organisations(db: SessionDep) -> list[Organisation]:
    return list(db.execute(select(Organisation).order_by(col(Organisation.name))).scalars())


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    """The person's work: drafts and returned records, recent records, the oversight queue."""
    if user.role == "analyst":
        return RedirectResponse("/reports/quarterly", status_code=303)
    if user.role == "admin":
        return _render(request, "home_admin.html", user)
    visible = visible_to(user.organisation_code)
    drafts = db.execute(
        select(Interview).where(visible, col(Interview.status).in_(("draft", "returned")))
        .order_by(desc(col(Interview.updated_at))).limit(50)
    ).scalars().all()
    recent = db.execute(
        select(Interview).where(visible, col(Interview.status).in_(("submitted", "approved")))
        .order_by(desc(col(Interview.updated_at))).limit(20)
    ).scalars().all()
    only, filter_errors = _queue_filter(request) if user.role == "manager" else (None, {})
    queue = oversight_queue(db, user, only=only) if user.role == "manager" else None
    placed = _placed_out_of_area(db, user) if user.role == "placement_team" else []
    shown = [str(i.id) for i in (*drafts, *recent, *placed, *(queue.interviews() if queue
                                                               else ()))]
    if shown:  # the lists name children: which records they showed is audited
        audit.record(db, actor=user.label, organisation=user.organisation_code,
                     action="interview.list", address=user.address,
                     details={"via": "home", "count": len(set(shown)),
                              "ids": sorted(set(shown))})
    # "Save and come back later" lands here: say which record was saved (one of the drafts).
    saved_id = request.query_params.get("saved")
    saved = next((d for d in drafts if str(d.id) == saved_id), None)
    return _render(request, "home.html", user, drafts=drafts, recent=recent, queue=queue,
                   saved=saved, returns=_returns_waiting(db, user), placed=placed,
                   discarded=request.query_params.get("discarded") == "1",
                   only=only, filter_errors=filter_errors, standard_titles=standard_titles(),
                   names=organisation_names(db) if queue is not None or placed else {})


def _queue_filter(request: Request) -> tuple[QueueFilter, dict[str, str]]:
    """The queue's filters from the query string; a value that is not one of the choices is
    said beside its field and not applied."""
    params = request.query_params
    errors: dict[str, str] = {}
    standard = (params.get("standard") or "").strip() or None
    if standard is not None and standard not in standard_titles():
        errors["standard"] = "Choose a standard from the list"
        standard = None
    recorded_by = (params.get("recorded_by") or "").strip() or None
    if recorded_by is not None and not ORG_CODE.match(recorded_by):
        errors["recorded_by"] = "Choose an organisation from the list"
        recorded_by = None
    exploitation = params.get("exploitation")
    if exploitation not in (None, "", "1"):
        errors["exploitation"] = "Tick the box, or leave it empty"
    return QueueFilter(standard, recorded_by, exploitation == "1"), errors


def _placed_out_of_area(db: SessionDep, user: Caller, limit: int = 200) -> list[Interview]:
    """For a placement team: the latest submitted record of each of its authority's children
    placed in another area, most recent first."""
    placed_in = col(Interview.document)["child"]["placement_authority"].as_string()
    rows = db.execute(
        select(Interview)
        .where(col(Interview.responsible_authority) == user.organisation_code,
               col(Interview.status) != "draft", placed_in.is_not(None),
               placed_in != user.organisation_code)
        .order_by(desc(col(Interview.updated_at))).limit(limit * 5)).scalars().all()
    latest: dict[int | None, Interview] = {}
    for interview in rows:
        latest.setdefault(interview.child_id, interview)
    return list(latest.values())[:limit]


def _returns_waiting(db: SessionDep, user: Caller) -> dict[str, int]:
    """How many returns wait for an offer (for a manager: the co-ordinator's list), and how
    many of them are allocated to the person signed in (counts only: no child is named)."""
    waiting = (select(func.count()).select_from(RegisterEpisode)
               .where(register.visible_to(user.organisation_code),
                      col(RegisterEpisode.duplicate_of).is_(None),
                      col(RegisterEpisode.returned_at).is_not(None),
                      col(RegisterEpisode.offer_outcome).is_(None)))
    mine = db.execute(waiting.where(
        col(RegisterEpisode.allocated_user_id) == user.user_id)).scalar_one()
    everyone = db.execute(waiting).scalar_one() if user.role == "manager" else 0
    return {"waiting": everyone, "mine": mine}


# The start page, `GET /interviews/new`, finds a child the service knows: app/episodes/known.py.
@router.post("/interviews/new")
def new_interview(db: SessionDep, user: RecordUser) -> Response:
    interview = service.start_draft(db, user)
    return RedirectResponse(f"/interviews/{interview.id}/child", status_code=303)


def _section_page(request: Request, user: RecordUser, db: SessionDep, interview: Interview,
                  section: forms.Section, values: dict[str, Any], errors: list[FieldError],
                  status: int = 200) -> HTMLResponse:
    error_items = _error_list(errors)
    by_field: dict[str, str] = {}
    for error, item in zip(errors, error_items, strict=True):
        by_field.setdefault(item["href"][1:].removesuffix("-day"), error.message)
    index = forms.SECTIONS.index(section)
    next_url = (f"/interviews/{interview.id}/{forms.SECTIONS[index + 1].slug}"
                if index + 1 < len(forms.SECTIONS) else f"/interviews/{interview.id}/check")
    # What this section still needs before submitting, and the standards' evidence it holds.
    missing = storage.validate(db, interview.document, complete=True,
                               viewer=user.organisation_code, interview_id=interview.id).errors
    titles = standard_titles()
    needed = guidance.needed_here(
        section, missing, guidance.unmet(storage.current_findings(interview), titles,
                                         interview.id), interview.id)
    return _render(
        request, f"interviews/sections/{section.slug}.html", user, status=status,
        interview=interview, section=section, values=values, errors=by_field,
        error_list=error_items, next_url=next_url, organisations=_organisations(db),
        saved_at=interview.updated_at if not errors else None, needed=needed,
        return_to=request.query_params.get("return_to") == "check",
        known=request.query_params.get("known") == "1",
        decision=service.current_decision(db, interview, user.organisation_code),
    )


@router.get("/interviews/{interview_id}/check", response_class=HTMLResponse)
def check_answers(request: Request, interview_id: UUID, db: SessionDep,
                  user: RecordUser) -> Response:
    interview = _load(db, interview_id, user)
    _audit_view(db, user, interview, "check")
    missing = storage.validate(db, interview.document, complete=True,
                               viewer=user.organisation_code,
                               interview_id=interview.id).errors
    return _check_page(request, user, interview, missing, [], names=organisation_names(db),
                       unsaved=service.unsaved_answers(db, interview, user.organisation_code),
                       decision=service.current_decision(db, interview, user.organisation_code))


def _field_link(interview: Interview, error: FieldError) -> dict[str, str]:
    section = forms.section_for(error.pointer)
    return {"text": error.message,
            "href": f"/interviews/{interview.id}/{section.slug}?return_to=check"
                    f"#{forms.field_id(error.pointer)}"}


def organisation_names(db: SessionDep) -> dict[str, str]:
    return {o.code: o.name for o in _organisations(db)}


def _check_page(request: Request, user: Caller, interview: Interview,
                missing: list[FieldError], errors: list[FieldError],
                status: int = 200, unsaved: list[FieldError] | None = None,
                names: dict[str, str] | None = None,
                decision: service.Decision | None = None) -> HTMLResponse:
    findings = storage.current_findings(interview)
    titles = standard_titles()
    unmet = guidance.unmet(findings, titles, interview.id)
    missing_by_section: dict[str, list[dict[str, str]]] = {}
    for error in missing:
        missing_by_section.setdefault(forms.section_for(error.pointer).slug, []).append(
            _field_link(interview, error))
    groups = {group: [item for item in unmet if item.group == group]
              for group in guidance.GROUPS}
    error_list = [{"text": e.message, "href": f"/interviews/{interview.id}/"
                   f"{forms.section_for(e.pointer).slug}"} for e in errors]
    return _render(request, "interviews/check.html", user, status=status, interview=interview,
                   doc=interview.document,
                   blocks=summarise(interview.document, f"/interviews/{interview.id}",
                                    names),
                   unmet=unmet, groups=groups, titles=titles,
                   missing_by_section=missing_by_section, error_list=error_list,
                   unsaved=[_field_link(interview, e) for e in unsaved or []],
                   decision=decision, can_submit=(not missing and not unsaved
                               and interview.status in ("draft", "returned")))


@router.post("/interviews/{interview_id}/submit")
def submit_interview(request: Request, interview_id: UUID, db: SessionDep,
                     user: RecordUser) -> Response:
    interview = _load(db, interview_id, user)
    if interview.status not in ("draft", "returned"):
        return RedirectResponse(f"/interviews/{interview.id}", status_code=303)
    errors = service.submit(db, interview, user)
    if errors:
        unsaved = service.unsaved_answers(db, interview, user.organisation_code)
        return _check_page(request, user, interview, [e for e in errors if e not in unsaved],
                           errors, status=422, unsaved=unsaved, names=organisation_names(db),
                           decision=service.current_decision(db, interview,
                                                             user.organisation_code))
    return RedirectResponse(f"/interviews/{interview.id}?submitted=1", status_code=303)


def _record_page(request: Request, db: SessionDep, user: Caller, interview: Interview,
                 status: int = 200, errors: list[FieldError] | None = None,
                 typed: dict[str, str] | None = None) -> HTMLResponse:
    """The record, then (for a manager, while it waits) their decision; with the errors of a
    decision that could not be made, and what they typed, kept."""
    versions = storage.versions(db, interview)  # read with the record, from the same snapshot
    _audit_view(db, user, interview)
    titles = standard_titles()
    decisions = service.decisions(db, interview, versions, user.organisation_code)
    error_list = [{"text": e.message, "href": f"#{forms.field_id(e.pointer)}"}
                  for e in errors or []]
    decided = request.query_params.get("decided") if status == 200 else None
    return _render(request, "interviews/record.html", user, status=status,
                   interview=interview, doc=interview.document,
                   findings=storage.current_findings(interview),
                   blocks=summarise(interview.document, f"/interviews/{interview.id}",
                                    organisation_names(db)),
                   titles=titles, submitted=request.query_params.get("submitted") == "1",
                   decided=decided if decided == interview.status else None,
                   versions=versions, decisions=decisions,
                   decision=decisions.get(interview.version)
                   if interview.status in ("approved", "returned") else None,
                   own_record=service.wrote(db, interview, user), error_list=error_list,
                   errors={item["href"][1:]: item["text"] for item in error_list},
                   typed=typed or {},
                   reports=recipient_reports(interview) if interview.status != "draft" else None)


@router.get("/interviews/{interview_id}", response_class=HTMLResponse)
def record_page(request: Request, interview_id: UUID, db: SessionDep,
                user: RecordUser) -> Response:
    return _record_page(request, db, user, _load(db, interview_id, user))


@router.post("/interviews/{interview_id}/approve")
def approve(request: Request, interview_id: UUID, db: SessionDep, user: ManagerUser,
            oversight_note: Annotated[str, Form(max_length=20_000)] = "",
            read_record: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Approve, with the manager's oversight note and their word that they read the record."""
    interview = _load(db, interview_id, user)
    try:
        service.approve(db, interview, user, oversight_note, read_record=read_record == "yes")
    except ValidationFailed as invalid:
        return _record_page(request, db, user, interview, 422, invalid.errors,
                            {"oversight_note": oversight_note, "read_record": read_record})
    return RedirectResponse(f"/interviews/{interview.id}?decided=approved", status_code=303)


@router.post("/interviews/{interview_id}/return")
def return_record(request: Request, interview_id: UUID, db: SessionDep, user: ManagerUser,
                  comment: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """Return to the interviewer, with the manager's comment: what they should change."""
    interview = _load(db, interview_id, user)
    try:
        service.return_to_interviewer(db, interview, user, comment)
    except ValidationFailed as invalid:
        return _record_page(request, db, user, interview, 422, invalid.errors,
                            {"comment": comment})
    return RedirectResponse(f"/interviews/{interview.id}?decided=returned", status_code=303)


@router.get("/interviews/{interview_id}/versions/{number}", response_class=HTMLResponse)
def version_page(request: Request, interview_id: UUID, number: int, db: SessionDep,
                 user: RecordUser) -> Response:
    """What changed in one version of a record since the version before, in plain words."""
    interview = _load(db, interview_id, user)
    versions = {v.version: v for v in storage.versions(db, interview)}
    version = versions.get(number)
    if version is None:
        raise NotFound("This record has no such version")
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="interview.view", target=str(interview.id), address=user.address,
                 details={"page": "versions", "version": number})
    previous = versions.get(number - 1)
    found = changes.changes(previous.document, version.document, version.changed_pointers,
                            organisation_names(db)) if previous is not None else []
    return _render(request, "interviews/version.html", user, interview=interview,
                   doc=interview.document, version=version, previous=previous, changes=found,
                   decision=service.decisions(db, interview, list(versions.values()),
                                              user.organisation_code).get(number),
                   later=number + 1 if number + 1 in versions else None,
                   by=service.submitted_by(db, version, user.organisation_code))


def _draft_name(interview: Interview) -> str:
    child = interview.document.get("child") or {}
    name = f"{child.get('given_name') or ''} {child.get('family_name') or ''}".strip()
    return name or "the unnamed child"


@router.get("/interviews/{interview_id}/discard", response_class=HTMLResponse)
def discard_page(request: Request, interview_id: UUID, db: SessionDep,
                 user: RecordUser) -> Response:
    interview = _load(db, interview_id, user)
    if interview.status != "draft" or interview.version != 0:
        return RedirectResponse(f"/interviews/{interview.id}", status_code=303)
    return _render(request, "interviews/discard.html", user, interview=interview,
                   name=_draft_name(interview), error=None, reason="")


@router.post("/interviews/{interview_id}/discard", response_class=HTMLResponse)
def discard(request: Request, interview_id: UUID, db: SessionDep, user: RecordUser,
            reason: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    interview = _load(db, interview_id, user)
    name = _draft_name(interview)
    try:
        service.discard_draft(db, interview, user, reason)
    except BadRequest as refusal:
        return _render(request, "interviews/discard.html", user, 422, interview=interview,
                       name=name, error=refusal.detail, reason=reason)
    return RedirectResponse("/?discarded=1", status_code=303)


@router.api_route("/interviews/{interview_id}/{slug}", methods=["GET", "POST"],
                  response_class=HTMLResponse)
async def section(request: Request, interview_id: UUID, slug: str, db: SessionDep,
                  user: RecordUser) -> Response:
    """A section of the form: GET shows it, POST saves it (htmx autosave or a plain post)."""
    section = forms.BY_SLUG.get(slug)
    if section is None:
        raise NotFound("There is no such part of the form")
    interview = _load(db, interview_id, user)
    if interview.status not in ("draft", "returned"):
        # Submitted and approved records are changed only by returning them (or by the API).
        if is_htmx(request):
            # 200 so htmx swaps it in: the person must see that nothing more is being saved.
            return _render(request, "_save_status.html", user, saved_at=None,
                           save_error="Not saved: this interview has been submitted. Copy "
                                      "anything you typed before you leave this page.")
        return RedirectResponse(f"/interviews/{interview.id}", status_code=303)
    if request.method == "GET":
        # Off the event loop: on SQLite the audit entry may wait for the writer's turn, which a
        # request holding it can only give back if the loop runs.
        await run_in_threadpool(_audit_view, db, user, interview, section.slug)
        # What was typed but could not be saved comes back as typed, with its errors.
        typed = rejected.held(interview, section.slug)
        if typed is not None:
            errors = service.held_errors(db, interview, section, user.organisation_code)
            return _section_page(request, user, db, interview, section, typed, errors)
        values = forms.values_from_document(interview.document)
        if section.slug == "interview" and not values.get("interview-interviewer_name"):
            # Fewer taps: the person signed in is usually the interviewer (they can change it).
            values["interview-interviewer_name"] = user.name or ""
        return _section_page(request, user, db, interview, section, values, [])
    form = await request.form()
    result = service.save_section(db, interview, user, section, form)
    errors = result.errors
    if is_htmx(request):
        return _render(request, "interviews/_autosave_result.html", user,
                       status=422 if errors else 200, saved_at=result.saved_at,
                       error_list=_error_list(errors))
    action, goto = form.get("action"), form.get("goto")
    # Leaving the page: everything typed is kept (the errors wait on the page until fixed).
    if action == "later":
        return RedirectResponse(f"/?saved={interview.id}", status_code=303)
    if isinstance(goto, str) and (goto in forms.BY_SLUG or goto == "check"):
        return RedirectResponse(f"/interviews/{interview.id}/{goto}", status_code=303)
    if errors:
        return _section_page(request, user, db, interview, section,
                             rejected.typed_values(form), errors, status=422)
    if isinstance(action, str) and (action.startswith("add-") or action.startswith("remove-")):
        return RedirectResponse(f"/interviews/{interview.id}/{section.slug}#{action}",
                                status_code=303)
    if form.get("return_to") == "check":
        return RedirectResponse(f"/interviews/{interview.id}/check", status_code=303)
    index = forms.SECTIONS.index(section)
    target = (forms.SECTIONS[index + 1].slug if index + 1 < len(forms.SECTIONS) else "check")
    return RedirectResponse(f"/interviews/{interview.id}/{target}", status_code=303)
