"""SQLite's one writer, handed over in arrival order within this process.

SQLite lets one connection write at a time. Left to itself, a connection that finds the write
lock taken sleeps in the busy handler and polls (1, 2, 5 ... 100 ms apart), so under a burst of
submissions the CPU sits idle while the lock is free, the unlucky request keeps losing the race,
and after the busy timeout it fails: the 12-second tails and the 503s `make bench` found.

Here, in-process writers wait on a first-in, first-out queue and are woken the moment the
previous transaction commits or rolls back. SQLite's own busy timeout still arbitrates between
processes (a CLI command beside the server).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from typing import Any, Final

WAIT_SECONDS: Final = 30.0


class FifoLock:
    """A lock granted in the order it was asked for; it is not tied to a thread."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # still held: ownership passes to the next
            else:
                self._held = False


_LOCKS: dict[str, FifoLock] = {}
_LOCKS_MUTEX = threading.Lock()


def lock_for(database: str) -> FifoLock:
    """The one queue for a database file, however many engines in this process open it."""
    key = os.path.realpath(database)
    with _LOCKS_MUTEX:
        return _LOCKS.setdefault(key, FifoLock())


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions wait their turn on the database's queue.

    `begin_immediate` takes the turn, then SQLite's write lock; COMMIT, ROLLBACK or closing the
    connection gives the turn to the next writer, after SQLite has released its lock.

    `begin_reading` starts a read transaction instead (WAL: readers never wait for the writer).
    Its first write goes through `start_writing`, which ends the read and begins a write
    transaction, because SQLite cannot upgrade a read of an older snapshot in place: it fails at
    once with SQLITE_BUSY_SNAPSHOT. Only for requests whose writes do not depend on what they
    read (a GET's audit entry and session touch): the snapshot read before the write is gone.
    """

    _queue: FifoLock | None = None
    _has_turn: bool = False
    reading: bool = False

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._queue = lock_for(database)
        self._has_turn = False
        self.reading = False

    def begin_reading(self) -> None:
        self.execute("BEGIN")
        self.reading = True

    def start_writing(self) -> None:
        """From a read transaction, a write transaction (waiting for the turn); else nothing."""
        if self.reading:
            self.reading = False
            super().commit()  # a read: nothing to keep, and no turn to give back
            self.begin_immediate()

    def begin_immediate(self) -> None:
        if not self._has_turn:
            assert self._queue is not None  # noqa: S101 - set in __init__  # nosec B101
            if not self._queue.acquire(WAIT_SECONDS):
                # The words the 503 handler and every SQLite client know.
                raise sqlite3.OperationalError("database is locked")
            self._has_turn = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._give_turn()
            raise

    def _give_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            assert self._queue is not None  # noqa: S101 - set in __init__  # nosec B101
            self._queue.release()

    def commit(self) -> None:
        self.reading = False
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._give_turn()

    def rollback(self) -> None:
        self.reading = False
        try:
            super().rollback()
        finally:
            self._give_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_turn()
