"""Sending what the outbox holds: a job that owns its transactions.

`send_due` runs after commit, from `rhi notify send` on a timer and best effort right after a
request (`dispatch.py`), each with a session of its own that nothing else writes in: it
commits each step, so no transaction stays open while a server is talked to.

At most once: a message is claimed (`queued` → `sending`, one conditional UPDATE, committed)
before it is handed to the sender, and only a claim that changed the row sends it; so two
senders at once (the timer and the request's thread, or two servers) never both send it, and
a process that dies mid-send leaves the row `sending`, which is never sent again (after
`INTERRUPTED_AFTER` it is marked failed, saying so). A failure known to be before the message
was handed over is tried again with backoff, up to `MAX_ATTEMPTS`; one after it, or a refusal
for good, is `failed`. The price: a message whose sending was interrupted at the wrong moment
is lost rather than sent twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.notify import senders
from app.notify.models import FAILED, NOT_CONFIGURED, QUEUED, SENDING, SENT, Notification

MAX_ATTEMPTS: Final = 6
FIRST_RETRY: Final = timedelta(minutes=2)
LONGEST_WAIT: Final = timedelta(hours=6)
INTERRUPTED_AFTER: Final = timedelta(minutes=15)
BATCH: Final = 100

NO_EMAIL: Final = "not sent: no email configured"
INTERRUPTED: Final = ("sending was interrupted: not sent again, in case it arrived")
ERROR_MAX: Final = 200


@dataclass
class Tally:
    """What one run of `send_due` did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    not_configured: int = 0
    interrupted: int = 0

    def __str__(self) -> str:
        return (f"sent {self.sent}, to try again {self.retrying}, failed {self.failed}, "
                f"not sent (no email configured) {self.not_configured}, interrupted "
                f"earlier {self.interrupted}")


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 2 minutes, then four times as long
    each time (8, 32 minutes, 2 hours 8 minutes), at most 6 hours."""
    return min(FIRST_RETRY * (1 << 2 * min(max(attempts - 1, 0), 8)), LONGEST_WAIT)


def _changed(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount if isinstance(result, CursorResult) else 0


def send_due(session: Session, sender: senders.Sender | None, *,
             ids: Collection[UUID] | None = None, now: datetime | None = None) -> Tally:
    """Send every queued message whose time has come (only `ids`, when given), committing
    each step; what it did. With no sender, each is kept as "not sent: no email configured".
    """
    moment = now or utcnow()
    tally = Tally()
    tally.interrupted = _changed(session, update(Notification).where(
        col(Notification.status) == SENDING,
        col(Notification.claimed_at) < moment - INTERRUPTED_AFTER)
        .values(status=FAILED, last_error=INTERRUPTED))
    session.commit()
    seen: set[UUID] = set()
    while True:
        query = (select(col(Notification.id))
                 .where(col(Notification.status) == QUEUED,
                        col(Notification.next_attempt_at) <= moment)
                 .order_by(col(Notification.created_at), col(Notification.id)).limit(BATCH))
        if ids is not None:
            query = query.where(col(Notification.id).in_(list(ids)))
        due = [found for found in session.execute(query).scalars() if found not in seen]
        session.commit()
        for notification_id in due:
            seen.add(notification_id)
            _send_one(session, sender, notification_id, moment, tally)
        if len(due) < BATCH:
            return tally


def _send_one(session: Session, sender: senders.Sender | None, notification_id: UUID,
              moment: datetime, tally: Tally) -> None:
    this = (col(Notification.id) == notification_id, col(Notification.status) == QUEUED)
    if sender is None:
        tally.not_configured += _changed(session, update(Notification).where(*this).values(
            status=NOT_CONFIGURED, last_error=NO_EMAIL))
        session.commit()
        return
    claimed = _changed(session, update(Notification).where(*this).values(
        status=SENDING, attempts=col(Notification.attempts) + 1,
        claimed_at=max(moment, utcnow())))
    if claimed != 1:  # another sender has it, or it is no longer queued
        session.commit()
        return
    row = session.execute(select(Notification).where(col(Notification.id) == notification_id)
                          .execution_options(populate_existing=True)).scalar_one()
    message = senders.Outgoing(row.id, row.kind, row.recipient, row.subject, row.body,
                               {"subject": row.subject, "body": row.body, "link": row.link,
                                **row.details})
    attempts = row.attempts
    session.commit()  # the claim is durable before anything is handed over

    outcome = sender.send(message)

    values: dict[str, Any]
    if outcome.sent:
        values = {"status": SENT, "sent_at": max(moment, utcnow()), "last_error": None}
        tally.sent += 1
    elif outcome.retry and attempts < MAX_ATTEMPTS:
        values = {"status": QUEUED, "last_error": (outcome.error or "")[:ERROR_MAX],
                  "next_attempt_at": moment + backoff(attempts)}
        tally.retrying += 1
    else:
        error = outcome.error or "not sent"
        if outcome.retry:
            error = f"gave up after {attempts} attempts: {error}"
        values = {"status": FAILED, "last_error": error[:ERROR_MAX]}
        tally.failed += 1
    _changed(session, update(Notification).where(
        col(Notification.id) == notification_id, col(Notification.status) == SENDING)
        .values(**values))
    session.commit()
