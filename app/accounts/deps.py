"""Who is asking: the signed-in person, their roles, and the CSRF check on every unsafe request.

Routes declare `user: CurrentUser` (or `OptionalUser`); both check the CSRF token of POST, PUT,
PATCH and DELETE requests themselves, so no route can forget it.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts import service
from app.accounts.models import ROLES
from app.accounts.second_factor import needs_second_factor
from app.core.db import SAFE_METHODS, SessionDep
from app.core.errors import Forbidden, SecondFactorRequired, Unauthorized
from app.core.settings import get_settings

SESSION_COOKIE = "rhi_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_EXPIRED = "The form has expired; go back, reload the page and try again"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in person, as routes and templates see them."""

    user_id: int
    name: str
    email: str
    role: str
    organisation_id: int
    organisation_code: str
    session_id: str
    csrf_token: str
    second_factor_pending: bool = False


# --- the session cookie ----------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=salt)


def sign(value: str, *, salt: str) -> str:
    return _serializer(salt).dumps(value)


def unsign(signed: str | None, *, salt: str, max_age_seconds: int) -> str | None:
    """The value signed into `signed`, or None when it is missing, tampered with or too old."""
    if not signed:
        return None
    try:
        value = _serializer(salt).loads(signed, max_age=max_age_seconds)
    except BadSignature:  # includes SignatureExpired
        return None
    return value if isinstance(value, str) else None


def set_session_cookie(response: Response, session_id: str) -> None:
    # No max_age: a browser session cookie, gone when the browser closes; the server decides
    # expiry anyway.
    response.set_cookie(SESSION_COOKIE, sign(session_id, salt="session"), path="/",
                        httponly=True, samesite="lax", secure=get_settings().secure_cookies)


def delete_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=get_settings().secure_cookies)


def session_id_from_cookie(request: Request) -> str | None:
    max_age = get_settings().session_absolute_hours * 3600
    return unsign(request.cookies.get(SESSION_COOKIE), salt="session", max_age_seconds=max_age)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- dependencies ----------------------------------------------------------------------------


def _load_principal(request: Request, session: SessionDep) -> Principal | None:
    # A sync dependency: FastAPI runs it in the thread pool, off the event loop.
    session_id = session_id_from_cookie(request)
    if session_id is None:
        return None
    active = service.load_session(session, session_id)
    if active is None:
        return None
    user, organisation = active.user, active.organisation
    assert user.id is not None and organisation.id is not None  # noqa: S101 - stored rows  # nosec B101
    return Principal(
        user_id=user.id, name=user.name, email=user.email, role=user.role,
        organisation_id=organisation.id, organisation_code=organisation.code,
        session_id=active.record.id, csrf_token=active.record.csrf_token,
        second_factor_pending=(needs_second_factor(user.role)
                               and not active.record.second_factor_done),
    )


async def submitted_csrf_token(request: Request) -> str:
    """The token the request carries: the `X-CSRF-Token` header (htmx), else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)  # cached by Starlette for the route
        if isinstance(value, str):
            return value
    return ""


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse an unsafe request whose CSRF token does not match `expected` (403)."""
    if request.method in SAFE_METHODS:
        return
    submitted = await submitted_csrf_token(request)
    if not expected or not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise Forbidden(CSRF_EXPIRED)


async def _close_form_afterwards(request: Request) -> AsyncIterator[None]:
    # When the CSRF check parsed a multipart form the route did not declare, nothing else closes
    # its spooled files. Closing twice is harmless.
    try:
        yield
    finally:
        await request.close()


async def optional_user(
    request: Request, principal: Annotated[Principal | None, Depends(_load_principal)],
    _closer: Annotated[None, Depends(_close_form_afterwards)],
) -> Principal | None:
    """The signed-in person or None; an unsafe request from a signed-in browser must carry the
    session's CSRF token."""
    if principal is None:
        return None
    request.state.user = principal
    request.state.csrf_token = principal.csrf_token
    await check_csrf(request, principal.csrf_token)
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


async def current_user(principal: OptionalUser) -> Principal:
    """The signed-in person; without a live session, 401 (pages redirect to /login)."""
    if principal is None:
        raise Unauthorized("Sign in to continue")
    if principal.second_factor_pending:
        raise SecondFactorRequired()
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


async def csrf_protect(request: Request, principal: OptionalUser) -> None:
    """For routes that take no user: an unsafe request needs a live session and its token."""
    if request.method not in SAFE_METHODS and principal is None:
        raise Forbidden(CSRF_EXPIRED)


CsrfProtected = Annotated[None, Depends(csrf_protect)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency giving the current user when their role is one of `roles`, else 403.

        Manager = Annotated[Principal, Depends(require_roles("manager"))]
        @router.post("/x", dependencies=[Depends(require_roles("manager", "admin"))])
    """
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"require_roles needs roles from {ROLES}, not {sorted(unknown)}")
    allowed = frozenset(roles)

    async def role_checked(user: CurrentUser) -> Principal:
        if user.role not in allowed:
            raise Forbidden("Your role does not allow this")
        return user

    return role_checked


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    """Template context with what layout.html reads: `current_user` and `csrf_token`."""
    return {
        "current_user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **context,
    }
