"""The partnership's organisations, for administrators: the list (codes, names, kinds: what
every form's organisation list shows anyway), adding one (a newly commissioned provider, a
neighbouring authority), and renaming their own. Audited as `organisation.create` and
`organisation.rename`. Codes never change: records, episodes and exports name organisations by
code.
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
def rename_own(request: Request, db: SessionDep, user: Admin,
               name: Annotated[str, Form(max_length=400)] = "") -> Response:
    own = accounts.get_organisation(db, user.organisation_code)
    if own is None:
        raise NotFound("Your organisation is not known")
    try:
        before = accounts.rename_organisation(db, own, name)
    except BadRequest as refusal:
        listed = db.execute(select(Organisation)
                            .order_by(col(Organisation.name))).scalars().all()
        return _page(request, "admin/organisations.html", status=422, organisations=listed,
                     own=user.organisation_code, rename_error=refusal.detail,
                     error_list=[{"text": refusal.detail, "href": "#name"}])
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="organisation.rename", target=own.code, address=user.address,
                 details={"from": before, "to": own.name})
    return RedirectResponse(f"/admin/organisations?done={own.code}", status_code=303)
