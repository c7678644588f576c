"""The practice standard set: every parameter of the checks, in one versioned place.

A partnership that changes a parameter gets a new `version`; each finding records the version it
was made under, so old findings keep their meaning (`docs/practice-standards.md`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class StandardSet:
    """The parameters of one version of the practice standards."""

    version: str
    offer_hours: int
    interview_hours: int
    report_working_days: int
    sharing_working_days: int
    harm_follow_up_working_days: int
    seraf_working_days: int
    oversight_working_days: int
    strategy_meeting_working_days: int
    repeat_episodes: int
    repeat_window_days: int
    not_achieved_attempts: int
    # Legal statuses whose child has a social worker who must receive the findings.
    social_worker_statuses: frozenset[str]
    # Legal statuses whose child has an Independent Reviewing Officer.
    iro_statuses: frozenset[str]
    oversight_seraf_category: int


CURRENT: Final = StandardSet(
    version="2026.1",
    offer_hours=72,
    interview_hours=72,
    report_working_days=3,
    sharing_working_days=5,
    harm_follow_up_working_days=1,
    seraf_working_days=5,
    oversight_working_days=5,
    strategy_meeting_working_days=5,
    repeat_episodes=3,
    repeat_window_days=30,
    not_achieved_attempts=2,
    social_worker_statuses=frozenset(
        {"looked_after", "child_protection_plan", "child_in_need", "care_leaver"}
    ),
    iro_statuses=frozenset({"looked_after"}),
    oversight_seraf_category=2,
)


@dataclass(frozen=True, slots=True)
class StandardInfo:
    """What a standard is called and which parameters of the set it reads."""

    code: str
    title: str
    parameters: tuple[str, ...] = ()


# The spec's order; `checks.CHECKS` follows it and a test keeps the two in step.
STANDARDS: Final = (
    StandardInfo(
        "offer-within-72h",
        "Every child is offered an independent return interview within 72 hours of return",
        ("offer_hours",),
    ),
    StandardInfo(
        "interview-within-72h",
        "The interview takes place within 72 hours of return",
        ("interview_hours",),
    ),
    StandardInfo(
        "independent-interviewer",
        "The interviewer is independent of the child's care and trained, "
        "unless the child chose them",
    ),
    StandardInfo(
        "attempts-recorded",
        "A declined or unachieved interview records why, what was tried, and what carers know",
        ("not_achieved_attempts",),
    ),
    StandardInfo(
        "core-content",
        "The interview covers why the child went, where, with whom, and whether they were harmed",
    ),
    StandardInfo(
        "child-voice",
        "The child's own account is recorded and read back to them",
    ),
    StandardInfo(
        "sharing-explained",
        "The child is told what will be shared, with whom and why",
    ),
    StandardInfo(
        "harm-followed-up",
        "Harm or risk found in the interview leads to a safeguarding action",
        ("harm_follow_up_working_days",),
    ),
    StandardInfo(
        "cse-risk-assessed",
        "A CSE indicator leads to a SERAF risk assessment (the partnership's agreed tool)",
        ("seraf_working_days",),
    ),
    StandardInfo(
        "report-within-3wd",
        "The interview record is submitted within 3 working days of the interview",
        ("report_working_days",),
    ),
    StandardInfo(
        "report-shared",
        "The findings reach the people who must know",
        ("sharing_working_days", "social_worker_statuses", "iro_statuses"),
    ),
    StandardInfo(
        "manager-oversight",
        "A manager oversees every case with CSE concerns",
        ("oversight_working_days", "oversight_seraf_category"),
    ),
    StandardInfo(
        "repeat-missing-reviewed",
        "Repeated missing episodes lead to a strategy meeting",
        ("repeat_episodes", "repeat_window_days", "strategy_meeting_working_days"),
    ),
)


def _json_value(value: object) -> Any:
    # Sets are published as sorted lists so the answer is valid, stable JSON.
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def describe(standard_set: StandardSet = CURRENT) -> dict[str, Any]:
    """The standard set as JSON-ready data: its version and, per standard, code, title and the
    values of the parameters it uses (what `GET /api/v1/standards` publishes)."""
    return {
        "version": standard_set.version,
        "standards": [
            {
                "code": info.code,
                "title": info.title,
                "parameters": {
                    name: _json_value(getattr(standard_set, name)) for name in info.parameters
                },
            }
            for info in STANDARDS
        ],
    }
