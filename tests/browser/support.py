"""What the browser tests share: the server they drive, signing in, axe-core, keyboard moves.

Fixtures are in `conftest.py`; plain helpers live here so test modules can import them.
"""

from __future__ import annotations

import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
# Never let Playwright fetch a browser; the network is closed and we use Debian's Chromium.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_URL = "/static/axe-core-4.14.1/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

DEVICES: dict[str, dict[str, Any]] = {
    "tablet": {"viewport": {"width": 810, "height": 1080}, "has_touch": True},
    "320px": {"viewport": {"width": 320, "height": 720}, "has_touch": True, "is_mobile": True},
    # A tablet with a keyboard (or a laptop): no touch, so nothing can be tapped by accident.
    "keyboard": {"viewport": {"width": 810, "height": 1080}, "has_touch": False},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "has_touch": False},
}
SAVED = re.compile(r"^Saved at \d\d:\d\d$")
NOT_SAVED = re.compile(r"not saved", re.IGNORECASE)


# --- the server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str
    org: str
    password: str


@dataclass
class Server:
    base_url: str
    database: Path
    log: Path
    people: dict[str, Person]
    seeded: dict[str, str] = field(default_factory=dict)

    def interview_document(self, interview_id: str) -> dict[str, Any]:
        """The stored document, read straight from the server's SQLite file (read-only)."""
        import json

        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            ident = UUID(interview_id)
            row = conn.execute("SELECT document FROM interviews WHERE id IN (?, ?)",
                               (ident.hex, str(ident))).fetchone()
        assert row is not None, f"no interview {interview_id} in {self.database}"
        document: dict[str, Any] = json.loads(row[0])
        return document


def rhi_command() -> str:
    beside = Path(sys.executable).with_name("rhi")
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "rhi")


def run_rhi(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run([rhi_command(), *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"rhi {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """`rhi serve` on 127.0.0.1:port until the block ends; yields the base URL once healthy."""
    base_url = f"http://127.0.0.1:{port}"
    with log.open("w") as log_file:
        process = subprocess.Popen([rhi_command(), "serve", "--host", "127.0.0.1",  # noqa: S603
                                    "--port", str(port)], env=env, cwd=ROOT,
                                   stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"rhi serve exited with {process.returncode}:\n"
                                       f"{log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"rhi serve did not answer /healthz within 60 s:\n"
                                       f"{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


# --- driving the server without a browser (to set up records quickly) -------------------------


class HttpUser:
    """A signed-in person posting forms as a browser without JavaScript would."""

    def __init__(self, base_url: str, person: Person) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        login = self.client.get("/login")
        token = _hidden(login.text, "csrf_token")
        answer = self.client.post("/login", data={"email": person.email,
                                                  "password": person.password,
                                                  "csrf_token": token, "next": "/"})
        assert answer.status_code == 303, f"sign in as {person.email}: {answer.status_code}"
        home = self.client.get("/", follow_redirects=True)
        found = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)
        assert found and found.group(1), "no CSRF token on the home page"
        self.csrf = found.group(1)

    def close(self) -> None:
        self.client.close()

    def start(self) -> str:
        answer = self.client.post("/interviews/new", data={"csrf_token": self.csrf})
        assert answer.status_code == 303
        return answer.headers["location"].rsplit("/", 2)[1]

    def save(self, interview_id: str, slug: str, fields: dict[str, Any]) -> httpx.Response:
        answer = self.client.post(f"/interviews/{interview_id}/{slug}",
                                  data={"csrf_token": self.csrf, **fields})
        assert answer.status_code == 303, (slug, answer.status_code, answer.text[:2000])
        return answer

    def submit(self, interview_id: str) -> None:
        answer = self.client.post(f"/interviews/{interview_id}/submit",
                                  data={"csrf_token": self.csrf})
        assert answer.status_code == 303, answer.text[:3000]


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def when(prefix: str, day: int, month: int, year: int, time_of_day: str) -> dict[str, str]:
    return {f"{prefix}-day": str(day), f"{prefix}-month": str(month),
            f"{prefix}-year": str(year), f"{prefix}-time": time_of_day}


def whole_interview(given: str, family: str, *, cse: bool = False) -> dict[str, dict[str, Any]]:
    """Every section of a complete interview, as plain form fields."""
    return {
        "child": {"child-local_id": "BT-SEED", "child-given_name": given,
                  "child-family_name": family, "child-date_of_birth-day": "4",
                  "child-date_of_birth-month": "5", "child-date_of_birth-year": "2011",
                  "child-gender": "female", "child-legal_status": "looked_after",
                  "child-responsible_authority": "803", "child-placement_authority": "801"},
        "episodes": {"episodes-count": "1", "episodes-0-type": "missing",
                     **when("episodes-0-started_at", 1, 3, 2026, "18:00"),
                     **when("episodes-0-returned_at", 2, 3, 2026, "09:00"),
                     "episodes-0-reported_to_police": "yes"},
        "offer": {"offer-outcome": "completed", **when("offer-offered_at", 2, 3, 2026, "12:00")},
        "interview": {**when("interview-conducted_at", 3, 3, 2026, "10:00"),
                      "interview-mode": "in_person",
                      "interview-interviewer_role": "independent_rhi_worker",
                      "interview-interviewer_independent": "yes",
                      "interview-interviewer_trained": "yes",
                      "interview-push_factors": ["family_conflict"],
                      "interview-pull_factors": ["peer_pressure"],
                      "interview-where_stayed": "A friend's flat",
                      "interview-with_whom": "Friends", "interview-harm_disclosed": "no",
                      "interview-risk_indicators": ["sexual_exploitation"] if cse else []},
        "voice": {"interview-child_account": "A synthetic account.",
                  "interview-read_back_to_child": "yes",
                  "interview-information_sharing_explained": "yes",
                  "interview-consent_to_share": "yes"},
        "actions": {"actions-count": "1", "actions-0-type": "safety_plan",
                    **when("actions-0-at", 3, 3, 2026, "15:00"), "sharing-count": "0"},
    }


# --- the browser -----------------------------------------------------------------------------


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot in tests/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, person: Person) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(person.password)
    press(page, page.get_by_role("button", name="Sign in"))
    expect(page).not_to_have_url(re.compile(r"/login"))


def press(page: Page, target: Locator) -> None:
    """Tap on a touch screen, click otherwise."""
    if _has_touch(page):
        target.tap()
    else:
        target.click()


def _has_touch(page: Page) -> bool:
    touch: bool = page.evaluate("() => navigator.maxTouchPoints > 0")
    return touch


def wait_for_autosave_idle(page: Page) -> None:
    """No autosave request in flight (htmx marks the form with `htmx-request` while one is)."""
    expect(page.locator("form[data-autosave].htmx-request")).to_have_count(0)


# --- axe-core --------------------------------------------------------------------------------


@dataclass
class AxeResult:
    label: str
    url: str
    violations: list[dict[str, Any]]
    passes: int
    incomplete: list[str]

    def report(self) -> str:
        lines = [f"axe-core found {len(self.violations)} WCAG 2.2 A/AA violation(s) on "
                 f"{self.label} ({self.url}):"]
        for v in self.violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:5]:
                lines.append(f"    {node['target']}: {node['html'][:160]}")
                lines.append("      " + node["summary"].replace("\n", "\n      "))
        return "\n".join(lines)


AXE_RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return {
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                summary: n.failureSummary || ''})),
    })),
    passes: result.passes.length,
    incomplete: result.incomplete.map(v => v.id),
  }
}"""


def run_axe(page: Page, label: str) -> AxeResult:
    """axe-core's WCAG 2.2 A/AA rules on the page as it is now.

    axe is served like any static file (the Content-Security-Policy allows 'self' scripts and
    refuses inline ones), so it is added by URL.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    raw: dict[str, Any] = page.evaluate(AXE_RUN, AXE_TAGS)
    return AxeResult(label=label, url=page.url, violations=raw["violations"],
                     passes=raw["passes"], incomplete=raw["incomplete"])


# --- the keyboard ----------------------------------------------------------------------------


def focused_matches(page: Page, selector: str) -> bool:
    hit: bool = page.evaluate(
        "(sel) => !!document.activeElement && document.activeElement.matches(sel)", selector)
    return hit


def tab_to(page: Page, selector: str, limit: int = 250) -> None:
    """Press Tab (only Tab) until the element matching `selector` has the focus."""
    seen: list[str] = []
    for _ in range(limit):
        if focused_matches(page, selector):
            return
        page.keyboard.press("Tab")
        seen.append(page.evaluate(
            "() => { const a = document.activeElement; return a ? a.tagName.toLowerCase() + "
            "(a.id ? '#' + a.id : '') + (a.name ? '[name=' + a.name + ']' : '') : 'none' }"))
    raise AssertionError(f"Tab never reached {selector}; the focus went through: "
                         f"{' > '.join(seen[-40:])}")
