"""The database engines and the one transaction owner: every engine and connection is set up here.

SQLite is tuned for durability (WAL, `synchronous=FULL`, foreign keys, busy timeout); PostgreSQL
is reached through psycopg 3. The request's session dependency commits on success and rolls back
on error; services only flush.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, MetaData, event, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import FromClause
from sqlmodel import SQLModel, create_engine

from app.core.settings import PROJECT_ROOT, get_settings
from app.core.writer_queue import QueuedWriterConnection

# Deterministic constraint names on SQLite and PostgreSQL alike (Alembic can then name them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


READ_FIRST = "rhi_read_first"  # execution option: begin with a read, write later if need be


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock when the transaction starts, so that two writers queue instead of one
    # failing with "database is locked" when it upgrades a read lock; they queue first come,
    # first served, in this process and between processes (`writer_queue`). A read-first
    # transaction (GET) takes it only when it writes (`start_writing`).
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, QueuedWriterConnection):
        try:
            if conn.get_execution_options().get(READ_FIRST):
                dbapi_connection.begin_reading()
            else:
                dbapi_connection.begin_immediate()
        except sqlite3.Error as problem:  # as SQLAlchemy reports any other driver error
            raise OperationalError("BEGIN", {}, problem) from problem
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def start_writing(session: Session) -> None:
    """Make sure the session's transaction may write: a read-first SQLite transaction becomes a
    write transaction here (see `writer_queue`). Any statement that is not a read does this by
    itself; call it first where a read must be current for the write that follows (the audit
    chain's head)."""
    if session.get_bind().dialect.name == "sqlite":
        _start_writing(session.connection().connection.dbapi_connection, "BEGIN IMMEDIATE")


def _start_writing(dbapi_connection: Any, statement: str) -> None:
    if isinstance(dbapi_connection, QueuedWriterConnection) and dbapi_connection.reading:
        try:
            dbapi_connection.start_writing()
        except sqlite3.Error as problem:  # reported as SQLAlchemy reports a statement's own
            raise OperationalError(statement, {}, problem) from problem


_READ_ONLY_STATEMENTS = ("SELECT", "PRAGMA")


def _sqlite_before_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # Anything but a plain read, from a read-first transaction, first becomes a write
    # transaction: whatever issues it (ORM flush, Core, text()).
    if not statement.lstrip()[:6].upper().startswith(_READ_ONLY_STATEMENTS):
        _start_writing(conn.connection.dbapi_connection, statement)


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite's durability and locking settings applied. Its errors
    never quote a statement's parameters (names, accounts: personal data), so a logged error
    cannot carry them."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        connect_args: dict[str, Any] = {"check_same_thread": False,
                                        "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                        "isolation_level": None}
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = QueuedWriterConnection
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_execute)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         hide_parameters=True)


# The engine `get_engine` gives, once made (at most one).
_ENGINE: list[Engine] = []


def get_engine() -> Engine:
    """The process's engine, made from the settings the first time it is asked for."""
    if not _ENGINE:
        _ENGINE.append(make_engine(get_settings().sqlalchemy_url))
    return _ENGINE[0]


def forget_engine() -> None:
    """Close the engine's pooled connections, if it was made, and forget it: the next
    `get_engine()` reads the settings again."""
    if _ENGINE:
        _ENGINE.pop().dispose()


@contextmanager
def engine_swapped() -> Iterator[None]:
    """For a while (a test, a tool pointing the settings at another database): `get_engine()`
    makes an engine from the settings as they are inside, closed on the way out, and then gives
    the engine from before again, untouched (a connection it lent out is still its own, and is
    never left to the garbage collector by a pool that was thrown away)."""
    before = list(_ENGINE)
    _ENGINE.clear()
    try:
        yield
    finally:
        forget_engine()
        _ENGINE[:] = before


# --- long reads ------------------------------------------------------------------------------


class _HintingSQLiteCompiler(SQLiteCompiler):
    """SQLAlchemy's SQLite compiler drops table hints; SQLite's only one is `INDEXED BY`."""

    def get_from_hint_text(self, table: FromClause, text: str | None) -> str | None:
        return text


def reading(bind: Engine | Connection) -> AbstractContextManager[Connection]:
    """A connection for long reads (a feed pull, the summary's scans), off the write lock.

    On SQLite a separate read-only engine (`sqlite_reader`). On PostgreSQL the read replica
    named by `RHI_FEED_DATABASE_URL` when the bind is the configured database
    (`replica_engine`), else the bind's own pool. A bind that is already a connection (a
    test's open transaction) is shared as it is.
    """
    if isinstance(bind, Connection):
        return nullcontext(bind)
    if bind.dialect.name == "sqlite":
        return sqlite_reader(bind.url).connect()
    settings = get_settings()
    if settings.feed_database_url and bind.url == make_url(settings.sqlalchemy_url):
        return replica_engine(settings.feed_database_url).connect()
    return bind.connect()


@lru_cache(maxsize=4)
def replica_engine(url: str) -> Engine:
    """The engine of a read replica (`RHI_FEED_DATABASE_URL`), made once per process."""
    return make_engine(url)


@lru_cache(maxsize=4)
def sqlite_reader(url: URL) -> Engine:
    """An engine for long reads on SQLite that never takes the write lock.

    The request's own transaction may hold the write lock, or take it for the pull's audit
    entry, and a pull must not hold writers back for its whole length. Here a transaction is a
    plain `BEGIN`: a read of one WAL snapshot (so the summary's statements agree with each
    other), while writers carry on.

    No `mmap_size`: it makes a pull faster, but every page of the file a pull touches then
    counts in the server's resident memory (up to the whole file, 1.6 GB at 100,000 records),
    which must stay low and flat (`performance.md` #2).
    """
    engine = create_engine(url, connect_args={"check_same_thread": False,
                                              "isolation_level": None},
                           hide_parameters=True)

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", pragmas)
    event.listen(engine, "begin", begin)
    engine.dialect.statement_compiler = _HintingSQLiteCompiler  # renders INDEXED BY hints
    return engine


# HTTP's safe methods (RFC 9110): they read, and change nothing a user asked to change.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commit when the handler succeeds, roll back when it raises.

    A GET reads without SQLite's write lock, so pages never queue behind saves; if it writes
    (its audit entry, the session's last-seen time) it queues then, for that write alone.
    Every other method writes from the start, so what it read is what it changes.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        if request.method in SAFE_METHODS:
            session.connection(execution_options={READ_FIRST: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": the commit runs when the handler returns, before the response is sent, so a
# client is never told "saved" about a transaction that has not committed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def _alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url or get_settings().sqlalchemy_url
    return config


def upgrade_database(url: str | None = None) -> None:
    """Apply the Alembic migrations to head: the only way the schema is made."""
    from alembic import command

    command.upgrade(_alembic_config(url), "head")


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The schema versions this code was written for (Alembic's heads)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def schema_is_current(connection: Connection) -> bool:
    """The database's schema is the one this code was written for: not behind (a release
    whose `rhi db upgrade` has not run) and not ahead (an older server beside a newer one)."""
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return frozenset(found) == migration_heads()
