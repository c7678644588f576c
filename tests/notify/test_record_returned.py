"""The interviewer who started a record is told, at their account's email, when a manager
returns it: once per version returned, with a link to the record, and neither the child nor the
manager's comment (which may name the child) in the email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import User
from app.core.types import utcnow
from app.interviews import service
from app.notify import outbox as notify_outbox
from app.notify import senders, sending
from app.notify.models import NOT_CONFIGURED, RECORD_RETURNED, SENT, Notification
from app.record.events import record_changed
from app.record.models import Interview, InterviewVersion
from tests.builders import make_document, make_org, make_user, save_draft
from tests.notify.conftest import Mailbox
from tests.notify.support import (
    GIVEN_NAME,
    PUBLIC_URL,
    as_caller,
    assert_no_child_data,
    child,
    outbox,
)

COMMENT = f"Please add where {GIVEN_NAME} was found."


def submitted_by(db: Session, interviewer: User, local_id: str) -> Interview:
    """A record the interviewer started on the web and submitted."""
    make_org(db, "803")
    caller = as_caller(db, interviewer)
    draft = service.start_draft(db, caller)
    document = make_document(**child(local_id), id=str(draft.id))
    assert save_draft(db, draft, caller, document) == []
    assert service.submit(db, draft, caller) == []
    return draft


def test_the_interviewer_gets_an_email_when_a_manager_returns_their_record(
        db: Session, mailbox: Mailbox) -> None:
    interviewer = make_user(db, "interviewer", org="avon-rhi", email="ivy@avon.example.org")
    manager = make_user(db, "manager", org="avon-rhi")
    interview = submitted_by(db, interviewer, "QX-RET-0001")

    service.return_to_interviewer(db, interview, as_caller(db, manager), COMMENT)
    db.commit()
    tally = sending.send_due(db, senders.configured())

    assert tally.sent == 1
    [mail] = mailbox.received
    assert mail.rcpt_tos == ["ivy@avon.example.org"]
    assert mail.message["Subject"] == "A return interview record was returned to you by a manager"
    assert f"{PUBLIC_URL}/interviews/{interview.id}" in mail.body
    assert "Please add where" not in mail.everything
    assert_no_child_data(mail.everything, "QX-RET-0001")
    [row] = outbox(db)
    assert (row.kind, row.organisation, row.status) == (RECORD_RETURNED, "avon-rhi", SENT)


def test_saving_the_returned_record_does_not_tell_them_again_but_a_second_return_does(
        db: Session, mailbox: Mailbox) -> None:
    interviewer = make_user(db, "interviewer", org="avon-rhi")
    manager = as_caller(db, make_user(db, "manager", org="avon-rhi"))
    interview = submitted_by(db, interviewer, "QX-RET-0002")
    service.return_to_interviewer(db, interview, manager, COMMENT)
    caller = as_caller(db, interviewer)

    save_draft(db, interview, caller, {**interview.document, "offer": {
        **interview.document["offer"], "offered_at": "2026-03-02T12:30:00Z"}})
    assert service.submit(db, interview, caller) == []
    service.return_to_interviewer(db, interview, manager, "Again, please.")
    db.commit()
    sending.send_due(db, senders.configured())

    assert [r.dedupe_key for r in outbox(db)] == [
        f"record_returned:{interview.id}:1", f"record_returned:{interview.id}:2"]
    assert len(mailbox.received) == 2


def test_a_return_decided_before_notices_began_is_not_announced_by_a_later_change(
        db: Session, mailbox: Mailbox) -> None:
    interviewer = make_user(db, "interviewer", org="avon-rhi")
    manager = as_caller(db, make_user(db, "manager", org="avon-rhi"))
    interview = submitted_by(db, interviewer, "QX-RET-0003")
    service.return_to_interviewer(db, interview, manager, COMMENT)
    # As if it had been returned a month ago, before the outbox existed.
    db.execute(delete(Notification))
    db.execute(update(InterviewVersion).where(
        col(InterviewVersion.interview_id) == interview.id).values(
        decided_at=utcnow() - timedelta(days=30)))

    record_changed(db, interview)  # findings re-evaluated, or the interviewer saving

    assert outbox(db) == []


def test_a_disabled_interviewer_is_not_sent_anything(db: Session, mailbox: Mailbox) -> None:
    interviewer = make_user(db, "interviewer", org="avon-rhi")
    manager = as_caller(db, make_user(db, "manager", org="avon-rhi"))
    interview = submitted_by(db, interviewer, "QX-RET-0004")
    interviewer.active = False

    service.return_to_interviewer(db, interview, manager, COMMENT)
    db.commit()
    sending.send_due(db, senders.configured())

    [row] = outbox(db)
    assert (row.status, row.last_error) == (NOT_CONFIGURED, notify_outbox.NO_PERSON_ADDRESS)
    assert mailbox.received == []
