"""Test data for the pure practice standards: typed documents (dataclasses), with `**overrides`.

Not the JSON documents of `tests.builders.make_document`: the standards read `InterviewDocument`
dataclasses. `typed_document` routes a keyword to the part of the document that owns the field,
so a test says only what matters to it: `typed_document(outcome="declined", legal_status="none")`.
The defaults are a completed interview of a looked-after child that meets every standard that
applies to it.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from app.record.document import (
    Action,
    Attempt,
    Child,
    Episode,
    InterviewContent,
    InterviewDocument,
    Offer,
    Sharing,
)
from app.standards import Finding, RecordFacts, StandardSet, evaluate
from app.standards.params import SET_2026_1

LONDON = ZoneInfo("Europe/London")
DOCUMENT_ID = UUID("00000000-0000-4000-8000-000000000001")

# Monday 2 March 2026 (GMT, so London time and UTC agree).
RETURNED_AT = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
STARTED_AT = RETURNED_AT - timedelta(hours=30)
OFFERED_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday, 16 hours after return
CONDUCTED_AT = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 45 hours after return
SUBMITTED_AT = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # Thursday
SHARED_AT = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # Thursday


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
           second: int = 0, microsecond: int = 0) -> datetime:
    """An instant given in Europe/London wall-clock time, as aware UTC (how documents hold it)."""
    return datetime(year, month, day, hour, minute, second, microsecond,
                    tzinfo=LONDON).astimezone(UTC)


def end_of_london_day(year: int, month: int, day: int) -> datetime:
    """23:59:59.999999 London time on that day, in UTC: the shape of a working-day deadline."""
    return london(year, month, day, 23, 59, 59, 999999)


def make_child(**overrides: Any) -> Child:
    defaults: dict[str, Any] = {
        "local_id": "C1001",
        "given_name": "Sam",
        "family_name": "Example",
        "gender": "female",
        "legal_status": "looked_after",
        "responsible_authority": "803",
        "placement_authority": "803",
    }
    return Child(**{**defaults, **overrides})


def make_episode(**overrides: Any) -> Episode:
    defaults: dict[str, Any] = {
        "type": "missing",
        "started_at": STARTED_AT,
        "returned_at": RETURNED_AT,
        "reported_to_police": True,
    }
    return Episode(**{**defaults, **overrides})


def make_offer(**overrides: Any) -> Offer:
    defaults: dict[str, Any] = {"outcome": "completed", "offered_at": OFFERED_AT}
    return Offer(**{**defaults, **overrides})


def make_interview(**overrides: Any) -> InterviewContent:
    defaults: dict[str, Any] = {
        "conducted_at": CONDUCTED_AT,
        "mode": "in_person",
        "interviewer_role": "independent_rhi_worker",
        "interviewer_independent": True,
        "interviewer_trained": True,
        "child_chose_interviewer": False,
        "push_factors": ("placement_unhappy",),
        "pull_factors": ("family_or_friends",),
        "where_stayed": "At a friend's flat",
        "with_whom": "A friend from school",
        "harm_disclosed": "no",
        "risk_indicators": (),
        "child_account": "I went to my friend's because I was upset.",
        "read_back_to_child": True,
        "information_sharing_explained": True,
        "consent_to_share": "yes",
    }
    return InterviewContent(**{**defaults, **overrides})


def make_attempt(at: datetime, **overrides: Any) -> Attempt:
    return Attempt(**{"at": at, "method": "phone", "result": "No answer", **overrides})


def make_action(type: str, at: datetime, **overrides: Any) -> Action:
    return Action(type=type, at=at, **overrides)


def make_sharing(with_: str, at: datetime = SHARED_AT) -> Sharing:
    return Sharing(with_=with_, at=at)


_PARTS: dict[str, set[str]] = {
    "child": {f.name for f in fields(Child)},
    "episode": {f.name for f in fields(Episode)},
    "offer": {f.name for f in fields(Offer)},
    "interview": {f.name for f in fields(InterviewContent)},
}


def typed_document(**overrides: Any) -> InterviewDocument:
    """A complete, all-met completed interview, changed by `overrides`.

    Document fields (`child`, `episodes`, `offer`, `interview`, `actions`, `sharing`) replace the
    whole part; any other keyword is a field of the child, the single episode, the offer or the
    interview content (`outcome="declined"`, `returned_at=None`, `risk_indicators=(...)`).
    `interview=None` removes the interview content.
    """
    own = {k: overrides.pop(k) for k in list(overrides) if k in {
        "id", "child", "episodes", "offer", "interview", "actions", "sharing"}}
    parts: dict[str, dict[str, Any]] = {name: {} for name in _PARTS}
    for key, value in overrides.items():
        owner = next((name for name, names in _PARTS.items() if key in names), None)
        if owner is None:
            raise TypeError(f"typed_document() got an unknown field {key!r}")
        parts[owner][key] = value
    document = InterviewDocument(
        id=DOCUMENT_ID,
        child=make_child(),
        episodes=(make_episode(),),
        offer=make_offer(),
        interview=make_interview(),
        actions=(),
        sharing=(make_sharing("social_worker"), make_sharing("iro")),
    )
    document = replace(
        document,
        child=replace(document.child, **parts["child"]),
        episodes=tuple(replace(e, **parts["episode"]) for e in document.episodes),
        offer=replace(document.offer, **parts["offer"]),
        interview=(replace(document.interview, **parts["interview"])
                   if document.interview else None),
    )
    return replace(document, **own)


def make_facts(document: InterviewDocument | None = None, **overrides: Any) -> RecordFacts:
    """A submitted record of `document` (default: `typed_document()`)."""
    defaults: dict[str, Any] = {
        "document": document if document is not None else typed_document(),
        "status": "submitted",
        "submitted_at": SUBMITTED_AT,
        "approved_at": None,
        "other_episodes": (),
    }
    return RecordFacts(**{**defaults, **overrides})


ANY = object()  # "do not check this" for assert_finding


def finding_for(code: str, facts: RecordFacts, as_of: datetime,
                params: StandardSet = SET_2026_1) -> Finding:
    """The finding for one standard, taken from a full `evaluate` so the registry is exercised
    (set 2026.1 unless told: the tables of that set keep its findings as they were)."""
    return next(f for f in evaluate(facts, params, as_of=as_of) if f.code == code)


def assert_finding(
    finding: Finding,
    result: str,
    due_at: datetime | None,
    *fragments: str,
    evidence_at: object = ANY,
    version: str = "2026.1",
) -> None:
    """Result, deadline and a detail that is a sentence containing each fragment."""
    assert (finding.result, finding.due_at) == (result, due_at), finding.detail
    assert finding.set_version == version
    assert finding.detail[:1].isupper() or finding.detail[:1].isdigit(), finding.detail
    assert finding.detail.endswith("."), finding.detail
    for fragment in fragments:
        assert fragment in finding.detail, f"{fragment!r} not in {finding.detail!r}"
    if evidence_at is not ANY:
        assert finding.evidence_at == evidence_at
