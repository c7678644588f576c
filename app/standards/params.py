"""The practice standard set: every parameter of the checks, in one versioned place.

A partnership that changes a parameter gets a new `version`; each finding records the version it
was made under, so old findings keep their meaning (`docs/practice-standards.md`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from app.record.codes import (
    CSE_INDICATORS,
    EXPLOITATION_INDICATORS,
    NRM_INDICATORS,
    POLICE_INDICATORS,
    SAFEGUARDING_ACTIONS,
    SAFEGUARDING_ACTIONS_2027,
)


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
    oversight_seraf_category: int | None
    # The standards of the set, in the order findings are listed.
    codes: tuple[str, ...] = ()
    # Indicators that call for the exploitation response and a manager's oversight.
    exploitation_indicators: frozenset[str] = CSE_INDICATORS
    # Actions that follow up harm or risk (`harm-followed-up`).
    safeguarding_actions: frozenset[str] = SAFEGUARDING_ACTIONS
    # Actions that count as the review of repeated missing episodes.
    repeat_responses: frozenset[str] = frozenset({"strategy_meeting"})
    # Set 2027.1's exploitation response (`exploitation-response`):
    exploitation_working_days: int = 5
    risk_tool: str = "SERAF"  # the partnership's exploitation risk tool, completed by the SW
    risk_assessment_actions: frozenset[str] = frozenset()
    strategy_actions: frozenset[str] = frozenset()
    intelligence_actions: frozenset[str] = frozenset()
    nrm_actions: frozenset[str] = frozenset()
    nrm_indicators: frozenset[str] = frozenset()
    # Set 2027.1's recipients (`report-shared`): who must be sent the findings.
    recipients_by_status_and_risk: bool = False
    personal_adviser_statuses: frozenset[str] = frozenset()
    police_indicators: frozenset[str] = frozenset()
    # Set 2027.1 works independence out from the interviewer's role and involvement with the
    # child, and never counts a police interview; set 2026.1 took the interviewer's word.
    independence_from_role: bool = False
    not_independent_roles: frozenset[str] = frozenset()
    # Set 2027.1 asks for the child's views on sharing and the lawful basis.
    views_on_sharing_needed: bool = False
    # Set 2027.1's `placing-authority-told`: a child placed out of area, the findings shared with
    # the placing (responsible) authority "without delay", read as within this many working days
    # of the reference time; the `sharing.with` codes that reach that authority.
    placing_authority_days: int = 1
    placing_authority_recipients: frozenset[str] = frozenset(
        {"missing_coordinator", "responsible_authority"})


SET_2026_1: Final = StandardSet(
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
    codes=(
        "offer-within-72h", "interview-within-72h", "independent-interviewer",
        "attempts-recorded", "core-content", "child-voice", "sharing-explained",
        "harm-followed-up", "cse-risk-assessed", "report-within-3wd", "report-shared",
        "manager-oversight", "repeat-missing-reviewed",
    ),
)

# What set 2027.1 changes; every other parameter is 2026.1's.
SET_2027_1: Final = replace(
    SET_2026_1,
    version="2027.1",
    social_worker_statuses=frozenset(
        {"looked_after", "child_protection_plan", "child_in_need"}
    ),
    oversight_seraf_category=None,
    codes=(
        "offer-within-72h", "interview-within-72h", "independent-interviewer",
        "attempts-recorded", "core-content", "child-voice", "sharing-explained",
        "harm-followed-up", "exploitation-response", "report-within-3wd", "report-shared",
        "manager-oversight", "repeat-missing-reviewed", "actions-followed-through",
        "placing-authority-told",
    ),
    exploitation_indicators=EXPLOITATION_INDICATORS,
    safeguarding_actions=SAFEGUARDING_ACTIONS_2027,
    repeat_responses=frozenset({"strategy_meeting", "strategy_discussion",
                                "risk_management_meeting", "looked_after_review"}),
    exploitation_working_days=5,
    risk_tool="SERAF",
    risk_assessment_actions=frozenset({"exploitation_risk_assessment", "seraf_assessment"}),
    strategy_actions=frozenset({"strategy_discussion", "strategy_meeting"}),
    intelligence_actions=frozenset({"police_intelligence"}),
    nrm_actions=frozenset({"nrm_decision", "nrm_referral"}),
    nrm_indicators=NRM_INDICATORS,
    recipients_by_status_and_risk=True,
    personal_adviser_statuses=frozenset({"care_leaver"}),
    police_indicators=POLICE_INDICATORS,
    independence_from_role=True,
    not_independent_roles=frozenset(
        {"social_worker", "carer", "residential_staff", "teacher", "police"}),
    views_on_sharing_needed=True,
    placing_authority_days=1,
    placing_authority_recipients=frozenset({"missing_coordinator", "responsible_authority"}),
)

# The set new records are judged by; every set ever published, by version.
CURRENT: Final = SET_2027_1
SETS: Final = {s.version: s for s in (SET_2026_1, SET_2027_1)}


def set_for(version: str | None) -> StandardSet:
    """The set a record is judged under: its own once submitted, else the one in force."""
    if version is None:
        return CURRENT
    return SETS.get(version, CURRENT)


@dataclass(frozen=True, slots=True)
class StandardInfo:
    """What a standard is called and which parameters of the set it reads."""

    code: str
    title: str
    parameters: tuple[str, ...] = ()


# Set 2026.1's standards, in the spec's order.
_STANDARDS_2026_1: Final = (
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

# Set 2027.1: what changed, by code (the rest is as in 2026.1).
_CHANGED_2027_1: Final = {
    info.code: info for info in (
        StandardInfo(
            "independent-interviewer",
            "The interviewer is independent of the child's care (worked out from their role "
            "and involvement with the child) and trained, unless the child chose them; a police "
            "prevention interview never counts",
            ("not_independent_roles",),
        ),
        StandardInfo(
            "sharing-explained",
            "The child is told what will be shared, with whom and why; their views on sharing "
            "and the lawful basis are recorded, and any sharing against their wishes says why "
            "and whether they were told",
        ),
        StandardInfo(
            "harm-followed-up",
            "Harm or risk found in the interview leads to a safeguarding action",
            ("harm_follow_up_working_days", "safeguarding_actions"),
        ),
        StandardInfo(
            "exploitation-response",
            "Any form of exploitation leads to a strategy discussion, the partnership's risk "
            "assessment by the social worker, a police intelligence submission and, where "
            "trafficking or criminal exploitation is indicated, a National Referral Mechanism "
            "decision",
            ("exploitation_working_days", "exploitation_indicators", "risk_tool",
             "strategy_actions", "risk_assessment_actions", "intelligence_actions",
             "nrm_actions", "nrm_indicators"),
        ),
        StandardInfo(
            "report-shared",
            "The findings reach the people who must know: the missing co-ordinator always, and "
            "by the child's status and risk the social worker or personal adviser, the IRO, "
            "the police, the host authority and the placement provider",
            ("sharing_working_days", "social_worker_statuses", "personal_adviser_statuses",
             "iro_statuses", "police_indicators"),
        ),
        StandardInfo(
            "manager-oversight",
            "A manager oversees every case with any form of exploitation",
            ("oversight_working_days", "exploitation_indicators"),
        ),
        StandardInfo(
            "repeat-missing-reviewed",
            "Repeated missing episodes lead to a strategy discussion or meeting, a risk "
            "management meeting or a looked-after review",
            ("repeat_episodes", "repeat_window_days", "strategy_meeting_working_days",
             "repeat_responses"),
        ),
        StandardInfo(
            "actions-followed-through",
            "Every action in the follow-up plan has an outcome by its due date",
        ),
        StandardInfo(
            "placing-authority-told",
            "When the child is placed out of area, the findings reach the placing authority "
            "without delay",
            ("placing_authority_days", "placing_authority_recipients"),
        ),
    )
}

# Every standard of every set, in the spec's order (a standard added later comes last, so the
# feed's `standard_results` letters keep their places), with its latest title; `checks.CHECKS`
# follows it and a test keeps the two in step. A set's own standards are `StandardSet.codes`.
STANDARDS: Final = tuple(
    _CHANGED_2027_1.get(info.code, info) for info in _STANDARDS_2026_1
) + tuple(info for code, info in _CHANGED_2027_1.items()
          if code not in {i.code for i in _STANDARDS_2026_1})

_INFO: Final = {
    "2026.1": {info.code: info for info in _STANDARDS_2026_1},
    "2027.1": {**{info.code: info for info in _STANDARDS_2026_1}, **_CHANGED_2027_1},
}


def standard_info(code: str, version: str) -> StandardInfo | None:
    """A standard as a set defines it (its title there), None when the set has no such code."""
    return _INFO.get(version, {}).get(code)


def titles() -> dict[str, str]:
    """Every standard's title, by code: the latest set's wording, and for a standard no longer
    in force its last (so a page showing an old record's findings names them all)."""
    return {info.code: info.title for info in STANDARDS}


def _json_value(value: object) -> Any:
    # Sets are published as sorted lists so the answer is valid, stable JSON.
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def describe(standard_set: StandardSet = CURRENT) -> dict[str, Any]:
    """The standard set as JSON-ready data: its version and, per standard, code, title and the
    values of the parameters it uses (what `GET /api/v1/standards` publishes)."""
    infos = _INFO[standard_set.version]
    return {
        "version": standard_set.version,
        "standards": [
            {
                "code": infos[code].code,
                "title": infos[code].title,
                "parameters": {
                    name: _json_value(getattr(standard_set, name))
                    for name in infos[code].parameters
                },
            }
            for code in standard_set.codes
        ],
    }
