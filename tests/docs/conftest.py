"""A real `rhi serve` for the guides to run against: a database of its own (a SQLite file, or a
new PostgreSQL database when the suite runs on PostgreSQL), with organisation 803 and
synthetic records of 803's children submitted through the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from tests.builders import make_document
from tests.durability import server as real
from tests.durability.scratch import environment, scratch_database

CHILDREN = 8
RECORDS_EACH = 3  # one a quarter: January, April and July 2026
COUNTY_LINES_EVERY = 3  # children 0, 3 and 6


@dataclass(frozen=True)
class GuideServer:
    base_url: str
    database_url: str
    env: dict[str, str]  # an `rhi` command's environment beside the server
    submit_key: str  # made with the command line, for the test's own changes
    documents: list[dict[str, Any]]  # the records submitted, in order

    @property
    def ids(self) -> set[str]:
        return {document["id"] for document in self.documents}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30,
                            headers={"Authorization": f"Bearer {self.submit_key}"})


def seeded_document(child: int, quarter: int) -> dict[str, Any]:
    """A completed interview with child `child` after an episode in the `quarter`th quarter of
    2026 (0 to 2); every third child's notes county lines, and each child's last is declined."""
    month, day = 1 + 3 * quarter, 10 + child
    start = f"2026-{month:02d}-{day:02d}"
    next_day = f"2026-{month:02d}-{day + 1:02d}"
    later = f"2026-{month:02d}-{day + 2:02d}"
    overrides: dict[str, Any] = {
        "child__local_id": f"GUIDE-{child}",
        "episodes": [{"type": "missing" if child % 2 else "away",
                      "started_at": f"{start}T18:00:00Z", "returned_at": f"{next_day}T09:00:00Z",
                      "reported_to_police": bool(child % 2), "found_postcode": "BS16 1QY"}],
        "offer__offered_at": f"{next_day}T12:00:00Z",
        "interview__conducted_at": f"{later}T10:00:00Z",
        "interview__risk_indicators": ["county_lines"] if child % COUNTY_LINES_EVERY == 0
        else [],
        "actions": [{"type": "follow_up_support", "at": f"{later}T12:00:00Z"}],
        "sharing": [{"with": "social_worker", "at": f"{later}T12:00:00Z"}],
    }
    if quarter == RECORDS_EACH - 1 and child % 2:
        overrides |= {"offer": {"outcome": "declined", "offered_at": f"{next_day}T12:00:00Z",
                                "decline_reason": "Did not want to talk.",
                                "attempts": [{"at": f"{next_day}T12:00:00Z",
                                              "method": "phone"}]},
                      "interview": None}
        del overrides["interview__conducted_at"], overrides["interview__risk_indicators"]
    return make_document(**overrides)


def organisation_and_key(database_url: str) -> str:
    """Organisation 803 and a `submit` key of it for the test's own records, made in this
    process while the server starts (the guides' own `rhi` lines run as commands)."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            accounts.create_organisation(session, "803", "South Gloucestershire Council",
                                         "local_authority")
            _, key = create_api_key(session, "803", "Test records", ["submit"])
            session.commit()
    finally:
        engine.dispose()
    return key


@pytest.fixture
def guide_server(tmp_path: Path) -> Iterator[GuideServer]:
    with scratch_database("rhi_guides") as url:
        server = real.launch(url, tmp_path / "serve.log")
        try:
            key = organisation_and_key(url)
            real.ready(server)
            documents = [seeded_document(child, quarter)
                         for quarter in range(RECORDS_EACH) for child in range(CHILDREN)]
            started = GuideServer(server.base_url, url, environment(url), key, documents)
            with started.client() as client:
                for document in documents:
                    answer = client.post("/api/v1/interviews", json=document)
                    assert answer.status_code == 201, answer.text
            yield started
        finally:
            server.stop()
