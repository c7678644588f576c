"""Browser tests: one `rhi serve` and one Chromium per session, a fresh browser context per test.

The server runs from a fresh SQLite file in a temporary directory, set up only through the `rhi`
command line (`db upgrade`, `orgs create`, `users create` with the password on standard input), as
an operator would. Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser.
Without Chromium the browser tests skip, unless RHI_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    DEVICES,
    AxeResult,
    CheckAxe,
    HttpUser,
    OpenPage,
    Person,
    Server,
    finish_rhi,
    free_port,
    run_axe,
    run_rhi,
    serving,
    sign_in_browser,
    start_rhi,
    whole_interview,
)

ORGANISATIONS = (
    ("avon-rhi", "Avon Return Interview Service", "rhi_provider"),
    ("803", "South Gloucestershire Council", "local_authority"),
    ("801", "Bristol City Council", "local_authority"),
)
PEOPLE = (
    ("interviewer", "Ivy Interviewer", "avon-rhi"),
    ("manager", "Morgan Manager", "avon-rhi"),
    ("admin", "Ada Admin", "avon-rhi"),
    ("analyst", "Ana Analyst", "801"),
    # Placement team members signing in for the first time (the second factor's pages).
    ("placement_team", "Pat Placement", "803"),
    ("newcomer", "Noor Newcomer", "803"),
    # A manager of the host authority: the seeded child of 803 is placed in 801.
    ("host", "Hana Host", "801"),
)
ROLE_OF = {"newcomer": "placement_team", "host": "manager"}


@contextmanager
def fresh_server(tmp: Path, domain: str, settings: dict[str, str] | None = None
                 ) -> Iterator[Server]:
    """`rhi serve` on a free port, on a fresh database set up with the `rhi` command line, with
    `settings` (RHI_* variables) on top; the people's addresses end in `domain`."""
    database = tmp / "b.sqlite3"
    env = {**os.environ, "RHI_DATABASE_URL": f"sqlite:///{database}", "RHI_ENV": "test",
           "RHI_SECRET_KEY": secrets.token_urlsafe(48),
           "RHI_PSEUDONYM_KEY": secrets.token_urlsafe(48), **(settings or {})}
    run_rhi([(["db", "upgrade"], None)], env)
    run_rhi([(["orgs", "create", "--code", code, "--name", name, "--kind", kind], None)
             for code, name, kind in ORGANISATIONS], env)
    people = {key: Person(f"{key}@{domain}", name, ROLE_OF.get(key, key), org,
                          secrets.token_urlsafe(18)) for key, name, org in PEOPLE}
    users = start_rhi([(["users", "create", "--email", p.email, "--name", p.name,
                         "--org", p.org, "--role", p.role], p.password + "\n")
                       for p in people.values()], env)
    log = tmp / "serve.log"
    with ExitStack() as stack:
        try:  # the server starts while the people are being added
            base_url = stack.enter_context(serving(env, log, free_port()))
        finally:
            finish_rhi(users)
        yield Server(base_url=base_url, database=database, log=log, people=people)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with fresh_server(tmp_path_factory.mktemp("browser"), "browser.example.org") as started:
        yield started


@pytest.fixture(scope="session")
def quick_timeout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose sessions end after 40 seconds idle, warning 15 seconds before (the
    page signs out 10 seconds before the end): the timeout journeys, in well under a minute."""
    with fresh_server(tmp_path_factory.mktemp("timeout"), "timeout.example.org",
                      {"RHI_SESSION_IDLE_MINUTES": str(40 / 60),
                       "RHI_SESSION_WARNING_SECONDS": "15"}) as started:
        yield started


# A whole interview left as a draft, with the follow-up questions its answers reveal answered.
FILLED_DRAFT = {"child": {"child-local_id": "BT-FILLED"},
                "episodes": {"episodes-0-police_reference": "AV-2026-0001",
                             "episodes-0-police_risk_grade": "medium"},
                "voice": {"interview-views_on_sharing": "objects",
                          "interview-shared_against_wishes": "yes",
                          "interview-shared_against_wishes_reason": "The police must know."},
                "actions": {"actions-0-status": "done"}}


@pytest.fixture(scope="session")
def seeded(server: Server) -> dict[str, str]:
    """Records for the pages that need one: a submitted CSE case (in the manager's queue), a
    draft naming a child, and a whole interview still a draft (the form's pages as filled in).
    Made with plain form posts, as a browser without JavaScript would."""
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        submitted = user.start()
        for slug, fields in whole_interview("Casey", "Seeded", cse=True).items():
            user.save(submitted, slug, fields)
        user.submit(submitted)
        draft = user.start()
        user.save(draft, "child", {"child-given_name": "Drew", "child-family_name": "Draft"})
        filled = user.start()
        for slug, fields in whole_interview("Fenella", "Filled").items():
            user.save(filled, slug, {**fields, **FILLED_DRAFT.get(slug, {})})
    finally:
        user.close()
    server.seeded.update(submitted=submitted, draft=draft, filled=filled)
    return server.seeded


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("RHI_REQUIRE_BROWSER") == "1":
            pytest.fail(CHROMIUM_MISSING + " (RHI_REQUIRE_BROWSER=1: required here)")
        pytest.skip(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, Any]:
    """Cookies of one sign-in per role, reused by tests that only need to be signed in."""
    return {}


@pytest.fixture
def open_page(browser: Browser, server: Server,
              signed_in_states: dict[str, Any]) -> Iterator[OpenPage]:
    """`open_page(device="tablet", as_=None, fresh=False)`: a page in a new context (no cache),
    signed in as the role `as_` names. The sign-in form is used once per role and its cookies
    reused; `fresh=True` signs in anew (for a test that signs out).

    Every page is watched: a JavaScript error or a Content-Security-Policy refusal fails the test.
    """
    with page_opener(browser, server, signed_in_states) as open_:
        yield open_


@pytest.fixture
def open_quick_timeout_page(browser: Browser,
                            quick_timeout_server: Server) -> Iterator[OpenPage]:
    """`open_page` on the server whose sessions end after 40 seconds idle."""
    with page_opener(browser, quick_timeout_server, {}) as open_:
        yield open_


@contextmanager
def page_opener(browser: Browser, server: Server,
                signed_in_states: dict[str, Any]) -> Iterator[OpenPage]:
    contexts = []
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text
                                        or "Refused to" in message.text):
            problems.append(f"CSP: {message.text}")

    def open_(device: str = "tablet", as_: str | None = None, fresh: bool = False) -> Page:
        reuse = as_ is not None and not fresh and as_ in signed_in_states
        context = browser.new_context(
            base_url=server.base_url, locale="en-GB", timezone_id="Europe/London",
            storage_state=signed_in_states[as_] if reuse else None, **DEVICES[device])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", console)
        if as_ is not None and not reuse:
            sign_in_browser(page, server.people[as_])
            if not fresh:
                signed_in_states[as_] = context.storage_state()
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def axe_log() -> Iterator[list[dict[str, Any]]]:
    """Every axe run of the session, written to tests/artifacts/axe-results.json at the end."""
    log: list[dict[str, Any]] = []
    yield log
    if log:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "axe-results.json").write_text(json.dumps(log, indent=2))


@pytest.fixture
def check_axe(axe_log: list[dict[str, Any]]) -> CheckAxe:
    """`check_axe(page, label, failures=None)`: run axe-core (WCAG 2.2 A and AA) and fail on any
    violation, or, given a list, add the report to it so a journey can finish first."""

    def check(page: Page, label: str, failures: list[str] | None = None) -> AxeResult:
        result = run_axe(page, label)
        axe_log.append({"label": label, "url": result.url,
                        "viewport": page.viewport_size,
                        "violations": [v["id"] for v in result.violations],
                        "passes": result.passes, "incomplete": result.incomplete})
        if result.violations:
            if failures is None:
                pytest.fail(result.report())
            failures.append(result.report())
        return result

    return check
