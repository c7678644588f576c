"""Many writers at once against a real `rhi serve`: SQLite's single writer never shows as
"database is locked" (writers queue for their turn: `app/core/writer_queue.py`), and the same
submission sent twice at the same moment makes one record with one version (security.md,
"Nothing lost").

SQLite always; PostgreSQL too when the tests run on it. Each on a database of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.db import make_engine
from app.core.settings import get_settings
from app.record.models import Interview, InterviewVersion
from tests.durability import server as real
from tests.durability.scratch import scratch_database

pytestmark = pytest.mark.slow

WRITERS = 20
EACH = 2

KINDS = ["sqlite", "postgresql"] if get_settings().sqlalchemy_url.startswith(
    "postgresql") else ["sqlite"]


class Partner:
    def __init__(self, server: real.Server, engine: Engine, code: str, key: str) -> None:
        self.server, self.engine, self.code, self.key = server, engine, code, key

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=60,
                            headers={"Authorization": f"Bearer {self.key}"})


@pytest.fixture(scope="module", params=KINDS)
def partner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Partner]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with scratch_database("rhi_writers", kind=request.param) as url:
        server = real.launch(url, log)
        engine = make_engine(url)
        try:
            code, key = real.partner_key(url)
            real.ready(server)
            yield Partner(server, engine, code, key)
        finally:
            server.stop()
            engine.dispose()
        assert "database is locked" not in server.log_text()


def test_twenty_writers_at_once_are_all_stored(partner: Partner) -> None:
    start = threading.Barrier(WRITERS, timeout=60)
    answers: list[tuple[dict[str, Any], httpx.Response]] = []
    lock = threading.Lock()

    def write() -> None:
        with partner.client() as client:
            start.wait()
            for _ in range(EACH):
                document = real.interview(partner.code)
                answer = client.post("/api/v1/interviews", json=document)
                with lock:
                    answers.append((document, answer))

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)

    assert len(answers) == WRITERS * EACH
    refused = [(a.status_code, a.text) for _, a in answers if a.status_code != 201]
    assert refused == []
    ids = {document["id"] for document, _ in answers}
    with Session(partner.engine) as session:
        stored = set(session.execute(select(col(Interview.id)).where(
            col(Interview.recorded_by_org) == partner.code)).scalars())
    assert {str(i) for i in stored} == ids
    assert "database is locked" not in partner.server.log_text()


def test_the_same_submission_twice_at_the_same_moment_makes_one_record(
        partner: Partner) -> None:
    document = real.interview(partner.code)
    start = threading.Barrier(2, timeout=60)
    answers: list[httpx.Response] = []

    def submit() -> None:
        with partner.client() as client:
            start.wait()
            answers.append(client.post("/api/v1/interviews", json=document))

    twins = [threading.Thread(target=submit) for _ in range(2)]
    for twin in twins:
        twin.start()
    for twin in twins:
        twin.join(timeout=60)

    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    with Session(partner.engine) as session:
        assert session.execute(select(func.count()).select_from(Interview).where(
            col(Interview.id) == UUID(document["id"]))).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(InterviewVersion).where(
            col(InterviewVersion.interview_id) == UUID(document["id"]))).scalar_one() == 1
