"""Standards about when things happen after the return: the offer, the interview, the
submitted record and who it reaches."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Final

from app.standards.calendar import add_hours, london_date
from app.standards.judging import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PENDING,
    completed_only,
    deadline,
    finding,
    judge,
    no_reference,
    no_return,
    reference_of,
    timeless,
    working_day_finding,
)
from app.standards.model import EpisodeFacts, Finding, RecordFacts
from app.standards.params import StandardSet
from app.standards.recipients import RECIPIENT_LABELS, required_recipients
from app.standards.wording import (
    and_list,
    capitalised,
    count,
    day,
    days_late,
    local_day,
    minutes_text,
    moment,
    whole_minutes,
)


def offer_within_72h(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """Every child is offered an independent return interview within 72 hours of return."""
    code, hours, doc = "offer-within-72h", params.offer_hours, facts.document
    returned = doc.latest_return
    if returned is None:
        return no_return(code, params.version, bool(doc.episodes), hours)
    if doc.offer.outcome == "not_offered":
        return finding(code, params, NOT_MET, f"Recorded as not offered; {_hours_rule(hours)}",
                       add_hours(returned, hours))
    return _hours_after_return(
        code, params, as_of, returned, hours, doc.offer.offered_at,
        done="Offered", missing="No offer recorded",
    )


def interview_within_72h(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interview takes place within 72 hours of return (a `not_offered` record fails it)."""
    code, hours, doc = "interview-within-72h", params.interview_hours, facts.document
    outcome = doc.offer.outcome
    if outcome != "completed" and outcome != "not_offered":
        return completed_only(code, params.version, outcome)
    returned = doc.latest_return
    if returned is None:
        return no_return(code, params.version, bool(doc.episodes), hours)
    if outcome == "not_offered":
        return finding(
            code, params, NOT_MET,
            f"Not offered, so no interview took place; {_hours_rule(hours)}",
            add_hours(returned, hours),
        )
    return _hours_after_return(
        code, params, as_of, returned, hours,
        doc.interview.conducted_at if doc.interview else None,
        done="Interview held", missing="No interview time recorded",
    )


@lru_cache(maxsize=64)
def _hours_rule(hours: int) -> str:
    return f"the standard is within {count(hours, 'hour')} of return"


def _hours_after_return(
    code: str,
    params: StandardSet,
    as_of: datetime,
    returned: datetime,
    hours: int,
    evidence_at: datetime | None,
    *,
    done: str,
    missing: str,
) -> Finding:
    """A "within N hours of return" finding, worded the same way for the offer and the interview."""
    due = add_hours(returned, hours)
    result = judge(due, evidence_at, as_of)
    if evidence_at is not None:
        if evidence_at < returned:
            minutes, when = whole_minutes(returned - evidence_at), "before the latest return"
        else:
            minutes, when = whole_minutes(evidence_at - returned), "after return"
        detail = _evidence_words(done, minutes, when, hours)
        return Finding(code, params.version, result, due, evidence_at, detail)
    if result is PENDING:
        detail = f"{missing} yet; {_hours_rule(hours)}, by {moment(due)}."
    else:
        detail = f"{missing} by {moment(due)}; {_hours_rule(hours)}."
    return Finding(code, params.version, result, due, evidence_at, detail)


# Keyed on whole minutes, not the instants: most records' wording recurs (an offer made 16 hours
# after return reads the same on every record), and this runs twice for most records.
@lru_cache(maxsize=16384)
def _evidence_words(done: str, minutes: int, when: str, hours: int) -> str:
    """'Offered 16 hours after return; the standard is within 72 hours of return.'"""
    return f"{done} {minutes_text(minutes)} {when}; {_hours_rule(hours)}."


def report_within_3wd(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interview record is submitted within 3 working days of the reference time."""
    code, n = "report-within-3wd", params.report_working_days
    reference = reference_of(facts.document)
    if reference is None:
        return no_reference(code, params, n)
    label, anchor = reference
    return working_day_finding(
        code, params, as_of, due=deadline("submission", n, label, anchor),
        evidence_at=facts.submitted_at, done="Submitted", not_done="Not submitted",
    )


@lru_cache(maxsize=256)
def _recipient_words(required: tuple[str, ...]) -> tuple[str, str]:
    """The words naming the recipients (few combinations: cached, and the same string object
    each time, which keeps the deadline cache's key hashing cheap)."""
    names = and_list([RECIPIENT_LABELS[r] for r in required])
    return names, f"sharing with {names}"


@lru_cache(maxsize=64)
def _no_recipient(code: str, version: str, legal_status: str | None) -> Finding:
    status = (legal_status or "not recorded").replace("_", " ")
    return timeless(
        code, version, NOT_APPLICABLE,
        f"No one must be sent the findings: the legal status is {status} and the child is "
        "not placed out of area",
    )


def report_shared(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The findings reach, within 5 working days, everyone who must know (`recipients.py`)."""
    code, n, doc = "report-shared", params.sharing_working_days, facts.document
    child = doc.child
    required = required_recipients(doc, params)
    if not required:
        return _no_recipient(code, params.version, child.legal_status)
    reference = reference_of(doc)
    if reference is None:
        return no_reference(code, params, n)
    label, anchor = reference
    names, what = _recipient_words(required)
    due = deadline(what, n, label, anchor)
    due_at = due.due_at
    first: dict[str, datetime] = {}
    for share in doc.sharing:
        at = share.at
        if at is not None and share.with_ in required:
            seen = first.get(share.with_)
            if seen is None or at < seen:
                first[share.with_] = at
    evidence = max(first.values()) if len(first) == len(required) else None
    if evidence is not None and evidence <= due_at:
        detail = f"Shared with {names} by {local_day(evidence)}; {due.rule}."
        return Finding(code, params.version, MET, due_at, evidence, detail)
    late: list[tuple[str, date]] = []  # (recipient, London day shared), in `required` order
    missing: list[str] = []
    for recipient in required:
        at = first.get(recipient)
        if at is None:
            missing.append(recipient)
        elif at > due_at:
            late.append((recipient, london_date(at)))
    result = NOT_MET if late or as_of > due_at else PENDING
    detail = _not_shared_detail(tuple(late), tuple(missing), result is PENDING, due.day, due.rule)
    return Finding(code, params.version, result, due_at, evidence, detail)


# The words depend only on who was late on which day and who is missing: they recur across
# records, so they are cached like the deadline itself (at most a few MB of short strings).
@lru_cache(maxsize=8192)
def _not_shared_detail(
    late: tuple[tuple[str, date], ...],
    missing: tuple[str, ...],
    pending: bool,
    due_day: date,
    rule: str,
) -> str:
    """'Shared with the social worker on Monday 9 March 2026, 1 day late; not shared with the
    IRO; the standard is ...'."""
    found = [
        f"shared with {RECIPIENT_LABELS[r]} on {day(shared)}, {days_late(shared, due_day)}"
        for r, shared in late
    ]
    if missing:
        not_yet = "not yet shared" if pending else "not shared"
        found.append(f"{not_yet} with {and_list([RECIPIENT_LABELS[r] for r in missing])}")
    return f"{capitalised('; '.join(found))}; {rule}."


_NOT_OUT_OF_AREA: Final = ("Applies to a child placed out of area only: no placement authority "
                           "other than the responsible authority is recorded")
_DRAFT: Final = "Applies once the record is submitted: nothing is sent from a draft"


def placing_authority_told(facts: RecordFacts, params: StandardSet,
                           as_of: datetime) -> Finding:
    """A child placed out of area: the placing (responsible) authority is sent the findings
    "without delay", within `placing_authority_days` working days of the reference time (as
    `report-shared` counts it: the interview, else the last attempt, else the offer). Shared with
    the authority's missing co-ordinator or the authority itself (`placing_authority_recipients`),
    the earliest dated entry being the evidence. A draft is not judged: nothing is sent from a
    record before it is submitted."""
    code, n, doc = "placing-authority-told", params.placing_authority_days, facts.document
    if not doc.child.out_of_area:
        return timeless(code, params.version, NOT_APPLICABLE, _NOT_OUT_OF_AREA)
    if facts.status == "draft":
        return timeless(code, params.version, NOT_APPLICABLE, _DRAFT)
    reference = reference_of(doc)
    if reference is None:
        return no_reference(code, params, n)
    label, anchor = reference
    accepted = params.placing_authority_recipients
    first: datetime | None = None
    recipient = ""
    for share in doc.sharing:
        at = share.at
        if at is not None and share.with_ in accepted and (first is None or at < first):
            first, recipient = at, share.with_ or ""
    done = f"Shared with the placing authority ({RECIPIENT_LABELS.get(recipient, recipient)})"
    return working_day_finding(
        code, params, as_of, due=deadline("sharing with the placing authority", n, label, anchor),
        evidence_at=first, done=done, not_done="Not shared with the placing authority")


def episode_offer_within_72h(facts: EpisodeFacts, params: StandardSet,
                             as_of: datetime) -> Finding:
    """`offer-within-72h` for one episode of the register, with or without a record: a
    notified return nobody offered an interview for is pending, then not met when 72 hours
    pass."""
    code, hours = "offer-within-72h", params.offer_hours
    if facts.returned_at is None:
        return no_return(code, params.version, True, hours)
    if facts.offer_outcome == "not_offered":
        return finding(code, params, NOT_MET, f"Recorded as not offered; {_hours_rule(hours)}",
                       add_hours(facts.returned_at, hours))
    return _hours_after_return(code, params, as_of, facts.returned_at, hours, facts.offered_at,
                               done="Offered", missing="No offer recorded")


def episode_interview_within_72h(facts: EpisodeFacts, params: StandardSet,
                                 as_of: datetime) -> Finding:
    """`interview-within-72h` for one episode of the register: judged when the interview was
    completed or not offered; pending while no outcome is recorded and the 72 hours run."""
    code, hours = "interview-within-72h", params.interview_hours
    if facts.returned_at is None:
        return no_return(code, params.version, True, hours)
    outcome = facts.offer_outcome
    if outcome is not None and outcome not in ("completed", "not_offered"):
        return completed_only(code, params.version, outcome)
    if outcome == "not_offered":
        return finding(code, params, NOT_MET,
                       f"Not offered, so no interview took place; {_hours_rule(hours)}",
                       add_hours(facts.returned_at, hours))
    return _hours_after_return(code, params, as_of, facts.returned_at, hours,
                               facts.conducted_at, done="Interview held",
                               missing="No interview recorded")


def episode_findings(facts: EpisodeFacts, params: StandardSet,
                     as_of: datetime) -> tuple[Finding, Finding]:
    """The two standards judged per episode: the offer and the interview within 72 hours."""
    return (episode_offer_within_72h(facts, params, as_of),
            episode_interview_within_72h(facts, params, as_of))
