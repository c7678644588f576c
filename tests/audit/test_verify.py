"""`rhi audit verify` reads the whole chain and finds an entry changed or removed by raw SQL.

Each test has a database of its own (`scratch_database`): verify reads every entry there is,
and the shared test database holds other tests' committed entries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.cli import ChainBroken, verify
from tests.durability.scratch import rhi, scratch_database


@pytest.fixture
def chain() -> Iterator[tuple[str, Engine]]:
    """A database holding five committed entries (ids 1 to 5), and an engine on it."""
    with scratch_database("rhi_audit") as url:
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                for n in range(1, 6):
                    audit.record(session, actor=f"user:{n}", organisation="803",
                                 action="interview.view", target=f"record-{n}",
                                 details={"version": n}, address="192.0.2.1")
                session.commit()
            yield url, engine
        finally:
            engine.dispose()


def tamper(engine: Engine, statement: str) -> None:
    """Change the table behind the application's back, as someone with database access could
    (on PostgreSQL that means switching off the append-only trigger first, as its owner)."""
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update"))
        conn.execute(text(statement))
        if postgres:
            conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update"))


def verify_in_process(engine: Engine, capsys: pytest.CaptureFixture[str]
                      ) -> tuple[list[str], str | None]:
    """What `rhi audit verify` prints, and its one-line error (None when it passes), without
    starting a process (the real command is run below too)."""
    with Session(engine) as session:
        try:
            verify(session)
        except ChainBroken as broken:
            return capsys.readouterr().out.splitlines(), str(broken)
    return capsys.readouterr().out.splitlines(), None


def test_an_untouched_log_verifies_with_its_count(chain: tuple[str, Engine]) -> None:
    url, _ = chain

    done = rhi(url, "audit", "verify")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 5 audit entries verified; the last is 5 with hash ")


def test_an_empty_log_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    with scratch_database("rhi_audit") as url:
        engine = create_engine(url)
        try:
            printed, error = verify_in_process(engine, capsys)
        finally:
            engine.dispose()

    assert error is None
    assert printed[0].startswith("OK: 0 audit entries verified")


@pytest.mark.parametrize(("column", "value"), [
    ("actor", "'user:99'"), ("action", "'interview.create'"), ("target", "'record-9'"),
    ("organisation", "'801'"), ("address", "'198.51.100.7'"),
    ("details", "'{\"version\": 9}'"),
])
def test_an_entry_changed_in_the_database_is_found(
        chain: tuple[str, Engine], capsys: pytest.CaptureFixture[str], column: str,
        value: str) -> None:
    _, engine = chain
    # S608: the column and value are this test's own constants.
    tamper(engine, f"UPDATE audit_entries SET {column} = {value} WHERE id = 3")  # noqa: S608

    printed, error = verify_in_process(engine, capsys)

    assert printed == ["entry 3: this entry was changed after it was written"]
    assert error == "the audit log does not verify: 1 problem in 5 entries (listed above)"


def test_an_entry_changed_with_its_hash_recomputed_breaks_the_next_link(
        chain: tuple[str, Engine], capsys: pytest.CaptureFixture[str]) -> None:
    _, engine = chain
    tamper(engine, "UPDATE audit_entries SET hash = '" + "f" * 64 + "' WHERE id = 2")

    printed, _ = verify_in_process(engine, capsys)

    assert printed == [
        "entry 2: this entry was changed after it was written",
        "entry 3: an entry before this one is missing or changed",
    ]


def test_an_entry_removed_from_the_database_is_found_and_rhi_exits_1(
        chain: tuple[str, Engine]) -> None:
    url, engine = chain
    tamper(engine, "DELETE FROM audit_entries WHERE id = 2")

    done = rhi(url, "audit", "verify")

    assert done.returncode == 1
    assert done.stdout.splitlines() == ["entry 3: an entry before this one is missing or changed"]
    assert done.stderr == ("rhi: error: the audit log does not verify: 1 problem in 4 entries "
                           "(listed above)\n")


def test_postgresql_refuses_to_change_an_audit_entry(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger is made on PostgreSQL only")
    entry = audit.record(db, actor="user:1", action="sign_in")

    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE audit_entries SET actor = 'user:2' WHERE id = :id"),
                   {"id": entry.id})
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("TRUNCATE audit_entries"))
