"""A stream reads on its own connection, without holding SQLite's write lock while it lasts."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.db import make_engine, upgrade_database
from app.core.types import utcnow
from app.feed import service
from app.feed.service import FeedFilters
from tests.builders import record


@pytest.fixture
def committed_sqlite(migrated_engine: Engine) -> Iterator[tuple[Engine, Path]]:
    """A fresh SQLite database of its own, whose writes really commit."""
    if migrated_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock is what this is about")
    path = Path(tempfile.mkdtemp(prefix="rhi-feed-stream-")) / "feed.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = make_engine(url)
    yield engine, path
    engine.dispose()


def test_a_stream_lets_writers_carry_on_while_it_is_read(
        committed_sqlite: tuple[Engine, Path]) -> None:
    engine, path = committed_sqlite
    with Session(engine) as session:
        for _ in range(5):
            record(session)
        session.commit()
    with Session(engine) as session:
        chunks = service.stream(session, "803", FeedFilters(), "ndjson", utcnow(), batch_size=2)
        first = next(chunks)  # the stream is open, part read
        writer = sqlite3.connect(path, timeout=0.5, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # fails with "database is locked" if a reader held it
        writer.execute("UPDATE organisations SET name = name")
        writer.execute("COMMIT")
        writer.close()
        rest = b"".join(chunks)
    records = [orjson.loads(line) for line in (first + rest).splitlines()]
    assert len(records) == 5
    assert len({r["interview_id"] for r in records}) == 5
