"""What the checks read (`RecordFacts`) and what they produce (`Finding`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.interviews.document import Episode, InterviewDocument


class Result(StrEnum):
    """The outcome of one check; the values are the codes of `practice-standards.md`."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"
    PENDING = "pending"


def _iso_utc(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Finding:
    """One standard checked against one record under one standard set."""

    code: str
    set_version: str
    result: Result
    due_at: datetime | None
    evidence_at: datetime | None
    detail: str

    def to_json(self) -> dict[str, str | None]:
        """The finding as the API and the feed carry it: timestamps in UTC with `Z`."""
        return {
            "code": self.code,
            "set_version": self.set_version,
            "result": self.result.value,
            "due_at": _iso_utc(self.due_at),
            "evidence_at": _iso_utc(self.evidence_at),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """Everything a check may look at: the document, its record metadata, and the same child's
    episodes from other records (matched on `responsible_authority` + `local_id` by the caller)."""

    document: InterviewDocument
    status: str = "draft"
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    other_episodes: tuple[Episode, ...] = ()
