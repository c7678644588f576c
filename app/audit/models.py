"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import false
from sqlmodel import Field, SQLModel

from app.core.types import JSONType, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200, index=True)  # "user:12", "key:rk_ab12cd34", "system"
    organisation: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64, index=True)  # "sign_in", "interview.view", ...
    target: str | None = Field(default=None, max_length=200, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    address: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # HMAC-SHA256 with RHI_AUDIT_KEY (every entry written since migration 5f2a8c4d1e96);
    # entries written before are plain SHA-256, and none may follow a keyed one.
    keyed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
