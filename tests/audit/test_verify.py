"""`rhi audit verify` reads the whole chain and finds an entry changed or removed by raw SQL.

Each test has a database of its own (`scratch_database`): verify reads every entry there is,
and the shared test database holds other tests' committed entries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit import service as audit
from app.audit.checkpoints import default_path
from app.audit.cli import ChainBroken, verify
from app.audit.models import AuditEntry
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


# --- what the chain alone cannot show: checkpoints outside the table ------------------------


def checkpointed(url: str) -> None:
    """`rhi audit verify` on the untouched log: it passes and writes a checkpoint."""
    done = rhi(url, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert "checkpoint written to" in done.stdout


def test_deleting_the_newest_entry_is_found_against_the_checkpoint(
        chain: tuple[str, Engine]) -> None:
    url, engine = chain
    checkpointed(url)
    tamper(engine, "DELETE FROM audit_entries WHERE id = 5")

    done = rhi(url, "audit", "verify")

    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        "entry 5: missing: the checkpoint of ")
    assert "(5 entries); the log has 4" in done.stdout


def test_deleting_every_entry_is_found_against_the_checkpoint(
        chain: tuple[str, Engine]) -> None:
    url, engine = chain
    checkpointed(url)
    tamper(engine, "DELETE FROM audit_entries")

    done = rhi(url, "audit", "verify")

    assert done.returncode == 1
    assert "the log has 0" in done.stdout


def test_a_chain_rebuilt_without_some_entries_is_found(chain: tuple[str, Engine]) -> None:
    """Entry 2 removed and the rest re-chained as the old, unkeyed kind (the key is not in the
    database): every link holds, but not the checkpoint."""
    url, engine = chain
    checkpointed(url)
    with Session(engine) as session:
        kept = [(e.id, e.at, e.actor, e.organisation, e.action, e.target, e.details, e.address)
                for e in session.execute(select(AuditEntry).where(col(AuditEntry.id) != 2)
                                         .order_by(col(AuditEntry.id))).scalars()]
    tamper(engine, "DELETE FROM audit_entries")
    previous = audit.GENESIS
    with Session(engine) as session:
        for entry_id, at, actor, organisation, action, target, details, address in kept:
            digest = audit._digest(previous, at, actor, organisation, action, target, details,
                                   address, keyed=False)
            session.add(AuditEntry(id=entry_id, at=at, actor=actor, organisation=organisation,
                                   action=action, target=target, details=details,
                                   address=address, prev_hash=previous, hash=digest,
                                   keyed=False))
            previous = digest
        session.commit()

    done = rhi(url, "audit", "verify")

    assert done.returncode == 1
    assert "entry 5: the checkpoint of " in done.stdout
    assert "counted 5 entries up to here; the log has 4" in done.stdout


def test_a_forged_checkpoint_is_refused(chain: tuple[str, Engine]) -> None:
    url, engine = chain
    checkpointed(url)
    path = default_path(make_url(url).render_as_string(hide_password=True))
    line = path.read_text().replace('"count":5', '"count":4')
    path.write_text(line)

    done = rhi(url, "audit", "verify")

    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        "checkpoint line 1 is not signed with the audit key")


def test_entries_written_before_the_log_was_keyed_still_verify(
        capsys: pytest.CaptureFixture[str]) -> None:
    with scratch_database("rhi_audit") as url:
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                entry = AuditEntry(
                    at=audit.utcnow(), actor="user:1", action="sign_in", details={},
                    prev_hash=audit.GENESIS, keyed=False,
                    hash=audit._digest(audit.GENESIS, audit.utcnow(), "user:1", None,
                                       "sign_in", None, {}, None, keyed=False))
                entry.hash = audit._digest(audit.GENESIS, entry.at, "user:1", None, "sign_in",
                                           None, {}, None, keyed=False)
                session.add(entry)
                session.commit()
                audit.record(session, actor="user:1", action="interview.view")
                session.commit()
            printed, error = verify_in_process(engine, capsys)
        finally:
            engine.dispose()

    assert error is None, printed
    assert printed[0].startswith("OK: 2 audit entries verified")


def test_an_entry_downgraded_to_the_unkeyed_kind_is_found(
        chain: tuple[str, Engine], capsys: pytest.CaptureFixture[str]) -> None:
    """The newest entry changed and rehashed with plain SHA-256, which needs no key."""
    _, engine = chain
    with Session(engine) as session:
        entry = session.get(AuditEntry, 5)
        assert entry is not None
        digest = audit._digest(entry.prev_hash, entry.at, "user:99", entry.organisation,
                               entry.action, entry.target, entry.details, entry.address,
                               keyed=False)
    tamper(engine, f"UPDATE audit_entries SET actor = 'user:99', keyed = false, "  # noqa: S608
                   f"hash = '{digest}' WHERE id = 5")

    printed, error = verify_in_process(engine, capsys)

    assert printed == ["entry 5: this entry is not keyed but follows keyed ones: the log was "
                       "rewritten"]
    assert error is not None
