"""The outbox: a message is written with the change that causes it.

`queue` runs inside the caller's transaction and never commits: the message commits or rolls
back with the change. Sending what is due is a job of its own (`sending.py`), which owns its
transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID, uuid4

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.notify import senders
from app.notify.messages import Message
from app.notify.models import NOT_CONFIGURED, QUEUED, Notification
from app.notify.sending import NO_EMAIL

NO_ORGANISATION_ADDRESS: Final = "not sent: the organisation has no email address for notices"
NO_PERSON_ADDRESS: Final = "not sent: the person's account is disabled or gone"

# The ids a session's transaction queued, sent right after it commits (`dispatch.py`).
QUEUED_IN_SESSION: Final = "rhi.notify.queued"


def _insert(session: Session) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert


def queue(session: Session, message: Message, *, organisation: str, recipient: str | None,
          dedupe_key: str, no_address: str = NO_ORGANISATION_ADDRESS,
          now: datetime | None = None) -> UUID | None:
    """Write `message` into the outbox in the caller's transaction; None when a message with
    the same `dedupe_key` is already there (it is never written twice).

    With no recipient, or no sender configured, the row is kept as `not_configured`, saying
    why: it is a record that the message was due, and never an error for the user.
    """
    moment = now or utcnow()
    status, error = QUEUED, None
    if not recipient:
        status, error = NOT_CONFIGURED, no_address
    elif not senders.is_configured():
        status, error = NOT_CONFIGURED, NO_EMAIL
    made: UUID | None = session.execute(
        _insert(session)(Notification).values(
            id=uuid4(), kind=message.kind, organisation=organisation,
            recipient=recipient or "", subject=message.subject, body=message.body,
            link=message.link, details=message.details, dedupe_key=dedupe_key,
            status=status, attempts=0, last_error=error, next_attempt_at=moment,
            created_at=moment)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(Notification.id))).scalar_one_or_none()
    if made is not None and status == QUEUED:
        session.info.setdefault(QUEUED_IN_SESSION, []).append(made)
    return made


def take_queued(session: Session) -> list[UUID]:
    """The ids this session's transaction queued, taken from the after-commit sender: for a
    caller that sends them itself (a command, which may exit before a thread finishes)."""
    taken: list[UUID] = session.info.pop(QUEUED_IN_SESSION, None) or []
    return taken
