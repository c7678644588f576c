"""Signing in through the form: success, the one refusal message, and redirects."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import UserSession
from app.accounts.service import SIGN_IN_FAILED
from tests.accounts.conftest import hidden_fields, submit_sign_in_form, use_session_cookie
from tests.builders import PASSWORD, make_user, pass_second_factor, template_of


def _set_cookie(response_headers: list[str], name: str) -> str:
    return next(h for h in response_headers if h.startswith(f"{name}="))


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def test_the_sign_in_page_is_a_govuk_form_and_not_cached(client: TestClient) -> None:
    response = client.get("/login")

    assert response.status_code == 200
    assert template_of(response) == "accounts/login.html"
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in response.text
    assert _title(response.text) == "Sign in – Return Interview Service"
    assert 'autocomplete="current-password"' in response.text
    assert response.headers["cache-control"] == "no-store"


def test_signing_in_sets_an_httponly_samesite_lax_session_cookie_and_goes_home(
        client: TestClient, db: Session) -> None:
    user = make_user(db)

    response = submit_sign_in_form(client, user.email)

    assert response.status_code == 303
    assert landing(response.headers["location"]) == "/"
    cookie = _set_cookie(response.headers.get_list("set-cookie"), "rhi_session")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # outside prod, so http://localhost works
    assert db.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()


def test_signing_in_lets_the_user_reach_pages_that_need_them(client: TestClient,
                                                             db: Session) -> None:
    user = make_user(db, role="manager", email="Pat.Manager@Example.org")

    submit_sign_in_form(client, "  PAT.MANAGER@example.org ")
    response = client.get("/probe/whoami")

    assert response.status_code == 200
    assert response.text == "pat.manager@example.org manager 803"
    assert user.last_login_at is not None


def test_a_wrong_password_is_refused_with_the_govuk_error_pattern(client: TestClient,
                                                                  db: Session) -> None:
    user = make_user(db)

    response = submit_sign_in_form(client, user.email, "not the password")

    assert response.status_code == 422
    assert template_of(response) == "accounts/login.html"  # the form again, with the error
    assert _title(response.text) == "Error: Sign in – Return Interview Service"
    assert "govuk-error-summary" in response.text
    assert f'<a href="#email">{SIGN_IN_FAILED}</a>' in response.text
    assert f'<span class="govuk-visually-hidden">Error:</span> {SIGN_IN_FAILED}' in response.text
    assert "not the password" not in response.text
    assert "rhi_session" not in client.cookies


def test_an_unknown_email_gets_exactly_the_same_answer_as_a_wrong_password(
        client: TestClient, db: Session) -> None:
    user = make_user(db)

    wrong_password = submit_sign_in_form(client, user.email, "not the password")
    unknown_email = submit_sign_in_form(client, "nobody@example.org", "not the password")

    assert unknown_email.status_code == wrong_password.status_code == 422
    assert unknown_email.text.replace("nobody@example.org", user.email) == wrong_password.text


def test_empty_fields_say_what_to_enter(client: TestClient) -> None:
    response = submit_sign_in_form(client, "", "")

    assert response.status_code == 422
    assert '<a href="#email">Enter your email address</a>' in response.text
    assert '<a href="#password">Enter your password</a>' in response.text


@pytest.mark.parametrize("next_path", ["/interviews/42", "/reports/quarterly?period=2026-Q3"])
def test_signing_in_returns_to_the_page_asked_for(client: TestClient, db: Session,
                                                 next_path: str) -> None:
    user = make_user(db)

    response = submit_sign_in_form(client, user.email, next_path=next_path)

    assert response.headers["location"] == next_path


@pytest.mark.parametrize("next_path", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
    "javascript:alert(1)", "evil", "/ok\r\nSet-Cookie: x=1",
])
def test_next_never_leads_off_the_site(client: TestClient, db: Session, next_path: str) -> None:
    user = make_user(db)

    page = client.get("/login", params={"next": next_path})
    assert hidden_fields(page.text)["next"] == "/"
    # Even a forged form field is refused.
    response = client.post("/login", data={**hidden_fields(page.text), "next": next_path,
                                           "email": user.email, "password": "correct horse "
                                           "battery staple"})

    assert response.status_code == 303
    assert landing(response.headers["location"]) == "/"


def test_a_signed_in_user_asking_for_the_sign_in_page_goes_on(client: TestClient,
                                                             db: Session) -> None:
    user = make_user(db)
    submit_sign_in_form(client, user.email)

    response = client.get("/login", params={"next": "/interviews/new"})

    assert response.status_code == 303
    assert response.headers["location"] == "/interviews/new"


def landing(location: str) -> str:
    """Where a sign-in leads once the second factor (if the role needs one) is passed."""
    if location.startswith("/login/two-factor?next="):
        return unquote(location.split("next=", 1)[1])
    return location


def test_signing_in_again_ends_the_previous_session(client: TestClient, db: Session) -> None:
    first = make_user(db)
    second = make_user(db)
    second_tab = hidden_fields(client.get("/login").text)
    submit_sign_in_form(client, first.email)
    old_cookie = client.cookies.get("rhi_session")

    answer = client.post("/login", data={**second_tab, "email": second.email,
                                         "password": PASSWORD})
    pass_second_factor(client, second.email, answer.headers["location"])

    assert client.get("/probe/whoami").text.startswith(second.email)
    use_session_cookie(client, old_cookie)
    assert client.get("/probe/whoami").status_code == 303
