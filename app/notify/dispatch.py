"""Best effort, right after the request: what a transaction queued is sent once it commits,
by one background thread, so a slow mail server never holds up the answer.

Installed once at start-up (`app/startup.py`) as a listener of every session's commit. Only a
real commit counts: a session bound to a connection inside someone else's transaction (a
test's, rolled back at the end) has not committed anything yet. What this thread does not send
(the process stopped first, the server was down) stays queued for `rhi notify send`, which a
timer runs: this is a shortcut, never the guarantee. At exit the thread finishes the message it
is sending (so none is left half-sent) and leaves the rest queued.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Sequence
from typing import Final
from uuid import UUID

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.notify import outbox, senders, sending

logger = logging.getLogger(__name__)

EXIT_WAIT_SECONDS: Final = 15.0


class _Worker:
    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Engine, tuple[UUID, ...]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._stopping = False

    def submit(self, engine: Engine, ids: Sequence[UUID]) -> None:
        with self._lock:
            if self._stopping:
                return  # left queued for `rhi notify send`
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rhi-notify",
                                                daemon=True)
                self._thread.start()
        self._jobs.put((engine, tuple(ids)))

    def _run(self) -> None:
        while True:
            engine, ids = self._jobs.get()
            try:
                if not self._stopping:
                    with Session(engine, expire_on_commit=False) as session:
                        sending.send_due(session, senders.configured(), ids=ids)
            except Exception:  # the thread must live on; the timer sends what is left
                logger.exception("notify: sending after the request failed; "
                                 "`rhi notify send` will try again")
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait until everything handed over is done; whether it was, within `timeout`."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self.wait(EXIT_WAIT_SECONDS)


_worker = _Worker()


def wait(timeout: float = 10.0) -> bool:
    """Wait for the sending thread to be idle (for tests and orderly shutdowns)."""
    return _worker.wait(timeout)


def _after_commit(session: Session) -> None:
    # Ids of a transaction that rolled back may linger here until the session next commits:
    # harmless, the sender finds no such row.
    ids = session.info.pop(outbox.QUEUED_IN_SESSION, None)
    if not ids:
        return
    bind = session.get_bind()
    if isinstance(bind, Engine):  # a real commit: the rows are there for another connection
        _worker.submit(bind, ids)


def send_after_commit() -> None:
    """Send what each transaction queued as soon as it commits (once, however often called)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        atexit.register(_worker.stop)
