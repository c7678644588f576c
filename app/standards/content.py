"""Standards about what the interview record holds: who interviewed, what was tried, what the
child said and was told. None has a deadline."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from app.standards.calendar import london_date
from app.standards.judging import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    completed_only,
    finding,
    outcome_text,
    recorded,
    timeless,
)
from app.standards.model import Finding, RecordFacts
from app.standards.params import StandardSet
from app.standards.wording import and_list, count


def independent_interviewer(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interviewer is independent of the child's care and trained, unless the child chose
    them."""
    code, doc = "independent-interviewer", facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    interview = doc.interview
    independent = interview.interviewer_independent if interview else None
    trained = interview.interviewer_trained if interview else None
    chosen = interview.child_chose_interviewer if interview else None
    if chosen is True:
        return finding(
            code, params, MET, "The child chose the interviewer, which the standard allows"
        )
    if independent is True and trained is True:
        return finding(
            code, params, MET, "The interviewer is independent of the child's care and trained"
        )
    found: list[str] = []
    if independent is not True:
        found.append(
            "is not independent of the child's care" if independent is False
            else "is not recorded as independent"
        )
    if trained is not True:
        found.append("is not trained" if trained is False else "is not recorded as trained")
    return finding(
        code, params, NOT_MET,
        f"The interviewer {and_list(found)}, and the child did not choose them; the standard "
        "asks for an independent, trained interviewer unless the child chose them",
    )


def attempts_recorded(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """A declined or unachieved interview records why, what was tried, and what carers know."""
    code, offer = "attempts-recorded", facts.document.offer
    if offer.outcome != "declined" and offer.outcome != "not_achieved":
        return _not_declined(code, params.version, offer.outcome)
    carers = recorded(offer.carer_information)
    if offer.outcome == "declined":
        attempts = len(offer.attempts)
        have = [f"the child's reason {'is' if recorded(offer.decline_reason) else 'is not'} "
                "recorded", f"{count(attempts, 'attempt')} recorded"]
        met = recorded(offer.decline_reason) and attempts >= 1 and carers
        asks = "a reason, at least 1 attempt and what carers know"
        label = "Declined"
    else:
        needed = params.not_achieved_attempts
        # "Different days" are London calendar days; an undated attempt cannot show its day.
        days = len({london_date(a.at) for a in offer.attempts if a.at is not None})
        have = [_attempts_text(len(offer.attempts), days)]
        met = days >= needed and carers
        asks = f"at least {count(needed, 'attempt')} on different days and what carers know"
        label = "Not achieved"
    have.append("what carers know is recorded" if carers else "what carers know is not recorded")
    detail = f"{label}: {and_list(have)}; the standard asks for {asks}"
    return finding(code, params, MET if met else NOT_MET, detail)


@lru_cache(maxsize=64)
def _not_declined(code: str, version: str, outcome: str | None) -> Finding:
    return timeless(
        code, version, NOT_APPLICABLE,
        f"Applies to declined or not achieved interviews only; {outcome_text(outcome)}",
    )


def _attempts_text(attempts: int, days: int) -> str:
    if not attempts:
        return "no attempt recorded"
    if not days:
        return f"{count(attempts, 'attempt')} with no date"
    if days == 1:
        return f"{count(attempts, 'attempt')} on 1 day"
    return f"{count(attempts, 'attempt')} on {days} different days"


def core_content(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interview covers why the child went, where, with whom, and whether they were harmed."""
    code, doc = "core-content", facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    i = doc.interview
    if (
        i is not None and i.push_factors and i.pull_factors and recorded(i.where_stayed)
        and recorded(i.with_whom) and i.harm_disclosed is not None
    ):
        return finding(
            code, params, MET,
            "Push and pull factors, where the child stayed, with whom and whether they were "
            "harmed are all recorded",
        )
    missing = [
        label
        for label, present in (
            ("push factors", bool(i and i.push_factors)),
            ("pull factors", bool(i and i.pull_factors)),
            ("where the child stayed", bool(i and recorded(i.where_stayed))),
            ("with whom", bool(i and recorded(i.with_whom))),
            ("whether they were harmed", bool(i and i.harm_disclosed is not None)),
        )
        if not present
    ]
    return finding(
        code, params, NOT_MET,
        f"Not recorded: {and_list(missing)}; the standard asks for push and pull factors, where "
        "the child stayed, with whom and whether they were harmed",
    )


def child_voice(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The child's own account is recorded and read back to them."""
    code, doc = "child-voice", facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    i = doc.interview
    account = bool(i and recorded(i.child_account))
    read_back = i.read_back_to_child if i else None
    if account and read_back is True:
        return finding(
            code, params, MET, "The child's account is recorded and was read back to them"
        )
    if read_back is None:
        reading = "reading back is not recorded"
    else:
        reading = "it was read back to them" if read_back else "it was not read back to them"
    found = [
        "The child's account is recorded" if account else "The child's account is not recorded",
        reading,
    ]
    return finding(
        code, params, NOT_MET,
        f"{and_list(found)}; the standard asks for the child's own account, read back to them",
    )


def sharing_explained(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The child is told what will be shared, with whom and why."""
    code, doc = "sharing-explained", facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    explained = doc.interview.information_sharing_explained if doc.interview else None
    if explained is True:
        return finding(
            code, params, MET, "The child was told what will be shared, with whom and why"
        )
    found = (
        "The record says information sharing was not explained to the child"
        if explained is False
        else "Not recorded whether information sharing was explained to the child"
    )
    return finding(
        code, params, NOT_MET,
        f"{found}; the standard asks that the child is told what will be shared, with whom and why",
    )
