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
from app.standards.wording import and_list, capitalised, count


def independent_interviewer(facts: RecordFacts, params: StandardSet, as_of: datetime) -> Finding:
    """The interviewer is independent of the child's care and trained, unless the child chose
    them."""
    code, doc = "independent-interviewer", facts.document
    if doc.offer.outcome != "completed":
        return completed_only(code, params.version, doc.offer.outcome)
    if params.independence_from_role:
        return _independence_from_role(facts, params)
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


def _independence_from_role(facts: RecordFacts, params: StandardSet) -> Finding:
    """Set 2027.1: independence is worked out from the interviewer's role and involvement with
    the child, never taken from a tick; a police interview is the prevention interview, never
    the return interview, even when the child chose the officer."""
    code, interview = "independent-interviewer", facts.document.interview
    role = interview.interviewer_role if interview else None
    relationship = interview.interviewer_relationship if interview else None
    trained = interview.interviewer_trained if interview else None
    chosen = interview.child_chose_interviewer if interview else None
    if role == "police":
        return finding(
            code, params, NOT_MET,
            "The interviewer is a police officer: a police prevention (safe and well) "
            "interview never counts as the return interview; record it on the episode and "
            "offer an independent return interview",
        )
    if chosen is True:
        return finding(
            code, params, MET, "The child chose the interviewer, which the standard allows"
        )
    found: list[str] = []
    if role is None:
        found.append("has no role recorded")
    elif role in params.not_independent_roles:
        found.append(f"is the child's {_ROLE_WORDS.get(role, role.replace('_', ' '))}, "
                     "so not independent of their care")
    if relationship is None:
        found.append("has no involvement with the child recorded")
    elif relationship != "none":
        found.append(f"{_RELATIONSHIP_WORDS.get(relationship, 'is involved with the child')}, "
                     "so is not independent")
    if trained is not True:
        found.append("is not trained" if trained is False else "is not recorded as trained")
    if not found:
        return finding(
            code, params, MET,
            "The interviewer has no part in the child's care, placement or case and is trained",
        )
    return finding(
        code, params, NOT_MET,
        f"The interviewer {and_list(found)}, and the child did not choose them; the standard "
        "asks for a trained interviewer with no part in the child's care, placement or case, "
        "unless the child chose them",
    )


_ROLE_WORDS = {"social_worker": "social worker", "carer": "carer",
               "residential_staff": "residential worker", "teacher": "teacher"}
_RELATIONSHIP_WORDS = {
    "case_worker": "works on the child's case",
    "carer_or_placement_staff": "cares for the child or works where they live",
    "school_staff": "works at the child's school",
    "police": "is a police officer involved with the child",
    "other": "has another involvement with the child",
}


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
    if params.views_on_sharing_needed:
        return _sharing_with_views(facts, params)
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


def _sharing_with_views(facts: RecordFacts, params: StandardSet) -> Finding:
    """Set 2027.1: told what will be shared; the child's views and the lawful basis recorded;
    sharing against the child's wishes gives the reason and whether the child was told."""
    code, i = "sharing-explained", facts.document.interview
    explained = i.information_sharing_explained if i else None
    views = i.views_on_sharing if i else None
    basis = i.lawful_basis if i else None
    against = i.shared_against_wishes if i else None
    gaps: list[str] = []
    if explained is not True:
        gaps.append("the record says sharing was not explained to the child" if explained is False
                    else "whether sharing was explained to the child is not recorded")
    if views is None:
        gaps.append("the child's views on sharing are not recorded")
    if basis is None:
        gaps.append("the lawful basis for sharing is not recorded")
    if against is None and views in ("objects", "agrees_in_part"):
        gaps.append("the child does not want all of it shared, and whether it is shared against "
                    "their wishes is not recorded")
    if against is True:
        if i is None or not recorded(i.shared_against_wishes_reason):
            gaps.append("it is shared against the child's wishes with no reason recorded")
        told = i.child_told_of_sharing if i else None
        if told is not True:
            gaps.append("it is shared against the child's wishes and the child was not told"
                        if told is False else
                        "it is shared against the child's wishes and whether the child was told "
                        "is not recorded")
    if not gaps:
        extra = (", and why it is shared against their wishes and that they were told"
                 if against else "")
        return finding(
            code, params, MET,
            "The child was told what will be shared, with whom and why; their views and the "
            f"lawful basis are recorded{extra}",
        )
    return finding(
        code, params, NOT_MET,
        f"{capitalised('; '.join(gaps))}; the standard asks that the child is told what will be "
        "shared, with whom and why, that their views and the lawful basis are recorded, and that "
        "sharing against their wishes says why and whether they were told",
    )
