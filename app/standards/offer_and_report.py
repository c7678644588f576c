"""Standards about when things happen after the return: the offer, the interview, the
submitted record and who it reaches."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Final

from app.standards.calendar import add_hours
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
    working_day_finding,
)
from app.standards.model import Finding, RecordFacts
from app.standards.params import StandardSet
from app.standards.wording import (
    and_list,
    capitalised,
    count,
    days_late,
    duration,
    local_day,
    moment,
)

_RECIPIENT_LABELS: Final = {
    "social_worker": "the social worker",
    "iro": "the IRO",
    "responsible_authority": "the responsible authority",
}


def offer_within_72h(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """Every child is offered an independent return interview within 72 hours of return."""
    code, hours, doc = "offer-within-72h", params.offer_hours, facts.document
    returned = doc.latest_return
    if returned is None:
        return no_return(code, params, doc, hours)
    due = add_hours(returned, hours)
    rule = f"the standard is within {count(hours, 'hour')} of return"
    if doc.offer.outcome == "not_offered":
        return finding(code, params, NOT_MET, f"Recorded as not offered; {rule}", due)
    offered = doc.offer.offered_at
    result = judge(due, offered, as_of)
    if offered is not None:
        if offered < returned:
            found = f"Offered {duration(returned - offered)} before the latest return"
        else:
            found = f"Offered {duration(offered - returned)} after return"
    elif result is PENDING:
        found = "No offer recorded yet"
        rule += f", by {moment(due)}"
    else:
        found = f"No offer recorded by {moment(due)}"
    return finding(code, params, result, f"{found}; {rule}", due, offered)


def interview_within_72h(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interview takes place within 72 hours of return (a `not_offered` record fails it)."""
    code, hours, doc = "interview-within-72h", params.interview_hours, facts.document
    outcome = doc.offer.outcome
    if outcome not in ("completed", "not_offered"):
        return completed_only(code, params, doc)
    returned = doc.latest_return
    if returned is None:
        return no_return(code, params, doc, hours)
    due = add_hours(returned, hours)
    rule = f"the standard is within {count(hours, 'hour')} of return"
    if outcome == "not_offered":
        found = "Not offered, so no interview took place"
        return finding(code, params, NOT_MET, f"{found}; {rule}", due)
    conducted = doc.interview.conducted_at if doc.interview else None
    result = judge(due, conducted, as_of)
    if conducted is not None:
        if conducted < returned:
            found = f"Interview held {duration(returned - conducted)} before the latest return"
        else:
            found = f"Interview held {duration(conducted - returned)} after return"
    elif result is PENDING:
        found = "No interview time recorded yet"
        rule += f", by {moment(due)}"
    else:
        found = f"No interview time recorded by {moment(due)}"
    return finding(code, params, result, f"{found}; {rule}", due, conducted)


def report_within_3wd(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interview record is submitted within 3 working days of the reference time."""
    code, n = "report-within-3wd", params.report_working_days
    reference = reference_of(facts.document)
    if reference is None:
        return no_reference(code, params, n)
    label, anchor = reference
    due, rule = deadline("submission", n, label, anchor)
    return working_day_finding(
        code, params, as_of, due_at=due, evidence_at=facts.submitted_at, done="Submitted",
        not_done="Not submitted", rule=rule,
    )


def _required_recipients(facts: RecordFacts, params: StandardSet) -> tuple[str, ...]:
    child = facts.document.child
    status = child.legal_status
    return (
        *(("social_worker",) if status in params.social_worker_statuses else ()),
        *(("iro",) if status in params.iro_statuses else ()),
        *(("responsible_authority",) if child.out_of_area else ()),
    )


@lru_cache(maxsize=64)
def _recipient_words(required: tuple[str, ...]) -> tuple[str, str]:
    """'the social worker and the IRO', and the rule's 'sharing with ...' (few combinations)."""
    names = and_list([_RECIPIENT_LABELS[r] for r in required])
    return names, f"sharing with {names}"


def report_shared(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The findings reach, within 5 working days, the social worker (for the legal statuses that
    have one), the IRO (looked after) and the responsible authority (placed out of area)."""
    code, n, doc = "report-shared", params.sharing_working_days, facts.document
    required = _required_recipients(facts, params)
    if not required:
        status = (doc.child.legal_status or "not recorded").replace("_", " ")
        return finding(
            code, params, NOT_APPLICABLE,
            f"No one must be sent the findings: the legal status is {status} and the child is "
            "not placed out of area",
        )
    reference = reference_of(doc)
    if reference is None:
        return no_reference(code, params, n)
    label, anchor = reference
    names, what = _recipient_words(required)
    due, rule = deadline(what, n, label, anchor)
    first: dict[str, datetime] = {}
    for share in doc.sharing:
        at = share.at
        if at is not None and share.with_ in required:
            seen = first.get(share.with_)
            if seen is None or at < seen:
                first[share.with_] = at
    evidence = max(first.values()) if len(first) == len(required) else None
    if evidence is not None and evidence <= due:
        detail = f"Shared with {names} by {local_day(evidence)}; {rule}"
        return finding(code, params, MET, detail, due, evidence)
    late = [r for r in required if r in first and first[r] > due]
    missing = [r for r in required if r not in first]
    result = NOT_MET if late or as_of > due else PENDING
    found = [
        f"shared with {_RECIPIENT_LABELS[r]} on {local_day(first[r])}, {days_late(first[r], due)}"
        for r in late
    ]
    if missing:
        not_yet = "not yet shared" if result is PENDING else "not shared"
        found.append(f"{not_yet} with {and_list([_RECIPIENT_LABELS[r] for r in missing])}")
    return finding(code, params, result, f"{capitalised('; '.join(found))}; {rule}", due, evidence)
