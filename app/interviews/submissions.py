"""What partner systems do through the JSON API: create a submitted record (safe to retry on
its id) and replace one as a new version (only with `If-Match`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit import service as audit
from app.core.errors import Conflict, FieldError, PreconditionFailed, ValidationFailed
from app.core.types import utcnow
from app.interviews import storage
from app.record.events import record_changed
from app.record.models import Interview, InterviewVersion
from app.record.serialize import document_hash, document_to_json
from app.record.visibility import get_visible


def create_from_api(session: Session, actor: Caller, raw: Any) -> tuple[Interview, bool]:
    """Create a submitted record; the same id and body again is a safe retry (created=False).

    The rows are written once, complete (child, findings and all), with one plain INSERT per
    table and no UPDATE after it; a retry or a clash is found by the primary key, not looked up
    first.
    """
    others = storage.other_episodes(session, raw, None)
    result = storage.validate(session, raw, complete=True, others=others,
                              viewer=actor.organisation_code)
    if not result.ok:
        raise ValidationFailed(result.errors)
    doc = result.document
    document = document_to_json(doc)
    now = utcnow()
    interview = Interview(
        id=doc.id, status="submitted", version=1,
        recorded_by_org=actor.organisation_code, created_by_user_id=actor.user_id,
        created_by_api_key_id=actor.api_key_id, document=document,
        document_hash=document_hash(document), submitted_at=now, created_at=now,
        updated_at=now, responsible_authority=doc.child.responsible_authority,
        placement_authority=doc.child.placement_authority, findings=[],
    )
    interview.findings = storage.findings_for(session, interview, doc, others=others)
    interview.open_action_due_at = storage.open_action_due(doc)
    if storage.insert_new(session, interview, doc):
        storage.add_episodes(session, interview, doc)
        record_changed(session, interview, new=True)
        storage.snapshot(session, interview, actor, None)
        audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                     action="interview.create", target=str(interview.id),
                     details={"version": 1, "via": "api"})
        return interview, True
    # The winner has committed (PostgreSQL waited for it before doing nothing), so read it.
    existing = session.get(Interview, doc.id)
    assert existing is not None  # noqa: S101 - the primary key says it exists  # nosec B101
    first_version = session.execute(
        select(col(InterviewVersion.document)).where(
            col(InterviewVersion.interview_id) == existing.id,
            col(InterviewVersion.version) == 1)
    ).scalar_one_or_none()
    same = existing.recorded_by_org == actor.organisation_code and (
        document_hash(document) in (existing.document_hash,
                                    document_hash(first_version or {})))
    if not same:
        raise Conflict("An interview with this id already exists with different content; "
                       "change it with PUT and If-Match, or use a new id")
    return existing, False


def update_from_api(session: Session, actor: Caller, interview_id: UUID, raw: Any,
                    if_match: str) -> Interview:
    """Replace the document as a new version, only when `If-Match` names the current one."""
    interview = get_visible(session, interview_id, actor.organisation_code, for_update=True)
    if if_match.strip() not in (storage.etag(interview), "*"):
        raise PreconditionFailed(
            f"The record is at version {interview.version}; read it again and resend your change "
            f"with If-Match: {storage.etag(interview)}")
    if isinstance(raw, dict) and raw.get("id") not in (None, str(interview_id)):
        raise ValidationFailed([FieldError("/id", "id_mismatch",
                                           "The id in the body must match the id in the URL")])
    raw = {**raw, "id": str(interview_id)} if isinstance(raw, dict) else raw
    others = storage.other_episodes(session, raw, interview_id)
    result = storage.validate(session, raw, complete=True, others=others,
                              viewer=actor.organisation_code)
    if not result.ok:
        raise ValidationFailed(result.errors)
    previous = interview.document
    if document_hash(document_to_json(result.document)) == interview.document_hash:
        return interview
    interview.version += 1
    withdrawn = interview.status == "approved"
    if interview.status in ("draft", "returned", "approved"):
        # A changed record is a new submission: an approval was of the version approved, so a
        # manager looks again (and manager-oversight is judged afresh).
        interview.status = "submitted"
        interview.submitted_at = utcnow()
        interview.approved_at = None
        interview.approved_by = None
        interview.oversight_note = None  # kept on the version approved
        interview.rejected_input = None  # the web draft's unsaved answers: replaced wholesale
    storage.store(session, interview, result.document, others)
    storage.snapshot(session, interview, actor, previous)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.change", target=str(interview.id),
                 details={"version": interview.version, "via": "api",
                          **({"approval_withdrawn": True} if withdrawn else {})})
    return interview
