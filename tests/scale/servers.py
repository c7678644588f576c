"""Two `rhi serve` on one scratch database (`tests/durability/scratch.py`: SQLite, and
PostgreSQL too when the tests run on it), both believing X-Forwarded-For from this machine, so
that a test can speak from an address of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.settings import get_settings
from tests.durability import server as real
from tests.durability.scratch import scratch_database

KINDS = ["sqlite", "postgresql"] if get_settings().sqlalchemy_url.startswith(
    "postgresql") else ["sqlite"]


@dataclass
class TwoServers:
    url: str
    one: real.Server  # one process
    two: real.Server  # two worker processes

    @property
    def both(self) -> tuple[real.Server, real.Server]:
        return self.one, self.two


@contextmanager
def two_servers(kind: str, directory: Path) -> Iterator[TwoServers]:
    """`rhi serve --workers 1` and `rhi serve --workers 2` (three processes in all) on one new
    database; on the way out, neither has logged "database is locked"."""
    with scratch_database("rhi_scale", kind=kind) as url, pytest.MonkeyPatch.context() as env:
        env.setenv("RHI_TRUSTED_PROXIES", "127.0.0.1")
        one = real.launch(url, directory / "one.log", workers=1)
        two = real.launch(url, directory / "two.log", workers=2)
        try:
            real.ready(one)
            real.ready(two)
            yield TwoServers(url, one, two)
        finally:
            one.stop()
            two.stop()
        for server in (one, two):
            assert "database is locked" not in server.log_text()
