"""Email fixtures: a real SMTP server (aiosmtpd) on a free local port, and a local stand-in for
the GOV.UK Notify API (stdlib `http.server` in a thread), each with the settings pointed at it
for the test and restored afterwards; a synthetic child whose name, case id and date of birth
are easy to look for in every message; and a database whose commits are real.

Nothing here reaches the network: both servers listen on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.core.db import engine_swapped, upgrade_database
from app.core.settings import get_settings
from app.notify import dispatch
from tests.notify.support import PUBLIC_URL, SENDER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def use_settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Set RHI_* variables for this test (the settings are read again)."""
    for name in ("RHI_SMTP_HOST", "RHI_SMTP_PORT", "RHI_SMTP_FROM", "RHI_SMTP_STARTTLS",
                 "RHI_SMTP_USER", "RHI_SMTP_PASSWORD", "RHI_NOTIFY_API_KEY",
                 "RHI_NOTIFY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RHI_PUBLIC_URL", PUBLIC_URL)
    for name, value in values.items():
        monkeypatch.setenv(f"RHI_{name.upper()}", value)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _settings_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test here starts with no email configured and links on PUBLIC_URL, and leaves
    the settings as it found them."""
    use_settings(monkeypatch)
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


# --- a real SMTP server --------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        content = part.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")

    @property
    def everything(self) -> str:
        """The message as sent and as read: raw (with its encodings), every header decoded,
        and the body decoded (a word split by quoted-printable is whole again)."""
        headers = "\n".join(f"{name}: {value}" for name, value in self.message.items())
        return "\n".join((self.raw.decode("utf-8"), headers, self.body))


class _Collect:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.mailbox.hang_up_on_data:
            # Gone with the message in hand and no answer: the sender cannot know.
            assert server.transport is not None
            server.transport.close()
            return "250 never heard"
        assert isinstance(envelope.content, bytes)
        self.mailbox.received.append(Received(str(envelope.mail_from),
                                              [str(r) for r in envelope.rcpt_tos],
                                              envelope.content))
        return self.mailbox.answer


@dataclass
class Mailbox:
    """The SMTP server: what it received; `stop()` and `start()` it; `answer` to DATA."""

    port: int
    received: list[Received] = field(default_factory=list)
    answer: str = "250 Message accepted for delivery"
    hang_up_on_data: bool = False
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server on a free local port, and the service's settings pointing at it."""
    box = Mailbox(free_port())
    box.start()
    use_settings(monkeypatch, smtp_host="127.0.0.1", smtp_port=str(box.port), smtp_from=SENDER)
    try:
        yield box
    finally:
        box.stop()


# --- a local stand-in for the GOV.UK Notify API -------------------------------------------

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
KEY_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_API_KEY = f"rhi_test-{SERVICE_ID}-{KEY_SECRET}"
TEMPLATES = {"host_authority": "f33517ff-2a88-4f6e-b855-c550268ce08a",
             "record_returned": "ff5bd7cb-5c6c-4a07-9e2d-6f36c9e64e5e",
             "daily_digest": "b1c3a7e2-84e5-4a0f-9d70-31a0c2c6f8d1"}


@dataclass
class NotifyApi:
    """What the stand-in received (path, headers, JSON body), and what it answers."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 201


def _handler(api: NotifyApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            api.posts.append({"path": self.path, "headers": dict(self.headers),
                              "json": body})
            answer = (json.dumps({"id": str(uuid4()), "reference": body.get("reference"),
                                  "content": {}, "uri": "", "template": {}})
                      if api.status < 300 else
                      json.dumps({"status_code": api.status,
                                  "errors": [{"error": "BadRequestError",
                                              "message": "Can't send to this recipient"}]}))
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def notify_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyApi]:
    """A tiny local HTTP server in the Notify API's place, and the settings pointing at it:
    the real client, its real JWT and its real POST, to 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    api = NotifyApi(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    use_settings(monkeypatch, notify_api_key=NOTIFY_API_KEY, notify_base_url=api.url,
                 **{f"notify_template_{kind}": template for kind, template in TEMPLATES.items()})
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- a database whose commits are real -------------------------------------------------------


@pytest.fixture
def committed_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, migrated, with the settings and engine caches pointed at it for the
    test and restored afterwards (on SQLite whatever the suite runs on: the rows it commits
    must not stay in a shared database)."""
    monkeypatch.setenv("RHI_DATABASE_URL", f"sqlite:///{tmp_path / 'committed.sqlite3'}")
    get_settings.cache_clear()
    try:
        with engine_swapped():
            upgrade_database()
            try:
                yield get_settings().sqlalchemy_url
            finally:
                dispatch.wait()  # the after-commit sender is done with it before it closes
    finally:
        get_settings.cache_clear()
