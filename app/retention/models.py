"""A records manager's decisions on records that are not purged automatically.

An exploitation record (`app.retention.service`) is never deleted when its retention period
ends: it waits for a records manager's decision, recorded with `rhi retention decide`, either to
destroy it (the next purge deletes it) or to keep it until a date (then it waits again). Each
decision is a row here and an audit entry; the rows go with the record (ON DELETE CASCADE, and
`delete_record` removes them first), because their free-text reason may name the child. The
audit entry (decision, date, who decided; no reason, no name) is what outlives the record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

DESTROY: Final = "destroy"
KEEP_UNTIL: Final = "keep_until"
DECISIONS: Final = (DESTROY, KEEP_UNTIL)
REASON_MAX: Final = 2000
DECIDED_BY_MAX: Final = 200


class RetentionDecision(SQLModel, table=True):
    __tablename__ = "retention_decisions"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: UUID = Field(foreign_key="interviews.id", ondelete="CASCADE", index=True)
    decision: str = Field(max_length=16)  # DESTROY or KEEP_UNTIL
    keep_until: date | None = None  # the last day kept, for KEEP_UNTIL
    reason: str = Field(max_length=REASON_MAX)
    decided_by: str = Field(max_length=DECIDED_BY_MAX)  # the records manager, as they gave it
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
