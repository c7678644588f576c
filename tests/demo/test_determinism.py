"""The same day makes the same demo: two seeds of a small history on the same day, each in a
transaction of its own, leave the same register, records, versions and audit actions. Only
what the service draws itself, as in real use, differs (the id of a draft started on the form,
of an episode a record registered, of an API key)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.demo.seed import seed
from app.record.models import Child, Interview, InterviewVersion, RegisterEpisode

TODAY = datetime(2026, 12, 4, 20, 30, tzinfo=UTC)


def _fingerprint(session: Session) -> dict[str, Any]:
    local_ids = dict(session.execute(select(col(Child.id), col(Child.local_id))).all())
    register = sorted(
        (local_ids[e.child_id], e.started_at, e.returned_at, e.source, e.notified_by_org,
         e.allocated_org, e.offer_outcome, e.offered_at, e.conducted_at, e.shared_at,
         e.duplicate_of is not None)
        for e in session.execute(select(RegisterEpisode)).scalars())
    records = sorted(
        (local_ids.get(i.child_id or -1), i.status, i.version, i.created_at, i.submitted_at,
         i.approved_at, i.recorded_by_org, repr(sorted(
             (k, v) for k, v in i.document.items() if k != "id")),
         repr([(f["code"], f["result"]) for f in i.findings]))
        for i in session.execute(select(Interview)).scalars())
    versions = Counter((v.version, v.status, v.decision, v.created_at) for v in
                       session.execute(select(InterviewVersion)).scalars())
    actions = Counter(session.execute(select(col(AuditEntry.action))).scalars())
    return {"register": register, "records": records, "versions": versions,
            "actions": actions}


def _seeded(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                seed(session, years=1, episodes_a_year=40, now=TODAY)
                session.flush()
                return _fingerprint(session)
        finally:
            outer.rollback()


def test_the_same_day_makes_the_same_demo(migrated_engine: Engine) -> None:
    first = _seeded(migrated_engine)
    second = _seeded(migrated_engine)

    assert len(first["register"]) > 30 and len(first["records"]) > 25
    assert first == second
