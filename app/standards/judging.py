"""Shared pieces of the checks: the time rule, the reference time, and the wording every
"within N working days" finding uses, so all standards read alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Final

from app.record.codes import ACTION_TYPE
from app.record.document import Action, InterviewDocument
from app.standards.calendar import end_of_london_day, london_date, working_day_after
from app.standards.model import Finding, Result
from app.standards.params import StandardSet
from app.standards.wording import count, day, days_late, local_day

MET: Final = Result.MET
NOT_MET: Final = Result.NOT_MET
NOT_APPLICABLE: Final = Result.NOT_APPLICABLE
PENDING: Final = Result.PENDING


@lru_cache(maxsize=4096)
def timeless(code: str, version: str, result: Result, detail: str) -> Finding:
    """A finding without timestamps. These recur across records word for word, and findings are
    immutable, so one shared instance each saves building thousands of equal objects."""
    return Finding(code, version, result, None, None, f"{detail}.")


def finding(
    code: str,
    params: StandardSet,
    result: Result,
    detail: str,
    due_at: datetime | None = None,
    evidence_at: datetime | None = None,
) -> Finding:
    """A finding; `detail` is written with its capital letter and gets its full stop here."""
    if due_at is None and evidence_at is None:
        return timeless(code, params.version, result, detail)
    return Finding(code, params.version, result, due_at, evidence_at, f"{detail}.")


def judge(due_at: datetime, evidence_at: datetime | None, as_of: datetime) -> Result:
    """The time rule: evidence by the deadline is met, after it not met; without evidence the
    finding is pending until the deadline passes, so a pending finding is never overdue."""
    if evidence_at is not None:
        return MET if evidence_at <= due_at else NOT_MET
    return PENDING if as_of <= due_at else NOT_MET


def recorded(text: str | None) -> bool:
    """Free text counts as recorded only when it holds more than spaces."""
    return text is not None and text.strip() != ""


def outcome_text(outcome: str | None) -> str:
    """'the outcome is not achieved', for a not-applicable finding's reason."""
    if not outcome:
        return "no outcome is recorded yet"
    return f"the outcome is {outcome.replace('_', ' ')}"


# The cached not-applicable findings below take plain values, not the StandardSet, as their key:
# hashing a dataclass of sixteen fields on every call would cost more than building the finding.


@lru_cache(maxsize=256)
def completed_only(code: str, version: str, outcome: str | None) -> Finding:
    """Not applicable: the standard looks at completed interviews only."""
    return timeless(
        code, version, NOT_APPLICABLE,
        f"Applies to completed interviews only; {outcome_text(outcome)}",
    )


@lru_cache(maxsize=256)
def no_return(code: str, version: str, has_episodes: bool, hours: int) -> Finding:
    """Not applicable: the clock counted from the return has not started."""
    why = (
        "An episode has no return time (the child is still missing)"
        if has_episodes
        else "No missing episode is recorded yet"
    )
    return timeless(
        code, version, NOT_APPLICABLE, f"{why}, so the {hours}-hour clock has not started"
    )


def reference_of(doc: InterviewDocument) -> tuple[str, datetime] | None:
    """The reference time (as `InterviewDocument.reference_time`) with what it is, for people."""
    interview = doc.interview
    if doc.offer.outcome == "completed" and interview and interview.conducted_at:
        return "the interview", interview.conducted_at
    attempt_times = [a.at for a in doc.offer.attempts if a.at is not None]
    if attempt_times:
        return "the last attempt", max(attempt_times)
    if doc.offer.offered_at is not None:
        return "the offer", doc.offer.offered_at
    return None


def no_reference(code: str, params: StandardSet, n: int) -> Finding:
    """Not applicable: nothing to count the working days from yet (see `checks.py`)."""
    return finding(
        code, params, NOT_APPLICABLE,
        "Nothing has been offered, attempted or conducted yet, so there is no date to count "
        f"{count(n, 'working day')} from",
    )


def first_action(actions: Iterable[Action], types: frozenset[str]) -> Action | None:
    """The earliest dated action of one of `types`."""
    first: Action | None = None
    first_at: datetime | None = None
    for action in actions:
        at = action.at
        if at is not None and action.type in types and (first_at is None or at < first_at):
            first, first_at = action, at
    return first


def action_label(action: Action) -> str:
    """The data dictionary's label of the action type: 'MASH referral'."""
    return ACTION_TYPE.get(action.type or "", "action")


@dataclass(frozen=True, slots=True)
class Deadline:
    """The end of the Nth working day after an anchor, with the words stating the rule."""

    due_at: datetime
    day: date  # the London date `due_at` ends
    rule: str


def deadline(what: str, n: int, anchor_label: str, anchor: datetime) -> Deadline:
    """The deadline N working days after `anchor`, and the words stating the rule."""
    return _deadline(what, n, anchor_label, london_date(anchor))


@lru_cache(maxsize=16384)
def _deadline(what: str, n: int, anchor_label: str, anchor_day: date) -> Deadline:
    # Keyed on the London date, not the instant: the deadline and its wording depend only on the
    # day, and thousands of records share each day.
    due_day = working_day_after(anchor_day, n)
    rule = (
        f"the standard is {what} within {count(n, 'working day')} of {anchor_label} on "
        f"{day(anchor_day)}, by the end of {day(due_day)}"
    )
    return Deadline(end_of_london_day(due_day), due_day, rule)


def working_day_finding(
    code: str,
    params: StandardSet,
    as_of: datetime,
    *,
    due: Deadline,
    evidence_at: datetime | None,
    done: str,
    not_done: str,
    prefix: str = "",
) -> Finding:
    """A finding for a "within N working days" standard, worded the same way for all of them."""
    result = judge(due.due_at, evidence_at, as_of)
    if evidence_at is not None:
        late_from = due.day if result is NOT_MET else None
        detail = _dated_detail(prefix, done, london_date(evidence_at), late_from, due.rule)
    elif result is PENDING:
        detail = f"{prefix}{not_done} yet; {due.rule}."
    else:
        detail = f"{prefix}{not_done}, and the deadline has passed; {due.rule}."
    # Built directly, not through `finding`: with a deadline there is no shared finding to reuse.
    return Finding(code, params.version, result, due.due_at, evidence_at, detail)


# Keyed on days, not instants, like `_deadline`: evidence falls within a few days of its
# deadline's anchor, so the same words recur across thousands of records (bounded: at most a
# few MB of short strings).
@lru_cache(maxsize=16384)
def _dated_detail(
    prefix: str, done: str, evidence_day: date, late_from: date | None, rule: str
) -> str:
    """'Submitted on Friday 6 March 2026, 1 day late; the standard is ...'."""
    found = f"{done} on {day(evidence_day)}"
    if late_from is not None:
        found += f", {days_late(evidence_day, late_from)}"
    return f"{prefix}{found}; {rule}."


def no_anchor_yet(
    code: str,
    params: StandardSet,
    prefix: str,
    action: Action | None,
    what: str,
    n: int,
    anchor_label: str,
) -> Finding:
    """Evidence without a deadline yet is met; no evidence is pending with no known deadline."""
    if action is not None and action.at is not None:
        return finding(
            code, params, MET,
            f"{prefix}{action_label(action)} on {local_day(action.at)}",
            None, action.at,
        )
    return finding(
        code, params, PENDING,
        f"{prefix}no {what.removeprefix('a ')} recorded yet; the standard is {what} within "
        f"{count(n, 'working day')} of {anchor_label}, whose time is not recorded yet",
    )
