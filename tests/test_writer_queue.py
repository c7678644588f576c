"""SQLite writers in one process take their turn in arrival order and are never turned away
while the queue moves (`app/core/writer_queue.py`); how long each waited is heard. Between
processes: `tests/scale/test_process_queue.py`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.core import writer_queue
from app.core.db import make_engine
from app.core.writer_queue import FifoLock


def _wait_until_queued(lock: FifoLock, count: int) -> None:
    for _ in range(1000):
        with lock._mutex:
            if len(lock._waiters) >= count:
                return
        threading.Event().wait(0.005)
    raise AssertionError(f"never saw {count} waiters")


def test_the_lock_is_granted_in_the_order_it_was_asked_for() -> None:
    lock = FifoLock()
    assert lock.acquire(1)
    granted: list[int] = []
    threads = []
    for n in range(5):
        def wait_turn(n: int = n) -> None:
            assert lock.acquire(5)
            granted.append(n)
            lock.release()
        thread = threading.Thread(target=wait_turn)
        thread.start()
        threads.append(thread)
        _wait_until_queued(lock, n + 1)
    lock.release()
    for thread in threads:
        thread.join(5)
    assert granted == [0, 1, 2, 3, 4]


def test_a_waiter_that_gives_up_leaves_the_queue_and_the_next_one_is_served() -> None:
    lock = FifoLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.01)  # gave up
    lock.release()
    assert lock.acquire(0.01)  # free again: the one who gave up is not holding it


def test_twenty_threads_writing_at_once_all_succeed_on_one_file(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})
        except BaseException as problem:  # collected and asserted below
            failures.append(problem)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 200
    engine.dispose()


def test_a_turn_not_given_back_in_time_is_a_database_is_locked_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'held.sqlite3'}")
    monkeypatch.setattr(writer_queue, "WAIT_SECONDS", 0.05)
    holder = engine.connect()
    holder.begin()
    try:
        with pytest.raises(OperationalError, match="database is locked"), engine.begin() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        holder.close()
    with engine.begin() as conn:  # given back when the holder closed
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()


def test_how_long_each_writer_waited_is_heard(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'heard.sqlite3'}")
    heard: list[float] = []
    stop = writer_queue.on_wait(heard.append)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        monkeypatch.setattr(writer_queue, "WAIT_SECONDS", 0.05)
        with engine.begin() as holder:
            holder.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(OperationalError, match="database is locked"), \
                    engine.begin() as conn:  # gives up: heard too
                conn.execute(text("SELECT 1"))
    finally:
        stop()
    with engine.begin() as conn:  # no longer heard
        conn.execute(text("INSERT INTO t VALUES (2)"))
    engine.dispose()
    assert len(heard) == 3
    assert all(seconds >= 0 for seconds in heard)
    assert (tmp_path / "heard.sqlite3.writers" / "ticket").exists()  # the queue between processes
