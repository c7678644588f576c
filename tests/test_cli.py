"""The `rhi` command line, run in-process against its own temporary database.

CLI commands commit for real, so they get a separate SQLite file, never the shared test database.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import Organisation, User
from app.cli import main
from app.core.db import engine_swapped, get_engine
from app.core.settings import get_settings
from app.record.models import Interview, RegisterEpisode


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Points the settings at a fresh, migrated SQLite file for the test, then back again."""
    monkeypatch.setenv("RHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    try:
        with engine_swapped():
            assert main(["db", "upgrade"]) == 0
            yield
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    fake = io.StringIO()
    monkeypatch.setattr("sys.stdin", fake)
    yield fake


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.match(r"rhi( [a-z-]+)*: error: ", lines[0]), lines[0]
    return lines[0]


def _count(model: type[Organisation] | type[User] | type[RegisterEpisode] | type[Interview]
           ) -> int:
    with Session(get_engine()) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_orgs_create_adds_an_organisation(cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["orgs", "create", "--code", "803", "--name", "South Gloucestershire Council",
                 "--kind", "local_authority"])

    assert code == 0
    assert "Created organisation 803" in capsys.readouterr().out
    with Session(get_engine()) as session:
        organisation = accounts.get_organisation(session, "803")
        assert organisation is not None
        assert organisation.kind == "local_authority"


def test_orgs_create_refuses_a_code_that_exists(cli_db: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    main(["orgs", "create", "--code", "803", "--name", "A", "--kind", "local_authority"])
    capsys.readouterr()

    code = main(["orgs", "create", "--code", "803", "--name", "B", "--kind", "local_authority"])

    assert code == 1
    assert "already exists" in _one_line_error(capsys.readouterr().err)
    assert _count(Organisation) == 1


def test_users_create_reads_the_password_from_stdin(
        cli_db: None, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
    main(["orgs", "create", "--code", "avon-rhi", "--name", "Avon", "--kind", "rhi_provider"])
    stdin.write("a long enough password\n")
    stdin.seek(0)

    code = main(["users", "create", "--email", "Sam@Example.org", "--name", "Sam Smith",
                 "--org", "avon-rhi", "--role", "manager"])

    assert code == 0, capsys.readouterr().err
    with Session(get_engine()) as session:
        user = accounts.authenticate(session, "sam@example.org", "a long enough password", None)
        assert (user.name, user.role) == ("Sam Smith", "manager")
        session.rollback()


def test_users_create_refuses_an_unknown_role_in_one_line(
        cli_db: None, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["users", "create", "--email", "a@example.org", "--name", "A", "--org", "803",
                 "--role", "supervisor"])

    assert code == 2
    assert "invalid choice: 'supervisor'" in _one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize(("password", "org", "message"), [
    ("short\n", "avon-rhi", "at least 12 characters"),
    ("\n", "avon-rhi", "no password"),
    ("a long enough password\n", "nowhere", "No organisation has the code 'nowhere'"),
])
def test_users_create_refuses_bad_input_in_one_line(
        cli_db: None, stdin: io.StringIO, capsys: pytest.CaptureFixture[str],
        password: str, org: str, message: str) -> None:
    main(["orgs", "create", "--code", "avon-rhi", "--name", "Avon", "--kind", "rhi_provider"])
    capsys.readouterr()
    stdin.write(password)
    stdin.seek(0)

    code = main(["users", "create", "--email", "a@example.org", "--name", "A", "--org", org,
                 "--role", "interviewer"])

    assert code == 1
    assert message in _one_line_error(capsys.readouterr().err)
    assert _count(User) == 0


def test_a_command_without_its_options_gets_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["orgs", "create", "--code", "803"]) == 2
    assert "required" in _one_line_error(capsys.readouterr().err)


def test_a_command_on_a_database_never_migrated_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RHI_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    get_settings.cache_clear()
    try:
        with engine_swapped():
            code = main(["orgs", "create", "--code", "803", "--name", "A",
                         "--kind", "local_authority"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert code == 1
    assert "rhi db upgrade" in _one_line_error(capsys.readouterr().err)


def test_demo_seed_twice_makes_the_history_once_and_prints_working_logins(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["demo", "seed", "--years", "1", "--episodes-a-year", "30"]
    assert main(small) == 0
    first = re.search(r"password (\S+)", capsys.readouterr().out)
    made = (_count(RegisterEpisode), _count(Interview))
    assert first and all(made)

    assert main(small) == 0

    out = capsys.readouterr().out
    assert "only the passwords are new" in out
    assert (_count(Organisation), _count(User)) == (8, 5)
    assert (_count(RegisterEpisode), _count(Interview)) == made
    found = re.search(r"password (\S+)", out)
    assert found and found.group(1) != first.group(1)
    with Session(get_engine()) as session:
        for role in ("interviewer", "placement_team", "manager", "analyst", "admin"):
            assert f"{role}@demo.rhi.invalid" in out
            user = accounts.authenticate(session, f"{role}@demo.rhi.invalid", found.group(1),
                                         None)
            assert user.role == role
        session.rollback()


def test_demo_seed_with_no_years_makes_the_sign_ins_only(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "seed", "--years", "0"]) == 0

    assert "Demo sign-ins (all synthetic), password demo-" in capsys.readouterr().out
    assert (_count(Organisation), _count(User)) == (8, 5)
    assert (_count(RegisterEpisode), _count(Interview)) == (0, 0)


def test_demo_seed_is_refused_in_prod(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RHI_ENV", "prod")
    get_settings.cache_clear()
    try:
        code = main(["demo", "seed"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert code == 1
    assert "prod" in _one_line_error(capsys.readouterr().err)




def _person(email: str = "leaver@example.org", role: str = "analyst") -> None:
    with Session(get_engine()) as session:
        if accounts.get_organisation(session, "803") is None:
            accounts.create_organisation(session, "803", "Test Council", "local_authority")
        accounts.create_user(session, email, "A Person", "803", role, "correct horse battery")
        session.commit()


def _user(email: str) -> User:
    with Session(get_engine(), expire_on_commit=False) as session:
        found = accounts.get_user_by_email(session, email)
        assert found is not None
        return found


def test_users_disable_and_enable_from_the_command_line(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    _person()

    assert main(["users", "disable", "--email", "leaver@example.org"]) == 0
    assert not _user("leaver@example.org").active
    assert main(["users", "enable", "--email", "Leaver@Example.org"]) == 0
    assert _user("leaver@example.org").active
    assert "disabled, and every session ended" in capsys.readouterr().out


def test_users_reset_password_prints_a_temporary_one_that_works(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    _person()

    assert main(["users", "reset-password", "--email", "leaver@example.org"]) == 0

    printed = capsys.readouterr().out
    found = re.search(r"\(shown once\): (\S+)", printed)
    assert found
    with Session(get_engine()) as session:
        assert accounts.authenticate(session, "leaver@example.org", found.group(1), None)


def test_users_set_role_and_reset_second_factor(cli_db: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _person(role="interviewer")

    assert main(["users", "set-role", "--email", "leaver@example.org", "--role",
                 "manager"]) == 0
    assert main(["users", "reset-second-factor", "--email", "leaver@example.org"]) == 0
    assert main(["users", "end-sessions", "--email", "leaver@example.org"]) == 0
    assert _user("leaver@example.org").role == "manager"


def test_a_user_command_for_nobody_fails_in_one_line(
        cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "disable", "--email", "nobody@example.org"]) == 1
    assert "no one has the email address" in _one_line_error(capsys.readouterr().err)


def test_orgs_sso_set_and_clear_an_organisations_provider(
        cli_db: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    main(["orgs", "create", "--code", "avon-rhi", "--name", "Avon", "--kind", "rhi_provider"])
    monkeypatch.delenv("RHI_SSO_SECRET_AVON_RHI", raising=False)
    capsys.readouterr()

    code = main(["orgs", "sso", "set", "--org", "avon-rhi", "--client-id", "rhi-avon",
                 "--issuer", "https://login.example.test/tenant/v2.0", "--required",
                 "--email-claim", "preferred_username"])

    assert code == 0
    out = capsys.readouterr().out
    assert "avon-rhi signs in through https://login.example.test/tenant/v2.0 only" in out
    assert "RHI_SSO_SECRET_AVON_RHI is not set here" in out  # the name, never a secret
    with Session(get_engine()) as session:
        organisation = accounts.get_organisation(session, "avon-rhi")
        assert organisation is not None
        assert (organisation.sso_issuer, organisation.sso_client_id,
                organisation.sso_secret_env, organisation.sso_email_claim,
                organisation.sso_required) == (
            "https://login.example.test/tenant/v2.0", "rhi-avon", "RHI_SSO_SECRET_AVON_RHI",
            "preferred_username", True)

    assert main(["orgs", "sso", "clear", "--org", "avon-rhi"]) == 0
    assert "avon-rhi signs in with passwords and TOTP" in capsys.readouterr().out
    with Session(get_engine()) as session:
        organisation = accounts.get_organisation(session, "avon-rhi")
        assert organisation is not None and not organisation.has_sso
        assert not organisation.sso_required


@pytest.mark.parametrize("args", [
    ["--org", "nowhere", "--issuer", "https://idp.example.test", "--client-id", "c"],
    ["--org", "803", "--issuer", "http://idp.example.test", "--client-id", "c"],
    ["--org", "803", "--issuer", "https://idp.example.test", "--client-id", "c",
     "--secret-env", "RHI_SECRET_KEY"],
])
def test_orgs_sso_set_refuses_in_one_line(cli_db: None, capsys: pytest.CaptureFixture[str],
                                          args: list[str]) -> None:
    main(["orgs", "create", "--code", "803", "--name", "A", "--kind", "local_authority"])
    capsys.readouterr()

    assert main(["orgs", "sso", "set", *args]) == 1
    _one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize(("argv", "setting", "expected"), [
    ([], None, None),  # one per core
    ([], "3", 3),
    (["--workers", "1"], "3", 1),
])
def test_serve_starts_a_process_per_core_unless_told(
        cli_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str],
        setting: str | None, expected: int | None) -> None:
    if setting is not None:
        monkeypatch.setenv("RHI_WORKERS", setting)
        get_settings.cache_clear()
    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **options: started.update(options))
    # Where the workers' metrics go (restored afterwards: `rhi serve` sets it for its workers).
    metrics = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics))
    (metrics).mkdir()
    (metrics / "counter_123.db").write_bytes(b"an earlier run's")
    assert main(["serve", "--port", "65500", *argv]) == 0
    workers = expected or len(os.sched_getaffinity(0))
    assert started["workers"] == workers
    assert started["factory"] is True
    assert started["access_log"] is False  # its lines would hold paths and queries
    # Several workers add up their metrics from files: an earlier run's are gone first.
    assert (metrics / "counter_123.db").exists() == (workers == 1)


def test_serve_refuses_no_workers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0"]) == 2
    assert "must be 1 or more" in _one_line_error(capsys.readouterr().err)
