"""What the checks read (`RecordFacts`) and what they produce (`Finding`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from app.record.document import Episode, InterviewDocument


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


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """One standard checked against one record under one standard set."""

    code: str
    set_version: str
    result: Result
    due_at: datetime | None
    evidence_at: datetime | None
    detail: str

    def __init__(
        self,
        code: str,
        set_version: str,
        result: Result,
        due_at: datetime | None,
        evidence_at: datetime | None,
        detail: str,
    ) -> None:
        # Written out because the generated frozen `__init__` calls `object.__setattr__` for every
        # field, which costs about twice as much as setting the slot through its own descriptor:
        # evaluating a feed builds hundreds of thousands of findings.
        _set_code(self, code)
        _set_set_version(self, set_version)
        _set_result(self, result)
        _set_due_at(self, due_at)
        _set_evidence_at(self, evidence_at)
        _set_detail(self, detail)

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


# The slots' own setters, which bypass the frozen `__setattr__` (see `Finding.__init__`).
_set_code, _set_set_version, _set_result, _set_due_at, _set_evidence_at, _set_detail = (
    Finding.__dict__[name].__set__
    for name in ("code", "set_version", "result", "due_at", "evidence_at", "detail")
)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """Everything a check may look at: the document, its record metadata, and the same child's
    episodes from other records (matched on `responsible_authority` + `local_id` by the caller)."""

    document: InterviewDocument
    # No check of set 2026.1 reads `status`: the timestamps below are the evidence, and a record
    # sent back ("returned") simply has no `approved_at`.
    status: str = "draft"
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    other_episodes: tuple[Episode, ...] = ()



class EpisodeFacts(Protocol):
    """One episode of the register, for the 72-hour standards judged per return: its return,
    and the offer and interview of the latest record covering it (none when no record does).
    A register row has these attributes, so it is passed as it is."""

    @property
    def returned_at(self) -> datetime | None: ...
    @property
    def offer_outcome(self) -> str | None: ...
    @property
    def offered_at(self) -> datetime | None: ...
    @property
    def conducted_at(self) -> datetime | None: ...
