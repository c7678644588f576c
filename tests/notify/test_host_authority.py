"""The host authority is told, by email through a real SMTP server, when a return interview is
recorded for a child another authority placed in its area: once per record, with a link to the
record's host-authority report and nothing that identifies the child."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.interviews.submissions import update_from_api
from app.notify import outbox as notify_outbox
from app.notify import senders, sending
from app.notify.models import HOST_AUTHORITY, NOT_CONFIGURED, SENT
from tests.builders import actor, make_document, record
from tests.notify.conftest import Mailbox
from tests.notify.support import (
    PUBLIC_URL,
    SENDER,
    assert_no_child_data,
    child,
    outbox,
    set_address,
)

HOST = "missing.children@host-801.example.org"


def send(db: Session) -> sending.Tally:
    return sending.send_due(db, senders.configured())


def test_the_host_authority_gets_an_email_with_a_link_and_nothing_about_the_child(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "801", HOST)
    made = record(db, "avon-rhi", **child("QX-HOST-0001", responsible_authority="803",
                                          placement_authority="801"))
    db.commit()

    tally = send(db)

    assert tally.sent == 1
    [mail] = mailbox.received
    assert mail.rcpt_tos == [HOST]
    assert mail.mail_from == SENDER
    assert mail.message["Subject"] == \
        "A return interview was recorded for a child placed in your area"
    assert f"{PUBLIC_URL}/placed-in-our-area/{made.id}" in mail.body
    assert_no_child_data(mail.everything, "QX-HOST-0001")
    [row] = outbox(db)
    assert (row.kind, row.organisation, row.recipient, row.status, row.attempts) == \
        (HOST_AUTHORITY, "801", HOST, SENT, 1)
    assert row.sent_at is not None and row.last_error is None


def test_a_new_version_of_the_record_does_not_tell_the_host_again(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "801", HOST)
    made = record(db, "avon-rhi", **child(responsible_authority="803",
                                          placement_authority="801"))
    send(db)
    changed = make_document(**child(made.document["child"]["local_id"],
                                    responsible_authority="803", placement_authority="801"),
                            id=str(made.id), offer__offered_at="2026-03-02T13:00:00Z")

    update_from_api(db, actor("avon-rhi"), made.id, changed, "*")
    db.commit()
    send(db)

    assert len(mailbox.received) == 1
    assert len(outbox(db)) == 1


def test_nobody_is_told_of_a_child_placed_in_their_own_authoritys_area(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", "team@803.example.org")
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="803"))
    db.commit()

    send(db)

    assert outbox(db) == [] and mailbox.received == []


def test_a_host_that_recorded_the_interview_itself_is_not_told(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "801", HOST)
    record(db, "801", **child(responsible_authority="803", placement_authority="801"))
    db.commit()

    send(db)

    assert outbox(db) == [] and mailbox.received == []


def test_a_host_with_no_address_is_kept_as_not_sent_saying_why(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "801", None)
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="801"))
    db.commit()

    send(db)

    [row] = outbox(db)
    assert (row.status, row.recipient, row.attempts) == (NOT_CONFIGURED, "", 0)
    assert row.last_error == notify_outbox.NO_ORGANISATION_ADDRESS
    assert mailbox.received == []
