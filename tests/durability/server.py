"""A real `rhi serve` in a process of its own, and partner systems posting to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.core.settings import PROJECT_ROOT
from app.record.serialize import document_to_json
from app.record.validation import validate_document
from tests.builders import make_document
from tests.durability.scratch import RHI, environment, rhi

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no clean-up runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def launch(database_url: str, log: Path, workers: int = 1) -> Server:
    """`rhi serve` on a free port, in a process group of its own (to kill it whole, workers and
    all); not yet answering: see `ready`. One process unless `workers` says: the tests that
    kill or watch the server mean the one process."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            [RHI, "serve", "--port", str(port), "--workers", str(workers)],
            env=environment(database_url), cwd=PROJECT_ROOT, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True)
    return Server(f"http://127.0.0.1:{port}", process, log)


def start(database_url: str, log: Path, workers: int = 1) -> Server:
    """`rhi serve`, answering /healthz."""
    return ready(launch(database_url, log, workers))


def ready(server: Server) -> Server:
    """The server once it answers /healthz (it migrates the database first)."""
    process = server.process
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"rhi serve exited {process.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling another process's start-up: nothing to wait on instead
    server.stop()
    raise AssertionError(f"rhi serve did not answer in {STARTUP_SECONDS} s:\n{server.log_text()}")


@contextmanager
def running(database_url: str, log: Path, workers: int = 1) -> Iterator[Server]:
    server = start(database_url, log, workers)
    try:
        yield server
    finally:
        server.stop()


def partner_key_by_cli(database_url: str, code: str | None = None) -> tuple[str, str]:
    """An organisation and a `submit` key made with the real command line: (code, key)."""
    code = code or f"dur-{uuid4().hex[:6]}"
    made = rhi(database_url, "orgs", "create", "--code", code, "--name", "Durability Council",
               "--kind", "local_authority")
    assert made.returncode == 0, made.stderr
    key = rhi(database_url, "api-keys", "create", "--org", code, "--name", "Stream",
              "--scope", "submit")
    assert key.returncode == 0, key.stderr
    return code, key.stdout.strip().splitlines()[-1]


def interview(code: str) -> dict[str, Any]:
    """A complete interview document of a child of `code`."""
    return make_document(child__responsible_authority=code, child__placement_authority=code)


def partner_key(database_url: str) -> tuple[str, str]:
    """The same, made in this process (quicker than two more processes): (code, key)."""
    code = f"dur-{uuid4().hex[:6]}"
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            accounts.create_organisation(session, code, "Durability Council", "local_authority")
            _, key = create_api_key(session, code, "Writers", ["submit"])
            session.commit()
    finally:
        engine.dispose()
    return code, key


def as_stored(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the service stores it (empty lists dropped, and so on)."""
    validated = validate_document(document, complete=True, now=datetime.now(UTC))
    assert validated.ok, validated.errors
    return document_to_json(validated.document)


def document_of(record: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The document part of a stored record, to compare with `as_stored(document)`."""
    stored = as_stored(document)
    return {name: record.get(name) for name in stored}
