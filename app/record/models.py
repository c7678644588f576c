"""Children, interviews, their versions and episodes.

The interview document is stored whole (JSON, the data dictionary's names) on the interview and on
every version; children and episodes are kept as rows too, because standards and validation look
across a child's records (overlapping and repeated episodes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, String, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.core.types import JSONType, UTCDateTime, utcnow

STATUSES = ("draft", "submitted", "returned", "approved")


class Child(SQLModel, table=True):
    __tablename__ = "children"
    __table_args__ = (UniqueConstraint("responsible_authority", "local_id"),)

    id: int | None = Field(default=None, primary_key=True)
    responsible_authority: str = Field(max_length=64)
    local_id: str = Field(max_length=64)
    # Kept for retention (the 25th birthday rule); names live only in the documents.
    date_of_birth: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Interview(SQLModel, table=True):
    __tablename__ = "interviews"

    id: UUID = Field(primary_key=True)
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    version: int = 0
    recorded_by_org: str = Field(max_length=64, index=True)
    responsible_authority: str | None = Field(default=None, max_length=64, index=True)
    child_id: int | None = Field(default=None, foreign_key="children.id", index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_by_api_key_id: str | None = Field(default=None, foreign_key="api_keys.id")
    document: dict[str, Any] = Field(sa_type=JSONType)
    document_hash: str = Field(max_length=64)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: int | None = Field(default=None, foreign_key="users.id")
    returned_comment: str | None = Field(default=None, max_length=10_000)
    # What a person typed into a draft's sections that could not be saved into the document,
    # as typed, by section slug: {"interview": {"interview-seraf_score": "lots", ...}}. The
    # form shows it again with its error; submitting needs it gone (app/interviews/rejected.py).
    rejected_input: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # Kept past the retention period while set (litigation, an inquiry): `rhi retention purge`.
    legal_hold: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class InterviewVersion(SQLModel, table=True):
    __tablename__ = "interview_versions"
    __table_args__ = (UniqueConstraint("interview_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: UUID = Field(foreign_key="interviews.id", index=True)
    version: int
    status: str = Field(max_length=16)
    document: dict[str, Any] = Field(sa_type=JSONType)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    changed_by: str = Field(max_length=200)
    changed_pointers: list[str] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Episode(SQLModel, table=True):
    """An episode as a row, so a child's episodes across records can be compared in SQL."""

    __tablename__ = "episodes"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: UUID = Field(foreign_key="interviews.id", index=True)
    child_id: int | None = Field(default=None, foreign_key="children.id", index=True)
    position: int
    type: str | None = Field(default=None, max_length=16)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
