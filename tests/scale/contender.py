"""A process asking for SQLite's writer turn (`app/core/writer_queue.py`), as a server's worker
or an `rhi` command would, told what to do one line at a time on its standard input:

    join          draw a ticket (answers "joined <ticket>")
    take SECONDS  wait up to SECONDS for the turn ("holding" or "gave up")
    asking SECONDS  the same, answering "asking" first, once it is waiting (so the test knows
                  it waits before it goes on)
    give          end the turn ("given")
    count N       N turns one after another, each adding one to the number in COUNTER ("counted")

While it has the turn it appends "<name> holding" and, before giving it back, "<name> giving" to
the shared LOG, so the log shows who held the turn and when, in the order it really happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Queue

from app.core import writer_queue
from app.core.settings import PROJECT_ROOT

ANSWER_SECONDS = 60


def note(log: Path, line: str) -> None:
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode())  # one write: lines never interleave
    finally:
        os.close(descriptor)


def add_one(counter: Path) -> None:
    """Read, then write: two turns at once would lose an addition."""
    number = int(counter.read_text() or "0") if counter.exists() else 0
    os.sched_yield()
    counter.write_text(str(number + 1))


def take_once_waiting(queue: writer_queue.WriterQueue, seconds: float, name: str,
                      log: Path) -> str:
    """`take`, answering "asking" first, once the writer is known to its process's queue as
    waiting (from then on a turn reaching the process is its, never passed on)."""
    outcome: list[bool] = []
    writer = threading.Thread(target=lambda: outcome.append(queue.acquire(seconds)))
    writer.start()
    while writer.is_alive() and not queue.between_processes._wanted:
        time.sleep(0.001)  # another thread's state: nothing to wait on instead
    sys.stdout.write("asking\n")
    sys.stdout.flush()
    writer.join()
    if outcome[0]:
        note(log, f"{name} holding")
        return "holding"
    return "gave up"


def main(database: str, name: str, log: Path, counter: Path) -> None:
    queue = writer_queue.queue_for(database)
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "join":
            answer = f"joined {queue.between_processes.join()}"
        elif command == "take":
            if queue.acquire(float(rest[0])):
                note(log, f"{name} holding")
                answer = "holding"
            else:
                answer = "gave up"
        elif command == "asking":
            answer = take_once_waiting(queue, float(rest[0]), name, log)
        elif command == "give":
            note(log, f"{name} giving")
            queue.release()
            answer = "given"
        elif command == "count":
            for _ in range(int(rest[0])):
                assert queue.acquire(writer_queue.WAIT_SECONDS)  # noqa: S101 - a test helper
                add_one(counter)
                queue.release()
            answer = "counted"
        else:
            answer = f"unknown command {command!r}"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


class Contender:
    """The test's end of one contender process."""

    def __init__(self, database: Path, name: str, log: Path, counter: Path) -> None:
        self.name = name
        self.process = subprocess.Popen(  # noqa: S603 - this module, fixed arguments
            [sys.executable, "-m", "tests.scale.contender", str(database), name, str(log),
             str(counter)], cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        self._answers: Queue[str] = Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None  # noqa: S101
        with self.process.stdout:
            for line in self.process.stdout:
                self._answers.put(line.strip())

    def send(self, command: str) -> None:
        assert self.process.stdin is not None  # noqa: S101
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> str:
        return self._answers.get(timeout=ANSWER_SECONDS)

    def ask(self, command: str) -> str:
        self.send(command)
        return self.answer()

    def kill(self) -> None:
        """SIGKILL: no clean-up runs, the kernel drops its locks."""
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        assert self.process.stdin is not None  # noqa: S101
        if self.process.poll() is None:
            self.process.stdin.close()  # the end of its commands: it exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.stdin.close()
        self._reader.join(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
