"""The outbox: every email the service means to send, one row each, written in the same
transaction as the change that causes it (so a change that rolls back sends nothing, and one
that commits is never forgotten), then sent after commit (`sending.send_due`).

A row holds what the email says (never a child's name, case id or date of birth: the texts are
built in `messages.py` from counts, dates and links only), where it goes, and how sending went.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from app.core.types import JSONType, UTCDateTime, utcnow

# What a message is about (a Notify template id is configured for each).
HOST_AUTHORITY: Final = "host_authority"
RECORD_RETURNED: Final = "record_returned"
DAILY_DIGEST: Final = "daily_digest"
KINDS: Final = (HOST_AUTHORITY, RECORD_RETURNED, DAILY_DIGEST)

# How sending went. `sending` is the moment between claiming a row and hearing back: a row
# left there by a process that died is never sent again (`outbox.INTERRUPTED_AFTER`).
QUEUED: Final = "queued"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
NOT_CONFIGURED: Final = "not_configured"
STATUSES: Final = (QUEUED, SENDING, SENT, FAILED, NOT_CONFIGURED)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=32, index=True)
    # The organisation the message goes to (its code): the host authority, the interviewer's
    # organisation, or the responsible authority of a digest.
    organisation: str = Field(max_length=64, index=True)
    # Where it goes: the organisation's `notify_email`, or the interviewer's account email.
    # Empty when there was nowhere to send it (status `not_configured`).
    recipient: str = Field(default="", max_length=320)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    link: str = Field(max_length=500)
    # Counts and dates a Notify template may show (`messages.Message.details`).
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # Makes the same message twice one row: "host_authority:<record>:<host>",
    # "record_returned:<record>:<version>", "daily_digest:<organisation>:<day>".
    dedupe_key: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    status: str = Field(max_length=16)
    attempts: int = 0
    # Why the last attempt did not send, in the service's own words: never what a server
    # said (which can echo an address), never personal data.
    last_error: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
