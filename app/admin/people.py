"""The administrator's pages for the people of their organisation (GOV.UK patterns): the list,
inviting someone, and what can be done to one person's account. Every change is a POST with
the session's CSRF token, audited (`app/accounts/administration.py`); a temporary password is
shown once, on the page that made it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import administration as admin
from app.accounts.caller import Caller
from app.accounts.deps import allow, page_context
from app.accounts.models import ROLES, User
from app.core.db import SessionDep
from app.core.errors import BadRequest, Conflict, NotFound
from app.core.templating import templates
from app.core.text import digits

router = APIRouter(include_in_schema=False)

Admin = Annotated[Caller, Depends(allow(roles=("admin",)))]
ROLE_NAMES = {"interviewer": "Interviewer", "placement_team": "Placement team",
              "manager": "Manager", "analyst": "Analyst", "admin": "Administrator"}
DONE = {"disable": "The account is disabled and its sessions have ended",
        "enable": "The account is enabled again",
        "end-sessions": "Every session of this account has ended",
        "reset-second-factor": "The second factor is reset: they set up an authenticator at "
                               "their next sign-in",
        "role": "The role is changed; their sessions have ended, so the next sign-in uses it"}


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template,
                                      page_context(request, role_names=ROLE_NAMES, **context),
                                      status_code=status)


def _user_id(text: str) -> int:
    if not digits(text) or len(text) > 18:
        raise NotFound("No one with this id is in your organisation")
    return int(text)


@router.get("/admin/people", response_class=HTMLResponse)
def people(request: Request, db: SessionDep, user: Admin) -> Response:
    return _page(request, "admin/people.html", people=admin.people_of(db, user),
                 me=user.user_id)


@router.get("/admin/people/new", response_class=HTMLResponse)
def invite_form(request: Request, user: Admin) -> Response:
    return _page(request, "admin/invite.html", values={}, errors={}, error_list=[])


@router.post("/admin/people/new", response_class=HTMLResponse)
def invite(request: Request, db: SessionDep, user: Admin,
           email: Annotated[str, Form(max_length=400)] = "",
           name: Annotated[str, Form(max_length=400)] = "",
           role: Annotated[str, Form(max_length=40)] = "") -> Response:
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter their email address"
    if not name.strip():
        errors["name"] = "Enter their name"
    if role not in ROLES:
        errors["role"] = "Choose their role"
    if not errors:
        try:
            invited = admin.invite(db, user, email, name, role)
        except Conflict:
            errors["email"] = "Someone already has this email address"
        except BadRequest as refusal:
            field = "name" if refusal.detail.startswith("Enter a name") else "email"
            errors[field] = refusal.detail
        else:
            return _page(request, "admin/password.html", person=invited.user,
                         password=invited.password, invited=True)
    return _page(request, "admin/invite.html", status=422,
                 values={"email": email, "name": name, "role": role}, errors=errors,
                 error_list=[{"text": t, "href": f"#{f}"} for f, t in errors.items()])


def _person_page(request: Request, db: SessionDep, user: Caller, person: User,
                 status: int = 200, error: str | None = None) -> Response:
    done = request.query_params.get("done")
    return _page(request, "admin/person.html", status=status, person=person,
                 sessions=admin.open_sessions(db, person), me=user.user_id,
                 done=DONE.get(done or ""), error=error)


@router.get("/admin/people/{user_id}", response_class=HTMLResponse)
def person(request: Request, user_id: str, db: SessionDep, user: Admin) -> Response:
    return _person_page(request, db, user, admin.person(db, user, _user_id(user_id)))


@router.post("/admin/people/{user_id}/{action}", response_class=HTMLResponse)
def act(request: Request, user_id: str, action: str, db: SessionDep, user: Admin,
        role: Annotated[str, Form(max_length=40)] = "") -> Response:
    if action not in admin.ACTIONS:
        raise NotFound("There is no such action")
    target = admin.person(db, user, _user_id(user_id))
    try:
        password = admin.change(db, user, target, action, role)
    except BadRequest as refusal:
        return _person_page(request, db, user, target, status=422, error=refusal.detail)
    if password is not None:
        return _page(request, "admin/password.html", person=target, password=password,
                     invited=False)
    return RedirectResponse(f"/admin/people/{target.id}?done={action}", status_code=303)
