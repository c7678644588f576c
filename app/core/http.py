"""HTTP plumbing shared by every package: security headers, body limits, error rendering."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import orjson
from fastapi import Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    DomainError,
    FieldError,
    PayloadTooLarge,
    ServiceBusy,
    ValidationFailed,
)
from app.core.settings import get_settings
from app.core.templating import templates

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

HXRequest = Annotated[str | None, Header(alias="HX-Request")]


def is_htmx(request: Request) -> bool:
    """htmx sends `HX-Request: true`; nothing else counts."""
    return request.headers.get("hx-request") == "true"


def external_url(request: Request, **query: str) -> str:
    """This request's URL with `query` changed, as a link to put in an answer: on the
    configured `RHI_PUBLIC_URL` when set, never on a Host header a client chose."""
    url = request.url.include_query_params(**query)
    base = get_settings().public_url.rstrip("/")
    if not base:
        return str(url)
    return f"{base}{url.path}" + (f"?{url.query}" if url.query else "")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class SecurityHeaders:
    """Adds the security headers to every response, and `no-store` to everything but static files.

    Pages and API answers may hold personal data, so nothing but the versioned static files may be
    kept by a browser or a proxy: on a shared tablet the next person must find nothing.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if is_static:
                    if message["status"] == 200:
                        headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                elif b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security",
                                    b"max-age=63072000; includeSubDomains"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # A fault nothing else answered: a plain 500 that still carries the headers (the
            # server's own error answer, outside this layer, would carry none), and the log.
            logger.exception("Unhandled error answering %s %s", scope.get("method"),
                             scope.get("path"))
            if started:
                raise
            body = b"Sorry, there is a problem with the service. Try again later."
            await send_with_headers({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode())]})
            await send_with_headers({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses bodies over the limit with a 413 problem, before anything reads them whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_problem(send, PayloadTooLarge(
                f"The body is {int(declared)} bytes; the limit is {self.max_bytes} bytes"))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _send_problem(send, PayloadTooLarge(f"The limit is {self.max_bytes} bytes"))


class _BodyTooLarge(Exception):
    pass


async def _send_problem(send: Send, error: DomainError) -> None:
    body = orjson.dumps(error.problem())
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def problem_response(error: DomainError, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(error.problem()), status_code=error.status,
                    media_type=PROBLEM_JSON, headers=headers)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    template = {404: "errors/404.html", 403: "errors/403.html"}.get(status, "errors/500.html")
    context: dict[str, Any] = {"title": title, "message": message, "status_code": status,
                               "current_user": getattr(request.state, "user", None),
                               "csrf_token": getattr(request.state, "csrf_token", "")}
    return templates.TemplateResponse(request, template, context, status_code=status)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for it only  # nosec B101
    if is_api(request):
        return problem_response(exc, headers=getattr(exc, "headers", None))
    if exc.status == 401:
        from urllib.parse import quote

        from fastapi.responses import RedirectResponse

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        path = getattr(exc, "sign_in_path", "/login")
        login = f"{path}?next={quote(target, safe='')}"
        if getattr(request.state, "session_expired", False):
            login += "&reason=expired"
        if is_htmx(request):
            # No redirect: it would replace the form, and the words being typed, with the
            # sign-in page. The page's script keeps the form and says what was not saved.
            return Response(status_code=401, headers={"X-Sign-In": login})
        return RedirectResponse(login, status_code=303)
    return _error_page(request, exc.status, exc.title, exc.detail)


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc[1:]]
    where = str(loc[0]) if loc else "body"
    prefix = "" if where == "body" else f"/{where}"
    return prefix + "".join(f"/{p}" for p in parts) if parts or prefix else ""


async def request_validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - as registered  # nosec B101
    errors = [FieldError(_pointer(tuple(e.get("loc", ()))), str(e.get("type", "invalid")),
                         str(e.get("msg", "Invalid value"))) for e in exc.errors()]
    failure = ValidationFailed(errors, title="The request is not valid")
    if is_api(request):
        return problem_response(failure)
    return _error_page(request, 400, "There is a problem with the request",
                       "; ".join(f"{e.pointer}: {e.message}" for e in errors))


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - as registered  # nosec B101
    titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
    title = titles.get(exc.status_code, str(exc.detail))
    if is_api(request):
        error = DomainError(str(exc.detail))
        error.status = exc.status_code
        error.title = title
        error.type = f"/problems/http-{exc.status_code}"
        return problem_response(error, headers=dict(exc.headers or {}))
    return _error_page(request, exc.status_code, title, str(exc.detail))


async def database_busy_handler(request: Request, exc: Exception) -> Response:
    """The database stayed locked past the busy timeout (SQLite under a burst of writers).

    Nothing was saved, and saying so is the truth: 503 with Retry-After, never a bare 500. A
    retry is safe (submissions are idempotent on their id, and autosave retries by itself).
    """
    from sqlalchemy.exc import OperationalError

    assert isinstance(exc, OperationalError)  # noqa: S101  # nosec B101
    if "locked" not in str(exc.orig).lower() and "busy" not in str(exc.orig).lower():
        raise exc
    logger.warning("Database busy answering %s %s: %s", request.method, request.url.path,
                   exc.orig)
    busy = ServiceBusy("Nothing was saved: the database is busy. Try again in a few seconds.")
    if is_api(request) or is_htmx(request):
        return problem_response(busy, headers={"Retry-After": "2"})
    response = _error_page(request, 503, busy.title, busy.detail)
    response.headers["Retry-After"] = "2"
    return response
