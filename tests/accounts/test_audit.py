"""Sign-ins, failures and sign-outs are written to the audit log, never with the password."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from tests.accounts.conftest import session_record, submit_sign_in_form
from tests.builders import PASSWORD, make_user


def _entries(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_sign_in_is_audited_with_who_and_from_where(client: TestClient, db: Session) -> None:
    user = make_user(db)

    submit_sign_in_form(client, user.email)

    entry = next(e for e in reversed(_entries(db)) if e.action == "sign_in")
    assert (entry.action, entry.actor, entry.target, entry.organisation, entry.address) == (
        "sign_in", f"user:{user.id}", f"user:{user.id}", "803", "testclient")


def test_a_failed_sign_in_is_audited_with_its_reason_but_not_the_password(
        client: TestClient, db: Session) -> None:
    user = make_user(db)

    submit_sign_in_form(client, user.email, "Secret-Guess-123")
    submit_sign_in_form(client, "nobody@example.org", "Secret-Guess-456")

    failures = [e for e in _entries(db) if e.action == "sign_in_failed"]
    assert [(e.target, e.details["reason"]) for e in failures] == [
        (f"user:{user.id}", "wrong_password"), (None, "unknown_account")]
    logged = orjson.dumps([e.model_dump(mode="json") for e in _entries(db)]).decode()
    assert "Secret-Guess" not in logged
    assert PASSWORD not in logged


def test_signing_out_is_audited(client: TestClient, db: Session) -> None:
    user = make_user(db)
    submit_sign_in_form(client, user.email)

    client.post("/logout", data={"csrf_token": session_record(db, client).csrf_token})

    assert _entries(db)[-1].action == "sign_out"
    assert _entries(db)[-1].actor == f"user:{user.id}"
