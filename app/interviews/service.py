"""What people do to a record on the web: start a draft, save it a section at a time, submit
it; and what a manager decides: approve it, or return it with a comment. Re-evaluating findings
whose deadline has passed is here too (`rhi standards evaluate`).

Services flush; the caller (the request's session, or the command line) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.datastructures import FormData

from app.accounts.caller import Caller
from app.accounts.models import Organisation, User
from app.audit import service as audit
from app.core.errors import BadRequest, Conflict, FieldError, Forbidden, ValidationFailed
from app.core.text import UNSAFE_CHARACTERS
from app.core.types import utcnow
from app.interviews import forms, rejected, storage
from app.record.events import record_changed
from app.record.models import Episode, Interview, InterviewVersion
from app.record.serialize import document_hash, document_to_json
from app.record.validation import prune, validate_document
from app.record.versions import latest_version
from app.standards import set_for

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
    interview.oversight_note = None
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


OVERSIGHT_NOTE_MAX = 10_000
ENTER_APPROVAL_NOTE = "Enter your oversight note: what you checked and what you decided"
ENTER_RETURN_NOTE = "Enter a comment saying what the interviewer should change"
CONFIRM_READ = "Confirm that you have read the record and the child's account"


def _note_errors(pointer: str, note: str, missing: str) -> list[FieldError]:
    label = "Your comment" if pointer == "/comment" else "Your oversight note"
    if not note:
        return [FieldError(pointer, "missing", missing)]
    if UNSAFE_CHARACTERS.search(note):
        return [FieldError(pointer, "invalid_character", f"{label} contains a control or "
                           "text-direction character that cannot be stored; remove it")]
    if len(note) > OVERSIGHT_NOTE_MAX:
        return [FieldError(pointer, "too_long", f"{label} must be {OVERSIGHT_NOTE_MAX:,} "
                           f"characters or fewer (it is {len(note):,})")]
    return []


def _decide(session: Session, interview: Interview, actor: Caller, decision: str,
            note: str, at: datetime) -> None:
    """Keep the decision on the version decided (the one submitted), and announce it."""
    interview.updated_at = at
    session.execute(
        update(InterviewVersion)
        .where(col(InterviewVersion.interview_id) == interview.id,
               col(InterviewVersion.version) == interview.version)
        .values(decision=decision, decided_by=actor.user_id, decided_at=at, oversight_note=note))
    interview.findings = storage.findings_for(session, interview, storage.typed(interview))
    record_changed(session, interview)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action=f"interview.{'approve' if decision == 'approved' else 'return'}",
                 target=str(interview.id), details={"version": interview.version})


def approve(session: Session, interview: Interview, actor: Caller, note: str, *,
            read_record: bool) -> None:
    """Approve a submitted record: the manager's oversight note is required, and so is their
    word that they read the record and the child's account. Nobody approves what they wrote.

    Raises `ValidationFailed` naming the form's fields (`/oversight_note`, `/read_record`).
    """
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be approved")
    if wrote(session, interview, actor):  # four eyes
        raise Forbidden("You wrote or changed this record, so another manager must approve it")
    note = note.strip()
    errors = _note_errors("/oversight_note", note, ENTER_APPROVAL_NOTE)
    if not read_record:
        errors.append(FieldError("/read_record", "not_confirmed", CONFIRM_READ))
    if errors:
        raise ValidationFailed(errors, title="The record could not be approved")
    interview.status = "approved"
    interview.approved_at = utcnow()
    interview.approved_by = actor.user_id
    interview.oversight_note = note
    _decide(session, interview, actor, "approved", note, interview.approved_at)


def return_to_interviewer(session: Session, interview: Interview, actor: Caller,
                          comment: str) -> None:
    """Return a submitted record to the interviewer: the comment (the manager's oversight note,
    required) is what they see when they open it.

    Raises `ValidationFailed` naming the form's field (`/comment`).
    """
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be returned")
    comment = comment.strip()
    errors = _note_errors("/comment", comment, ENTER_RETURN_NOTE)
    if errors:
        raise ValidationFailed(errors, title="The record could not be returned")
    interview.status = "returned"
    interview.returned_comment = comment
    _decide(session, interview, actor, "returned", comment, utcnow())


@dataclass(frozen=True)
class Decision:
    """A manager's decision on a version: "approved" or "returned", by whom (in words), when,
    and their oversight note (None for a decision made before notes were kept)."""

    decision: str
    by: str | None
    at: datetime | None
    note: str | None


def _people(session: Session, ids: set[int], viewer: str) -> dict[int, str]:
    """People by name for the viewer's organisation: its own by name, another's as "someone
    at" it (as the audit log names them)."""
    if not ids:
        return {}
    rows = session.execute(
        select(col(User.id), col(User.name), col(Organisation.code), col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(col(User.id).in_(ids))).all()
    return {person: name if code == viewer else f"someone at {organisation}"
            for person, name, code, organisation in rows if person is not None}


def decisions(session: Session, interview: Interview, versions: Sequence[InterviewVersion],
              viewer: str) -> dict[int, Decision]:
    """The decision on each version decided, by version number, named for the viewer's
    organisation. The current version's falls back on the record itself for an approval or a
    return made before decisions were kept on versions."""
    ids = {v.decided_by for v in versions if v.decided_by is not None}
    if interview.approved_by is not None:
        ids.add(interview.approved_by)
    names = _people(session, ids, viewer)
    found = {v.version: Decision(v.decision, names.get(v.decided_by) if v.decided_by else None,
                                 v.decided_at, v.oversight_note)
             for v in versions if v.decision is not None}
    if interview.version not in found and interview.status == "approved":
        found[interview.version] = Decision(
            "approved", names.get(interview.approved_by) if interview.approved_by else None,
            interview.approved_at, interview.oversight_note)
    elif interview.version not in found and interview.status == "returned":
        found[interview.version] = Decision("returned", None, None, interview.returned_comment)
    return found


def current_decision(session: Session, interview: Interview, viewer: str) -> Decision | None:
    """The decision on the record as it stands: its approval, or the return it waits on."""
    if interview.status not in ("approved", "returned"):
        return None
    return decisions(session, interview, storage.versions(session, interview), viewer).get(
        interview.version)


def submitted_by(session: Session, version: InterviewVersion, viewer: str) -> str:
    """Who submitted a version, in words: a person (as `_people` names them), else a partner
    system through its API key."""
    kind, _, ident = version.changed_by.partition(":")
    if kind == "user" and ident.isdigit():
        return _people(session, {int(ident)}, viewer).get(
            int(ident), "an account that no longer exists")
    return "a partner system" if kind == "key" else "the service"


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
    """Re-evaluate records holding a pending finding whose deadline has passed, and records
    whose findings are not their set's standards (a standard added to the set after they were
    stored, like 2027.1's `placing-authority-told`)."""
    moment = now or utcnow()
    count = 0
    for interview in session.execute(select(Interview)).scalars():
        codes = [finding.get("code") for finding in interview.findings]
        if (codes != list(set_for(interview.standard_set).codes)
                or storage.current_findings(interview, moment) != interview.findings):
            interview.findings = storage.findings_for(session, interview,
                                                      storage.typed(interview), moment)
            record_changed(session, interview)
            count += 1
    session.flush()
    return count
