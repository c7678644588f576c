"""The application: three faces (pages, JSON API, feed) over one domain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from app.accounts.refusals import record_refusal
from app.accounts.session_clock import SessionClock
from app.core import observability
from app.core.db import get_engine, reading, schema_is_current
from app.core.errors import DomainError
from app.core.http import (
    BodyLimit,
    SecurityHeaders,
    database_busy_handler,
    domain_error_handler,
    http_exception_handler,
    request_validation_handler,
)
from app.core.settings import PROJECT_ROOT, get_settings
from app.core.templating import SWAGGER_UI_DIR, templates
from app.startup import wire


def healthz() -> JSONResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with reading(get_engine()) as conn:  # never waits behind SQLite's writer
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "not healthy", by design
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def readyz() -> JSONResponse:
    """Ready for traffic: the database answers, and its schema is the one this code was written
    for (503 while a release's `rhi db upgrade` has not run, or beside a newer release's)."""
    checks = {"database": "ok", "schema": "ok"}
    try:
        with reading(get_engine()) as conn:
            try:
                current = schema_is_current(conn)
            except SQLAlchemyError:  # no version table: a database never migrated
                current = False
            if not current:
                checks["schema"] = "not this release's"
    except Exception:  # any failure to reach the database is "not ready", by design
        checks = {"database": "unavailable", "schema": "unknown"}
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


def metrics(request: Request) -> Response:
    """The metrics in Prometheus's text format, for the configured bearer token only; to
    anyone else (or when no token is configured) the same 404 as a path that does not exist."""
    token = get_settings().metrics_token.get_secret_value()
    if not observability.bearer_matches(request.headers.get("authorization"), token):
        raise StarletteHTTPException(status_code=404)
    return Response(observability.exposition(), media_type=observability.EXPOSITION_TYPE)


def api_docs(request: Request) -> HTMLResponse:
    """The API's interactive documentation, from the vendored Swagger UI."""
    return templates.TemplateResponse(request, "api_docs.html", {
        "swagger_dir": SWAGGER_UI_DIR, "openapi_url": "/api/v1/openapi.json"})


Handler = Callable[[Request, Exception], Awaitable[Response]]


def audited(handler: Handler) -> Handler:
    """The error handler, and an audit entry for the refusal it answers."""
    async def answer(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        # A page's 401 is a redirect to sign in; it is still a refusal.
        status = exc.status if isinstance(exc, DomainError) else response.status_code
        await run_in_threadpool(record_refusal, request, status)
        return response
    return answer


def create_app() -> FastAPI:
    settings = get_settings()
    wire()
    app = FastAPI(
        title="Return Interview Service",
        version="0.1.0",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # our own page below: FastAPI's loads its script from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.add_exception_handler(DomainError, audited(domain_error_handler))
    app.add_exception_handler(RequestValidationError, audited(request_validation_handler))
    app.add_exception_handler(StarletteHTTPException, audited(http_exception_handler))
    app.add_exception_handler(OperationalError, database_busy_handler)
    # Level 5: most of level 9's saving at a fraction of the CPU, which matters when a feed
    # pull streams gigabytes through it.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.env != "dev")
    app.add_middleware(SessionClock)
    # Outermost: every answer, the error answers of the layers above included, has its id.
    app.add_middleware(observability.Observed)
    observability.watch_engines()
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api/docs", api_docs, methods=["GET"], include_in_schema=False,
                      response_class=HTMLResponse)

    from app.accounts.pages import router as accounts_pages
    from app.accounts.sso_pages import router as sso_pages
    from app.admin.keys import router as admin_keys
    from app.admin.organisations import router as admin_organisations
    from app.admin.pages import router as admin_pages
    from app.admin.people import router as admin_people
    from app.episodes.api import router as episodes_api
    from app.episodes.children import router as children_pages
    from app.episodes.known import router as known_child_pages
    from app.episodes.pages import router as episodes_pages
    from app.feed.api import router as feed_api
    from app.feed.pages import router as feed_pages
    from app.interviews.api import router as interviews_api
    from app.interviews.pages import router as interviews_pages
    from app.interviews.placed import router as placed_pages
    from app.interviews.reports import router as interviews_reports
    from app.interviews.standards_api import router as standards_api

    # Pages are HTML for people: they stay out of the API's OpenAPI document.
    app.include_router(accounts_pages, include_in_schema=False)
    app.include_router(sso_pages, include_in_schema=False)
    app.include_router(admin_pages, include_in_schema=False)
    app.include_router(admin_people, include_in_schema=False)
    app.include_router(admin_keys, include_in_schema=False)
    app.include_router(admin_organisations, include_in_schema=False)
    # Before the capture pages: their `/interviews/{interview_id}` would take `/interviews/new`.
    app.include_router(known_child_pages, include_in_schema=False)
    app.include_router(interviews_pages, include_in_schema=False)
    app.include_router(interviews_reports, include_in_schema=False)
    app.include_router(placed_pages, include_in_schema=False)
    app.include_router(feed_pages, include_in_schema=False)
    app.include_router(episodes_pages, include_in_schema=False)
    app.include_router(children_pages, include_in_schema=False)  # after /children/differences
    app.include_router(feed_api)
    app.include_router(interviews_api)
    app.include_router(episodes_api)
    app.include_router(standards_api)
    return app
