"""GET requests read without SQLite's write lock and take it only to write (`app/core/db.py`):
pages never queue behind saves, and what a GET writes (its audit entry) is still written in
order, on the current chain. Each test but the first runs on a SQLite file of its own, whatever
database the suite runs on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.audit import service as audit
from app.core import writer_queue
from app.core.db import READ_FIRST, get_session, make_engine, upgrade_database
from app.core.settings import get_settings
from app.core.writer_queue import QueuedWriterConnection

ON_SQLITE = get_settings().sqlalchemy_url.startswith("sqlite")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'read-first.sqlite3'}"
    upgrade_database(url)
    made = make_engine(url)
    yield made
    made.dispose()


def _add_organisation(conn: Session | Connection, code: str) -> None:
    conn.execute(text("INSERT INTO organisations (code, name, kind, created_at) "
                      "VALUES (:code, 'A council', 'local_authority', CURRENT_TIMESTAMP)"),
                 {"code": code})


def _raw(session: Session) -> QueuedWriterConnection:
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, QueuedWriterConnection)
    return raw


def _request(method: str) -> Request:
    return Request({"type": "http", "method": method, "path": "/", "headers": []})


@pytest.mark.skipif(not ON_SQLITE, reason="the suite's database is not SQLite")
def test_a_get_reads_without_the_write_lock_and_a_post_holds_it() -> None:
    get = get_session(_request("GET"))
    session = next(get)
    assert _raw(session).reading and not _raw(session)._has_turn
    get.close()
    post = get_session(_request("POST"))
    session = next(post)
    assert not _raw(session).reading and _raw(session)._has_turn
    with pytest.raises(RuntimeError):
        post.throw(RuntimeError("roll back"))


def test_a_reader_does_not_hold_up_a_writer(engine: Engine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_queue, "WAIT_SECONDS", 0.5)
    with Session(engine) as reader:
        reader.connection(execution_options={READ_FIRST: True})
        assert reader.execute(text("SELECT count(*) FROM organisations")).scalar_one() == 0
        with engine.begin() as writer:  # would wait, then fail, if the reader held the lock
            _add_organisation(writer, "801")


def test_a_reader_can_still_write_after_another_writer_committed(engine: Engine) -> None:
    with Session(engine) as reader:
        reader.connection(execution_options={READ_FIRST: True})
        reader.execute(text("SELECT count(*) FROM organisations")).scalar_one()
        with engine.begin() as writer:
            _add_organisation(writer, "801")
        # A stale read snapshot cannot be upgraded in place: this fails with "database is
        # locked" unless the read is ended and a write transaction begun.
        _add_organisation(reader, "802")
        reader.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM organisations")).scalar_one() == 2


def test_audit_entries_written_by_readers_and_writers_at_once_keep_one_chain(
        engine: Engine) -> None:
    failures: list[BaseException] = []

    def append(read_first: bool, n: int) -> None:
        try:
            for i in range(8):
                with Session(engine) as session:
                    if read_first:
                        session.connection(execution_options={READ_FIRST: True})
                        session.execute(text("SELECT count(*) FROM audit_entries")).all()
                    audit.record(session, actor=f"user:{n}", action="interview.view",
                                 target=f"{n}-{i}")
                    session.commit()
        except BaseException as problem:  # collected and asserted below
            failures.append(problem)

    threads = [threading.Thread(target=append, args=(n % 2 == 0, n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with Session(engine) as session:
        checked = audit.verify_all(session)
    assert checked.problems == []
    assert checked.count == 64
