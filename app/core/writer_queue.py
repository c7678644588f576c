"""SQLite's one writer, handed over in arrival order: within a process, and between processes.

SQLite lets one connection write at a time. Left to itself, a connection that finds the write
lock taken sleeps in the busy handler and polls (1, 2, 5 ... 100 ms apart), so under a burst of
submissions the CPU sits idle while the lock is free, the unlucky request keeps losing the race,
and after the busy timeout it fails: the 12-second tails and the 503s `make bench` found.

Here a writer first waits its turn, and is woken the moment the writer before it commits or
rolls back; nothing polls or sleeps:

- within a process, on a first-in, first-out queue of threads (`FifoLock`), so each process has
  at most one writer asking for a turn between processes;
- between processes (the server's workers, a second server, an `rhi` command beside them), on a
  queue lock in the style of Craig, Landin and Hagersten (CLH) made of `flock(2)` on small files
  in a directory beside the database, `<database>.writers/` (`ProcessQueue`).

The queue is order and wake-up only. What keeps two writers apart is SQLite's own write lock:
every write transaction still begins with `BEGIN IMMEDIATE` and waits on the busy timeout for
anything that is not in the queue (the sqlite3 shell; a process that cannot open the queue's
files, which logs a warning and writes without it). Read-only connections (`db.sqlite_reader`)
and `:memory:` databases never queue.

A writer that waits longer than `WAIT_SECONDS` gives up ("database is locked", a 503), but its
process's place in the queue is kept: a thread keeps waiting on it and, when the turn comes,
gives it to the process's next writer or, if there is none, passes it on at once. So a writer
giving up never lets the one behind it in before the one in front has finished, and a process
never has more than one ticket in the queue. `on_wait` hears how long each writer waited.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

WAIT_SECONDS: Final = 30.0

# Slot files between processes. A process holds at most one ticket per database, so up to
# SLOTS - 1 processes may queue at once; a process finding its slot still held (more than that)
# writes without the queue, on the busy timeout.
SLOTS: Final = 256
_TICKET = struct.Struct("<q")


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


class ProcessQueue:
    """This process's place in the queue of processes writing one database.

    In the directory: `ticket`, a counter, and `slot-0` ... `slot-255`. To join, a process
    takes an exclusive flock of `ticket`, reads its ticket t, takes an exclusive flock of its
    own slot `slot-<t mod SLOTS>` and writes t + 1, all before letting `ticket` go: so the slot
    is held before anyone can draw t + 1. Its turn comes when ticket t - 1 is done: it waits in
    flock() on that ticket's slot (the kernel wakes it when it is unlocked) and lets it go at
    once. A process done with its turn writes t into its slot, then unlocks it.

    flock locks die with their process. A slot unlocked without its ticket written was held by
    a process that was killed: then the turn is free only when the ticket before that is done,
    so the waiter goes on to that one's slot. A killed holder frees the queue, and a killed
    waiter lets nobody past a writer still working.

    Only the thread holding the process's `FifoLock` asks for the turn, so one at a time.
    """

    def __init__(self, database: str) -> None:
        path = os.path.realpath(database)
        self.directory = Path(path + ".writers")
        self._owner: tuple[int, int] | None = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # As SQLite does for its -wal and -shm files: an administrator's command run as
            # root must not leave files the service's own user cannot open.
            with contextlib.suppress(OSError):
                stat = os.stat(path)
                self._owner = (stat.st_uid, stat.st_gid)
        self._mutex = threading.Lock()
        self._came = threading.Condition(self._mutex)
        self._ticket: int | None = None  # drawn and not yet done
        self._slot: int | None = None  # the descriptor holding that ticket's slot locked
        self._holding = False  # a writer of this process has the turn
        self._arrived = False  # the turn came while a writer was waiting for it
        self._wanted = False  # a writer of this process is waiting for the turn
        self._warned = False

    def join(self) -> int | None:
        """Ask for the turn: this process's ticket (drawn now if it has none), or None when the
        queue cannot be used. `acquire` waits for it."""
        with self._mutex:
            return self._join()

    def acquire(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this process's turn; whether it came. (True, too,
        when the queue cannot be used: then SQLite's busy timeout alone decides.)"""
        with self._mutex:
            if self._join() is None:
                return True
            if not self._came.wait_for(lambda: self._arrived, timeout):
                self._wanted = False  # the ticket stays in the queue: see the module's doc
                return False
            self._arrived = self._wanted = False
            self._holding = True
            return True

    def _join(self) -> int | None:
        self._wanted = True
        if self._ticket is None:
            ticket = self._draw()
            if ticket is None:
                self._wanted = False
                return None
            try:
                ready = _wait_for_earlier(self.directory, ticket, blocking=False)
                if not ready:
                    threading.Thread(target=self._wait_in_background, args=(ticket,),
                                     name="rhi-writer-queue", daemon=True).start()
            except (OSError, RuntimeError) as problem:  # no waiting: SQLite's lock alone
                self._warn(problem)
                ready = True
            self._arrived = ready
        return self._ticket

    def release(self) -> None:
        """The turn is over: the next process's writer is woken."""
        with self._mutex:
            if self._holding:
                self._pass_on()

    def _wait_in_background(self, ticket: int) -> None:
        try:
            _wait_for_earlier(self.directory, ticket, blocking=True)
        except OSError as problem:  # SQLite's lock still keeps writers apart
            self._warn(problem)
        with self._mutex:
            if self._wanted:
                self._arrived = True
                self._came.notify_all()
            else:  # the writer who wanted it gave up, and no other came: on to the next
                self._pass_on()

    def _pass_on(self) -> None:
        ticket, slot = self._ticket, self._slot
        self._ticket = self._slot = None
        self._holding = False
        if ticket is None or slot is None:
            return
        try:
            os.pwrite(slot, _TICKET.pack(ticket), 0)  # "done", not "killed"
        except OSError as problem:  # the next waits for the ticket before ours too: still safe
            self._warn(problem)
        finally:
            os.close(slot)  # unlocks it: the kernel wakes the process waiting on it

    def _draw(self) -> int | None:
        """Join the queue: a ticket, and its slot locked; None when the queue cannot be used."""
        try:
            counter = self._open("ticket", os.O_RDWR | os.O_CREAT)
        except FileNotFoundError:
            try:
                self.directory.mkdir(exist_ok=True)
                if self._owner is not None:
                    with contextlib.suppress(OSError):
                        os.chown(self.directory, *self._owner)
                counter = self._open("ticket", os.O_RDWR | os.O_CREAT)
            except OSError as problem:
                self._warn(problem)
                return None
        except OSError as problem:
            self._warn(problem)
            return None
        try:
            fcntl.flock(counter, fcntl.LOCK_EX)
            read = os.pread(counter, _TICKET.size, 0)
            ticket: int = _TICKET.unpack(read)[0] if len(read) == _TICKET.size else 0
            slot = self._open(f"slot-{ticket % SLOTS}", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.pwrite(counter, _TICKET.pack(ticket + 1), 0)
            except BaseException:
                os.close(slot)
                raise
        except BlockingIOError:
            self._warn(OSError(f"more than {SLOTS - 1} processes are writing at once"))
            return None
        except OSError as problem:
            self._warn(problem)
            return None
        finally:
            os.close(counter)  # and with it the counter's lock
        self._ticket, self._slot = ticket, slot
        return ticket

    def _open(self, name: str, flags: int) -> int:
        descriptor = os.open(self.directory / name, flags, 0o666)
        if self._owner is not None:
            with contextlib.suppress(OSError):
                os.fchown(descriptor, *self._owner)
        return descriptor

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's ticket is not the child's (its descriptor is closed
        here without unlocking, which would unlock it for the parent too)."""
        if self._slot is not None:
            with contextlib.suppress(OSError):
                os.close(self._slot)
        self._mutex = threading.Lock()
        self._came = threading.Condition(self._mutex)
        self._ticket = self._slot = None
        self._holding = self._arrived = self._wanted = False

    def _warn(self, problem: Exception) -> None:
        if not self._warned:
            self._warned = True
            logger.warning("SQLite writers queue on the busy timeout, not in order: the queue "
                           "in %s cannot be used: %s", self.directory, problem)


def _wait_for_earlier(directory: Path, ticket: int, *, blocking: bool) -> bool:
    """Whether every ticket before `ticket` is done; if `blocking`, after waiting for it."""
    for back in range(1, SLOTS):
        earlier = ticket - back
        if earlier < 0:
            return True
        try:
            slot = os.open(directory / f"slot-{earlier % SLOTS}", os.O_RDONLY)
        except FileNotFoundError:  # no ticket ever used that slot
            return True
        try:
            try:
                fcntl.flock(slot, fcntl.LOCK_SH | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            done = os.pread(slot, _TICKET.size, 0) == _TICKET.pack(earlier)
        finally:
            os.close(slot)
        if done:
            return True
        # Unlocked but not done: its process was killed. The turn is free once the ticket
        # before it is done.
    return True


# --- how long writers wait ---------------------------------------------------------------------

WaitListener = Callable[[float], None]
_wait_listeners: list[WaitListener] = []


def on_wait(listener: WaitListener) -> Callable[[], None]:
    """Call `listener` with the seconds each writer waited for its turn (a writer that gave up:
    about WAIT_SECONDS), in the writer's thread, before it begins; returns what stops it.

    For metrics: it must be quick and must not write to the database."""
    _wait_listeners.append(listener)
    return lambda: _wait_listeners.remove(listener)


def _report(seconds: float) -> None:
    for listener in tuple(_wait_listeners):
        try:
            listener(seconds)
        except Exception:  # a metric must never stop a save
            logger.exception("writer_queue: a wait listener failed")


class WriterQueue:
    """The turn to write one database file: this process's turn first, then the processes'."""

    def __init__(self, database: str) -> None:
        self.in_process = FifoLock()
        self.between_processes = ProcessQueue(database)

    def acquire(self, timeout: float) -> bool:
        started = time.monotonic()
        granted = self.in_process.acquire(timeout)
        if granted:
            left = max(0.0, started + timeout - time.monotonic())
            granted = self.between_processes.acquire(left)
            if not granted:
                self.in_process.release()
        _report(time.monotonic() - started)
        return granted

    def release(self) -> None:
        try:
            self.between_processes.release()
        finally:
            self.in_process.release()


_QUEUES: dict[str, WriterQueue] = {}
_QUEUES_MUTEX = threading.Lock()


def queue_for(database: str) -> WriterQueue:
    """The one queue for a database file, however many engines in this process open it."""
    key = os.path.realpath(database)
    with _QUEUES_MUTEX:
        queue = _QUEUES.get(key)
        if queue is None:
            queue = _QUEUES[key] = WriterQueue(key)
        return queue


def _forget_after_fork() -> None:
    # A child forked by a writer starts with no turn and no ticket of its own.
    global _QUEUES_MUTEX
    _QUEUES_MUTEX = threading.Lock()
    for queue in _QUEUES.values():
        queue.between_processes.forget_after_fork()
    _QUEUES.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


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

    _queue: WriterQueue | None = None
    _has_turn: bool = False
    reading: bool = False

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._queue = queue_for(database)
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
