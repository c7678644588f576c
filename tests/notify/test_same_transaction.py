"""A message is written in the transaction of the change that causes it, on a database whose
commits are real: a change that rolls back leaves no message, one that commits is sent right
after the request (best effort, by a background thread), and `rhi notify send` and
`rhi notify deadlines` do the rest from a timer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.cli import main
from app.core.db import get_engine
from app.core.types import utcnow
from app.interviews.submissions import create_from_api
from app.main import create_app
from app.notify import dispatch
from app.notify.models import NOT_CONFIGURED, QUEUED, SENT
from tests.builders import actor, bearer, make_document, make_key, make_org, record
from tests.notify.conftest import Mailbox
from tests.notify.support import child, notify_return, outbox, set_address

HOST = "missing.children@host-801.example.org"


def test_a_change_that_rolls_back_leaves_no_message(committed_database: str,
                                                    mailbox: Mailbox) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        set_address(session, "801", HOST)
        for code in ("803", "avon-rhi"):
            make_org(session, code)
        create_from_api(session, actor("avon-rhi"), make_document(
            **child(responsible_authority="803", placement_authority="801")))
        queued_before = len(outbox(session))

        session.rollback()

        assert (queued_before, outbox(session)) == (1, [])
    assert dispatch.wait()
    assert mailbox.received == []


def test_a_committed_request_is_emailed_right_after_it(committed_database: str,
                                                       mailbox: Mailbox) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        set_address(session, "801", HOST)
        make_org(session, "803")
        _, key = make_key(session, "avon-rhi")
    document = make_document(**child(responsible_authority="803", placement_authority="801"))

    with TestClient(create_app()) as client:
        answer = client.post("/api/v1/interviews", headers=bearer(key), json=document)

    assert answer.status_code == 201, answer.text
    assert dispatch.wait()
    [mail] = mailbox.received
    assert mail.rcpt_tos == [HOST]
    assert f"/placed-in-our-area/{document['id']}" in mail.body
    with Session(get_engine()) as session:
        assert [row.status for row in outbox(session)] == [SENT]


def test_the_timer_sends_what_the_request_could_not(committed_database: str,
                                                    mailbox: Mailbox) -> None:
    mailbox.stop()  # the mail server is down when the record is submitted
    with Session(get_engine(), expire_on_commit=False) as session:
        set_address(session, "801", HOST)
        record(session, "avon-rhi", **child(responsible_authority="803",
                                            placement_authority="801"))
        session.commit()
    assert dispatch.wait()
    with Session(get_engine()) as session:
        [row] = outbox(session)
        assert (row.status, row.attempts) == (QUEUED, 1)
        assert row.next_attempt_at > utcnow()
    mailbox.start()

    with Session(get_engine()) as session:  # the backoff has passed
        [row] = outbox(session)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert main(["notify", "send"]) == 0

    assert [m.rcpt_tos for m in mailbox.received] == [[HOST]]
    with Session(get_engine()) as session:
        assert [row.status for row in outbox(session)] == [SENT]


def test_the_deadlines_command_sends_one_digest_a_day(committed_database: str,
                                                      mailbox: Mailbox) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        set_address(session, "803", "missing.team@la-803.example.org")
        notify_return(session, "803", utcnow() - timedelta(hours=60))
        session.commit()

    first = main(["notify", "deadlines"])
    second = main(["notify", "deadlines"])

    assert (first, second) == (0, 0)
    assert [m.rcpt_tos for m in mailbox.received] == [["missing.team@la-803.example.org"]]
    assert dispatch.wait()
    assert len(mailbox.received) == 1


def test_with_no_email_the_commands_say_so_and_keep_messages_as_not_sent(
        committed_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        set_address(session, "803", "missing.team@la-803.example.org")
        notify_return(session, "803", utcnow() - timedelta(hours=60))
        session.commit()

    assert main(["notify", "deadlines"]) == 0
    assert main(["notify", "send"]) == 0

    said = capsys.readouterr().out
    assert "No email is configured" in said
    assert "Digests: 1 written for 1 organisation with something due" in said
    assert "missing.team" not in said  # no address printed
    with Session(get_engine()) as session:
        assert [row.status for row in outbox(session)] == [NOT_CONFIGURED]
