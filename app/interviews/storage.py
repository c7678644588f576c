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

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
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


# The tables a record is written to, for plain Core statements: a record's rows are written
# whole, once, without the ORM's unit of work (`performance.md` #5).
CHILDREN: Table = Child.__table__  # type: ignore[attr-defined]
INTERVIEWS: Table = Interview.__table__  # type: ignore[attr-defined]
VERSIONS: Table = InterviewVersion.__table__  # type: ignore[attr-defined]
EPISODES: Table = Episode.__table__  # type: ignore[attr-defined]
ORGANISATIONS: Table = Organisation.__table__  # type: ignore[attr-defined]
_ORGANISATION_CODES = select(ORGANISATIONS.c.code)


def _organisation_exists(session: Session) -> Any:
    codes = set(session.execute(_ORGANISATION_CODES).scalars())
    return codes.__contains__


def _others_query(*, leaving_out: bool) -> Select[Any]:
    query = (
        select(EPISODES.c.type, EPISODES.c.started_at, EPISODES.c.returned_at,
               INTERVIEWS.c.submitted_at, INTERVIEWS.c.recorded_by_org)
        .join(CHILDREN, CHILDREN.c.id == EPISODES.c.child_id)
        .join(INTERVIEWS, INTERVIEWS.c.id == EPISODES.c.interview_id)
        .where(CHILDREN.c.responsible_authority == bindparam("authority"),
               CHILDREN.c.local_id == bindparam("local_id"),
               INTERVIEWS.c.status != "draft")
    )
    if leaving_out:
        query = query.where(EPISODES.c.interview_id != bindparam("interview_id"))
    return query


# Built once: every record written runs one of them.
_OTHERS, _OTHERS_BUT_THIS = _others_query(leaving_out=False), _others_query(leaving_out=True)


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
    rows = session.execute(
        _OTHERS if interview_id is None else _OTHERS_BUT_THIS,
        {"authority": authority.strip(), "local_id": local_id.strip(),
         "interview_id": interview_id}).all()
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


def _first_only(table: Table, *unique: str) -> dict[str, Any]:
    """By dialect: INSERT a row unless one with the same `unique` columns exists, giving its
    id (nothing when it existed). The values are the execution's parameters."""
    return {name: insert_(table).on_conflict_do_nothing(index_elements=list(unique))
            .returning(table.c.id)
            for name, insert_ in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))}


# Built once: a statement made afresh for every request costs more than running it.
_FIND_CHILD = select(CHILDREN.c.id).where(
    CHILDREN.c.responsible_authority == bindparam("authority"),
    CHILDREN.c.local_id == bindparam("local_id"))
_INSERT_EPISODES = insert(EPISODES)
_DELETE_EPISODES = delete(EPISODES).where(EPISODES.c.interview_id == bindparam("interview_id"))
_INSERT_VERSION = insert(VERSIONS)
_MAKE_CHILD = _first_only(CHILDREN, "responsible_authority", "local_id")
_MAKE_INTERVIEW = _first_only(INTERVIEWS, "id")


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
    holds its rows as objects): an UPDATE that gives the id of a child the service knew, else
    one INSERT. A child made at the same moment by another request is found by the unique
    constraint, not by a savepoint.
    """
    found = _child_seen(session, authority, local_id, date_of_birth, recorded_by)
    if found is not None:
        return found
    made = _make_child(session, authority, local_id, date_of_birth)
    if made is not None:
        return made
    found = _child_seen(session, authority, local_id, date_of_birth, recorded_by)
    assert found is not None  # noqa: S101 - the unique constraint says it exists  # nosec B101
    return found


def _make_child(session: Session, authority: str, local_id: str, date_of_birth: date | None
                ) -> int | None:
    """The id of the child's row made now; None when it existed (made at the same moment)."""
    made = session.execute(_MAKE_CHILD[session.get_bind().dialect.name], {
        "responsible_authority": authority, "local_id": local_id,
        "date_of_birth": date_of_birth, "updated_at": utcnow()}).scalar_one_or_none()
    return int(made) if made is not None else None


def _seen_statement(date_of_birth: Any) -> Any:
    changes: dict[str, Any] = {"updated_at": bindparam("now")}
    if date_of_birth is not None:
        changes["date_of_birth"] = date_of_birth
    return (update(CHILDREN).where(CHILDREN.c.responsible_authority == bindparam("authority"),
                                   CHILDREN.c.local_id == bindparam("case_id"))
            .values(**changes).returning(CHILDREN.c.id))


# A record names a child: its row's `updated_at`, and its date of birth as `child_row` says
# (the responsible authority's own, or another organisation's only where the row has none).
_SEEN = _seen_statement(None)
_SEEN_BORN = _seen_statement(bindparam("born", type_=CHILDREN.c.date_of_birth.type))
_SEEN_BORN_IF_UNKNOWN = _seen_statement(func.coalesce(
    CHILDREN.c.date_of_birth, bindparam("born", type_=CHILDREN.c.date_of_birth.type)))


def _child_seen(session: Session, authority: str, local_id: str, date_of_birth: date | None,
                recorded_by: str) -> int | None:
    """Bring a known child's row up to date; its id, or None when the service does not know
    the child."""
    statement = (_SEEN if not date_of_birth else _SEEN_BORN if recorded_by == authority
                 else _SEEN_BORN_IF_UNKNOWN)
    found: int | None = session.execute(statement, {
        "authority": authority, "case_id": local_id, "born": date_of_birth,
        "now": utcnow()}).scalar_one_or_none()
    return found


def insert_new(session: Session, interview: Interview, doc: d.InterviewDocument) -> bool:
    """Write a new record's row, complete, with its child's (made or brought up to date as
    `child_row` does), and keep `interview` in the session as that row; False, with nothing
    written, when a record with its id exists already (a retry, or a clash).

    Plain statements: the child's SELECT, then its INSERT before the record's or its UPDATE
    after, and one `INSERT ... ON CONFLICT (id) DO NOTHING` for the record. The primary key,
    not a look-up first, finds a concurrent duplicate (PostgreSQL waits for the other
    transaction, then does nothing); a child row made for a record refused is taken out again,
    so nothing of a refused record is left behind.
    """
    authority, local_id = doc.child.responsible_authority, doc.child.local_id
    found = made = None
    if authority and local_id:
        found = session.execute(_FIND_CHILD, {"authority": authority, "local_id": local_id}
                                ).scalar_one_or_none()
        if found is None:
            made = _make_child(session, authority, local_id, doc.child.date_of_birth)
        if found is None and made is None:  # made at the same moment by another request
            found = session.execute(_FIND_CHILD, {"authority": authority,
                                                  "local_id": local_id}).scalar_one()
    interview.child_id = made if made is not None else found
    row = {column.key: getattr(interview, column.key) for column in INTERVIEWS.columns}
    inserted = session.execute(_MAKE_INTERVIEW[session.get_bind().dialect.name],
                               row).scalar_one_or_none()
    if inserted is None:
        if made is not None:
            session.execute(delete(CHILDREN).where(CHILDREN.c.id == made))
        return False
    if found is not None and authority and local_id:
        _child_seen(session, authority, local_id, doc.child.date_of_birth,
                    interview.recorded_by_org)
    # The object is the row just written: the session holds it as if it had been loaded, so a
    # later change to it is an UPDATE (never a second INSERT).
    make_transient_to_detached(interview)
    session.add(interview)
    return True


def add_episodes(session: Session, interview: Interview, doc: d.InterviewDocument) -> None:
    """The record's episode rows, in one INSERT."""
    if not doc.episodes:
        return
    session.execute(_INSERT_EPISODES, [
        {"interview_id": interview.id, "child_id": interview.child_id, "position": position,
         "type": episode.type, "started_at": episode.started_at,
         "returned_at": episode.returned_at, "register_id": None}
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
            session.execute(_DELETE_EPISODES, {"interview_id": interview.id})
        add_episodes(session, interview, doc)
    record_changed(session, interview, new=new)


def snapshot(session: Session, interview: Interview, actor: Caller,
             previous: dict[str, Any] | None) -> None:
    """Keep the version just submitted, whole (one INSERT)."""
    session.execute(_INSERT_VERSION, {
        "interview_id": interview.id, "version": interview.version, "status": interview.status,
        "document": interview.document, "findings": interview.findings,
        "changed_by": actor.label,
        "changed_pointers": changed_pointers(previous or {}, interview.document),
        "created_at": interview.updated_at, "decision": None, "decided_by": None,
        "decided_at": None, "oversight_note": None,
    })


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
