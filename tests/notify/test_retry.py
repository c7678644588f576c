"""Sending after commit, with retries: a mail server that is down is tried again with backoff
until it is back; a refusal for good, or a hang-up after the message was handed over, is not
tried again (a message is sent at most once); a send interrupted halfway is never repeated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.notify import senders, sending
from app.notify.models import FAILED, QUEUED, SENDING, SENT, Notification
from tests.builders import record
from tests.notify.conftest import Mailbox
from tests.notify.support import child, outbox, set_address

HOST = "missing.children@host-801.example.org"


@pytest.fixture
def queued(db: Session, mailbox: Mailbox) -> Notification:
    """A host-authority notice in the outbox, not yet sent."""
    set_address(db, "801", HOST)
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="801"))
    db.commit()
    [row] = outbox(db)
    assert row.status == QUEUED
    return row


def send(db: Session, after: timedelta = timedelta()) -> sending.Tally:
    return sending.send_due(db, senders.configured(), now=utcnow() + after)


def test_a_message_is_sent_once_the_stopped_server_is_back(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    mailbox.stop()

    down = send(db)
    [row] = outbox(db)
    waiting = (row.status, row.attempts, row.last_error)
    too_soon = send(db, timedelta(minutes=1))
    mailbox.start()
    back = send(db, sending.backoff(1) + timedelta(seconds=1))

    assert (down.retrying, too_soon.retrying + too_soon.sent, back.sent) == (1, 0, 1)
    assert waiting == (QUEUED, 1, "could not connect to the mail server")
    assert row.next_attempt_at is not None
    [row] = outbox(db)
    assert (row.status, row.attempts, row.last_error) == (SENT, 2, None)
    assert [m.rcpt_tos for m in mailbox.received] == [[HOST]]
    assert send(db, timedelta(days=1)).sent == 0  # and never again


def test_the_waits_grow_and_sending_gives_up_after_the_last_attempt(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    mailbox.stop()
    later = timedelta()

    for attempt in range(1, sending.MAX_ATTEMPTS + 1):
        send(db, later)
        later += sending.backoff(attempt) + timedelta(seconds=1)

    [row] = outbox(db)
    assert (row.status, row.attempts) == (FAILED, sending.MAX_ATTEMPTS)
    assert row.last_error is not None and row.last_error.startswith("gave up after 6 attempts")
    assert [sending.backoff(n) for n in (1, 2, 3, 4, 5)] == [
        timedelta(minutes=2), timedelta(minutes=8), timedelta(minutes=32),
        timedelta(minutes=128), timedelta(hours=6)]


def test_a_refusal_for_good_is_not_tried_again_and_not_now_is(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    mailbox.answer = "451 Try again later"
    send(db)
    [row] = outbox(db)
    first = (row.status, row.last_error)
    mailbox.answer = "554 Transaction failed"
    send(db, timedelta(hours=1))

    [row] = outbox(db)
    assert first == (QUEUED, "the mail server refused the message (451)")
    assert (row.status, row.last_error) == (FAILED, "the mail server refused the message (554)")
    assert send(db, timedelta(days=1)).sent == 0


def test_a_hang_up_after_the_message_was_handed_over_is_not_sent_again(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    mailbox.hang_up_on_data = True

    tally = send(db)
    mailbox.hang_up_on_data = False
    again = send(db, timedelta(days=1))

    [row] = outbox(db)
    assert (tally.failed, again.sent) == (1, 0)
    assert row.status == FAILED
    assert row.last_error is not None and "in case it arrived" in row.last_error


def test_a_send_interrupted_halfway_is_never_repeated(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    # The process died after claiming the message: was it handed over? Nobody knows.
    db.execute(update(Notification).where(col(Notification.id) == queued.id).values(
        status=SENDING, attempts=1, claimed_at=utcnow()))
    db.commit()

    soon = send(db, timedelta(minutes=1))
    still = outbox(db)[0].status
    later = send(db, sending.INTERRUPTED_AFTER + timedelta(minutes=1))

    [row] = outbox(db)
    assert (soon.sent, still, later.interrupted, later.sent) == (0, SENDING, 1, 0)
    assert (row.status, row.last_error) == (FAILED, sending.INTERRUPTED)
    assert mailbox.received == []


def test_two_senders_at_once_send_it_once(
        db: Session, mailbox: Mailbox, queued: Notification) -> None:
    class Racing:
        """A sender in whose middle another sender runs (the timer while the request's
        thread is sending)."""

        name = "racing"

        def __init__(self, inner: senders.Sender) -> None:
            self.inner, self.raced = inner, False

        def send(self, message: senders.Outgoing) -> senders.Outcome:
            if not self.raced:
                self.raced = True
                assert sending.send_due(db, self).sent == 0
            return self.inner.send(message)

    configured = senders.configured()
    assert configured is not None
    sending.send_due(db, Racing(configured))

    assert len(mailbox.received) == 1
    assert outbox(db)[0].status == SENT
