"""Every unsafe request from a signed-in browser carries the session's CSRF token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.deps import CSRF_EXPIRED, allow
from tests.accounts.conftest import session_record
from tests.builders import make_user, sign_in


@pytest.fixture
def signed_in(client: TestClient, db: Session) -> str:
    """Signs a user in; gives their session's CSRF token."""
    return sign_in(client, make_user(db))


def test_signing_out_without_the_token_is_refused(client: TestClient, db: Session,
                                                  signed_in: str) -> None:
    response = client.post("/logout")

    assert response.status_code == 403
    assert CSRF_EXPIRED in response.text
    assert session_record(db, client).ended_at is None


def test_signing_out_with_a_wrong_token_is_refused(client: TestClient, db: Session,
                                                   signed_in: str) -> None:
    response = client.post("/logout", data={"csrf_token": signed_in[:-1] + "x"})

    assert response.status_code == 403
    assert session_record(db, client).ended_at is None


@pytest.mark.parametrize("path", ["/probe/change", "/probe/optional"])
def test_any_route_taking_the_user_refuses_a_post_without_the_token(
        client: TestClient, signed_in: str, path: str) -> None:
    assert client.post(path, data={"answer": "yes"}).status_code == 403
    assert client.post(path, json={"answer": "yes"}).status_code == 403


def test_the_token_may_come_in_the_form(client: TestClient, signed_in: str) -> None:
    response = client.post("/probe/change", data={"csrf_token": signed_in})

    assert response.status_code == 200


def test_the_token_may_come_in_the_htmx_header(client: TestClient, signed_in: str) -> None:
    response = client.post("/probe/change", headers={"X-CSRF-Token": signed_in,
                                                     "HX-Request": "true"})

    assert response.status_code == 200


def test_the_token_may_come_with_a_multipart_form(client: TestClient, signed_in: str) -> None:
    response = client.post("/probe/change", data={"csrf_token": signed_in},
                           files={"upload": ("a.txt", b"text", "text/plain")})

    assert response.status_code == 200


def test_safe_requests_need_no_token(client: TestClient, signed_in: str) -> None:
    assert client.get("/probe/whoami").status_code == 200


def test_an_anonymous_post_to_a_route_without_a_user_is_refused(client: TestClient) -> None:
    assert client.post("/probe/protected", data={"csrf_token": "anything"}).status_code == 403


def test_a_route_without_a_user_accepts_the_session_token(client: TestClient,
                                                         signed_in: str) -> None:
    response = client.post("/probe/protected", data={"csrf_token": signed_in})

    assert response.text == "accepted"


def test_an_anonymous_post_to_an_optional_user_route_goes_through_as_anonymous(
        client: TestClient) -> None:
    assert client.post("/probe/optional").text == "anonymous"


def test_a_role_outside_the_allowed_ones_is_forbidden(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, role="interviewer"))

    assert client.get("/probe/managers").status_code == 403


def test_an_allowed_role_passes(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, role="manager"))

    assert client.get("/probe/managers").status_code == 200


def test_allow_refuses_a_role_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="supervisor"):
        allow(roles=("supervisor",))


def test_allow_refuses_to_admit_nobody() -> None:
    with pytest.raises(ValueError, match="allow"):
        allow()
