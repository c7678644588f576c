"""Children, interviews, their versions and episodes.

The interview document is stored whole (JSON, the data dictionary's names) on the interview and on
every version; children and episodes are kept as rows too, because standards and validation look
across a child's records (overlapping and repeated episodes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Column, Index, String, UniqueConstraint, false
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
    # The document's `child.placement_authority` as last submitted (a returned record keeps it
    # until it is submitted again), so the host authority's view (`visibility.placed_in`)
    # finds the children placed in its area with one indexed comparison.
    placement_authority: str | None = Field(default=None, max_length=64, index=True)
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
    # The approving manager's oversight note (with `approved_by` and `approved_at`): what they
    # checked and decided. Cleared, like them, when a new version is submitted; each version
    # keeps its own decision (`InterviewVersion.decision`).
    oversight_note: str | None = Field(default=None, max_length=10_000)
    # A returning manager's oversight note: what the interviewer should change.
    returned_comment: str | None = Field(default=None, max_length=10_000)
    # The standard set the record is judged under: set at its first submission and kept, so
    # its findings keep their meaning when a new set is published. Empty on a draft never
    # submitted, which is judged by the set in force (`app.standards.set_for`).
    standard_set: str | None = Field(default=None, max_length=16)
    # The earliest due date of the follow-up actions still planned: the manager's queue keeps
    # a record, approved or not, while its plan is due or overdue.
    open_action_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
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
    # The manager's decision on this version, once made: "approved" or "returned", by whom,
    # when, and their oversight note (required for either). None while it waits.
    decision: str | None = Field(default=None, max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    oversight_note: str | None = Field(default=None, max_length=10_000)


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
    # The register episode this one is (`register_episodes`): matched on the same child and
    # start, or registered when the record was submitted. None for a draft not yet matched.
    register_id: UUID | None = Field(default=None, foreign_key="register_episodes.id",
                                     index=True)


# An episode's state, in the order it runs (`register.state`).
EPISODE_STATES = ("missing", "returned", "offered", "not_offered", "completed", "declined",
                  "not_achieved", "shared", "duplicate")
REPORTED_BY: Final = {
    "police": "Police",
    "children_social_care": "Children's social care",
    "parent_or_carer": "Parent or carer",
    "placement_provider": "Placement provider",
    "school": "School",
    "return_service": "The return interview service",
    "other": "Other",
}


class RegisterEpisode(SQLModel, table=True):
    """A missing or away episode in the register: notified by police or children's services,
    entered by the co-ordinator, or registered by a submitted record that covers it.

    The offer and its outcome come from the latest record covering the episode (`interview_id`);
    a notified return with no record is still counted, and judged by the 72-hour standards.
    """

    __tablename__ = "register_episodes"
    __table_args__ = (Index("ix_register_child_start", "child_id", "started_at"),)

    id: UUID = Field(primary_key=True)
    child_id: int = Field(foreign_key="children.id", index=True)
    responsible_authority: str = Field(max_length=64, index=True)
    notified_by_org: str = Field(max_length=64, index=True)
    # How it came in: a partner system's `notification`, the `coordinator` on the web, or a
    # submitted `record` covering an episode nobody notified (removed again when no record
    # covers it any more).
    source: str = Field(max_length=16)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_by_api_key_id: str | None = Field(default=None, foreign_key="api_keys.id")
    # Notified again by an organisation that may not see the first notification: kept as its
    # notifier's own row, counted once (as the episode it duplicates).
    duplicate_of: UUID | None = Field(default=None, foreign_key="register_episodes.id",
                                      index=True)
    type: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)
    found_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reported_by: str | None = Field(default=None, max_length=32)
    police_reference: str | None = Field(default=None, max_length=50)
    police_risk_grade: str | None = Field(default=None, max_length=32)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    legal_status: str | None = Field(default=None, max_length=32)
    placement_authority: str | None = Field(default=None, max_length=64)
    # The child's date of birth as the notifier gave it: the child's row is the responsible
    # authority's; a different date here waits for its decision (`IdentityReview`).
    stated_date_of_birth: date | None = None
    # Who will offer the interview: an organisation (a commissioned provider), then a person.
    allocated_org: str | None = Field(default=None, max_length=64, index=True)
    allocated_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    allocated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # From the latest submitted record covering the episode.
    interview_id: UUID | None = Field(default=None, index=True)
    offer_outcome: str | None = Field(default=None, max_length=16)
    offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    conducted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    # The hash of the notification as first sent: a retry with the same id compares to it.
    body_hash: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class IdentityReview(SQLModel, table=True):
    """The responsible authority's decision on a fact about its child that another
    organisation gave differently (a record's or a notification's date of birth): accepted
    (the child's row takes it) or rejected (the row keeps its own). Nothing is overwritten
    without one."""

    __tablename__ = "identity_reviews"
    __table_args__ = (UniqueConstraint("interview_id", "field"),
                      UniqueConstraint("episode_id", "field"))

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="children.id", index=True)
    # What gave the fact: a record, or a notification (one of the two).
    interview_id: UUID | None = Field(default=None, index=True)
    episode_id: UUID | None = Field(default=None, index=True)
    field: str = Field(max_length=32)
    proposed: str = Field(max_length=200)
    decision: str = Field(max_length=16)  # "accepted" or "rejected"
    decided_by: str = Field(max_length=200)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
