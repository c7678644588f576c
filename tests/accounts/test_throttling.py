"""Failures lock an account and throttle an address, without telling anyone which accounts exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.service import SIGN_IN_FAILED, SIGN_IN_THROTTLED
from app.audit import service as audit
from app.core.types import utcnow
from tests.accounts.conftest import submit_sign_in_form
from tests.builders import PASSWORD, make_user


def test_five_wrong_passwords_lock_the_account_so_even_the_right_one_fails(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    for _ in range(5):
        assert submit_sign_in_form(client, user.email, "wrong password!").status_code == 422

    response = submit_sign_in_form(client, user.email, PASSWORD)

    assert response.status_code == 422
    assert SIGN_IN_FAILED in response.text
    assert "rhi_session" not in client.cookies
    assert user.locked_until is not None
    assert user.locked_until > utcnow() + timedelta(minutes=14)


def test_four_wrong_passwords_then_the_right_one_signs_in_and_resets_the_count(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    for _ in range(4):
        submit_sign_in_form(client, user.email, "wrong password!")

    assert submit_sign_in_form(client, user.email, PASSWORD).status_code == 303
    assert user.failed_logins == 0


def test_the_lock_lifts_after_fifteen_minutes(client: TestClient, db: Session) -> None:
    user = make_user(db)
    for _ in range(5):
        submit_sign_in_form(client, user.email, "wrong password!")
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.flush()

    assert submit_sign_in_form(client, user.email, PASSWORD).status_code == 303


def test_failures_while_locked_do_not_extend_the_lock(db: Session) -> None:
    user = make_user(db)
    locked_until = utcnow() + timedelta(minutes=3)
    user.locked_until = locked_until
    db.flush()

    with pytest.raises(service.SignInFailed):
        service.authenticate(db, user.email, "wrong password!", "192.0.2.1")

    assert user.locked_until == locked_until


def test_too_many_failures_from_one_address_gets_429_and_the_generic_advice(
        client: TestClient, db: Session) -> None:
    user = make_user(db)
    for _ in range(service.ADDRESS_FAILURE_LIMIT):
        audit.record(db, actor="anonymous", action="sign_in_failed", address="testclient",
                     details={"reason": "unknown_account"})

    response = submit_sign_in_form(client, user.email, PASSWORD)

    assert response.status_code == 429
    assert SIGN_IN_THROTTLED in response.text
    assert "rhi_session" not in client.cookies


def test_the_address_limit_counts_only_that_address_and_only_recent_failures(
        db: Session) -> None:
    user = make_user(db)
    for _ in range(service.ADDRESS_FAILURE_LIMIT):
        audit.record(db, actor="anonymous", action="sign_in_failed", address="198.51.100.7")

    with pytest.raises(service.SignInThrottled):
        service.authenticate(db, user.email, PASSWORD, "198.51.100.7")
    assert service.authenticate(db, user.email, PASSWORD, "203.0.113.9") is user


def test_an_unknown_email_costs_one_password_verification_like_a_known_one(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []
    real_verify = service._verify
    monkeypatch.setattr(service, "_verify",
                        lambda h, p: verified.append(p) or real_verify(h, p))

    with pytest.raises(service.SignInFailed):
        service.authenticate(db, "nobody@example.org", "a guess at it", "192.0.2.1")

    assert verified == ["a guess at it"]
