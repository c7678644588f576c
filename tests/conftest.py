"""Test database and client.

The real Alembic migrations run once per session against the database named by
`RHI_DATABASE_URL` (a fresh SQLite file by default; CI also runs everything on PostgreSQL). Each
test then runs inside one outer transaction that is rolled back, so tests never share rows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="rhi-tests-"))
os.environ.setdefault("RHI_DATABASE_URL", f"sqlite:///{_TMP / 'test.sqlite3'}")
os.environ["RHI_ENV"] = "test"
os.environ.setdefault("RHI_SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.setdefault("RHI_PSEUDONYM_KEY", "test-pseudonym-key-" + "y" * 32)

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from app.core.db import get_engine, get_session, upgrade_database  # noqa: E402
from app.core.settings import get_settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.startup import wire  # noqa: E402

# What capture announces reaches the feed in every test, as in the app and the command line.
wire()


def reset_database(engine: Engine) -> None:
    """Empty the database completely so the migrations build it from nothing."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        database = engine.url.database
        engine.dispose()
        if database:
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def migrated_engine() -> Iterator[Engine]:
    engine = get_engine()
    reset_database(engine)
    upgrade_database(get_settings().sqlalchemy_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[Connection]:
    with migrated_engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            if outer.is_active:
                outer.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's rolled-back transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint",
                 expire_on_commit=False) as session:
        yield session


_DEBUG_SEND = "rhi.tests.debug_send"


class _PassTemplateNamesOut:
    """Outermost layer: hands the TestClient's `send` to `_PassTemplateNamesAround`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "http.response.debug" in scope.get("extensions", {}):
            scope = {**scope, _DEBUG_SEND: send}
        await self.app(scope, receive, send)


class _PassTemplateNamesAround:
    """Innermost layer: sends Starlette's `http.response.debug` message (the template a page
    was rendered from, which the TestClient keeps as `response.template`) straight out.

    The app's GZipMiddleware drops messages it does not know, so without this no response
    would carry its template (`tests.builders.template_of`). Nothing else changes: a real
    server never asks for the debug message.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outside: Send | None = scope.get(_DEBUG_SEND)
        if outside is None:
            await self.app(scope, receive, send)
            return

        async def send_debug_around(message: Message) -> None:
            await (outside if message["type"] == "http.response.debug" else send)(message)

        await self.app(scope, receive, send_debug_around)


def with_template_names(application: FastAPI) -> FastAPI:
    """The app, before its first request, with the two layers above around its middleware."""
    application.user_middleware.insert(0, Middleware(_PassTemplateNamesOut))
    application.user_middleware.append(Middleware(_PassTemplateNamesAround))
    return application


@pytest.fixture
def app(db: Session) -> FastAPI:
    application = with_template_names(create_app())

    def test_session() -> Iterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = test_session
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
