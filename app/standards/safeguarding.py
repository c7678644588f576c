"""Standards about the response to risk: harm followed up, CSE assessed and overseen, repeated
missing episodes reviewed."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

from app.record.codes import (
    CSE_INDICATORS,
    RISK_INDICATORS,
    seraf_category,
)
from app.record.document import Action
from app.standards.judging import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PENDING,
    action_label,
    completed_only,
    deadline,
    finding,
    first_action,
    judge,
    no_anchor_yet,
    reference_of,
    timeless,
    working_day_finding,
)
from app.standards.model import Finding, RecordFacts
from app.standards.params import StandardSet
from app.standards.wording import and_list, capitalised, count, local_day

_SERAF_ACTION: Final = frozenset({"seraf_assessment"})
# The parts of the exploitation response (set 2027.1), in the order a finding names them.
_PART_WORDS: Final = {
    "strategy": ("a strategy discussion", "strategy discussion"),
    "assessment": ("a risk assessment", "risk assessment"),
    "intelligence": ("a police intelligence submission", "police intelligence submitted"),
    "nrm": ("a National Referral Mechanism decision", "NRM decision"),
}
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
    action = first_action(doc.actions, params.safeguarding_actions)
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
    """A manager approves every record with exploitation concerns within 5 working days of
    submission (set 2026.1: CSE, or a SERAF category of 2 or more; set 2027.1: any form)."""
    code, n = "manager-oversight", params.oversight_working_days
    interview = facts.document.interview
    threshold = params.oversight_seraf_category
    score = interview.seraf_score if interview else None
    category = seraf_category(score) if score is not None and threshold is not None else None
    concerns = category is not None and threshold is not None and category >= threshold
    indicators = params.exploitation_indicators
    flagged = interview is not None and not indicators.isdisjoint(interview.risk_indicators)
    every_form = indicators is not CSE_INDICATORS
    if not flagged and not concerns:
        if every_form:
            return _no_exploitation(code, params.version)
        return _no_cse_concerns(code, params.version, threshold or 0)
    if every_form and interview is not None:
        forms = [RISK_INDICATORS[c].lower() for c in interview.risk_indicators
                 if c in indicators]
        reasons = [f"exploitation is recorded ({and_list(forms)})"]
    else:
        reasons = [
            *(["a CSE indicator is recorded"] if flagged else []),
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
def _no_exploitation(code: str, version: str) -> Finding:
    return timeless(code, version, NOT_APPLICABLE, "No form of exploitation recorded")


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
    action = first_action(doc.actions, params.repeat_responses)
    if params.repeat_responses == _STRATEGY_MEETING:  # set 2026.1's words, unchanged
        what, done, not_done = ("a strategy meeting", "strategy meeting recorded",
                                "no strategy meeting recorded")
    else:
        what = "a review (a strategy discussion or meeting, a risk management meeting or a " \
               "looked-after review)"
        done = f"{action_label(action)} recorded" if action else ""
        not_done = "no review recorded"
    return working_day_finding(
        code, params, as_of, due=deadline(what, n, label, anchor),
        evidence_at=action.at if action else None, done=done, not_done=not_done, prefix=prefix,
    )


def exploitation_response(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """Any form of exploitation leads, within 5 working days of the interview (the reference
    time when it was not completed), to a strategy discussion, the partnership's risk
    assessment completed by the social worker (a score typed into the interview does not
    count), a police intelligence submission and, where trafficking, criminal exploitation or
    county lines is indicated, a National Referral Mechanism decision."""
    code, n, doc = "exploitation-response", params.exploitation_working_days, facts.document
    indicators = doc.risk_indicators
    if params.exploitation_indicators.isdisjoint(indicators):
        return _no_exploitation(code, params.version)
    forms = [RISK_INDICATORS[c].lower() for c in indicators if c in params.exploitation_indicators]
    prefix = f"Exploitation recorded ({and_list(forms)}); "
    parts = {
        "strategy": params.strategy_actions,
        "assessment": params.risk_assessment_actions,
        "intelligence": params.intelligence_actions,
        **({"nrm": params.nrm_actions}
           if not params.nrm_indicators.isdisjoint(indicators) else {}),
    }
    found = {part: first_action(doc.actions, types) for part, types in parts.items()}
    needs = and_list([_part_words(part, params.risk_tool)[0] for part in parts])
    conducted = doc.interview.conducted_at if doc.interview else None
    anchor_label = "the interview"
    if conducted is None and doc.offer.outcome != "completed":
        reference = reference_of(doc)
        anchor_label, conducted = reference if reference else (anchor_label, None)
    done_at = [a.at for a in found.values() if a is not None and a.at is not None]
    complete = len(done_at) == len(parts)
    evidence = max(done_at) if complete else None
    if conducted is None:
        if complete:
            return finding(code, params, MET, f"{prefix}{_parts_text(found, params, None)}",
                           None, evidence)
        return finding(
            code, params, PENDING,
            f"{prefix}{_parts_text(found, params, None, pending=True)}; the standard is "
            f"{needs} within {count(n, 'working day')} of {anchor_label}, whose time is not "
            "recorded yet",
        )
    due = deadline(needs, n, anchor_label, conducted)
    # All parts by the deadline is met; one late, or one missing after it, is not met.
    result = judge(due.due_at, evidence, as_of)
    text = _parts_text(found, params, due.due_at, pending=result is PENDING)
    return Finding(code, params.version, result, due.due_at, evidence,
                   f"{prefix}{text}; {due.rule}.")


def _part_words(part: str, tool: str) -> tuple[str, str]:
    if part == "assessment":
        return (f"a risk assessment by the social worker ({tool})",
                f"risk assessment ({tool})")
    return _PART_WORDS[part]


def _parts_text(found: dict[str, Action | None], params: StandardSet,
                due_at: datetime | None, *, pending: bool = False) -> str:
    """'Strategy discussion on Thursday 5 March 2026; no police intelligence submission yet'."""
    said: list[str] = []
    for part, action in found.items():
        wanted, done = _part_words(part, params.risk_tool)
        if action is None or action.at is None:
            said.append(f"no {wanted.removeprefix('a ')} recorded{' yet' if pending else ''}")
            continue
        late = ", after the deadline" if due_at is not None and action.at > due_at else ""
        said.append(f"{done} on {local_day(action.at)}{late}")
    return capitalised("; ".join(said))


def actions_followed_through(facts: RecordFacts, params: StandardSet,
                             as_of: datetime) -> Finding:
    """Every action of the follow-up plan with a due date has an outcome by it: done (with the
    time it was done) or not done (with why). Due at `due_at` itself, an elapsed instant."""
    code, actions = "actions-followed-through", facts.document.actions
    planned = [a for a in actions if a.due_at is not None]
    if not planned:
        return _no_plan(code, params.version)
    overdue: list[Action] = []
    late: list[Action] = []
    waiting: list[Action] = []
    for action in planned:
        due = action.due_at
        if due is None or action.status == "not_done":  # (no due date: filtered above)
            continue
        if action.status == "planned" or action.at is None:
            (overdue if as_of > due else waiting).append(action)
        elif action.at > due:
            late.append(action)
    done_times = [a.at for a in planned if a.status != "planned" and a.at is not None]
    evidence = max(done_times) if done_times and not overdue and not waiting else None
    total = count(len(planned), "action")
    if overdue or late:
        said = [
            *([f"{_named(overdue)} past {'its' if len(overdue) == 1 else 'their'} due date "
               "with no outcome"] if overdue else []),
            *([f"{_named(late)} done after {'its' if len(late) == 1 else 'their'} due date"]
              if late else []),
        ]
        first_due = min(a.due_at for a in (overdue or late) if a.due_at is not None)
        return Finding(code, params.version, NOT_MET, first_due, evidence,
                       f"{capitalised('; '.join(said))}; the standard is an outcome for every "
                       f"planned action by its due date ({total} planned).")
    if waiting:
        next_due = min(a.due_at for a in waiting if a.due_at is not None)
        return Finding(code, params.version, PENDING, next_due, None,
                       f"{_named(waiting)} not done yet, the next due on "
                       f"{local_day(next_due)}; the standard is an outcome for every planned "
                       f"action by its due date ({total} planned).")
    return Finding(code, params.version, MET, None, evidence,
                   f"Every planned action has an outcome by its due date ({total}).")


def _named(actions: list[Action]) -> str:
    """'Safety plan and MASH referral'."""
    return capitalised(and_list([action_label(a) for a in actions]))


@lru_cache(maxsize=64)
def _no_plan(code: str, version: str) -> Finding:
    return timeless(code, version, NOT_APPLICABLE, "No action in the follow-up plan has a due date")
