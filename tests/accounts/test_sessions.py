"""Server-side sessions: signing out ends them, and they expire when idle and when old."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.types import utcnow
from tests.accounts.conftest import hidden_fields, session_record, use_session_cookie
from tests.builders import PASSWORD, make_user, sign_in


def test_signing_out_ends_the_session_on_the_server(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    cookie = client.cookies.get("rhi_session")
    record = session_record(db, client)

    response = client.post("/logout", data={"csrf_token": record.csrf_token})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?signed_out=true"
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert record.ended_at is not None
    assert "rhi_session" not in client.cookies
    # The old cookie, replayed, no longer signs anyone in.
    use_session_cookie(client, cookie)
    assert client.get("/probe/whoami").status_code == 303


def test_the_sign_in_page_after_signing_out_says_so(client: TestClient) -> None:
    response = client.get("/login?signed_out=true")

    assert "You have signed out" in response.text


def test_signing_out_without_a_session_just_clears_the_browser(client: TestClient) -> None:
    response = client.post("/logout")

    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'


def test_pages_send_a_visitor_without_a_session_to_sign_in(client: TestClient) -> None:
    response = client.get("/probe/whoami")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprobe%2Fwhoami"


def test_a_tampered_cookie_signs_nobody_in(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    cookie = client.cookies.get("rhi_session") or ""

    use_session_cookie(client, cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))

    assert client.get("/probe/whoami").status_code == 303


def test_a_session_idle_for_longer_than_the_limit_has_expired(client: TestClient,
                                                              db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    record.last_seen_at = utcnow() - timedelta(minutes=31)
    db.flush()

    assert client.get("/probe/whoami").status_code == 303


def test_a_session_in_use_stays_alive_past_the_idle_limit(client: TestClient,
                                                          db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    record.created_at = utcnow() - timedelta(hours=2)
    record.last_seen_at = utcnow() - timedelta(minutes=29)
    db.flush()

    assert client.get("/probe/whoami").status_code == 200
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_last_seen_is_written_at_most_once_a_minute(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    seen = utcnow() - timedelta(seconds=30)
    record.last_seen_at = seen
    db.flush()

    client.get("/probe/whoami")

    assert record.last_seen_at == seen


def test_a_session_older_than_the_absolute_limit_has_expired_however_active(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    record.created_at = utcnow() - timedelta(hours=12, minutes=1)
    record.last_seen_at = utcnow()
    db.flush()

    assert client.get("/probe/whoami").status_code == 303


def test_a_deactivated_user_is_signed_out_at_once(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    user.active = False
    db.flush()

    assert client.get("/probe/whoami").status_code == 303


def test_the_sign_out_form_in_the_layout_carries_the_session_token(client: TestClient,
                                                                   db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)

    # An error page is a page with the layout, rendered here for a signed-in user.
    page = client.post("/probe/change", data={"csrf_token": "wrong"})

    assert page.status_code == 403
    assert hidden_fields(page.text)["csrf_token"] == record.csrf_token
    assert f"Signed in as {user.name}" in page.text


# --- the timeout warning's clock, "Stay signed in", and signing out on a timeout ----------


def test_a_signed_in_page_and_every_answer_say_how_long_the_session_has_left(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)

    page = client.get("/")
    answer = client.get("/probe/whoami")

    meta = re.search(r'<meta name="rhi-session-ends-in" content="(\d+)">', page.text)
    assert meta is not None and 1790 <= int(meta.group(1)) <= 1800  # 30 minutes idle
    assert '<meta name="rhi-session-warning" content="120">' in page.text
    assert 'id="rhi-timeout"' in page.text and "Stay signed in" in page.text
    assert 1790 <= int(answer.headers["x-session-ends-in"]) <= 1800


def test_a_page_for_nobody_has_no_session_clock(client: TestClient) -> None:
    page = client.get("/login")

    assert "rhi-session-ends-in" not in page.text and 'id="rhi-timeout"' not in page.text
    assert "x-session-ends-in" not in page.headers


def test_staying_signed_in_restarts_the_idle_clock(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    record.last_seen_at = utcnow() - timedelta(seconds=40)
    db.flush()
    # A request within a minute of the last does not write; "Stay signed in" always does.
    assert int(client.get("/probe/whoami").headers["x-session-ends-in"]) <= 1760

    answer = client.post("/session/keep-alive", headers={"X-CSRF-Token": record.csrf_token})

    assert answer.status_code == 204
    assert 1790 <= int(answer.headers["x-session-ends-in"]) <= 1800
    assert utcnow() - record.last_seen_at < timedelta(seconds=5)


def test_staying_signed_in_needs_the_sessions_token_and_a_live_session(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)

    forged = client.post("/session/keep-alive", headers={"X-CSRF-Token": "not-the-token"})
    record.last_seen_at = utcnow() - timedelta(minutes=31)
    db.flush()
    too_late = client.post("/session/keep-alive", headers={"X-CSRF-Token": record.csrf_token})

    assert forged.status_code == 403
    assert (too_late.status_code, too_late.headers.get("location")) == (401, None)
    assert record.last_seen_at < utcnow() - timedelta(minutes=30)  # not brought back to life


def test_the_page_signing_out_on_a_timeout_comes_back_to_the_same_place(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)

    answer = client.post("/logout", data={
        "csrf_token": record.csrf_token, "reason": "timeout",
        "next": "/interviews/5e0c1a52-8f1e-4a8f-9d3e-3c7a1f0b2d11/interview", "saved": "14:02"})

    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/login?reason=timeout&next=%2Finterviews%2F5e0c1a52-8f1e-4a8f-9d3e-3c7a1f0b2d11"
        "%2Finterview&saved=14%3A02")
    assert record.ended_at is not None
    page = client.get(answer.headers["location"])
    assert "You were signed out because you had not done anything for 30 minutes" in page.text
    assert "Your answers were saved at 14:02. Anything typed after that was not saved." in page.text
    assert "Sign in to go back to where you were." in page.text
    assert hidden_fields(page.text)["next"] == \
        "/interviews/5e0c1a52-8f1e-4a8f-9d3e-3c7a1f0b2d11/interview"


def test_signed_in_again_after_a_timeout_the_person_is_back_where_they_were(
        client: TestClient, db: Session) -> None:
    user = make_user(db, role="analyst")  # no second factor, to keep to the point
    sign_in(client, user)
    record = session_record(db, client)
    client.post("/logout", data={"csrf_token": record.csrf_token, "reason": "timeout",
                                 "next": "/probe/whoami", "saved": "all"})

    page = client.get("/login?reason=timeout&next=%2Fprobe%2Fwhoami&saved=all")
    answer = client.post("/login", data={**hidden_fields(page.text), "email": user.email,
                                         "password": PASSWORD})

    assert "Everything you typed was saved" in page.text
    assert (answer.status_code, answer.headers["location"]) == (303, "/probe/whoami")


@pytest.mark.parametrize(("fields", "location"), [
    ({"reason": "timeout", "next": "//evil.example/x", "saved": "all"},
     "/login?reason=timeout&next=%2F&saved=all"),
    ({"reason": "timeout", "next": "/x", "saved": "<script>"}, "/login?reason=timeout&next=%2Fx"),
    ({"reason": "timeout", "next": "/x", "saved": "99:99"}, "/login?reason=timeout&next=%2Fx"),
    ({"reason": "because", "next": "/x"}, "/login?signed_out=true"),
    ({"reason": "timeout" * 10}, None),
])
def test_odd_sign_out_fields_never_redirect_away_or_reflect_what_was_sent(
        client: TestClient, db: Session, fields: dict[str, str], location: str | None) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)

    answer = client.post("/logout", data={"csrf_token": record.csrf_token, **fields})

    if location is None:
        assert answer.status_code == 400  # a field over its length: refused, named
        return
    assert (answer.status_code, answer.headers["location"]) == (303, location)


@pytest.mark.parametrize("query", [
    "reason=timeout&saved=%3Cscript%3Ealert(1)%3C/script%3E", "reason=%3Cb%3E", "saved=all",
    "reason=timeout&saved=" + "1" * 50, "reason=" + "x" * 50, "reason=expired&next=//evil.example",
])
def test_odd_sign_in_page_queries_show_nothing_they_carry(client: TestClient,
                                                          query: str) -> None:
    page = client.get(f"/login?{query}")

    assert page.status_code in (200, 400)
    assert "<script>alert" not in page.text and "<b>" not in page.text
    assert "evil.example" not in page.text


def test_a_session_that_ended_sends_the_next_page_to_sign_in_saying_so(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user)
    record = session_record(db, client)
    record.last_seen_at = utcnow() - timedelta(minutes=31)
    db.flush()

    answer = client.get("/probe/whoami")
    client.cookies.clear()  # (the test's database would otherwise bring the session back)
    page = client.get(answer.headers["location"])

    assert answer.headers["location"] == "/login?next=%2Fprobe%2Fwhoami&reason=expired"
    assert "Your session had ended, so you have been signed out" in page.text
