"""Standards about the response to risk: harm followed up, CSE assessed and overseen, repeated
missing episodes reviewed."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

from app.record.codes import (
    CSE_INDICATORS,
    RISK_INDICATORS,
    SAFEGUARDING_ACTIONS,
    seraf_category,
)
from app.standards.judging import (
    MET,
    NOT_APPLICABLE,
    PENDING,
    action_label,
    completed_only,
    deadline,
    finding,
    first_action,
    no_anchor_yet,
    reference_of,
    timeless,
    working_day_finding,
)
from app.standards.model import Finding, RecordFacts
from app.standards.params import StandardSet
from app.standards.wording import and_list, capitalised, count, local_day

_SERAF_ACTION: Final = frozenset({"seraf_assessment"})
_STRATEGY_MEETING: Final = frozenset({"strategy_meeting"})


def harm_followed_up(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """Harm or risk found in the interview leads to a safeguarding action within 1 working day."""
    code, n, doc = "harm-followed-up", params.harm_follow_up_working_days, facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    i = doc.interview
    harmed = i is not None and i.harm_disclosed == "yes"
    risks = len(doc.risk_indicators)
    if not harmed and not risks:
        return finding(
            code, params, NOT_APPLICABLE, "No harm disclosed and no risk indicator recorded"
        )
    prefix = _harm_prefix(harmed, risks)
    action = first_action(doc.actions, SAFEGUARDING_ACTIONS)
    conducted = i.conducted_at if i else None
    if conducted is None:
        return no_anchor_yet(
            code, params, prefix, action, "a safeguarding action", n, "the interview"
        )
    return working_day_finding(
        code, params, as_of, due=deadline("a safeguarding action", n, "the interview", conducted),
        evidence_at=action.at if action else None, done=action_label(action) if action else "",
        not_done="no safeguarding action recorded", prefix=prefix,
    )


@lru_cache(maxsize=64)  # one entry per (harm, number of risk indicators): a handful
def _harm_prefix(harmed: bool, risks: int) -> str:
    """'Harm was disclosed and 2 risk indicators recorded; '."""
    trigger = [
        *(["harm was disclosed"] if harmed else []),
        *([f"{count(risks, 'risk indicator')} recorded"] if risks else []),
    ]
    return f"{capitalised(and_list(trigger))}; "


def cse_risk_assessed(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """A CSE indicator leads to a SERAF risk assessment within 5 working days."""
    code, n, doc = "cse-risk-assessed", params.seraf_working_days, facts.document
    risk_indicators = doc.risk_indicators
    if CSE_INDICATORS.isdisjoint(risk_indicators):  # most records: no list to build
        return finding(code, params, NOT_APPLICABLE, "No CSE indicator recorded")
    indicators = [RISK_INDICATORS[c].lower() for c in risk_indicators if c in CSE_INDICATORS]
    prefix = f"CSE indicator recorded ({and_list(indicators)}); "
    conducted = doc.interview.conducted_at if doc.interview else None
    anchor_label = "the interview"
    if conducted is None and doc.offer.outcome != "completed":
        reference = reference_of(doc)
        anchor_label, conducted = reference if reference else (anchor_label, None)
    score = doc.interview.seraf_score if doc.interview else None
    action = first_action(doc.actions, _SERAF_ACTION)
    evidence = action.at if action else None
    done = "SERAF assessment recorded"
    if score is not None and conducted is not None and (evidence is None or conducted < evidence):
        # A score has no date of its own: it counts as assessed at the interview.
        evidence, done = conducted, f"SERAF score {score} recorded with {anchor_label}"
    if conducted is None:
        if score is not None:
            detail = f"{prefix}SERAF score {score} recorded"
            return finding(code, params, MET, detail, None, evidence)
        return no_anchor_yet(
            code, params, prefix, action, "a SERAF assessment or score", n, anchor_label
        )
    return working_day_finding(
        code, params, as_of, due=deadline("a SERAF assessment", n, anchor_label, conducted),
        evidence_at=evidence, done=done, not_done="no SERAF assessment or score recorded",
        prefix=prefix,
    )


def manager_oversight(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """A manager approves every record with CSE concerns within 5 working days of submission."""
    code, n = "manager-oversight", params.oversight_working_days
    interview = facts.document.interview
    score = interview.seraf_score if interview else None
    category = seraf_category(score) if score is not None else None
    concerns = category is not None and category >= params.oversight_seraf_category
    cse = interview is not None and not CSE_INDICATORS.isdisjoint(interview.risk_indicators)
    if not cse and not concerns:
        return _no_cse_concerns(code, params.version, params.oversight_seraf_category)
    reasons = [
        *(["a CSE indicator is recorded"] if cse else []),
        *([f"the SERAF category is {category}"] if concerns else []),
    ]
    prefix = f"{capitalised(and_list(reasons))}; "
    submitted, approved = facts.submitted_at, facts.approved_at
    if submitted is None:
        if approved is not None:
            return finding(
                code, params, MET, f"{prefix}approved by a manager on {local_day(approved)}",
                None, approved,
            )
        return finding(
            code, params, PENDING,
            f"{prefix}not submitted yet; the standard is approval by a manager within "
            f"{count(n, 'working day')} of submission",
        )
    return working_day_finding(
        code, params, as_of, due=deadline("approval by a manager", n, "submission", submitted),
        evidence_at=approved, done="approved by a manager", not_done="not approved by a manager",
        prefix=prefix,
    )


@lru_cache(maxsize=64)
def _no_cse_concerns(code: str, version: str, category: int) -> Finding:
    return timeless(
        code, version, NOT_APPLICABLE,
        f"No CSE indicator and no SERAF category of {category} or more",
    )


@lru_cache(maxsize=256)
def _too_few_episodes(
    code: str, version: str, needed: int, window_days: int, episodes: int
) -> Finding:
    days = count(window_days, "day")
    found = (
        f"{count(episodes, 'episode')} of this child recorded" if episodes
        else "No episode start time is recorded on this interview"
    )
    return timeless(
        code, version, NOT_APPLICABLE,
        f"{found}; the standard applies from {needed} episodes within {days}",
    )


def _distinct(instants: list[datetime]) -> list[datetime]:
    """The distinct instants, earliest first (`instants` is sorted in place)."""
    # Sorted and compared with the neighbour rather than put in a set: hashing an aware datetime
    # costs more than a dozen comparisons, and a record has one or two episodes.
    if len(instants) < 2:
        return instants
    instants.sort()
    return [t for i, t in enumerate(instants) if not i or t != instants[i - 1]]


def repeat_missing_reviewed(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """Three episodes starting within 30 days, the latest covered by this interview, lead to a
    strategy meeting within 5 working days of the reference time."""
    code, n, doc = "repeat-missing-reviewed", params.strategy_meeting_working_days, facts.document
    own_starts = _distinct([e.started_at for e in doc.episodes if e.started_at is not None])
    if not own_starts:
        return _too_few_episodes(
            code, params.version, params.repeat_episodes, params.repeat_window_days, 0
        )
    # The same episode may be on several records: one start time is one episode.
    others = facts.other_episodes
    starts = (
        _distinct(own_starts + [e.started_at for e in others if e.started_at is not None])
        if others
        else own_starts
    )
    if len(starts) < params.repeat_episodes:
        return _too_few_episodes(
            code, params.version, params.repeat_episodes, params.repeat_window_days, len(starts)
        )
    days = count(params.repeat_window_days, "day")
    window = timedelta(days=params.repeat_window_days)
    best, first_start, last_start = 0, None, None
    for own in own_starts:
        in_window = [s for s in starts if own - window <= s <= own]  # `starts` is sorted
        if len(in_window) >= best:
            best, first_start, last_start = len(in_window), in_window[0], own
    if best < params.repeat_episodes or first_start is None or last_start is None:
        return finding(
            code, params, NOT_APPLICABLE,
            f"At most {count(best, 'episode')} of this child started within {days} up to an "
            f"episode this interview covers; the standard applies from {params.repeat_episodes} "
            f"episodes within {days}",
        )
    prefix = (
        f"{best} episodes started within {days} ({local_day(first_start)} to "
        f"{local_day(last_start)}); "
    )
    reference = reference_of(doc)
    if reference is None:
        return finding(
            code, params, NOT_APPLICABLE,
            f"{prefix}nothing has been offered, attempted or conducted yet, so there is no date "
            f"to count {count(n, 'working day')} from",
        )
    label, anchor = reference
    action = first_action(doc.actions, _STRATEGY_MEETING)
    return working_day_finding(
        code, params, as_of, due=deadline("a strategy meeting", n, label, anchor),
        evidence_at=action.at if action else None, done="strategy meeting recorded",
        not_done="no strategy meeting recorded", prefix=prefix,
    )
