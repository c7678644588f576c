"""Accounts fixtures: the app with a few probe routes, and submitting the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import deps
from app.accounts.deps import CsrfProtected, CurrentUser, OptionalUser, allow
from app.accounts.models import UserSession
from tests.builders import PASSWORD, pass_second_factor

# Routes that exist only in these tests, to probe the dependencies.
probes = APIRouter()


@probes.get("/probe/whoami")
def whoami(user: CurrentUser) -> PlainTextResponse:
    return PlainTextResponse(f"{user.email} {user.role} {user.organisation_code}")


@probes.post("/probe/change")
def change(user: CurrentUser) -> PlainTextResponse:
    return PlainTextResponse(f"changed by {user.email}")


@probes.post("/probe/optional")
def optional(user: OptionalUser) -> PlainTextResponse:
    return PlainTextResponse(user.email if user else "anonymous")


@probes.post("/probe/protected")
def protected(_csrf: CsrfProtected) -> PlainTextResponse:
    return PlainTextResponse("accepted")


@probes.get("/probe/managers", dependencies=[Depends(allow(roles=("manager", "admin")))])
def managers_only() -> PlainTextResponse:
    return PlainTextResponse("managers")


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    """The suite's app (real migrations, rolled-back session) plus the probe routes."""
    app.include_router(probes)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)">')


def hidden_fields(html: str) -> dict[str, str]:
    return {m["name"]: m["value"] for m in _HIDDEN.finditer(html)}


def submit_sign_in_form(client: TestClient, email: str, password: str = PASSWORD,
                        next_path: str | None = None) -> httpx.Response:
    """Fill in the sign-in form as a browser would (GET it, then POST it back) with any email
    and password, and answer with the POST's response: for the tests of signing in itself.
    Elsewhere a test signs a user in with `tests.builders.sign_in`."""
    page = client.get("/login", params={"next": next_path} if next_path else None)
    fields = hidden_fields(page.text)
    answer = client.post("/login", data={**fields, "email": email, "password": password})
    location = answer.headers.get("location", "")
    if answer.status_code == 303 and location.startswith("/login/two-factor"):
        # The second factor is tested on its own; here, pass it as the person's app would,
        # and answer with where the browser ends up.
        pass_second_factor(client, email, location)
        answer.headers["location"] = unquote(location.split("next=", 1)[1])
    return answer


def session_record(db: Session, client: TestClient) -> UserSession:
    """The server-side session behind the client's cookie."""
    session_id = deps.unsign(client.cookies.get(deps.SESSION_COOKIE), salt="session",
                             max_age_seconds=3600)
    assert session_id is not None
    record = db.get(UserSession, session_id)
    assert record is not None
    return record


def use_session_cookie(client: TestClient, value: str | None) -> None:
    """Make the browser send exactly this session cookie (say, an old one replayed)."""
    client.cookies.clear()
    client.cookies.set(deps.SESSION_COOKIE, value or "")
