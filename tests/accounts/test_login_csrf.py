"""The anonymous sign-in form is protected by a signed double-submit cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.deps import CSRF_EXPIRED
from tests.accounts.conftest import hidden_fields
from tests.builders import PASSWORD, make_user


def test_the_form_sets_a_login_csrf_cookie_matching_its_hidden_field(client: TestClient) -> None:
    response = client.get("/login")

    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("rhi_login_csrf="))
    assert "httponly" in cookie.lower()
    assert hidden_fields(response.text)["csrf_token"]
    assert hidden_fields(response.text)["csrf_token"] not in cookie  # signed, not a copy


def test_a_sign_in_without_the_cookie_is_refused(client: TestClient, db: Session) -> None:
    user = make_user(db)
    fields = hidden_fields(client.get("/login").text)
    client.cookies.clear()

    response = client.post("/login", data={**fields, "email": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert CSRF_EXPIRED in response.text
    assert "rhi_session" not in client.cookies


def test_a_sign_in_with_a_token_from_another_form_is_refused(client: TestClient,
                                                            db: Session) -> None:
    user = make_user(db)
    client.get("/login")

    response = client.post("/login", data={"csrf_token": "forged", "email": user.email,
                                           "password": PASSWORD})

    assert response.status_code == 403
    assert "rhi_session" not in client.cookies


def test_a_refused_form_offers_a_fresh_one_that_works(client: TestClient, db: Session) -> None:
    user = make_user(db)
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})

    response = client.post("/login", data={**hidden_fields(refused.text), "email": user.email,
                                           "password": PASSWORD})

    assert response.status_code == 303


def test_two_open_sign_in_tabs_both_work(client: TestClient, db: Session) -> None:
    user = make_user(db)
    first_tab = hidden_fields(client.get("/login").text)
    client.get("/login")

    response = client.post("/login", data={**first_tab, "email": user.email,
                                           "password": PASSWORD})

    assert response.status_code == 303
