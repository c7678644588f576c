"""People who see identifying data prove it is them twice: password, then an authenticator code."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.conftest import hidden_fields
from tests.builders import PASSWORD, make_user, template_of
from tests.totp import fresh_code


def password_step(client: TestClient, email: str) -> str:
    fields = hidden_fields(client.get("/login").text)
    answer = client.post("/login", data={**fields, "email": email, "password": PASSWORD})
    assert answer.status_code == 303
    return str(answer.headers["location"])


def enrol(client: TestClient, email: str) -> tuple[str, list[str]]:
    page = client.get(password_step(client, email))
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page.text)
    assert secret
    fields = hidden_fields(page.text)
    shown = client.post("/login/two-factor", data={
        **fields, "code": fresh_code(secret.group(1))})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", shown.text)
    return secret.group(1), codes


def test_an_interviewer_enrols_an_authenticator_at_first_sign_in(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="interviewer")
    location = password_step(client, user.email)
    assert location.startswith("/login/two-factor")
    # the password alone opens nothing
    assert client.get("/").headers["location"].startswith("/login/two-factor")
    page = client.get(location)
    assert template_of(page) == "accounts/two_factor.html"
    assert "Set up your authenticator app" in page.text
    wrong = client.post("/login/two-factor", data={**hidden_fields(page.text), "code": "000000"})
    assert wrong.status_code == 422
    assert template_of(wrong) == "accounts/two_factor.html"
    assert "Error: " in wrong.text and "The code is not right" in wrong.text

    secret = re.search(r'data-secret="([A-Z2-7]+)"', wrong.text)
    assert secret  # the same key is offered again, so the app already set up still works
    done = client.post("/login/two-factor", data={**hidden_fields(wrong.text),
                                                  "code": fresh_code(secret.group(1))})
    assert done.status_code == 200
    assert template_of(done) == "accounts/recovery_codes.html"
    assert len(re.findall(r"<li><code>", done.text)) == 10
    assert client.get("/").status_code == 200
    db.refresh(user)
    assert user.totp_secret == secret.group(1)
    assert all(len(h) == 64 for h in user.recovery_codes or [])  # stored only as hashes


def test_later_sign_ins_ask_for_a_code_and_a_recovery_code_works_once(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="manager")
    _secret, codes = enrol(client, user.email)
    client.cookies.clear()

    page = client.get(password_step(client, user.email))
    assert "Enter your security code" in page.text and "data-secret" not in page.text
    used = client.post("/login/two-factor", data={**hidden_fields(page.text), "code": codes[0]})
    assert used.status_code == 303
    assert client.get("/").status_code == 200
    client.cookies.clear()

    page = client.get(password_step(client, user.email))
    again = client.post("/login/two-factor", data={**hidden_fields(page.text), "code": codes[0]})
    assert again.status_code == 422


def test_an_analyst_sees_no_identifying_data_and_needs_no_second_factor(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="analyst")
    assert not password_step(client, user.email).startswith("/login/two-factor")


def test_five_wrong_codes_end_the_session_and_lock_the_account(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="interviewer")
    enrol(client, user.email)
    client.cookies.clear()
    page = client.get(password_step(client, user.email))
    for _ in range(5):
        page = client.post("/login/two-factor", data={**hidden_fields(page.text),
                                                      "code": "123456"})
    assert template_of(page) == "accounts/login.html"  # back to the start
    assert "Sign in" in page.text
    fields = hidden_fields(client.get("/login").text)
    locked = client.post("/login", data={**fields, "email": user.email, "password": PASSWORD})
    assert locked.status_code == 422  # even the right password, until the lock ends


def test_the_password_alone_opens_no_api_answer_either(client: TestClient, db: Session) -> None:
    user = make_user(db, role="manager")
    password_step(client, user.email)
    for path in ("/api/v1/feed/summary", "/api/v1/standards",
                 "/api/v1/exports/ssda903-missing?collection_year=2025-26"):
        assert client.get(path).status_code == 401, path


def test_a_code_works_once(client: TestClient, db: Session) -> None:
    user = make_user(db, role="interviewer")
    secret, _codes = enrol(client, user.email)
    client.cookies.clear()
    db.refresh(user)
    page = client.get(password_step(client, user.email))
    spent = pyotp.TOTP(secret).at(int(user.totp_last_step or 0) * 30)
    replay = client.post("/login/two-factor", data={**hidden_fields(page.text), "code": spent})
    assert replay.status_code == 422


def test_a_right_password_does_not_buy_more_guesses_at_the_code(
        client: TestClient, db: Session) -> None:
    """Four wrong codes, sign in again with the password, one more wrong code: locked."""
    user = make_user(db, role="interviewer")
    secret, _ = enrol(client, user.email)
    for wrong_codes in (4, 1):
        client.cookies.clear()
        page = client.get(password_step(client, user.email))
        for _ in range(wrong_codes):
            page = client.post("/login/two-factor", data={**hidden_fields(page.text),
                                                          "code": "000000"})

    assert template_of(page) == "accounts/login.html"  # the fifth wrong code ended it
    client.cookies.clear()
    fields = hidden_fields(client.get("/login").text)
    locked = client.post("/login", data={**fields, "email": user.email, "password": PASSWORD})
    assert locked.status_code == 422  # locked: even the right password, until the lock ends
    db.refresh(user)
    assert user.locked_until is not None


def test_a_right_code_starts_the_count_of_wrong_ones_again(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="interviewer")
    secret, _ = enrol(client, user.email)
    client.cookies.clear()
    page = client.get(password_step(client, user.email))
    for _ in range(4):
        page = client.post("/login/two-factor", data={**hidden_fields(page.text),
                                                      "code": "000000"})
    right = client.post("/login/two-factor", data={**hidden_fields(page.text),
                                                   "code": fresh_code(secret)})

    assert right.status_code == 303
    db.refresh(user)
    assert (user.second_factor_failures, user.locked_until) == (0, None)
