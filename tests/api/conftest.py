"""API fixtures: a `submit` key of organisation 803, and a real, committed database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.core.db import engine_swapped, upgrade_database
from app.core.settings import get_settings
from tests.builders import bearer, make_key


@pytest.fixture
def auth(db: Session) -> dict[str, str]:
    """The headers of a partner system of 803 holding a `submit` key."""
    _, plaintext = make_key(db)
    return bearer(plaintext)


@pytest.fixture
def committed_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The URL of a database whose writes really commit, for what a rolled-back test cannot
    show (concurrent requests, the command line).

    SQLite: a fresh file, migrated, with the settings and engine caches pointed at it for the
    test and restored afterwards. PostgreSQL (CI): the test database as it is; the test must
    remove the rows it made.
    """
    url = get_settings().sqlalchemy_url
    if url.startswith("postgresql"):
        upgrade_database(url)
        yield url
        return
    monkeypatch.setenv("RHI_DATABASE_URL", f"sqlite:///{tmp_path / 'committed.sqlite3'}")
    get_settings.cache_clear()
    try:
        with engine_swapped():
            upgrade_database()
            yield get_settings().sqlalchemy_url
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
