"""Nothing acknowledged is lost: `rhi serve` killed with SIGKILL in the middle of a stream of
submissions, then started again, still holds every submission it answered 201 or 200 to,
exactly as it answered, and nothing half-written (security.md, "Nothing lost").

Runs on a database of its own: a SQLite file, or a new PostgreSQL database when the tests run
on PostgreSQL.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.audit.service import verify_all
from tests.durability import server as real
from tests.durability.scratch import scratch_database

pytestmark = pytest.mark.slow

STREAMS = 3
KILL_AFTER = 20  # acknowledged submissions


class Stream(threading.Thread):
    """A partner system posting interviews one after another until told to stop."""

    def __init__(self, base_url: str, key: str, code: str, acknowledged: threading.Semaphore,
                 stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base_url, self.key, self.code = base_url, key, code
        self.counted, self.stop = acknowledged, stop
        self.acknowledged: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (sent, answer)
        self.unanswered: list[dict[str, Any]] = []
        self.refused: list[httpx.Response] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30,
                          headers={"Authorization": f"Bearer {self.key}"}) as client:
            while not self.stop.is_set():
                document = real.interview(self.code)
                try:
                    answer = client.post("/api/v1/interviews", json=document)
                except httpx.TransportError:  # the server died under this request
                    self.unanswered.append(document)
                    return
                if answer.status_code in (200, 201):
                    self.acknowledged.append((document, answer.json()))
                    self.counted.release()
                else:
                    self.refused.append(answer)


def test_every_acknowledged_submission_survives_sigkill(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with scratch_database("rhi_durability") as url:
        server = real.launch(url, log)  # starting while the partner's key is made
        try:
            code, key = real.partner_key_by_cli(url)
            real.ready(server)
        except BaseException:
            server.stop()
            raise
        acknowledged = threading.Semaphore(0)
        stop = threading.Event()
        streams = [Stream(server.base_url, key, code, acknowledged, stop)
                   for _ in range(STREAMS)]
        try:
            for stream in streams:
                stream.start()
            for _ in range(KILL_AFTER):
                assert acknowledged.acquire(timeout=30), "the stream stalled"
            server.kill()  # while every stream has a request in flight or about to be
        finally:
            stop.set()
            server.stop()
            for stream in streams:
                stream.join(timeout=30)

        assert not [a.text for s in streams for a in s.refused]
        kept = [pair for s in streams for pair in s.acknowledged]
        in_flight = [document for s in streams for document in s.unanswered]
        assert len(kept) >= KILL_AFTER

        with real.running(url, log) as restarted, httpx.Client(
                base_url=restarted.base_url, timeout=30,
                headers={"Authorization": f"Bearer {key}"}) as client:
            for document, answered in kept:
                stored = client.get(f"/api/v1/interviews/{document['id']}")
                assert stored.status_code == 200, f"acknowledged {document['id']} is lost"
                assert stored.json() == answered
                assert real.document_of(stored.json(), document) == real.as_stored(document)
                versions = client.get(f"/api/v1/interviews/{document['id']}/versions").json()
                assert [v["version"] for v in versions["data"]] == [1]
            for document in in_flight:  # all or nothing: absent, or whole with one version
                stored = client.get(f"/api/v1/interviews/{document['id']}")
                assert stored.status_code in (200, 404)
                if stored.status_code == 200:
                    assert real.document_of(stored.json(), document) == real.as_stored(document)
                    versions = client.get(f"/api/v1/interviews/{document['id']}/versions")
                    assert [v["version"] for v in versions.json()["data"]] == [1]
            listed = client.get("/api/v1/interviews", params={"limit": 1000}).json()["data"]
            assert {r["id"] for r in listed} >= {d["id"] for d, _ in kept}

        engine = create_engine(url)
        try:
            with Session(engine) as session:
                assert verify_all(session).ok, "the audit chain survives the kill"
        finally:
            engine.dispose()

