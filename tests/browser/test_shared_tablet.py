"""A shared tablet: after signing out, the browser holds nothing of the interview.

No page or htmx answer may be kept in the browser's cache (`Cache-Control: no-store`), nothing is
written to localStorage or sessionStorage, signing out clears the site's data, and going Back
after signing out does not show the child's name.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.support import OpenPage, Server, autosave_carrying, press, shot

pytestmark = pytest.mark.browser

GIVEN, FAMILY = "Jordan", "Sharedtablet"


def storage_used(page: Page) -> list[int]:
    used: list[int] = page.evaluate("() => [localStorage.length, sessionStorage.length]")
    return used


def test_signing_out_leaves_nothing_of_the_interview_in_the_browser(
        open_page: OpenPage, server: Server) -> None:
    page = open_page("tablet", as_="interviewer", fresh=True)
    answers: list[Response] = []
    page.on("response", lambda r: answers.append(r)
            if r.request.resource_type in ("document", "xhr", "fetch") else None)

    page.goto("/interviews/new")
    press(page, page.get_by_role("button", name="Start now"))
    expect(page).to_have_url(re.compile(r"/child$"))
    base = page.url.rsplit("/", 1)[0]
    interview_id = base.rsplit("/", 1)[1]
    with page.expect_response(autosave_carrying(interview_id, "child", child__given_name=GIVEN,
                                                child__family_name=FAMILY)):
        page.get_by_label("First name").fill(GIVEN)
        page.get_by_label("Last name").fill(FAMILY)
    assert storage_used(page) == [0, 0]
    page.goto(f"{base}/check")
    expect(page.locator("main")).to_contain_text(f"{GIVEN} {FAMILY}")
    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{GIVEN} {FAMILY}")
    assert storage_used(page) == [0, 0]

    kept = [f"{r.request.method} {r.url} ({r.status}): {r.headers.get('cache-control')}"
            for r in answers if "no-store" not in (r.headers.get("cache-control") or "")]
    assert not kept, "pages a browser may keep:\n" + "\n".join(kept)

    with page.expect_response(lambda r: r.url.endswith("/logout")) as signed_out:
        press(page, page.get_by_role("button", name="Sign out"))
    clear = signed_out.value.all_headers().get("clear-site-data", "")
    assert '"cache"' in clear and '"storage"' in clear, clear
    expect(page.get_by_text("You have signed out")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "rhi_session"]
    assert storage_used(page) == [0, 0]

    # Back, and back again: the sign-in page each time, never the child.
    for _ in range(2):
        page.go_back()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        content = page.content()
        assert GIVEN not in content and FAMILY not in content, page.url
    shot(page, "tablet-back-after-sign-out")
