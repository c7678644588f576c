"""What people do to a record on the web: start a draft, save it a section at a time, submit
it; and what a manager decides: approve it, or return it with a comment. Re-evaluating findings
whose deadline has passed is here too (`rhi standards evaluate`).

Services flush; the caller (the request's session, or the command line) owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.datastructures import FormData

from app.accounts.caller import Caller
from app.audit import service as audit
from app.core.errors import BadRequest, Conflict, FieldError, Forbidden
from app.core.text import UNSAFE_CHARACTERS
from app.core.types import utcnow
from app.interviews import forms, rejected, storage
from app.record.events import record_changed
from app.record.models import Episode, Interview, InterviewVersion
from app.record.serialize import document_hash, document_to_json
from app.record.validation import prune, validate_document
from app.record.versions import latest_version

EMPTY_DOCUMENT: dict[str, Any] = {"child": {}, "episodes": [], "offer": {}}


def start_draft(session: Session, actor: Caller) -> Interview:
    """A new, empty draft owned by the actor's organisation."""
    interview_id = uuid4()
    document = {"id": str(interview_id), **EMPTY_DOCUMENT}
    interview = Interview(id=interview_id, status="draft", version=0,
                          recorded_by_org=actor.organisation_code,
                          created_by_user_id=actor.user_id, document=document,
                          document_hash=document_hash(document))
    session.add(interview)
    session.flush()
    validated = validate_document(document, complete=False, now=utcnow())
    storage.store(session, interview, validated.document, [], new=True)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.create", target=str(interview_id))
    return interview


@dataclass(frozen=True)
class SaveResult:
    errors: list[FieldError]
    saved_at: datetime


def _editable(interview: Interview) -> None:
    if interview.status not in ("draft", "returned"):
        raise Forbidden("This interview has been submitted; it can no longer be changed here")


def _section_errors(errors: list[FieldError], section: forms.Section) -> list[FieldError]:
    """The errors to show on a section's page: its own, else (a change here made another part
    wrong, such as a new case id overlapping the child's other episodes) all of them."""
    mine = [e for e in errors if forms.belongs(e.pointer, section)] or errors
    return [forms.for_people(e) for e in forms.page_order(mine)]


def save_section(session: Session, interview: Interview, actor: Caller,
                 section: forms.Section, form: FormData) -> SaveResult:
    """Save one section of a draft as posted: every valid value into the document, and, when
    something is wrong, the whole section as typed beside it (`rejected`), so nothing typed is
    lost. The errors come back to be shown beside the fields.
    """
    _editable(interview)
    changes = section.from_form(form, interview.document)
    raw: Any = {**interview.document, **changes, "id": str(interview.id)}
    others = storage.other_episodes(session, raw, interview.id)
    result = storage.validate(session, raw, complete=False, others=others,
                              viewer=actor.organisation_code)
    errors = _section_errors(result.errors, section)
    # Keep what is valid: take out each of this section's values an error names and check
    # again, because taking one out can leave another wrong (a return taken out leaves two
    # episodes open). Each round takes something out, so this ends. Values in other sections
    # are never taken out: when only they are wrong, this section's change waits (kept as
    # typed) and the document stays as it was.
    while not result.ok:
        mine = [e.pointer for e in result.errors if forms.belongs(e.pointer, section)]
        kept = prune(raw, mine) if mine else raw
        if kept == raw:
            raw = None
            break
        raw = kept
        others = storage.other_episodes(session, raw, interview.id)  # the child may have gone
        result = storage.validate(session, raw, complete=False, others=others,
                                  viewer=actor.organisation_code)
    typed = rejected.typed_values(form)
    held_changed = rejected.hold(interview, section.slug, typed if errors else None)
    before = interview.document
    changed: list[str] = []
    if raw is not None and document_hash(document_to_json(result.document)) != \
            interview.document_hash:
        storage.store(session, interview, result.document, others)
        changed = storage.changed_pointers(before, interview.document)
    elif held_changed:
        interview.updated_at = utcnow()
    if changed or held_changed:
        details: dict[str, Any] = {"changed": changed}
        if errors:  # which answers wait, not what they say
            details["not_saved"] = sorted({e.pointer for e in errors})
        audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                     action="interview.save", target=str(interview.id), details=details)
    return SaveResult(errors, interview.updated_at)


def held_errors(session: Session, interview: Interview, section: forms.Section,
                viewer: str) -> list[FieldError]:
    """The errors of what is kept for a section, worked out again now (a date in the future
    may have become today)."""
    typed = rejected.held(interview, section.slug)
    if not typed:
        return []
    changes = section.from_form(rejected.as_form(typed), interview.document)
    raw = {**interview.document, **changes, "id": str(interview.id)}
    result = storage.validate(session, raw, complete=False, interview_id=interview.id,
                              viewer=viewer)
    return _section_errors(result.errors, section)


def unsaved_answers(session: Session, interview: Interview, viewer: str) -> list[FieldError]:
    """An error for each answer typed but not saved, in every section: what blocks submitting.
    A section whose kept answers have become valid still needs saving once."""
    found: list[FieldError] = []
    for section in rejected.sections_held(interview):
        errors = held_errors(session, interview, section, viewer)
        found += errors or [FieldError(section.pointers[0], "not_saved",
                                       f"{section.title}: some answers have not been saved; "
                                       "open the page and save it")]
    return found


def submit(session: Session, interview: Interview, actor: Caller) -> list[FieldError]:
    """Submit a draft or a returned record: a new version, findings refreshed."""
    _editable(interview)
    unsaved = unsaved_answers(session, interview, actor.organisation_code)
    if unsaved:
        return unsaved
    others = storage.other_episodes(session, interview.document, interview.id)
    result = storage.validate(session, interview.document, complete=True, others=others,
                              viewer=actor.organisation_code)
    if not result.ok:
        return result.errors
    latest = latest_version(session, interview.id)
    previous = latest[0] if latest is not None else None
    interview.status = "submitted"
    interview.version += 1
    interview.submitted_at = utcnow()
    interview.returned_comment = None
    interview.rejected_input = None
    interview.approved_at = None
    interview.approved_by = None
    storage.store(session, interview, result.document, others)
    storage.snapshot(session, interview, actor, previous)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.submit", target=str(interview.id),
                 details={"version": interview.version})
    return []


def wrote(session: Session, interview: Interview, actor: Caller) -> bool:
    """Whether the person started the record or submitted a version of it (the service's own
    `system` actor is nobody's four eyes)."""
    if actor.user_id is None:
        return False
    if interview.created_by_user_id == actor.user_id:
        return True
    version_by_actor = select(col(InterviewVersion.id)).where(
        col(InterviewVersion.interview_id) == interview.id,
        col(InterviewVersion.changed_by) == actor.label).limit(1)
    return session.execute(version_by_actor).first() is not None


def approve(session: Session, interview: Interview, actor: Caller) -> None:
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be approved")
    if wrote(session, interview, actor):  # four eyes
        raise Forbidden("You wrote or changed this record, so another manager must approve it")
    interview.status = "approved"
    interview.approved_at = utcnow()
    interview.approved_by = actor.user_id
    interview.updated_at = interview.approved_at
    interview.findings = storage.findings_for(session, interview, storage.typed(interview))
    record_changed(session, interview)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.approve", target=str(interview.id),
                 details={"version": interview.version})


def return_to_interviewer(session: Session, interview: Interview, actor: Caller,
                          comment: str) -> None:
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be returned")
    interview.status = "returned"
    interview.returned_comment = comment
    interview.updated_at = utcnow()
    interview.findings = storage.findings_for(session, interview, storage.typed(interview))
    record_changed(session, interview)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.return", target=str(interview.id))


DISCARD_REASON_MAX = 500


def discard_draft(session: Session, interview: Interview, actor: Caller, reason: str) -> None:
    """Delete a draft never submitted (started twice, for the wrong child), with the reason in
    the audit log. A record once submitted is never discarded: it is returned or changed."""
    if interview.status != "draft" or interview.version != 0:
        raise Forbidden("Only a draft never submitted can be discarded")
    reason = reason.strip()
    if not reason or len(reason) > DISCARD_REASON_MAX or UNSAFE_CHARACTERS.search(reason):
        raise BadRequest(f"Enter why you are discarding it, in 1 to {DISCARD_REASON_MAX} "
                         "characters")
    session.execute(delete(Episode).where(col(Episode.interview_id) == interview.id))
    session.execute(delete(InterviewVersion).where(
        col(InterviewVersion.interview_id) == interview.id))
    session.execute(delete(Interview).where(col(Interview.id) == interview.id))
    session.expunge(interview)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.discard", target=str(interview.id), address=actor.address,
                 details={"reason": reason})


def evaluate_due_findings(session: Session, now: datetime | None = None) -> int:
    """Re-evaluate records holding a pending finding whose deadline has passed."""
    moment = now or utcnow()
    count = 0
    for interview in session.execute(select(Interview)).scalars():
        if storage.current_findings(interview, moment) != interview.findings:
            interview.findings = storage.findings_for(session, interview,
                                                      storage.typed(interview), moment)
            record_changed(session, interview)
            count += 1
    session.flush()
    return count
