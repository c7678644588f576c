"""Signing in and out."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import second_factor, service
from app.accounts.deps import (
    CSRF_EXPIRED,
    OptionalUser,
    client_address,
    delete_session_cookie,
    page_context,
    session_id_from_cookie,
    set_session_cookie,
    sign,
    unsign,
)
from app.accounts.models import User, UserSession
from app.accounts.refusals import record_refusal
from app.core.db import SessionDep
from app.core.settings import get_settings
from app.core.templating import templates

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "rhi_login_csrf"
LOGIN_CSRF_SALT = "login-csrf"
LOGIN_FORM_MAX_AGE = 2 * 3600
EMAIL_MISSING = "Enter your email address"
PASSWORD_MISSING = "Enter your password"  # noqa: S105 - a message, not a password  # nosec B105


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this site, else "/": never an open redirect."""
    if (not value or not value.startswith("/") or value.startswith("//") or "\\" in value
            or any(ord(c) < 32 or ord(c) == 127 for c in value)):
        return "/"
    return value


def _login_csrf_token(request: Request) -> str:
    """The token of the browser's login-form cookie when still good, so two tabs both work."""
    current = unsign(request.cookies.get(LOGIN_CSRF_COOKIE), salt=LOGIN_CSRF_SALT,
                     max_age_seconds=LOGIN_FORM_MAX_AGE)
    return current or secrets.token_urlsafe(32)


# Why the sign-in page is shown: `?reason=` after the service signed someone out.
REASONS = ("timeout", "expired")
# What the page that timed out had saved: everything, or the time of its last save ("14:02").
SAVED = re.compile(r"^(all|[0-2]\d:[0-5]\d)$")


def _signed_out_because(reason: str | None, saved: str | None) -> dict[str, Any] | None:
    """The sign-in page's explanation of a sign-out the person did not ask for, or None."""
    if reason not in REASONS:
        return None
    idle = get_settings().session_idle_minutes
    span = (f"{idle:g} minute{'' if idle == 1 else 's'}" if idle >= 1
            else f"{round(idle * 60)} seconds")
    heading = (f"You were signed out because you had not done anything for {span}"
               if reason == "timeout" else "Your session had ended, so you have been signed out")
    saved_text = None
    if saved and SAVED.match(saved):
        saved_text = ("Everything you typed was saved, including any answers that need "
                      "correcting." if saved == "all" else
                      f"Your answers were saved at {saved}. Anything typed after that was not "
                      "saved.")
    return {"heading": heading, "saved": saved_text, "idle": span}


def login_page(request: Request, session: Session, *, status_code: int = 200, email: str = "",
               next_path: str = "/", errors: dict[str, str] | None = None,
               signed_out: bool = False, reason: str | None = None,
               saved: str | None = None) -> Response:
    """The sign-in page: the password form, and the organisations whose people may sign in
    with their own account (`errors["sso"]` is a refusal of that)."""
    errors = errors or {}
    token = _login_csrf_token(request)
    context: dict[str, Any] = page_context(
        request, errors=errors,
        error_list=[{"text": text, "href": "#sso" if field == "sso" else f"#{field}"}
                    for field, text in errors.items()],
        email=email, next=next_path, login_csrf=token, signed_out=signed_out,
        signed_out_because=_signed_out_because(reason, saved),
        sso_organisations=service.single_sign_on_organisations(session),
    )
    response = templates.TemplateResponse(request, "accounts/login.html", context,
                                          status_code=status_code)
    # Double submit: the field holds the token, the cookie its signed twin. Signing stops a
    # cookie planted from elsewhere from matching a field the attacker chose.
    response.set_cookie(LOGIN_CSRF_COOKIE, sign(token, salt=LOGIN_CSRF_SALT), path="/login",
                        httponly=True, samesite="strict", secure=get_settings().secure_cookies)
    return response


@router.get("/login")
def login_form(request: Request, session: SessionDep, user: OptionalUser,
               next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
               signed_out: bool = False,
               reason: Annotated[str | None, Query(max_length=20)] = None,
               saved: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return login_page(request, session, next_path=safe_next(next_path), signed_out=signed_out,
                       reason=reason, saved=saved)


@router.post("/login")
def login(  # the form fields' empty defaults are not passwords  # nosec B107
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    next_path = safe_next(next_path)
    expected = unsign(request.cookies.get(LOGIN_CSRF_COOKIE), salt=LOGIN_CSRF_SALT,
                      max_age_seconds=LOGIN_FORM_MAX_AGE)
    if expected is None or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return login_page(request, session, status_code=403, email=email, next_path=next_path,
                           errors={"email": CSRF_EXPIRED})

    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = EMAIL_MISSING
    if not password:
        errors["password"] = PASSWORD_MISSING
    if errors:
        return login_page(request, session, status_code=422, email=email, next_path=next_path,
                          errors=errors)

    # A refusal is a normal answer, so the failures recorded below are committed.
    try:
        user = service.authenticate(session, email, password, client_address(request))
    except service.SignInThrottled as refusal:
        return login_page(request, session, status_code=429, email=email, next_path=next_path,
                          errors={"email": refusal.detail})
    except (service.SignInFailed, service.SignInNeedsSso) as refusal:
        return login_page(request, session, status_code=422, email=email, next_path=next_path,
                          errors={"email": refusal.detail})

    previous = session_id_from_cookie(request)
    if previous is not None:
        service.end_session(session, previous, client_address(request))
    session_id, _ = service.start_session(session, user)
    if second_factor.needs_second_factor(user.role):
        next_path = f"/login/two-factor?next={quote(next_path, safe='')}"
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, session_id)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: OptionalUser,
           reason: Annotated[str, Form(max_length=20)] = "",
           next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
           saved: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Sign out: the Sign out button, or the page itself when the session is about to time out
    (`reason=timeout`, with the page to come back to and what it had saved)."""
    # OptionalUser has already refused a signed-in browser's request without the CSRF token.
    # Without a live session there is nothing to end: just clear the browser.
    if user is not None and user.session_id is not None:
        service.end_session(session, user.session_id, client_address(request))
    target = "/login?signed_out=true"
    if reason in REASONS:
        target = f"/login?reason={reason}&next={quote(safe_next(next_path), safe='')}"
        if SAVED.match(saved):
            target += f"&saved={quote(saved)}"
    response = RedirectResponse(target, status_code=303)
    delete_session_cookie(response)
    # A shared tablet keeps nothing of the last person's work.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- the second factor -----------------------------------------------------------------------

ENROL_SALT = "totp-enrol"
ENROL_MAX_AGE = 30 * 60
CODE_MISSING = "Enter the 6-digit code from your authenticator app, or a recovery code"
CODE_WRONG = "The code is not right: enter the 6-digit code your authenticator app shows now"


def _two_factor_page(request: Request, user: User, next_path: str, *, status_code: int = 200,
                     error: str | None = None, enrol_token: str | None = None) -> Response:
    secret = None
    if user.totp_secret is None:
        secret = unsign(enrol_token, salt=ENROL_SALT, max_age_seconds=ENROL_MAX_AGE) \
            if enrol_token else None
        secret = secret or second_factor.new_secret()
        enrol_token = sign(secret, salt=ENROL_SALT)
    context = page_context(
        request, next=next_path, error=error, enrolling=secret is not None,
        secret_groups=[secret[i:i + 4] for i in range(0, len(secret), 4)] if secret else [],
        secret=secret, enrol_token=enrol_token,
        otpauth=second_factor.provisioning_uri(secret, user.email) if secret else None,
    )
    return templates.TemplateResponse(request, "accounts/two_factor.html", context,
                                      status_code=status_code)


def _pending(session: SessionDep, user: OptionalUser) -> tuple[User, UserSession] | None:
    if user is None:
        return None
    row = session.get(User, user.user_id)
    record = session.get(UserSession, user.session_id)
    return (row, record) if row is not None and record is not None else None


@router.get("/login/two-factor")
def two_factor_form(request: Request, session: SessionDep, user: OptionalUser,
                    next_path: Annotated[str, Query(alias="next")] = "/") -> Response:
    found = _pending(session, user)
    if user is None or found is None:
        record_refusal(request, 401)  # nobody half signed in: a refusal
        return RedirectResponse("/login", status_code=303)
    if not user.second_factor_pending:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _two_factor_page(request, found[0], safe_next(next_path))


@router.post("/login/two-factor")
def two_factor(  # the form fields' empty defaults are not secrets  # nosec B107
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    code: Annotated[str, Form(max_length=100)] = "",
    enrol_token: Annotated[str, Form(max_length=500)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    next_path = safe_next(next_path)
    found = _pending(session, user)
    if user is None or found is None:
        record_refusal(request, 401)  # nobody half signed in: a refusal
        return RedirectResponse("/login", status_code=303)
    row, record = found
    if not user.second_factor_pending:
        return RedirectResponse(next_path, status_code=303)
    if not code.strip():
        return _two_factor_page(request, row, next_path, status_code=422, error=CODE_MISSING,
                                enrol_token=enrol_token or None)
    address = client_address(request)
    if row.totp_secret is None:
        secret = unsign(enrol_token, salt=ENROL_SALT, max_age_seconds=ENROL_MAX_AGE)
        codes = second_factor.enrol(session, row, record, secret, code, address) \
            if secret else None
        if codes is not None:
            context = page_context(request, recovery_codes=codes, next=next_path)
            return templates.TemplateResponse(request, "accounts/recovery_codes.html", context)
    elif second_factor.verify(session, row, record, code, address):
        return RedirectResponse(next_path, status_code=303)
    if second_factor.too_many_failures(row):
        service.end_session(session, record.id, address)
        response = login_page(request, session, status_code=422, next_path=next_path,
                              errors={"email": service.SignInFailed().detail})
        delete_session_cookie(response)
        return response
    return _two_factor_page(request, row, next_path, status_code=422, error=CODE_WRONG,
                            enrol_token=enrol_token or None)


@router.post("/session/keep-alive")
def keep_alive(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """"Stay signed in": restart the session's idle clock. 204 with `X-Session-Ends-In`, or 401
    (with no redirect: the page's script decides what to say) when the session has ended."""
    if user is None or user.session_id is None:
        record_refusal(request, 401)
        return Response(status_code=401)
    ends_at = service.keep_alive(session, user.session_id)
    if ends_at is None:
        record_refusal(request, 401)
        return Response(status_code=401)
    request.state.session_ends_at = ends_at  # the answer's X-Session-Ends-In (SessionClock)
    return Response(status_code=204)
