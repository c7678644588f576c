"""The interview document as the domain sees it, after validation.

Every field a draft may still lack is optional here; `validation.py` decides what a complete
(submittable) document must hold. Timestamps are aware datetimes in UTC, dates are `date`.
Names follow `docs/data-dictionary.md` exactly; a field's JSON name is its name here (`json_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from uuid import UUID

from app.record.codes import CSE_INDICATORS, seraf_category


@dataclass(frozen=True, slots=True)
class Child:
    local_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    legal_status: str | None = None
    responsible_authority: str | None = None
    placement_authority: str | None = None
    no_case_id: bool | None = None
    uasc: bool | None = None
    disability_or_send: str | None = None
    placement_type: str | None = None

    @property
    def out_of_area(self) -> bool:
        return bool(
            self.placement_authority
            and self.placement_authority != self.responsible_authority
        )


@dataclass(frozen=True, slots=True)
class Episode:
    type: str | None = None
    started_at: datetime | None = None
    returned_at: datetime | None = None
    reported_to_police: bool | None = None
    police_reference: str | None = None
    police_risk_grade: str | None = None
    found_location: str | None = None
    found_postcode: str | None = None
    brought_back_by: str | None = None
    prevention_interview_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime | None = None
    method: str | None = None
    result: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    outcome: str | None = None
    offered_at: datetime | None = None
    not_offered_reason: str | None = None
    decline_reason: str | None = None
    attempts: tuple[Attempt, ...] = ()
    carer_information: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    description: str | None = None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class InterviewContent:
    conducted_at: datetime | None = None
    mode: str | None = None
    location_type: str | None = None
    interviewer_name: str | None = None
    interviewer_role: str | None = None
    interviewer_relationship: str | None = None
    interviewer_independent: bool | None = None
    interviewer_trained: bool | None = None
    child_chose_interviewer: bool | None = None
    push_factors: tuple[str, ...] = ()
    pull_factors: tuple[str, ...] = ()
    push_factors_other: str | None = None
    pull_factors_other: str | None = None
    where_stayed: str | None = None
    with_whom: str | None = None
    travel: str | None = None
    harm_disclosed: str | None = None
    risk_indicators: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    child_account: str | None = None
    child_wishes: str | None = None
    read_back_to_child: bool | None = None
    information_sharing_explained: bool | None = None
    consent_to_share: str | None = None
    seraf_score: int | None = None
    feelings_now: str | None = None
    afraid_of_anyone: str | None = None
    health_needs: str | None = None
    safety_information_given: bool | None = None
    carer_view: str | None = None
    education: str | None = None
    views_on_sharing: str | None = None
    lawful_basis: str | None = None
    shared_against_wishes: bool | None = None
    shared_against_wishes_reason: str | None = None
    child_told_of_sharing: bool | None = None

    @property
    def seraf_category(self) -> int | None:
        return seraf_category(self.seraf_score)


@dataclass(frozen=True, slots=True)
class Action:
    type: str | None = None
    at: datetime | None = None  # when it was done; never a plan
    notes: str | None = None
    owner: str | None = None
    agency: str | None = None
    due_at: datetime | None = None
    status: str | None = None  # absent: done at `at` (as before set 2027.1)
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Sharing:
    with_: str | None = None  # JSON name `with` (a Python keyword)
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InterviewDocument:
    id: UUID
    child: Child = field(default_factory=Child)
    episodes: tuple[Episode, ...] = ()
    offer: Offer = field(default_factory=Offer)
    interview: InterviewContent | None = None
    actions: tuple[Action, ...] = ()
    sharing: tuple[Sharing, ...] = ()

    @property
    def latest_return(self) -> datetime | None:
        """The latest `returned_at` of the covered episodes; None while any is still open."""
        # One pass, no generators: the standards ask for it twice for every record they judge.
        latest: datetime | None = None
        for episode in self.episodes:
            returned = episode.returned_at
            if returned is None:
                return None
            if latest is None or returned > latest:
                latest = returned
        return latest

    @property
    def reference_time(self) -> datetime | None:
        """`conducted_at` when completed, else the latest attempt, else `offered_at`."""
        if self.offer.outcome == "completed" and self.interview and self.interview.conducted_at:
            return self.interview.conducted_at
        attempt_times = [a.at for a in self.offer.attempts if a.at is not None]
        if attempt_times:
            return max(attempt_times)
        return self.offer.offered_at

    @property
    def risk_indicators(self) -> tuple[str, ...]:
        return self.interview.risk_indicators if self.interview else ()

    @property
    def has_cse_indicator(self) -> bool:
        return any(code in CSE_INDICATORS for code in self.risk_indicators)



def json_name(field_name: str) -> str:
    """The JSON name of a part's field: its own, but `with_` (a Python keyword) is `with`."""
    return "with" if field_name == "with_" else field_name


def json_fields(part: type) -> tuple[str, ...]:
    """The JSON names of a part's fields, in the data dictionary's order."""
    return tuple(json_name(f.name) for f in fields(part))
