"""`docs/analysts.md` as written: the `rhi api-keys create` line it gives makes a key that pulls
the feed. The line is read from the guide, so the test fails when the guide drifts."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.api_keys import authenticate_key
from app.cli import main
from app.core.db import engine_swapped, get_engine
from app.core.settings import get_settings

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
COMMAND = re.compile(r"^\$ (rhi .+)$", re.MULTILINE)


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh, migrated SQLite file of the command line's own (its commands commit)."""
    monkeypatch.setenv("RHI_DATABASE_URL", f"sqlite:///{tmp_path / 'guide.sqlite3'}")
    get_settings.cache_clear()
    try:
        with engine_swapped():
            assert main(["db", "upgrade"]) == 0
            yield
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_guide_gives_one_key_command_and_it_runs_as_written(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    commands = COMMAND.findall(GUIDE.read_text())
    [line] = [c for c in commands if c.startswith("rhi api-keys create")]
    argv = shlex.split(line)
    assert argv[0] == "rhi"
    organisation = argv[argv.index("--org") + 1] if "--org" in argv else "803"
    with Session(get_engine()) as session:  # the administrator's own organisation exists
        accounts.create_organisation(session, organisation, "Test Council", "local_authority")
        session.commit()
    capsys.readouterr()

    try:
        status = main(argv[1:])
    except SystemExit as stopped:  # argparse refusing the line
        status = stopped.code
    assert status == 0, f"`{line}` fails: {capsys.readouterr().err}"

    key = capsys.readouterr().out.splitlines()[-1]
    assert key.startswith("rhi_rk_")
    with Session(get_engine()) as session:
        stored, owner = authenticate_key(session, key)
    assert (owner, stored.scopes) == (organisation, ["feed"])
