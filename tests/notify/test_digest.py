"""The daily digest to a responsible authority's address (`rhi notify deadlines`): deadlines
about to pass on its children's records, and returns whose 72 hours end within 24 hours with no
offer; counts and links only; once a day, however often it runs."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from app.core.london import LONDON, london_day
from app.core.types import utcnow
from app.notify import digest, senders, sending
from app.notify.models import DAILY_DIGEST, SENT
from app.standards.calendar import is_working_day
from tests.builders import record
from tests.notify.conftest import Mailbox
from tests.notify.support import (
    PUBLIC_URL,
    assert_no_child_data,
    child,
    notify_return,
    outbox,
    planned_action,
    set_address,
)

TEAM = "missing.team@la-803.example.org"


def morning(days_ahead: int) -> datetime:
    """08:00 UK time, `days_ahead` days from today."""
    day = london_day(utcnow()) + timedelta(days=days_ahead)
    return datetime.combine(day, time(8), tzinfo=LONDON)


def run(db: Session, now: datetime) -> digest.Digests:
    """What `rhi notify deadlines` does at `now`: queue, commit, send."""
    made = digest.build(db, now)
    db.commit()
    sending.send_due(db, senders.configured(), now=now)
    return made


def test_the_digest_counts_deadlines_and_returns_waiting_and_names_no_child(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", TEAM)
    now = utcnow()
    soon, later = planned_action(now + timedelta(hours=6)), planned_action(now + timedelta(days=9))
    record(db, "avon-rhi", **child("QX-DIG-0001"), actions=[soon, later])
    record(db, "avon-rhi", **child("QX-DIG-0002"), actions=[later])
    notify_return(db, "803", now - timedelta(hours=60))  # the 72 hours end in 12
    notify_return(db, "803", now - timedelta(hours=10))  # in 62: not yet
    notify_return(db, "803", now - timedelta(hours=80))  # already over: the work list says

    made = run(db, now)

    assert (len(made.queued), made.already) == (1, [])
    [mail] = mailbox.received
    assert mail.rcpt_tos == [TEAM]
    assert mail.message["Subject"].startswith("Return interviews: deadlines and offers due")
    text = mail.body
    assert "1 practice standard deadline on 1 record falls due by the end of" in text
    assert "1 return is waiting for the offer of a return interview" in text
    assert f"{PUBLIC_URL}/\n" in text and f"{PUBLIC_URL}/episodes\n" in text
    assert_no_child_data(mail.everything, "QX-DIG-0001", "QX-DIG-0002")
    [row] = outbox(db)
    assert (row.kind, row.organisation, row.status) == (DAILY_DIGEST, "803", SENT)
    assert (row.details["findings"], row.details["records"], row.details["waiting"]) == (1, 1, 1)


def test_a_digest_of_waiting_returns_alone(db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", TEAM)
    now = utcnow()
    notify_return(db, "803", now - timedelta(hours=50))
    notify_return(db, "803", now - timedelta(hours=71))

    run(db, now)

    [mail] = mailbox.received
    assert "2 returns are waiting for the offer" in mail.body
    assert "practice standard deadline" not in mail.body


def test_the_deadlines_are_those_due_by_the_end_of_the_next_working_day(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", TEAM)
    friday = morning(7)
    while friday.weekday() != 4 or not is_working_day(friday.date() + timedelta(days=3)):
        friday += timedelta(days=1)
    # On a Friday the next working day is Monday: Sunday's and Monday's deadlines are in the
    # digest, Tuesday's not yet.
    sunday, monday, tuesday = (friday + timedelta(days=n, hours=6) for n in (2, 3, 4))
    for due in (sunday, monday, tuesday):
        record(db, "avon-rhi", **child(), actions=[planned_action(due)])

    run(db, friday)

    [mail] = mailbox.received
    assert "2 practice standard deadlines on 2 records fall due by the end of Monday" in \
        mail.body


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(
        db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", TEAM)
    today = morning(14)
    record(db, "avon-rhi", **child(), actions=[planned_action(today + timedelta(hours=6))])
    record(db, "avon-rhi", **child(), actions=[
        planned_action(today + timedelta(days=1, hours=6))])

    first = run(db, today)
    again = run(db, today + timedelta(hours=2))
    tomorrow = run(db, today + timedelta(days=1))

    assert (len(first.queued), again.queued, again.already, len(tomorrow.queued)) == \
        (1, [], ["803"], 1)
    assert len(mailbox.received) == 2
    assert [r.dedupe_key for r in outbox(db)] == [
        f"daily_digest:803:{london_day(today).isoformat()}",
        f"daily_digest:803:{(london_day(today) + timedelta(days=1)).isoformat()}"]


def test_nothing_due_means_no_digest(db: Session, mailbox: Mailbox) -> None:
    set_address(db, "803", TEAM)
    record(db, "avon-rhi", **child())

    made = run(db, utcnow())

    assert (made.queued, mailbox.received, outbox(db)) == ([], [], [])
