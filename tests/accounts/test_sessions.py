"""Server-side sessions: signing out ends them, and they expire when idle and when old."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.types import utcnow
from tests.accounts.conftest import hidden_fields, session_record, use_session_cookie
from tests.builders import make_user, sign_in


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
