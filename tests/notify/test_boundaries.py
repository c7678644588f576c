"""An organisation is never emailed about another organisation's records, beyond the host
authority's notice that a record of a child placed in its area was made: every message of a
busy partnership is checked against the visibility rule, and each digest's counts against the
organisation's own records and episodes, counted here independently."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.interviews import service
from app.notify import digest, senders, sending
from app.notify.models import DAILY_DIGEST, HOST_AUTHORITY, RECORD_RETURNED
from app.record.models import Interview
from app.record.visibility import visible_to
from tests.builders import make_document, make_user, record, save_draft
from tests.notify.conftest import Mailbox
from tests.notify.support import (
    as_caller,
    child,
    notify_return,
    outbox,
    planned_action,
    set_address,
)

ADDRESSES = {"803": "team@la-803.example.org", "801": "team@la-801.example.org",
             "avon-rhi": "team@avon-rhi.example.org", "avon-police": "team@police.example.org"}
ID = re.compile(r"/interviews/([0-9a-f-]{36})")


def test_every_message_is_about_the_receivers_own_records_or_a_child_placed_with_it(
        db: Session, mailbox: Mailbox) -> None:
    for code, address in ADDRESSES.items():
        set_address(db, code, address)
    now = utcnow()
    due = [planned_action(now + timedelta(hours=6))]
    # 803's child placed in 801, interviewed by the provider: 801 is the host.
    placed = record(db, "avon-rhi", **child(responsible_authority="803",
                                            placement_authority="801"), actions=due)
    # 801's own children, one placed in 803, one at home, recorded by 801 itself.
    record(db, "801", **child(responsible_authority="801", placement_authority="803"),
           actions=due)
    record(db, "801", **child(responsible_authority="801", placement_authority="801"),
           actions=due)
    # The provider's record of an 803 child, returned to its interviewer.
    interviewer = make_user(db, "interviewer", org="avon-rhi", email="ivy@avon.example.org")
    caller = as_caller(db, interviewer)
    draft = service.start_draft(db, caller)
    assert save_draft(db, draft, caller, make_document(**child(), id=str(draft.id))) == []
    assert service.submit(db, draft, caller) == []
    service.return_to_interviewer(db, draft, as_caller(db, make_user(
        db, "manager", org="avon-rhi")), "Please check.")
    # Returns waiting for an offer: two of 803's children (one notified by the police), one
    # of 801's.
    notify_return(db, "803", now - timedelta(hours=60))
    notify_return(db, "803", now - timedelta(hours=55), notified_by="avon-police")
    notify_return(db, "801", now - timedelta(hours=65))
    digest.build(db, now)
    db.commit()
    sending.send_due(db, senders.configured())

    rows = outbox(db)
    kinds = sorted((row.kind, row.organisation) for row in rows)
    assert kinds == sorted([
        (HOST_AUTHORITY, "801"), (HOST_AUTHORITY, "803"), (RECORD_RETURNED, "avon-rhi"),
        (DAILY_DIGEST, "801"), (DAILY_DIGEST, "803")])
    for row in rows:
        mentioned = {UUID(found) for found in ID.findall(row.body + row.link)}
        for interview_id in mentioned:
            interview = db.get(Interview, interview_id)
            assert interview is not None
            own = db.execute(select(col(Interview.id)).where(
                col(Interview.id) == interview_id,
                visible_to(row.organisation))).first() is not None
            hosted = row.kind == HOST_AUTHORITY and \
                interview.document["child"]["placement_authority"] == row.organisation
            assert own or hosted, (row.kind, row.organisation)
        if row.kind == RECORD_RETURNED:
            assert (row.recipient, mentioned) == ("ivy@avon.example.org", {draft.id})
        else:
            assert row.recipient == ADDRESSES[row.organisation]
    digests = {row.organisation: row.details for row in rows if row.kind == DAILY_DIGEST}
    # Counted independently: each authority's own children's submitted records with the
    # action due, and its own returns waiting.
    assert (digests["803"]["findings"], digests["803"]["waiting"]) == (1, 2)
    assert (digests["801"]["findings"], digests["801"]["waiting"]) == (2, 1)
    assert placed.responsible_authority == "803"
    assert {address for mail in mailbox.received for address in mail.rcpt_tos} == {
        ADDRESSES["801"], ADDRESSES["803"], "ivy@avon.example.org"}
