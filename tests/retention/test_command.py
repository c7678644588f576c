"""`rhi retention purge [--dry-run]` and `rhi retention decide` as an operator and a records
manager run them, on a database of their own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.caller import Caller
from app.audit.service import verify_all
from app.core.db import make_engine
from app.interviews import submissions
from app.record.models import Child, Episode, Interview
from tests.builders import make_document
from tests.durability.scratch import rhi, scratch_database

pytestmark = pytest.mark.slow


def test_a_purge_lists_on_a_dry_run_then_deletes_all_but_the_held() -> None:
    with scratch_database("rhi_retention") as url:
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                accounts.create_organisation(session, "803", "Test Council", "local_authority")
                actor = Caller.system("803")
                documents = [make_document(child__legal_status=status,
                                           interview__risk_indicators=risks)
                             for status, risks in (("none", []), ("none", []), ("none", []),
                                                   ("child_in_need", ["county_lines"]),
                                                   ("looked_after", []))]
                made = [submissions.create_from_api(session, actor, document)[0]
                        for document in documents]
                old, held, recent, exploited, looked_after = (m.id for m in made)
                # Records of a child born in 1990, away in 2010: long past the standard period.
                for interview_id in (old, held, exploited, looked_after):
                    session.execute(update(Episode).where(
                        col(Episode.interview_id) == interview_id).values(
                        started_at=datetime(2010, 1, 1, 18, tzinfo=UTC),
                        returned_at=datetime(2010, 1, 2, 9, tzinfo=UTC)))
                    child_id = session.execute(select(col(Interview.child_id)).where(
                        col(Interview.id) == interview_id)).scalar_one()
                    session.execute(update(Child).where(col(Child.id) == child_id).values(
                        date_of_birth=date(1990, 1, 1)))
                session.execute(update(Interview).where(col(Interview.id) == held).values(
                    legal_hold=True))
                session.commit()

            dry = rhi(url, "retention", "purge", "--dry-run")
            assert dry.returncode == 0, dry.stderr
            # Born 1990 (25 in 2015), last back 2 January 2010 (plus 6 years: the later).
            assert (f"would delete {old} (recorded by 803) [standard]: 6 years have passed "
                    f"since the last episode; kept until 2016-01-02") in dry.stdout
            assert f"kept {held} (recorded by 803) [standard]: legal hold" in dry.stdout
            assert (f"waiting for a records manager's decision: {exploited} (recorded by 803) "
                    f"[exploitation]: 6 years have passed since the last episode; retention "
                    f"ended 2016-01-02") in dry.stdout
            # Looked after: kept to the 75th birthday, in 2065.
            assert str(recent) not in dry.stdout and str(looked_after) not in dry.stdout
            assert ("Records that would be deleted: 1; 1 kept under legal hold; 1 waiting for "
                    "a records manager's decision") in dry.stdout
            assert ("Within their retention period: 1 standard, 1 looked_after, "
                    "0 exploitation") in dry.stdout
            assert remaining(engine) == {old, held, recent, exploited, looked_after}

            done = rhi(url, "retention", "purge")
            assert done.returncode == 0, done.stderr
            assert f"deleted {old} (recorded by 803) [standard]" in done.stdout
            assert ("Records deleted: 1; 1 kept under legal hold; 1 waiting for a records "
                    "manager's decision") in done.stdout
            assert remaining(engine) == {held, recent, exploited, looked_after}

            # A records manager defers the exploitation record, then decides to destroy it.
            refused = rhi(url, "retention", "decide", str(looked_after), "--destroy",
                          "--reason", "Synthetic", "--by", "R. Manager")
            assert refused.returncode == 1
            assert "is of the looked_after class" in refused.stderr
            kept = rhi(url, "retention", "decide", str(exploited), "--keep-until", "2099-01-01",
                       "--reason", "Synthetic review pending", "--by", "R. Manager")
            assert kept.returncode == 0, kept.stderr
            assert f"Recorded for {exploited}" in kept.stdout
            again = rhi(url, "retention", "purge")
            assert "to keep it until 2099-01-01 (retention ended 2016-01-02)" in again.stdout
            assert exploited in remaining(engine)
            destroy = rhi(url, "retention", "decide", str(exploited), "--destroy",
                          "--reason", "Synthetic review done", "--by", "R. Manager")
            assert destroy.returncode == 0, destroy.stderr
            last = rhi(url, "retention", "purge")
            assert f"deleted {exploited} (recorded by 803) [exploitation]" in last.stdout
            assert remaining(engine) == {held, recent, looked_after}
            with Session(engine) as session:
                assert verify_all(session).ok
                assert session.execute(select(func.count()).select_from(Child)).scalar_one() == 3
        finally:
            engine.dispose()


def remaining(engine: Engine) -> set[UUID]:
    with Session(engine) as session:
        return set(session.execute(select(col(Interview.id))).scalars())
