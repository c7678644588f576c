"""The register's data migration, on a copy of a seeded database (SQLite, and PostgreSQL when the
suite runs there): every existing record, version and finding is kept, and the register it builds
from the records is the one the service itself keeps as records are submitted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.core.db import ALEMBIC_INI
from app.core.settings import PROJECT_ROOT
from app.core.types import utcnow
from app.interviews import service, storage
from app.interviews.demo import synthetic_document
from app.interviews.submissions import create_from_api, update_from_api
from app.record.models import Episode, Interview, InterviewVersion, RegisterEpisode
from tests.builders import DELETE, make_document, save_draft
from tests.durability.scratch import rhi, scratch_database

BEFORE_REGISTER = "5f2a8c4d1e96"


def _alembic(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


@pytest.fixture
def seeded() -> Iterator[tuple[str, Engine]]:
    """A migrated database with the demo's organisations, forty records of one child each
    (submitted now: the register before it was made held no notifications), and the cases they
    lack: one episode on two organisations' records, a record of two episodes, a draft of a
    submitted episode."""
    with scratch_database("rhi_register") as url:
        seeded = rhi(url, "demo", "seed", "--years", "0", timeout=300)
        assert seeded.returncode == 0, seeded.stderr
        engine = create_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            rng = random.Random(20261129)
            for index in range(40):
                document = synthetic_document(rng, utcnow(), ("803", "801"), index)
                document["child"]["local_id"] = f"DEMO-{index:05d}"
                create_from_api(session, Caller.system("avon-rhi", label="system:demo"),
                                document)
            local_id = "MIGRATE-0001"
            first = make_document(child__local_id=local_id)
            create_from_api(session, Caller.system("801"), first)
            create_from_api(session, Caller.system("803"),
                            make_document(child__local_id=local_id,
                                          offer={"outcome": "declined",
                                                 "offered_at": "2026-03-02T10:00:00Z"},
                                          interview=DELETE))
            two = make_document(child__local_id="MIGRATE-0002")
            two["episodes"].append({**two["episodes"][0], "started_at": "2026-02-20T18:00:00Z",
                                    "returned_at": "2026-02-21T07:00:00Z"})
            made, _ = create_from_api(session, Caller.system("803"), two)
            changed = {**made.document, "actions": []}
            update_from_api(session, Caller.system("803"), made.id, changed,
                            storage.etag(made))
            draft = service.start_draft(session, Caller.system("803"))
            save_draft(session, draft, Caller.system("803"),
                       {k: v for k, v in make_document(child__local_id=local_id).items()
                        if k != "id"})
            session.commit()
        try:
            yield url, engine
        finally:
            engine.dispose()


def _records(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        interviews = {str(i.id): (i.status, i.version, i.document_hash, i.findings)
                      for i in session.execute(select(Interview)).scalars()}
        versions = sorted((str(v.interview_id), v.version, v.status)
                          for v in session.execute(select(InterviewVersion)).scalars())
    return {"interviews": interviews, "versions": versions}


def _register(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        # What records registered (the demo's notifications are not records: a downgrade
        # drops them with the table).
        rows = session.execute(select(RegisterEpisode).where(
            col(RegisterEpisode.source) == "record")).scalars().all()
        return sorted((r.child_id, r.started_at, r.returned_at, r.type, r.offer_outcome,
                       r.offered_at, r.conducted_at, r.shared_at, str(r.interview_id),
                       r.notified_by_org, r.legal_status, r.source) for r in rows)


def _links(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(Episode.interview_id), col(Episode.position), col(RegisterEpisode.child_id),
                   col(RegisterEpisode.started_at))
            .join(RegisterEpisode, col(RegisterEpisode.id) == col(Episode.register_id))).all()
        return sorted((str(a), b, c, d) for a, b, c, d in rows)


def test_the_migration_keeps_every_record_and_builds_the_register_the_service_keeps(
        seeded: tuple[str, Engine]) -> None:
    url, engine = seeded
    records, register, links = _records(engine), _register(engine), _links(engine)
    assert len(register) >= 42 and links

    command.downgrade(_alembic(url), BEFORE_REGISTER)
    command.upgrade(_alembic(url), "head")

    assert _records(engine) == records
    assert _register(engine) == register
    assert _links(engine) == links
    with Session(engine) as session:
        # One episode on two organisations' records is one episode, with the latest outcome.
        shared = session.execute(
            select(RegisterEpisode).join(Episode, col(Episode.register_id) == col(
                RegisterEpisode.id)).join(Interview, col(Interview.id) == col(
                    Episode.interview_id))
            .where(col(Interview.document)["child"]["local_id"].as_string() == "MIGRATE-0001")
        ).scalars().unique().all()
        assert [episode.offer_outcome for episode in shared] == ["declined"]
        unlinked = session.execute(
            select(col(Episode.id)).join(Interview, col(Interview.id) == col(
                Episode.interview_id))
            .where(col(Interview.status) != "draft", col(Episode.register_id).is_(None))).all()
        assert unlinked == []
