"""Who may call a route: `allow(scopes=..., roles=...)`, the session cookie, and CSRF.

Every route names who may call it with one dependency:

    Manager = Annotated[Caller, Depends(allow(roles=("manager",)))]       # people only
    Submitter = Annotated[Caller, Depends(allow(scopes=("submit",)))]      # API keys only
    FeedCaller = Annotated[Caller, Depends(allow(scopes=("feed",), roles=("analyst",)))]

A request carrying `Authorization: Bearer` is judged on its key alone (401 when the key is not
live, 403 when it lacks the scope); otherwise on the browser session (401, or a redirect to sign
in on pages, when there is none; 403 for a role that may not). A signed-in browser's unsafe
request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token, so no route can forget it.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts import service
from app.accounts.api_keys import BearerUnauthorized, authenticate_key, bearer_scheme
from app.accounts.caller import Caller
from app.accounts.models import API_SCOPES, ROLES
from app.accounts.second_factor import needs_second_factor
from app.core.db import SAFE_METHODS, SessionDep
from app.core.errors import Forbidden, SecondFactorRequired, Unauthorized
from app.core.settings import get_settings

SESSION_COOKIE = "rhi_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_EXPIRED = "The form has expired; go back, reload the page and try again"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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


def _signed_in(request: Request, session: SessionDep) -> Caller | None:
    # A sync dependency: FastAPI runs it in the thread pool, off the event loop.
    request.state.db_session = session  # where a refusal is audited (app/accounts/refusals.py)
    session_id = session_id_from_cookie(request)
    if session_id is None:
        return None
    active = service.load_session(session, session_id)
    if active is None:
        # The cookie names a session that has ended: the sign-in page says so.
        request.state.session_expired = True
        return None
    user, organisation = active.user, active.organisation
    assert user.id is not None and organisation.id is not None  # noqa: S101 - stored rows  # nosec B101
    return Caller(
        label=f"user:{user.id}", organisation_code=organisation.code, name=user.name,
        address=client_address(request), user_id=user.id, email=user.email, role=user.role,
        organisation_id=organisation.id, session_id=active.record.id,
        csrf_token=active.record.csrf_token, session_ends_at=active.ends_at,
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
    request: Request, principal: Annotated[Caller | None, Depends(_signed_in)],
    _closer: Annotated[None, Depends(_close_form_afterwards)],
) -> Caller | None:
    """The signed-in person or None; an unsafe request from a signed-in browser must carry the
    session's CSRF token."""
    if principal is None:
        return None
    request.state.user = principal
    request.state.csrf_token = principal.csrf_token
    request.state.session_ends_at = principal.session_ends_at
    await check_csrf(request, principal.csrf_token)
    return principal


OptionalUser = Annotated[Caller | None, Depends(optional_user)]


async def csrf_protect(request: Request, principal: OptionalUser) -> None:
    """For routes that take no caller: an unsafe request needs a live session and its token."""
    if request.method not in SAFE_METHODS and principal is None:
        raise Forbidden(CSRF_EXPIRED)


CsrfProtected = Annotated[None, Depends(csrf_protect)]


def _key(credentials: HTTPAuthorizationCredentials | None, request: Request,
         session: SessionDep, scopes: frozenset[str]) -> Caller | None:
    """The caller behind a live key holding one of `scopes`; None when no key was sent."""
    request.state.db_session = session  # where a refusal is audited (app/accounts/refusals.py)
    if credentials is None or not credentials.credentials.strip():
        return None
    key, organisation_code = authenticate_key(session, credentials.credentials.strip())
    caller = Caller(label=f"key:{key.id}", organisation_code=organisation_code, name=key.name,
                    address=client_address(request), api_key_id=key.id,
                    scopes=frozenset(key.scopes))
    request.state.caller = caller
    if scopes.isdisjoint(key.scopes):
        raise Forbidden(f"This API key does not have the {_scopes_named(scopes)} scope")
    return caller


def _scopes_named(scopes: frozenset[str]) -> str:
    return " or ".join(f"`{scope}`" for scope in API_SCOPES if scope in scopes)


def _person(user: Caller | None, roles: frozenset[str]) -> Caller:
    if user is None:
        raise Unauthorized("Sign in to continue")
    if user.second_factor_pending:
        raise SecondFactorRequired()
    if user.role not in roles:
        raise Forbidden("Your role does not allow this")
    return user


def allow(*, scopes: Iterable[str] = (), roles: Iterable[str] = ()) -> Callable[..., Any]:
    """The dependency admitting an API key holding one of `scopes`, or a signed-in person (past
    the second factor) whose role is one of `roles`; it gives the `Caller`.

    Name no scopes for pages (people only), no roles for partner systems' routes (keys only).
    """
    allowed_scopes, allowed_roles = frozenset(scopes), frozenset(roles)
    unknown = (allowed_scopes - set(API_SCOPES)) | (allowed_roles - set(ROLES))
    if unknown or not (allowed_scopes or allowed_roles):
        raise ValueError(f"allow() needs scopes from {API_SCOPES} and roles from {ROLES}, "
                         f"not {sorted(unknown)}")
    if not allowed_scopes:
        async def person(user: OptionalUser) -> Caller:
            return _person(user, allowed_roles)

        dependency: Callable[..., Any] = person
    elif not allowed_roles:
        # Sync: FastAPI runs it in the thread pool, off the event loop (it reads the database).
        def key(
            request: Request, session: SessionDep,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        ) -> Caller:
            caller = _key(credentials, request, session, allowed_scopes)
            if caller is None:
                raise BearerUnauthorized("Send your API key as `Authorization: Bearer <key>`",
                                         invalid_token=False)
            return caller

        dependency = key
    else:
        def key_or_person(
            request: Request, session: SessionDep, user: OptionalUser,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        ) -> Caller:
            caller = _key(credentials, request, session, allowed_scopes)
            if caller is not None:
                return caller
            if user is None or user.second_factor_pending:
                which = ("an API key" if allowed_scopes == set(API_SCOPES)
                         else f"an API key with the {_scopes_named(allowed_scopes)} scope")
                raise BearerUnauthorized(f"Send {which} as `Authorization: Bearer <key>`, "
                                         "or sign in", invalid_token=False)
            return _person(user, allowed_roles)

        dependency = key_or_person
    dependency.__name__ = ("allow_" + "_".join(sorted(allowed_scopes)) + "_"
                           + "_".join(sorted(allowed_roles))).rstrip("_")
    return dependency


# Any signed-in person, whatever their role.
CurrentUser = Annotated[Caller, Depends(allow(roles=ROLES))]


def page_context(request: Request, **context: Any) -> dict[str, Any]:
    """Template context with what layout.html reads: `current_user` and `csrf_token`."""
    return {
        "current_user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **context,
    }
