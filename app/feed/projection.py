"""Keeping the feed projection in step with the records, as they are written.

`refresh` hears every change capture announces (`app.record.events`, subscribed at start-up), in
the same transaction, so the feed can never disagree with a committed record. It flushes; it never
commits. `fed` is the one place that decides what of a record reaches the feed: submitted
versions only.

A feed row's `updated_at` never goes backwards: it is the record's `updated_at`, or, when only
what the feed derives from the record changed (a finding turned `not_met` when its deadline
passed, another record of the same child changed `episodes_in_last_90_days`), the moment of that
change. So an analyst pulling with `updated_since` gets every change, whatever caused it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.settings import get_settings
from app.core.types import utcnow
from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.record import REPEAT_WINDOW, Projection, project
from app.record.document import InterviewDocument
from app.record.formats import parse_timestamp
from app.record.models import Episode, Interview
from app.record.validation import validate_document
from app.record.versions import latest_version

TICK = timedelta(microseconds=1)
REBUILD_BATCH = 500

_FEED_ROWS: Table = FeedRow.__table__  # type: ignore[attr-defined]
_PENDING: Table = FeedPendingFinding.__table__  # type: ignore[attr-defined]
_EPISODES: Table = Episode.__table__  # type: ignore[attr-defined]
_INTERVIEWS: Table = Interview.__table__  # type: ignore[attr-defined]

# Plain statements built once: every record written runs them (`performance.md` #5).
_INSERT_ROWS = insert(_FEED_ROWS)
_INSERT_PENDING = insert(_PENDING)
_CHILDREN_STARTS = (
    select(_EPISODES.c.child_id, _EPISODES.c.interview_id, _INTERVIEWS.c.status,
           _EPISODES.c.started_at)
    .join(_INTERVIEWS, _INTERVIEWS.c.id == _EPISODES.c.interview_id)
    .where(_EPISODES.c.child_id.in_(bindparam("children", expanding=True)),
           _EPISODES.c.started_at.is_not(None)))
_SIBLINGS = (
    select(_FEED_ROWS.c.interview_id)
    .join(_INTERVIEWS, _INTERVIEWS.c.id == _FEED_ROWS.c.interview_id)
    .where(_INTERVIEWS.c.child_id == bindparam("child_id"),
           _FEED_ROWS.c.interview_id != bindparam("interview_id"),
           _FEED_ROWS.c.latest_returned_at >= bindparam("earliest"),
           _FEED_ROWS.c.latest_returned_at <= bindparam("latest")))


@dataclass(frozen=True, slots=True)
class Fed:
    """What the feed shows of a record: the document and findings of its latest submitted
    version, with the record's own status, version and timestamps."""

    interview: Interview
    document: InterviewDocument
    findings: list[dict[str, Any]]


def fed(session: Session, interview: Interview, now: datetime) -> Fed | None:
    """What of the record reaches the feed, or None for a record that must not be fed.

    A draft never reaches it. A record a manager returned is being changed by its interviewer
    until it is submitted again: the feed goes on showing the version last submitted (its
    document and findings), with the status `returned`. Submitted and approved records are
    shown as they stand.
    """
    if interview.status == "draft":
        return None
    if interview.status == "returned":
        submitted = latest_version(session, interview.id)
        if submitted is not None:
            document, findings = submitted
            return Fed(interview, _typed(document, now), list(findings))
    return Fed(interview, _typed(interview.document, now), list(interview.findings))


def refresh(session: Session, interview: Interview, *, new: bool = False) -> None:
    """The handler of "record changed": write the record's feed row (what `fed` shows of it), or
    remove it (a draft).

    Other records of the same child are brought up to date too, when this one's episodes fall
    in their 90-day window (`episodes_in_last_90_days`).

    `new`: the record has just been created, so it has no feed row yet; the queries for one
    (its previous episode starts, its stored row to compare with or replace) are skipped.
    """
    session.flush()
    now = utcnow()
    shown = fed(session, interview, now)
    if shown is None:
        if not new and interview.submitted_at is not None:  # one never submitted was never fed
            session.execute(delete(FeedRow).where(col(FeedRow.interview_id) == interview.id))
        return
    previous_starts = [] if new else _stored_starts(session, interview.id)
    changed = _write(session, [shown], now, new=new)
    starts = previous_starts + [e.started_at for e in shown.document.episodes
                                if e.started_at is not None]
    siblings = _siblings(session, interview, starts) if changed else []
    if siblings:
        _write(session, _fed_all(session, siblings, now), now)


def rebuild(session: Session, batch_size: int = REBUILD_BATCH) -> int:
    """Project every non-draft record again (after a release that changes the feed record, or to
    fill the projection of a database made before it). Returns the number of rows written."""
    now = utcnow()
    written = 0
    for batch in _batches(session, batch_size):
        written += _write(session, _fed_all(session, batch, now), now)
        session.flush()
        for interview in batch:
            session.expunge(interview)
    session.execute(delete(FeedRow).where(col(FeedRow.interview_id).in_(
        select(col(Interview.id)).where(col(Interview.status) == "draft"))))
    return written


def _batches(session: Session, size: int) -> Iterator[list[Interview]]:
    after: UUID | None = None
    while True:
        query = select(Interview).where(col(Interview.status) != "draft")
        if after is not None:
            query = query.where(col(Interview.id) > after)
        batch = list(session.execute(query.order_by(col(Interview.id)).limit(size)).scalars())
        if not batch:
            return
        yield batch
        after = batch[-1].id


def _typed(document: dict[str, Any], now: datetime) -> InterviewDocument:
    # The stored document was valid when stored; validating again only types it.
    return validate_document(document, complete=False, now=now).document


def _fed_all(session: Session, interviews: Sequence[Interview], now: datetime) -> list[Fed]:
    return [shown for shown in (fed(session, interview, now) for interview in interviews)
            if shown is not None]


def _write(session: Session, items: Sequence[Fed], now: datetime, *, new: bool = False) -> int:
    """Project the records and replace the rows whose content changed; returns how many.
    `new`: none of them has a feed row yet."""
    key = get_settings().pseudonym_key
    ids = [item.interview.id for item in items]
    table = FeedRow.__table__  # type: ignore[attr-defined]
    stored: dict[UUID, dict[str, Any]] = {} if new else {
        row["interview_id"]: dict(row) for row in session.execute(
            select(table).where(table.c.interview_id.in_(ids))).mappings()}
    counts = _episodes_in_window(session, items)
    rows: list[Projection] = []
    for item in items:
        interview = item.interview

        def build(updated_at: datetime, item: Fed = item) -> Projection:
            return project(item.interview, item.document, item.findings, updated_at=updated_at,
                           pseudonym_key=key, now=now,
                           episodes_in_last_90_days=counts.get(item.interview.id))

        before = stored.get(interview.id)
        if before is None:
            rows.append(build(interview.updated_at))
            continue
        again = build(before["updated_at"])
        if again.values == before:
            continue  # nothing the feed shows has changed (a returned record being edited)
        if (again.json_line, again.csv_row) == (before["json_line"], before["csv_row"]):
            rows.append(again)  # only the filtering columns changed (a new release's format)
        elif interview.updated_at > before["updated_at"]:
            rows.append(build(interview.updated_at))  # the record changed
        else:
            # Only what the feed derives from the record changed (a deadline passed, another
            # record of the child): now, so that incremental pulls see it.
            rows.append(build(max(now, before["updated_at"] + TICK)))
    if not rows:
        return 0
    if not new:
        replaced = [row.columns["interview_id"] for row in rows]
        session.execute(delete(FeedRow).where(col(FeedRow.interview_id).in_(replaced)))
    session.execute(_INSERT_ROWS, [row.values for row in rows])
    pending = [{"interview_id": row.columns["interview_id"], "code": code, "due_at": due}
               for row in rows for code, due in row.pending.items()]
    if pending:
        session.execute(_INSERT_PENDING, pending)
    return len(rows)


def _episodes_in_window(session: Session, items: Sequence[Fed]) -> dict[UUID, int]:
    """Per interview, the child's episodes (this record's and other submitted records', each
    start counted once) starting in the 90 days up to the interview's latest return."""
    child_ids = {item.interview.child_id for item in items
                 if item.interview.child_id is not None}
    starts_by_child: dict[int, list[tuple[UUID, str, datetime]]] = defaultdict(list)
    if child_ids:
        for child_id, interview_id, status, started_at in session.execute(
                _CHILDREN_STARTS, {"children": sorted(child_ids)}):
            if child_id is not None and started_at is not None:
                starts_by_child[child_id].append((interview_id, status, started_at))
    counts: dict[UUID, int] = {}
    for item in items:
        interview, doc = item.interview, item.document
        latest = doc.latest_return
        if latest is None:
            continue
        own = {e.started_at for e in doc.episodes if e.started_at is not None}
        others = {started for owner, status, started in starts_by_child.get(
                      interview.child_id or -1, ())
                  if owner != interview.id and status != "draft"}
        counts[interview.id] = sum(1 for started in own | others
                                   if latest - REPEAT_WINDOW <= started <= latest)
    return counts


def _stored_starts(session: Session, interview_id: UUID) -> list[datetime]:
    """The episode starts the feed last held for this record (before an edit moved them)."""
    line = session.execute(select(col(FeedRow.json_line))
                           .where(col(FeedRow.interview_id) == interview_id)).scalar_one_or_none()
    if line is None:
        return []
    record: dict[str, Any] = orjson.loads(line)
    starts = (parse_timestamp(e["started_at"]) for e in record.get("episodes") or []
              if isinstance(e.get("started_at"), str))
    return [s for s in starts if s is not None]


def _siblings(session: Session, interview: Interview, starts: list[datetime]
              ) -> list[Interview]:
    """The child's other fed records whose 90-day window holds one of these episode starts."""
    if interview.child_id is None or not starts:
        return []
    ids = session.execute(_SIBLINGS, {
        "child_id": interview.child_id, "interview_id": interview.id, "earliest": min(starts),
        "latest": max(starts) + REPEAT_WINDOW}).scalars().all()
    if not ids:
        return []
    return list(session.execute(select(Interview).where(col(Interview.id).in_(ids))).scalars())

