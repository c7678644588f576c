"""What the browser tests share: the server they drive, signing in, axe-core, keyboard moves.

Fixtures are in `conftest.py`; plain helpers live here so test modules can import them.
"""

from __future__ import annotations

import html
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import httpx
from playwright.sync_api import Locator, Page, Response, expect

from tests.totp import fresh_code

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
    # A phone-sized window driven by a keyboard alone (a switch or a Bluetooth keyboard).
    "keyboard-320px": {"viewport": {"width": 320, "height": 720}, "has_touch": False,
                       "is_mobile": True},
    # A tablet with a keyboard (or a laptop): no touch, so nothing can be tapped by accident.
    "keyboard": {"viewport": {"width": 810, "height": 1080}, "has_touch": False},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "has_touch": False},
}
OpenPage = Callable[..., Page]  # the `open_page` fixture
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


Commands = list[tuple[list[str], str | None]]


def start_rhi(commands: Commands, env: dict[str, str]) -> list[Any]:
    """Start `rhi` commands side by side (each takes seconds, mostly Python imports), each with
    its own standard input."""
    running = []
    for args, stdin in commands:
        process = subprocess.Popen([rhi_command(), *args], env=env, cwd=ROOT,  # noqa: S603
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        running.append((args, stdin, process))
    return running


def finish_rhi(running: list[Any]) -> None:
    """Wait for commands from `start_rhi`; raise if any failed."""
    failures = []
    for args, stdin, process in running:
        out, err = process.communicate(stdin, timeout=120)
        if process.returncode != 0:
            failures.append(f"rhi {' '.join(args)} failed ({process.returncode}): "
                            f"{err.strip() or out.strip()}")
    if failures:
        raise RuntimeError("\n".join(failures))


def run_rhi(commands: Commands, env: dict[str, str]) -> None:
    finish_rhi(start_rhi(commands, env))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """`rhi serve` (one worker process, said: the bench's page weight uses it too) on
    127.0.0.1:port until the block ends; yields the base URL once healthy."""
    base_url = f"http://127.0.0.1:{port}"
    with log.open("w") as log_file:
        # One process: terminate() and kill() below reach that process alone.
        process = subprocess.Popen([rhi_command(), "serve", "--host", "127.0.0.1",  # noqa: S603
                                    "--port", str(port), "--workers", "1"], env=env, cwd=ROOT,
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


# Authenticator secrets and unused recovery codes of the people these tests enrolled, by email.
# (Roles that see children's identities enrol a second factor at their first sign-in.)
TOTP_SECRETS: dict[str, str] = {}
RECOVERY_CODES: dict[str, list[str]] = {}
SECOND_FACTOR_PATH = "/login/two-factor"


def security_code(person: Person) -> str:
    """The authenticator's current code, or, failing a secret, an unused recovery code."""
    secret = TOTP_SECRETS.get(person.email)
    if secret is not None:
        return fresh_code(secret)
    codes = RECOVERY_CODES.get(person.email) or []
    assert codes, f"{person.email} has no authenticator this test run knows of"
    return codes.pop()


class HttpUser:
    """A signed-in person posting forms as a browser without JavaScript would."""

    def __init__(self, base_url: str, person: Person) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        login = self.client.get("/login")
        token = hidden_field(login.text, "csrf_token")
        answer = self.client.post("/login", data={"email": person.email,
                                                  "password": person.password,
                                                  "csrf_token": token, "next": "/"})
        assert answer.status_code == 303, f"sign in as {person.email}: {answer.status_code}"
        if answer.headers["location"].startswith(SECOND_FACTOR_PATH):
            self._second_factor(person, answer.headers["location"])
        home = self.client.get("/", follow_redirects=True)
        found = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)
        assert found and found.group(1), "no CSRF token on the home page"
        self.csrf = found.group(1)

    def _second_factor(self, person: Person, location: str) -> None:
        form = self.client.get(location).text
        secret = re.search(r'data-secret="([A-Z2-7]+)"', form)
        if secret:  # the first sign-in: enrol
            TOTP_SECRETS[person.email] = secret.group(1)
        fields = {"csrf_token": hidden_field(form, "csrf_token"),
                  "next": hidden_field(form, "next"), "code": security_code(person)}
        if secret:
            fields["enrol_token"] = hidden_field(form, "enrol_token")
        answer = self.client.post(SECOND_FACTOR_PATH, data=fields)
        if secret:
            assert answer.status_code == 200, f"enrolling {person.email}: {answer.status_code}"
            RECOVERY_CODES[person.email] = re.findall(r"<code>([0-9a-f-]+)</code>", answer.text)
        else:
            assert answer.status_code == 303, f"second factor: {answer.status_code}"

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


def hidden_field(page: str, name: str) -> str:
    """The value of a hidden form field on a page."""
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
                      "interview-interviewer_relationship": "none",
                      "interview-interviewer_trained": "yes",
                      "interview-child_account": "A synthetic account.",
                      "interview-push_factors": ["family_conflict"],
                      "interview-where_stayed": "A friend's flat",
                      "interview-with_whom": "Friends",
                      "interview-pull_factors": ["peer_pressure"],
                      "interview-feelings_now": "Tired", "interview-afraid_of_anyone": "no",
                      "interview-harm_disclosed": "no",
                      "interview-risk_indicators": ["sexual_exploitation"] if cse else [],
                      "interview-safety_information_given": "yes"},
        "voice": {"interview-read_back_to_child": "yes",
                  "interview-information_sharing_explained": "yes",
                  "interview-views_on_sharing": "agrees",
                  "interview-lawful_basis": "public_task",
                  "interview-child_told_of_sharing": "yes"},
        "actions": {"actions-count": "1", "actions-0-type": "safety_plan",
                    "actions-0-owner": "Ivy Interviewer", "actions-0-status": "done",
                    **when("actions-0-at", 3, 3, 2026, "15:00"), "sharing-count": "0"},
    }


# --- the browser -----------------------------------------------------------------------------


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot in tests/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def settle(page: Page) -> None:
    """Wait until no autosave is in flight and two frames have drawn.

    An autosave's answer marks or clears field errors, which moves everything below them; a
    finger aims at where a control is now, so a test taps only once the page has stopped
    moving (a person does the same without thinking)."""
    for _ in range(2):
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        page.evaluate("() => new Promise(done => requestAnimationFrame(() =>"
                      " requestAnimationFrame(() => done(null))))")


def press(page: Page, target: Locator) -> None:
    """Tap on a touch screen, click otherwise."""
    if _has_touch(page):
        settle(page)
        target.tap()
    else:
        target.click()


def _has_touch(page: Page) -> bool:
    touch: bool = page.evaluate("() => navigator.maxTouchPoints > 0")
    return touch


class Touch:
    """Fingers on a touch screen (taps) and the on-screen keyboard (fill); clicks without
    touch."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def fill(self, field_id: str, value: str) -> None:
        self.page.locator(f"#{field_id}").fill(value)

    def replace(self, field_id: str, value: str) -> None:
        self.fill(field_id, value)

    def choose(self, name: str, value: str) -> None:
        option = self.page.locator(f'input[name="{name}"][value="{value}"]')
        press(self.page, option)
        expect(option).to_be_checked()

    def pick(self, field_id: str, value: str, label: str) -> None:
        self.page.locator(f"#{field_id}").select_option(value)

    def activate(self, target: Locator) -> None:
        press(self.page, target)

    def button(self, name: str) -> None:
        self.activate(self.page.get_by_role("button", name=name, exact=True))

    def link(self, name: str) -> None:
        self.activate(self.page.get_by_role("link", name=name, exact=True))


class Keyboard(Touch):
    """The keyboard alone: Tab to move, Space and Enter to act, arrows inside a radio group,
    End and Backspace to correct. Never the mouse."""

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.keys = page.keyboard

    def fill(self, field_id: str, value: str) -> None:
        tab_to(self.page, self.page.locator(f"#{field_id}"))
        self.keys.type(value)

    def replace(self, field_id: str, value: str) -> None:
        target = self.page.locator(f"#{field_id}")
        tab_to(self.page, target)
        self.keys.press("End")  # the caret may be anywhere after a link moved the focus here
        for _ in target.input_value():
            self.keys.press("Backspace")
        self.keys.type(value)

    def choose(self, name: str, value: str) -> None:
        option = self.page.locator(f'input[name="{name}"][value="{value}"]')
        if option.get_attribute("type") == "radio":
            # Tab enters a radio group once, on its checked (or first) radio; arrows move on.
            checked = self.page.locator(f'input[name="{name}"]:checked')
            tab_to(self.page, checked if checked.count() else
                   self.page.locator(f'input[name="{name}"]'))
            for _ in range(20):
                if option.evaluate("(element) => element === document.activeElement"):
                    break
                self.keys.press("ArrowDown")
        else:
            tab_to(self.page, option)
        if not option.is_checked():
            self.keys.press("Space")
        expect(option).to_be_checked()

    def pick(self, field_id: str, value: str, label: str) -> None:
        select = self.page.locator(f"#{field_id}")
        tab_to(self.page, select)
        self.keys.type(label)  # a closed select jumps to the option its typed start matches
        expect(select).to_have_value(value)

    def activate(self, target: Locator) -> None:
        tab_to(self.page, target)
        self.keys.press("Enter")


LookAt = Callable[[str], None]  # takes a screenshot, runs axe: see test_journey.Look


def sign_in_browser(page: Page, person: Person, drive: Touch | None = None,
            look: LookAt | None = None) -> None:
    """The sign-in form, then the second factor when the role needs one (enrolling at the
    first sign-in). `look(label)` is called on each page on the way (screenshots, axe)."""
    drive = drive or Touch(page)
    if not re.search(r"/login(\?.*)?$", page.url):  # (the sign-in page keeps its ?next=)
        page.goto("/login")
    if look:
        look("sign-in")
    drive.fill("email", person.email)
    drive.fill("password", person.password)
    drive.button("Sign in")
    expect(page).not_to_have_url(re.compile(r"/login(\?.*)?$"))
    if SECOND_FACTOR_PATH in page.url:
        second_factor(page, person, drive, look)
    expect(page).not_to_have_url(re.compile(r"/login"))


def second_factor(page: Page, person: Person, drive: Touch, look: LookAt | None = None) -> None:
    secret = page.locator("[data-secret]")
    enrolling = secret.count() > 0
    if enrolling:
        TOTP_SECRETS[person.email] = str(secret.get_attribute("data-secret"))
    if look:
        look("two-factor-set-up" if enrolling else "two-factor-code")
    drive.fill("code", security_code(person))
    drive.button("Continue")
    if enrolling:
        codes = page.locator("#recovery-codes code")
        expect(codes.first).to_be_visible()
        RECOVERY_CODES[person.email] = codes.all_inner_texts()
        if look:
            look("two-factor-recovery-codes")
        drive.button("Continue")  # a link, styled and named as a button


def autosave_carrying(interview_id: str, slug: str,
                      **fields: str) -> Callable[[Response], bool]:
    """Matches the answer to an htmx autosave of the section whose request carried these field
    values (`child__given_name` for `child-given_name`), so a save sent before the last
    keystroke does not match."""
    path = f"/interviews/{interview_id}/{slug}"

    def match(response: Response) -> bool:
        request = response.request
        if (request.method != "POST" or not response.url.endswith(path)
                or request.headers.get("hx-request") != "true"):
            return False
        sent = parse_qs(request.post_data or "", keep_blank_values=True)
        return all(sent.get(name.replace("__", "-"), [None])[0] == value
                   for name, value in fields.items())

    return match


def page_width(page: Page) -> int | None:
    """The page's width when wider than the window it is in (it scrolls sideways), else None.

    Compared with the window's set width: with mobile emulation the layout viewport grows to fit
    wide content, so `innerWidth` alone would hide the overflow."""
    window = page.viewport_size
    assert window is not None
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width if width > window["width"] else None


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


CheckAxe = Callable[..., AxeResult]  # the `check_axe` fixture

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
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    raw: dict[str, Any] = page.evaluate(AXE_RUN, AXE_TAGS)
    return AxeResult(label=label, url=page.url, violations=raw["violations"],
                     passes=raw["passes"], incomplete=raw["incomplete"])


# --- the keyboard ----------------------------------------------------------------------------


def tab_to(page: Page, target: Locator, limit: int = 300) -> None:
    """Press Tab (only Tab) until `target` has the focus; fail if it never does."""
    element = target.first.element_handle()
    for _ in range(limit):
        if element.evaluate("(element) => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{limit} presses of Tab never reached {target}; "
                         f"the focus is on {str(focused)[:200]}")
