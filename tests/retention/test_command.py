"""`rhi retention purge [--dry-run]` as an operator runs it, on a database of its own."""

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
                made = [submissions.create_from_api(session, actor, make_document())[0]
                        for _ in range(3)]
                old, held, recent = (m.id for m in made)
                # Records of a child born in 1990, away in 2010: long past retention.
                for interview_id in (old, held):
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
            assert (f"would delete {old} (recorded by 803): 6 years have passed since the last "
                    f"episode; kept until 2016-01-02") in dry.stdout
            assert f"kept {held} (recorded by 803): legal hold" in dry.stdout
            assert str(recent) not in dry.stdout
            assert "Records that would be deleted: 1; 1 kept under legal hold" in dry.stdout
            assert remaining(engine) == {old, held, recent}

            done = rhi(url, "retention", "purge")
            assert done.returncode == 0, done.stderr
            assert f"deleted {old} (recorded by 803)" in done.stdout
            assert "Records deleted: 1; 1 kept under legal hold" in done.stdout
            assert remaining(engine) == {held, recent}
            with Session(engine) as session:
                assert verify_all(session).ok
                assert session.execute(select(func.count()).select_from(Child)).scalar_one() == 2
        finally:
            engine.dispose()


def remaining(engine: Engine) -> set[UUID]:
    with Session(engine) as session:
        return set(session.execute(select(col(Interview.id))).scalars())
