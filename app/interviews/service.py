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

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.audit import service as audit
from app.core.errors import Conflict, FieldError, Forbidden
from app.core.types import utcnow
from app.interviews import storage
from app.record.events import record_changed
from app.record.models import Interview
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


def save_section(session: Session, interview: Interview, actor: Caller,
                 changes: dict[str, Any]) -> SaveResult:
    """Merge one section's values into the draft and keep everything that is valid.

    Values with structural errors are not stored (the errors come back to be shown beside the
    fields); everything else in the section is saved, so a bad date never costs the words typed
    next to it.
    """
    _editable(interview)
    raw = {**interview.document, **changes, "id": str(interview.id)}
    others = storage.other_episodes(session, raw, interview.id)
    result = storage.validate(session, raw, complete=False, others=others)
    errors = result.errors
    # Keep what is valid: take out each value an error names and check again, because taking
    # one out can leave another wrong (a return taken out leaves two episodes open). Each round
    # takes something out, so this ends.
    while not result.ok:
        kept = prune(raw, [e.pointer for e in result.errors])
        if kept == raw:  # nothing left to take out: keep the record as it was
            return SaveResult(errors, interview.updated_at)
        raw = kept
        others = storage.other_episodes(session, raw, interview.id)  # the child may have gone
        result = storage.validate(session, raw, complete=False, others=others)
    before = interview.document
    if document_hash(document_to_json(result.document)) != interview.document_hash:
        storage.store(session, interview, result.document, others)
        audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                     action="interview.save", target=str(interview.id),
                     details={"changed": storage.changed_pointers(before, interview.document)})
    return SaveResult(errors, interview.updated_at)


def submit(session: Session, interview: Interview, actor: Caller) -> list[FieldError]:
    """Submit a draft or a returned record: a new version, findings refreshed."""
    _editable(interview)
    others = storage.other_episodes(session, interview.document, interview.id)
    result = storage.validate(session, interview.document, complete=True, others=others)
    if not result.ok:
        return result.errors
    latest = latest_version(session, interview.id)
    previous = latest[0] if latest is not None else None
    interview.status = "submitted"
    interview.version += 1
    interview.submitted_at = utcnow()
    interview.returned_comment = None
    interview.approved_at = None
    interview.approved_by = None
    storage.store(session, interview, result.document, others)
    storage.snapshot(session, interview, actor, previous)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.submit", target=str(interview.id),
                 details={"version": interview.version})
    return []


def approve(session: Session, interview: Interview, actor: Caller) -> None:
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be approved")
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
