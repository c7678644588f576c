"""The partnership's organisations, for administrators: the list (codes, names, kinds: what
every form's organisation list shows anyway), adding one (a newly commissioned provider, a
neighbouring authority), renaming their own, and setting their own's email address for the
service's notices (app/notify/). Audited as `organisation.create`, `organisation.rename` and
`organisation.notify_email`. Codes never change: records, episodes and exports name
organisations by code.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.caller import Caller
from app.accounts.deps import allow, page_context
from app.accounts.models import ORG_KIND, Organisation
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import BadRequest, Conflict, NotFound
from app.core.templating import templates
from app.notify.addresses import InvalidAddress, parse_notify_email

router = APIRouter(include_in_schema=False)

Admin = Annotated[Caller, Depends(allow(roles=("admin",)))]


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template,
                                      page_context(request, kinds=ORG_KIND, **context),
                                      status_code=status)


@router.get("/admin/organisations", response_class=HTMLResponse)
def organisations(request: Request, db: SessionDep, user: Admin) -> Response:
    listed = db.execute(select(Organisation).order_by(col(Organisation.name))).scalars().all()
    return _page(request, "admin/organisations.html", organisations=listed,
                 own=user.organisation_code, done=request.query_params.get("done"))


@router.get("/admin/organisations/new", response_class=HTMLResponse)
def new_form(request: Request, user: Admin) -> Response:
    return _page(request, "admin/organisation_new.html", values={}, errors={}, error_list=[])


@router.post("/admin/organisations/new", response_class=HTMLResponse)
def new(request: Request, db: SessionDep, user: Admin,
        code: Annotated[str, Form(max_length=200)] = "",
        name: Annotated[str, Form(max_length=400)] = "",
        kind: Annotated[str, Form(max_length=40)] = "") -> Response:
    errors: dict[str, str] = {}
    if kind not in ORG_KIND:
        errors["kind"] = "Choose what kind of organisation it is"
    if not errors:
        try:
            made = accounts.create_organisation(db, code, name, kind)
        except Conflict:
            errors["code"] = "An organisation already has this code"
        except BadRequest as refusal:
            errors["code" if "code" in refusal.detail else "name"] = refusal.detail
        else:
            audit.record(db, actor=user.label, organisation=user.organisation_code,
                         action="organisation.create", target=made.code,
                         address=user.address, details={"name": made.name, "kind": made.kind})
            return RedirectResponse(f"/admin/organisations?done={made.code}", status_code=303)
    return _page(request, "admin/organisation_new.html", status=422,
                 values={"code": code, "name": name, "kind": kind}, errors=errors,
                 error_list=[{"text": text, "href": f"#{field}"}
                             for field, text in errors.items()])


@router.post("/admin/organisations/own", response_class=HTMLResponse)
def change_own(request: Request, db: SessionDep, user: Admin,
               name: Annotated[str | None, Form(max_length=400)] = None,
               change: Annotated[str | None, Form(max_length=40)] = None,
               notify_email: Annotated[str | None, Form()] = None) -> Response:
    """The administrator's own organisation: its name, or (the page's second form, marked
    `change=notify_email`, since an emptied field arrives as no field) its email address for
    notices. Never another organisation's: the form names none."""
    own = accounts.get_organisation(db, user.organisation_code)
    if own is None:
        raise NotFound("Your organisation is not known")
    if change == "notify_email" or notify_email is not None:
        return _set_notify_email(request, db, user, own, notify_email or "")
    try:
        before = accounts.rename_organisation(db, own, name or "")
    except BadRequest as refusal:
        return _own_again(request, db, user, rename_error=refusal.detail,
                          error_list=[{"text": refusal.detail, "href": "#name"}])
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="organisation.rename", target=own.code, address=user.address,
                 details={"from": before, "to": own.name})
    return RedirectResponse(f"/admin/organisations?done={own.code}", status_code=303)


def _own_again(request: Request, db: SessionDep, user: Caller, **context: Any) -> Response:
    listed = db.execute(select(Organisation).order_by(col(Organisation.name))).scalars().all()
    return _page(request, "admin/organisations.html", status=422, organisations=listed,
                 own=user.organisation_code, **context)


def _set_notify_email(request: Request, db: SessionDep, user: Caller, own: Organisation,
                      typed: str) -> Response:
    try:
        address = parse_notify_email(typed)
    except InvalidAddress as refusal:
        return _own_again(request, db, user, notify_email_error=str(refusal),
                          notify_email_typed=typed,
                          error_list=[{"text": str(refusal), "href": "#notify_email"}])
    before = own.notify_email
    if address != before:
        own.notify_email = address
        db.flush()
        audit.record(db, actor=user.label, organisation=user.organisation_code,
                     action="organisation.notify_email", target=own.code,
                     address=user.address, details={"from": before, "to": address})
    return RedirectResponse(f"/admin/organisations?done={own.code}", status_code=303)
