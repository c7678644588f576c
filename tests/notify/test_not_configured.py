"""With no email configured (neither GOV.UK Notify nor SMTP), nothing changes for the person
who made the change: each message is kept in the outbox as "not sent: no email configured"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.notify import senders, sending
from app.notify.models import NOT_CONFIGURED, QUEUED
from tests.builders import bearer, make_document, make_key, record
from tests.notify.conftest import Mailbox, use_settings
from tests.notify.support import child, outbox, set_address

HOST = "missing.children@host-801.example.org"


def test_a_submission_succeeds_and_its_message_is_kept_as_not_sent(
        client: TestClient, db: Session) -> None:
    set_address(db, "801", HOST)
    set_address(db, "803", None)
    _, key = make_key(db, "avon-rhi")

    answer = client.post("/api/v1/interviews", headers=bearer(key), json=make_document(
        **child(responsible_authority="803", placement_authority="801")))

    assert answer.status_code == 201, answer.text
    assert senders.configured() is None
    [row] = outbox(db)
    assert (row.status, row.recipient, row.last_error) == (
        NOT_CONFIGURED, HOST, "not sent: no email configured")
    assert sending.send_due(db, None).sent == 0


def test_messages_queued_before_email_was_turned_off_are_kept_as_not_sent(
        db: Session, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    set_address(db, "801", HOST)
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="801"))
    db.commit()
    queued = outbox(db)[0].status
    use_settings(monkeypatch)  # the SMTP settings are taken away

    tally = sending.send_due(db, senders.configured())

    [row] = outbox(db)
    assert (queued, tally.not_configured) == (QUEUED, 1)
    assert (row.status, row.attempts, row.last_error) == (
        NOT_CONFIGURED, 0, sending.NO_EMAIL)
    assert mailbox.received == []
