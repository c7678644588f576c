"""Processes starting at the same moment agree: servers started together on a new database
migrate it once between them, and in `dev` they read the same generated secret (the key of
sessions, pseudonyms and the audit chain), never one each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.core.settings import PROJECT_ROOT
from tests.durability.scratch import RHI, environment

pytestmark = pytest.mark.slow

TOGETHER = 3


def test_three_upgrades_at_once_of_a_new_database_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    upgrades = [subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
        [RHI, "db", "upgrade"], env=environment(url), cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(TOGETHER)]
    said = [upgrade.communicate(timeout=120) for upgrade in upgrades]
    assert [upgrade.returncode for upgrade in upgrades] == [0] * TOGETHER, said
    assert [out.strip() for out, _ in said] == ["The database is up to date"] * TOGETHER


def test_processes_making_the_dev_secret_at_once_read_the_same_one(tmp_path: Path) -> None:
    make = ("import sys; from pathlib import Path; from app.core import settings; "
            "settings.VAR_DIR = Path(sys.argv[1]); print(settings._dev_secret('secret_key'))")
    makers = [subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", make, str(tmp_path)], cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, text=True) for _ in range(TOGETHER)]
    secrets = {maker.communicate(timeout=60)[0].strip() for maker in makers}
    assert len(secrets) == 1
    assert secrets == {(tmp_path / "secret_key").read_text()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # nothing half-made left
