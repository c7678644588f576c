"""Writing a record: what every change to an interview record does, whoever makes it.

Validation with what only the database knows (the organisations, the child's other records),
the findings of the practice standards, the child's row, the episode rows, the version history,
and the announcement that the record changed (`app.record.events`). Services flush; the caller
(the request's session, or the command line) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import Organisation
from app.core.types import utcnow
from app.record import document as d
from app.record.events import record_changed
from app.record.formats import parse_timestamp
from app.record.models import Child, Episode, Interview, InterviewVersion
from app.record.serialize import document_hash, document_to_json
from app.record.validation import Validated, validate_document
from app.standards import CURRENT, RecordFacts, evaluate, set_for

# The same child's episodes in other records, each with the words that name its record and the
# organisations that recorded it (one episode may be on several organisations' records).
OtherEpisodes = list[tuple[d.Episode, str, frozenset[str]]]


def _organisation_exists(session: Session) -> Any:
    codes = set(session.execute(select(col(Organisation.code))).scalars())
    return codes.__contains__


def other_episodes(session: Session, raw: Any, interview_id: UUID | None) -> OtherEpisodes:
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
               col(Interview.submitted_at), col(Interview.recorded_by_org))
        .join(Child, col(Child.id) == col(Episode.child_id))
        .join(Interview, col(Interview.id) == col(Episode.interview_id))
        .where(col(Child.responsible_authority) == authority.strip(),
               col(Child.local_id) == local_id.strip(),
               col(Interview.status) != "draft")
    )
    if interview_id is not None:
        query = query.where(col(Episode.interview_id) != interview_id)
    rows = session.execute(query).all()
    found: dict[datetime, tuple[d.Episode, str, frozenset[str]]] = {}
    for kind, started, returned, submitted, recorded_by in rows:
        if started is None:
            continue
        if started in found:
            episode, label, recorders = found[started]
            found[started] = (episode, label, recorders | {recorded_by})
            continue
        label = "an episode in another record"
        if submitted is not None:
            label += f" submitted {submitted:%d %b %Y}"
        found[started] = (d.Episode(type=kind, started_at=started, returned_at=returned), label,
                          frozenset({recorded_by}))
    return list(found.values())


def _seen_by(others: OtherEpisodes, raw: Any, viewer: str | None) -> OtherEpisodes:
    """The episodes the viewer's organisation may see: on its own records, or all of them for
    the child's responsible authority. What validation says never names another
    organisation's episode (nor, by its dates, that the case id exists elsewhere)."""
    if viewer is None:
        return others
    child = raw.get("child") if isinstance(raw, dict) else None
    authority = child.get("responsible_authority") if isinstance(child, dict) else None
    if isinstance(authority, str) and authority.strip() == viewer:
        return others
    return [other for other in others if viewer in other[2]]


def _same_start_removed(others: OtherEpisodes, raw: Any) -> list[tuple[d.Episode, str]]:
    starts: set[datetime] = set()
    episodes = raw.get("episodes") if isinstance(raw, dict) else None
    for episode in episodes if isinstance(episodes, list) else []:
        if isinstance(episode, dict) and isinstance(episode.get("started_at"), str):
            parsed = parse_timestamp(episode["started_at"])
            if parsed:
                starts.add(parsed)
    return [(e, label) for e, label, _ in others if e.started_at not in starts]


def validate(session: Session, raw: Any, *, complete: bool, viewer: str | None,
             interview_id: UUID | None = None, others: OtherEpisodes | None = None
             ) -> Validated:
    """Validate with what only the database knows: organisations and the child's other records
    that `viewer` (the caller's organisation; None for the service itself) may see.

    `others`: the child's episodes in other records (`other_episodes`), when the caller has
    already read them for this document.
    """
    if others is None:
        others = other_episodes(session, raw, interview_id)
    return validate_document(raw, complete=complete, now=utcnow(),
                             other_episodes=_same_start_removed(_seen_by(others, raw, viewer),
                                                                raw),
                             organisations=_organisation_exists(session))


def findings_for(session: Session, interview: Interview, doc: d.InterviewDocument,
                 as_of: datetime | None = None, others: OtherEpisodes | None = None
                 ) -> list[dict[str, Any]]:
    """Evaluate every standard for the record as it now stands.

    `others`: the child's episodes in other records, when already read for this document.
    """
    if others is None:
        others = other_episodes(session, document_to_json(doc), interview.id)
    # The recording organisation's findings count only the episodes it may see (its own
    # records', or all of them for the child's responsible authority): a finding never shows
    # that another organisation holds episodes of the child.
    recorder = interview.recorded_by_org
    seen = others if doc.child.responsible_authority == recorder else [
        other for other in others if recorder in other[2]]
    facts = RecordFacts(document=doc, status=interview.status,
                        submitted_at=interview.submitted_at, approved_at=interview.approved_at,
                        other_episodes=tuple(e for e, _, _ in seen))
    # A record is judged for its life under the set in force when it was first submitted; a
    # draft never submitted, under the set in force now.
    if interview.standard_set is None and interview.submitted_at is not None:
        interview.standard_set = CURRENT.version
    params = set_for(interview.standard_set)
    return [f.to_json() for f in evaluate(facts, params, as_of=as_of or utcnow())]


def open_action_due(doc: d.InterviewDocument) -> datetime | None:
    """The earliest due date of the follow-up actions still planned (None when none is)."""
    return min((a.due_at for a in doc.actions if a.due_at is not None and a.status == "planned"),
               default=None)


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


def child_id(session: Session, doc: d.InterviewDocument, recorded_by: str) -> int | None:
    """The child row the document is about (`child_row`), None while it has no case id."""
    authority, local_id = doc.child.responsible_authority, doc.child.local_id
    if not (authority and local_id):
        return None
    return child_row(session, authority, local_id, doc.child.date_of_birth, recorded_by)


def child_row(session: Session, authority: str, local_id: str, date_of_birth: date | None,
              recorded_by: str) -> int:
    """The id of the child's row, made when this is the first the service hears of the child.

    The responsible authority owns the child's identity: another organisation (a record, a
    notification) sets the date of birth only where the row has none, and never changes it (its
    own document keeps what it says). Plain statements on the `children` table (nothing else
    holds its rows as objects): one SELECT, then one INSERT or UPDATE. A child made at the same
    moment by another request is found by the unique constraint, not by a savepoint.
    """
    same_child = (col(Child.responsible_authority) == authority, col(Child.local_id) == local_id)
    now = utcnow()
    with session.no_autoflush:
        found: int | None = session.execute(
            select(col(Child.id)).where(*same_child)).scalar_one_or_none()
    if found is None:
        made = session.execute(
            _insert_ignoring_duplicates(session)(Child)
            .values(responsible_authority=authority, local_id=local_id,
                    date_of_birth=date_of_birth, updated_at=now)
            .on_conflict_do_nothing(index_elements=["responsible_authority", "local_id"])
            .returning(col(Child.id))
        ).scalar_one_or_none()
        if made is not None:
            return int(made)
        found = session.execute(select(col(Child.id)).where(*same_child)).scalar_one()
    assert found is not None  # noqa: S101 - a primary key  # nosec B101
    changes: dict[str, Any] = {"updated_at": now}
    if date_of_birth:
        changes["date_of_birth"] = (
            date_of_birth if recorded_by == authority
            else func.coalesce(col(Child.date_of_birth), date_of_birth))
    session.execute(update(Child).where(col(Child.id) == found).values(**changes))
    return found


def add_episodes(session: Session, interview: Interview, doc: d.InterviewDocument) -> None:
    session.add_all([
        Episode(interview_id=interview.id, child_id=interview.child_id, position=position,
                type=episode.type, started_at=episode.started_at,
                returned_at=episode.returned_at)
        for position, episode in enumerate(doc.episodes)])


def store(session: Session, interview: Interview, doc: d.InterviewDocument,
           others: OtherEpisodes | None = None, *, new: bool = False) -> None:
    """Write the document into a record, with its child, episodes and findings, and announce
    the change (`record_changed`). `new`: a record just made, with no episodes yet."""
    document = document_to_json(doc)
    if others is None:
        others = other_episodes(session, document, interview.id)
    interview.document = document
    interview.document_hash = document_hash(document)
    interview.updated_at = utcnow()
    interview.child_id = child_id(session, doc, interview.recorded_by_org)
    interview.responsible_authority = doc.child.responsible_authority
    interview.findings = findings_for(session, interview, doc, others=others)
    interview.open_action_due_at = open_action_due(doc)
    # A returned record's episode rows and placement stay those of the version last submitted
    # until it is submitted again: other records are checked, and counted, against submitted
    # episodes only, and the host authority sees only what was submitted.
    if interview.status != "returned":
        interview.placement_authority = doc.child.placement_authority
        if not new:
            session.execute(delete(Episode).where(col(Episode.interview_id) == interview.id))
        add_episodes(session, interview, doc)
    record_changed(session, interview, new=new)


def snapshot(session: Session, interview: Interview, actor: Caller,
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


def typed(interview: Interview) -> d.InterviewDocument:
    """The stored document, typed (it was valid when stored)."""
    return validate_document(interview.document, complete=False, now=utcnow()).document


def etag(interview: Interview) -> str:
    return f'"{interview.id}-v{interview.version}-{interview.document_hash[:12]}"'


def versions(session: Session, interview: Interview) -> Sequence[InterviewVersion]:
    return session.execute(
        select(InterviewVersion)
        .where(col(InterviewVersion.interview_id) == interview.id)
        .order_by(col(InterviewVersion.version))
    ).scalars().all()
