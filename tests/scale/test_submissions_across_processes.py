"""Two servers, one of them with two workers, taking submissions at once on one database:
every submission is stored exactly once, none is refused with 503, and the audit chain they
wrote together verifies (`rhi audit verify`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.db import make_engine
from app.record.models import Interview, InterviewVersion
from tests.durability import server as real
from tests.durability.scratch import rhi
from tests.scale.servers import KINDS, TwoServers, two_servers

pytestmark = pytest.mark.slow

PAIRS = 4  # pairs of partner systems, one of each pair on each server
EACH = 4  # documents each pair sends, every one to both servers at about the same moment


@pytest.fixture(params=KINDS)
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TwoServers]:
    with two_servers(request.param, tmp_path) as both:
        yield both


def test_submissions_to_two_servers_at_once_are_each_stored_once(servers: TwoServers) -> None:
    code, key = real.partner_key(servers.url)
    documents = [[real.interview(code) for _ in range(EACH)] for _ in range(PAIRS)]
    start = threading.Barrier(2 * PAIRS, timeout=60)
    answers: list[tuple[str, httpx.Response]] = []
    lock = threading.Lock()

    def send(server: real.Server, mine: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            start.wait()
            for document in mine:
                answer = client.post("/api/v1/interviews", json=document)
                with lock:
                    answers.append((document["id"], answer))

    senders = [threading.Thread(target=send, args=(server, mine))
               for mine in documents for server in servers.both]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=180)

    assert len(answers) == 2 * PAIRS * EACH
    refused = [(a.status_code, a.text) for _, a in answers if a.status_code not in (200, 201)]
    assert refused == []
    by_id: dict[str, list[httpx.Response]] = {}
    for document_id, answer in answers:
        by_id.setdefault(document_id, []).append(answer)
    for twins in by_id.values():  # one made it, the other was told it was there already
        assert sorted(a.status_code for a in twins) == [200, 201]
        assert twins[0].json() == twins[1].json()

    engine = make_engine(servers.url)
    try:
        with Session(engine) as session:
            stored = set(session.execute(select(col(Interview.id)).where(
                col(Interview.recorded_by_org) == code)).scalars())
            versions = session.execute(
                select(col(InterviewVersion.interview_id), func.count())
                .where(col(InterviewVersion.interview_id).in_(stored))
                .group_by(col(InterviewVersion.interview_id))).all()
    finally:
        engine.dispose()
    assert {str(i) for i in stored} == set(by_id)
    assert sorted(n for _, n in versions) == [1] * PAIRS * EACH
    assert {UUID(i) for i in by_id} == {i for i, _ in versions}

    verified = rhi(servers.url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
