"""What the interviews domain does: drafts, saves, submissions, API changes, oversight.

Services flush; the caller (the request's session, or the CLI) owns the transaction. Every read of
a record goes through `visible_to` / `get_visible`, the one place where visibility is decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import Organisation
from app.audit import service as audit
from app.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    PreconditionFailed,
    ValidationFailed,
)
from app.core.types import utcnow
from app.record import document as d
from app.record.events import record_changed
from app.record.formats import parse_timestamp
from app.record.models import Child, Episode, Interview, InterviewVersion
from app.record.serialize import document_hash, document_to_json
from app.record.validation import Validated, prune, validate_document
from app.record.visibility import get_visible
from app.standards import CURRENT, RecordFacts, evaluate

EMPTY_DOCUMENT: dict[str, Any] = {"child": {}, "episodes": [], "offer": {}}


# The same child's episodes in other records, each with the words that name its record.
OtherEpisodes = list[tuple[d.Episode, str]]


def _organisation_exists(session: Session) -> Any:
    codes = set(session.execute(select(col(Organisation.code))).scalars())
    return codes.__contains__


def _other_episodes(session: Session, raw: Any, interview_id: UUID | None) -> OtherEpisodes:
    """The same child's episodes in other submitted records, for overlap and repeat checks.

    Drafts are left out (they are provisional), and an episode that starts at the same moment
    as one of this record's is the same episode recorded twice, not an overlap.
    """
    child = raw.get("child") if isinstance(raw, dict) else None
    if not isinstance(child, dict):
        return []
    authority, local_id = child.get("responsible_authority"), child.get("local_id")
    if not isinstance(authority, str) or not isinstance(local_id, str):
        return []
    query = (
        select(col(Episode.type), col(Episode.started_at), col(Episode.returned_at),
               col(Interview.submitted_at))
        .join(Child, col(Child.id) == col(Episode.child_id))
        .join(Interview, col(Interview.id) == col(Episode.interview_id))
        .where(col(Child.responsible_authority) == authority.strip(),
               col(Child.local_id) == local_id.strip(),
               col(Interview.status) != "draft")
    )
    if interview_id is not None:
        query = query.where(col(Episode.interview_id) != interview_id)
    rows = session.execute(query).all()
    seen: set[datetime] = set()
    result: OtherEpisodes = []
    for kind, started, returned, submitted in rows:
        if started is None or started in seen:
            continue
        seen.add(started)
        label = "an episode in another record"
        if submitted is not None:
            label += f" submitted {submitted:%d %b %Y}"
        result.append((d.Episode(type=kind, started_at=started, returned_at=returned), label))
    return result


def _same_start_removed(others: OtherEpisodes, raw: Any) -> OtherEpisodes:
    starts: set[datetime] = set()
    episodes = raw.get("episodes") if isinstance(raw, dict) else None
    for episode in episodes if isinstance(episodes, list) else []:
        if isinstance(episode, dict) and isinstance(episode.get("started_at"), str):
            parsed = parse_timestamp(episode["started_at"])
            if parsed:
                starts.add(parsed)
    return [(e, label) for e, label in others if e.started_at not in starts]


def validate(session: Session, raw: Any, *, complete: bool,
             interview_id: UUID | None = None, others: OtherEpisodes | None = None
             ) -> Validated:
    """Validate with what only the database knows: organisations and the child's other records.

    `others`: the child's episodes in other records (`_other_episodes`), when the caller has
    already read them for this document.
    """
    if others is None:
        others = _other_episodes(session, raw, interview_id)
    return validate_document(raw, complete=complete, now=utcnow(),
                             other_episodes=_same_start_removed(others, raw),
                             organisations=_organisation_exists(session))


def findings_for(session: Session, interview: Interview, doc: d.InterviewDocument,
                 as_of: datetime | None = None, others: OtherEpisodes | None = None
                 ) -> list[dict[str, Any]]:
    """Evaluate every standard for the record as it now stands.

    `others`: the child's episodes in other records, when already read for this document.
    """
    if others is None:
        others = _other_episodes(session, document_to_json(doc), interview.id)
    facts = RecordFacts(document=doc, status=interview.status,
                        submitted_at=interview.submitted_at, approved_at=interview.approved_at,
                        other_episodes=tuple(e for e, _ in others))
    return [f.to_json() for f in evaluate(facts, CURRENT, as_of=as_of or utcnow())]


def current_findings(interview: Interview, now: datetime | None = None) -> list[dict[str, Any]]:
    """Stored findings as they stand now: a pending finding past its deadline is `not_met`.

    The standards make a pending finding `not_met` exactly when its deadline passes without the
    evidence, so no page or answer ever shows a stale `pending`, whether or not
    `rhi standards evaluate` has run since.
    """
    moment = (now or utcnow()).isoformat().replace("+00:00", "Z")
    result = []
    for finding in interview.findings:
        due = finding.get("due_at")
        if finding.get("result") == "pending" and due is not None and due < moment:
            finding = {**finding, "result": "not_met",
                       "detail": finding["detail"] + " The deadline has passed."}
        result.append(finding)
    return result


def _insert_ignoring_duplicates(session: Session) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def _child_id(session: Session, doc: d.InterviewDocument) -> int | None:
    """The child row the document is about, made when it is the child's first record.

    Plain statements on the `children` table (nothing else holds its rows as objects): one
    SELECT, then one INSERT or UPDATE. A child made at the same moment by another request is
    found by the unique constraint, not by a savepoint.
    """
    authority, local_id = doc.child.responsible_authority, doc.child.local_id
    if not (authority and local_id):
        return None
    same_child = (col(Child.responsible_authority) == authority, col(Child.local_id) == local_id)
    now = utcnow()
    with session.no_autoflush:
        found: int | None = session.execute(
            select(col(Child.id)).where(*same_child)).scalar_one_or_none()
    if found is None:
        made = session.execute(
            _insert_ignoring_duplicates(session)(Child)
            .values(responsible_authority=authority, local_id=local_id,
                    date_of_birth=doc.child.date_of_birth, updated_at=now)
            .on_conflict_do_nothing(index_elements=["responsible_authority", "local_id"])
            .returning(col(Child.id))
        ).scalar_one_or_none()
        if made is not None:
            return int(made)
        found = session.execute(select(col(Child.id)).where(*same_child)).scalar_one()
    changes: dict[str, Any] = {"updated_at": now}
    if doc.child.date_of_birth:
        changes["date_of_birth"] = doc.child.date_of_birth
    session.execute(update(Child).where(col(Child.id) == found).values(**changes))
    return found  # a stored row's id, never None


def _add_episodes(session: Session, interview: Interview, doc: d.InterviewDocument) -> None:
    session.add_all([
        Episode(interview_id=interview.id, child_id=interview.child_id, position=position,
                type=episode.type, started_at=episode.started_at,
                returned_at=episode.returned_at)
        for position, episode in enumerate(doc.episodes)])


def _store(session: Session, interview: Interview, doc: d.InterviewDocument,
           others: OtherEpisodes | None = None, *, new: bool = False) -> None:
    """Write the document into a record, with its child, episodes and findings, and announce
    the change (`record_changed`). `new`: a record just made, with no episodes yet."""
    document = document_to_json(doc)
    if others is None:
        others = _other_episodes(session, document, interview.id)
    interview.document = document
    interview.document_hash = document_hash(document)
    interview.updated_at = utcnow()
    interview.child_id = _child_id(session, doc)
    interview.responsible_authority = doc.child.responsible_authority
    interview.findings = findings_for(session, interview, doc, others=others)
    # A returned record's episode rows stay those of the version last submitted until it is
    # submitted again: other records are checked, and counted, against submitted episodes only.
    if interview.status != "returned":
        if not new:
            session.execute(delete(Episode).where(col(Episode.interview_id) == interview.id))
        _add_episodes(session, interview, doc)
    record_changed(session, interview, new=new)


def _snapshot(session: Session, interview: Interview, actor: Caller,
              previous: dict[str, Any] | None) -> None:
    session.add(InterviewVersion(
        interview_id=interview.id, version=interview.version, status=interview.status,
        document=interview.document, findings=interview.findings, changed_by=actor.label,
        changed_pointers=changed_pointers(previous or {}, interview.document),
        created_at=interview.updated_at,
    ))


def changed_pointers(before: Any, after: Any, path: str = "") -> list[str]:
    """JSON Pointers of every value that differs between two documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after)):
            out += changed_pointers(before.get(key), after.get(key), f"{path}/{key}")
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += changed_pointers(b, a, f"{path}/{i}")
        return out
    return [] if before == after else [path or "/"]


# --- the web form ---------------------------------------------------------------------------

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
    _store(session, interview, validated.document, [], new=True)
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
    others = _other_episodes(session, raw, interview.id)
    result = validate(session, raw, complete=False, others=others)
    errors = result.errors
    for _ in range(5):
        if result.ok:
            break
        raw = prune(raw, [e.pointer for e in result.errors])
        others = _other_episodes(session, raw, interview.id)  # pruning may drop the child's id
        result = validate(session, raw, complete=False, others=others)
    if not result.ok:  # cannot happen for well-formed pointers; keep the last good document
        return SaveResult(errors, interview.updated_at)
    before = interview.document
    if document_hash(document_to_json(result.document)) != interview.document_hash:
        _store(session, interview, result.document, others)
        audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                     action="interview.save", target=str(interview.id),
                     details={"changed": changed_pointers(before, interview.document)})
    return SaveResult(errors, interview.updated_at)


def submit(session: Session, interview: Interview, actor: Caller) -> list[FieldError]:
    """Submit a draft or a returned record: a new version, findings refreshed."""
    _editable(interview)
    others = _other_episodes(session, interview.document, interview.id)
    result = validate(session, interview.document, complete=True, others=others)
    if not result.ok:
        return result.errors
    previous = _latest_version_document(session, interview.id)
    interview.status = "submitted"
    interview.version += 1
    interview.submitted_at = utcnow()
    interview.returned_comment = None
    interview.approved_at = None
    interview.approved_by = None
    _store(session, interview, result.document, others)
    _snapshot(session, interview, actor, previous)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.submit", target=str(interview.id),
                 details={"version": interview.version})
    return []


def _latest_version_document(session: Session, interview_id: UUID) -> dict[str, Any] | None:
    return session.execute(
        select(col(InterviewVersion.document))
        .where(col(InterviewVersion.interview_id) == interview_id)
        .order_by(col(InterviewVersion.version).desc())
        .limit(1)
    ).scalar_one_or_none()


def approve(session: Session, interview: Interview, actor: Caller) -> None:
    if interview.status != "submitted":
        raise Conflict("Only a submitted record can be approved")
    interview.status = "approved"
    interview.approved_at = utcnow()
    interview.approved_by = actor.user_id
    interview.updated_at = interview.approved_at
    interview.findings = findings_for(session, interview, d_from(interview))
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
    interview.findings = findings_for(session, interview, d_from(interview))
    record_changed(session, interview)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.return", target=str(interview.id))


def d_from(interview: Interview) -> d.InterviewDocument:
    """The stored document, typed (it was valid when stored)."""
    return validate_document(interview.document, complete=False, now=utcnow()).document


# --- the JSON API ---------------------------------------------------------------------------

def create_from_api(session: Session, actor: Caller, raw: Any) -> tuple[Interview, bool]:
    """Create a submitted record; the same id and body again is a safe retry (created=False).

    The row is written once, complete (child, findings and all), so that a new record costs
    one INSERT per table; a retry or a clash is found by the primary key, not looked up first.
    """
    others = _other_episodes(session, raw, None)
    result = validate(session, raw, complete=True, others=others)
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
    )
    interview.findings = findings_for(session, interview, doc, others=others)
    try:
        # The primary key makes a concurrent duplicate fail here, not a check-then-insert; the
        # child row is made or updated inside the same savepoint, so a refused record leaves
        # nothing of itself behind.
        with session.begin_nested():
            interview.child_id = _child_id(session, doc)
            session.add(interview)
            session.flush()
    except IntegrityError:
        # The savepoint's rollback has already taken the loser out of the session; the
        # winner has committed (PostgreSQL waits for it before raising), so read it.
        if interview in session:
            session.expunge(interview)
        existing = session.get(Interview, doc.id)
    else:
        _add_episodes(session, interview, doc)
        record_changed(session, interview, new=True)
        _snapshot(session, interview, actor, None)
        audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                     action="interview.create", target=str(interview.id),
                     details={"version": 1, "via": "api"})
        return interview, True
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
    if if_match.strip() not in (etag(interview), "*"):
        raise PreconditionFailed(
            f"The record is at version {interview.version}; read it again and resend your change "
            f"with If-Match: {etag(interview)}")
    if isinstance(raw, dict) and raw.get("id") not in (None, str(interview_id)):
        raise ValidationFailed([FieldError("/id", "id_mismatch",
                                           "The id in the body must match the id in the URL")])
    raw = {**raw, "id": str(interview_id)} if isinstance(raw, dict) else raw
    others = _other_episodes(session, raw, interview_id)
    result = validate(session, raw, complete=True, others=others)
    if not result.ok:
        raise ValidationFailed(result.errors)
    previous = interview.document
    if document_hash(document_to_json(result.document)) == interview.document_hash:
        return interview
    interview.version += 1
    if interview.status in ("draft", "returned"):
        interview.status = "submitted"
        interview.submitted_at = utcnow()
    _store(session, interview, result.document, others)
    _snapshot(session, interview, actor, previous)
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action="interview.change", target=str(interview.id),
                 details={"version": interview.version, "via": "api"})
    return interview


def etag(interview: Interview) -> str:
    return f'"{interview.id}-v{interview.version}-{interview.document_hash[:12]}"'


def versions(session: Session, interview: Interview) -> Sequence[InterviewVersion]:
    return session.execute(
        select(InterviewVersion)
        .where(col(InterviewVersion.interview_id) == interview.id)
        .order_by(col(InterviewVersion.version))
    ).scalars().all()


def evaluate_due_findings(session: Session, now: datetime | None = None) -> int:
    """Re-evaluate records holding a pending finding whose deadline has passed."""
    moment = now or utcnow()
    count = 0
    for interview in session.execute(select(Interview)).scalars():
        if current_findings(interview, moment) != interview.findings:
            interview.findings = findings_for(session, interview, d_from(interview), moment)
            record_changed(session, interview)
            count += 1
    session.flush()
    return count
