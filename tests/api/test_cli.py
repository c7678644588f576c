"""`rhi api-keys`: create prints the key alone on the last line; list and revoke; clear errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.api_keys import authenticate_key
from app.accounts.api_keys_cli import main
from app.accounts.models import ApiKey, Organisation
from app.audit.models import AuditEntry
from app.core.db import get_engine
from app.core.errors import Unauthorized


@pytest.fixture
def org_code(committed_database: str) -> Iterator[str]:
    code = f"t-{uuid4().hex[:8]}"
    with Session(get_engine()) as session:
        accounts.create_organisation(session, code, "Test Organisation", "local_authority")
        session.commit()
    yield code
    if committed_database.startswith("postgresql"):
        with Session(get_engine()) as session:
            ids = list(session.execute(
                select(col(ApiKey.id))
                .join(Organisation, col(Organisation.id) == col(ApiKey.organisation_id))
                .where(col(Organisation.code) == code)).scalars())
            session.execute(delete(AuditEntry).where(col(AuditEntry.target).in_(ids)))
            session.execute(delete(ApiKey).where(col(ApiKey.id).in_(ids)))
            session.execute(delete(Organisation).where(col(Organisation.code) == code))
            session.commit()


def test_create_prints_the_key_alone_on_the_last_line_and_stores_its_hash(
        org_code: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["api-keys", "create", "--org", org_code, "--name", "Case system",
                   "--scope", "submit", "--scope", "feed", "--expires-days", "30"])

    assert status == 0
    key = capsys.readouterr().out.splitlines()[-1]
    assert key.startswith("rhi_rk_")
    with Session(get_engine()) as session:
        stored, organisation = authenticate_key(session, key)
        assert organisation == org_code
        assert stored.scopes == ["submit", "feed"]
        assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()


def test_list_shows_keys_without_secrets_and_revoke_stops_a_key(
        org_code: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["api-keys", "create", "--org", org_code, "--name", "Case system",
          "--scope", "submit"])
    key = capsys.readouterr().out.splitlines()[-1]
    key_id = key[len("rhi_"):len("rhi_rk_12345678")]

    assert main(["api-keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "active until" in listing and key not in listing

    assert main(["api-keys", "revoke", key_id]) == 0
    assert "Revoked" in capsys.readouterr().out
    main(["api-keys", "list"])
    assert "revoked" in capsys.readouterr().out
    with Session(get_engine()) as session, pytest.raises(Unauthorized, match="revoked"):
        authenticate_key(session, key)


@pytest.mark.parametrize(("argv", "message"), [
    (["api-keys", "create", "--org", "no-such-org", "--name", "N", "--scope", "submit"],
     "No organisation has the code 'no-such-org'"),
    (["api-keys", "revoke", "rk_missing1"], "No API key has the id 'rk_missing1'"),
])
def test_refusals_are_one_line_and_exit_1(org_code: str, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error == f"rhi: error: {message}\n"


@pytest.mark.parametrize("argv", [
    ["api-keys", "create", "--org", "803", "--name", "N"],
    ["api-keys", "create", "--org", "803", "--name", "N", "--scope", "everything"],
    ["api-keys", "create", "--org", "803", "--name", "N", "--scope", "submit",
     "--expires-days", "0"],
])
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)

    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err
