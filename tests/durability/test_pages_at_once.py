"""Eight people's form pages at once against a real `rhi serve` on SQLite: every page and every
save is answered, none with 503. A section page writes its audit entry; on SQLite that write
waits for the writer's turn, and waiting on the event loop once deadlocked the server (each
request holding the turn needed the loop to give it back)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.form_pages import sign_in
from tests.durability.scratch import rhi, scratch_database
from tests.durability.server import running

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


def test_eight_people_open_and_save_sections_at_once_without_a_503(tmp_path: Path) -> None:
    with scratch_database("rhi_pages", kind="sqlite") as url:
        made = rhi(url, "orgs", "create", "--code", "803", "--name", "Council",
                   "--kind", "local_authority")
        assert made.returncode == 0, made.stderr
        made = rhi(url, "users", "create", "--email", "eight@example.org", "--name", "Eight",
                   "--org", "803", "--role", "interviewer", stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        with running(url, tmp_path / "serve.log") as server:
            cookie, csrf = sign_in(server.base_url, "eight@example.org", PASSWORD)

            def person(_: int) -> list[int]:
                statuses = []
                with httpx.Client(base_url=server.base_url, timeout=60,
                                  headers={"Cookie": cookie}) as client:
                    started = client.post("/interviews/new", data={"csrf_token": csrf})
                    statuses.append(started.status_code)
                    base = started.headers.get("location", "").rsplit("/", 1)[0]
                    for slug in ("child", "episodes", "offer", "interview", "voice"):
                        statuses.append(client.get(f"{base}/{slug}").status_code)
                        statuses.append(client.post(
                            f"{base}/{slug}", data={"csrf_token": csrf},
                            headers={"HX-Request": "true", "X-CSRF-Token": csrf}).status_code)
                return statuses

            with ThreadPoolExecutor(8) as pool:
                answered = [s for statuses in pool.map(person, range(8)) for s in statuses]
            log = server.log_text()

    assert answered.count(503) == 0, re.findall(r"Database busy.*", log)[:3]
    assert set(answered) <= {200, 303}
