"""A connection that drops mid-section: nothing typed is lost, and it saves on its own when the
connection returns (static/app/rhi.js re-sends the save on the browser's `online` event)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    NOT_SAVED,
    SAVED,
    OpenPage,
    Server,
    autosave_carrying,
    press,
    shot,
)

pytestmark = pytest.mark.browser

SECTION = re.compile(r"/interviews/([0-9a-f-]{36})/child$")


def start_interview(page: Page) -> str:
    page.goto("/interviews/new")
    press(page, page.get_by_role("button", name="Start now"))
    expect(page).to_have_url(SECTION)
    found = SECTION.search(page.url)
    assert found
    return found.group(1)


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_words_typed_offline_stay_on_screen_and_save_when_the_connection_returns(
        open_page: OpenPage, server: Server, device: str) -> None:
    page = open_page(device, as_="interviewer")
    interview_id = start_interview(page)
    page.goto(f"/interviews/{interview_id}/interview")
    account = page.get_by_label("The child's account, in their own words")
    wishes = page.get_by_label("How the child feels now")
    status = page.locator("#save-status")
    expect(status).to_have_attribute("role", "status")  # announced by screen readers

    first = "I went to my friend's flat after a row at home."
    with page.expect_response(autosave_carrying(
            interview_id, "interview", interview__child_account=first)) as saved:
        account.press_sequentially(first)
    assert saved.value.status == 200
    expect(status).to_have_text(SAVED)
    assert server.interview_document(interview_id)["interview"]["child_account"] == first

    # The signal goes. The interviewer keeps typing, in two fields.
    page.context.set_offline(True)
    more = " I stayed two nights. Nobody asked me for anything."
    account.press_sequentially(more)
    expect(status).to_have_text(NOT_SAVED)
    wanted = "To see my mum more often."
    wishes.press_sequentially(wanted)
    expect(status).to_have_text(NOT_SAVED)
    expect(account).to_have_value(first + more)  # what was typed stays on screen
    expect(wishes).to_have_value(wanted)
    shot(page, f"{device}-offline-not-saved")
    assert server.interview_document(interview_id)["interview"]["child_account"] == first

    # The signal comes back: it saves without the interviewer doing anything.
    with page.expect_response(autosave_carrying(
            interview_id, "interview", interview__child_account=first + more,
            interview__feelings_now=wanted), timeout=20_000) as retried:
        page.context.set_offline(False)
    assert retried.value.status == 200
    expect(status).to_have_text(SAVED)
    shot(page, f"{device}-back-online-saved")
    stored = server.interview_document(interview_id)["interview"]
    assert stored["child_account"] == first + more
    assert stored["feelings_now"] == wanted

    # A reload loses nothing that had been saved.
    page.reload()
    expect(account).to_have_value(first + more)
    expect(wishes).to_have_value(wanted)

    # And the record holds every word.
    page.goto(f"/interviews/{interview_id}")
    expect(page.locator("main")).to_contain_text(first + more)
    expect(page.locator("main")).to_contain_text(wanted)


def test_a_reload_mid_section_keeps_every_saved_answer(open_page: OpenPage,
                                                       server: Server) -> None:
    page = open_page("tablet", as_="interviewer")
    interview_id = start_interview(page)
    given = page.get_by_label("First name")
    with page.expect_response(autosave_carrying(interview_id, "child",
                                                child__given_name="Robin")):
        given.fill("Robin")
    with page.expect_response(autosave_carrying(interview_id, "child", child__gender="male")):
        press(page, page.locator('input[name="child-gender"][value="male"]'))
    with page.expect_response(autosave_carrying(interview_id, "child",
                                                child__ethnicity="bafr")):
        page.get_by_label("Ethnicity").select_option("bafr")
    page.reload()
    expect(given).to_have_value("Robin")
    expect(page.locator('input[name="child-gender"][value="male"]')).to_be_checked()
    expect(page.get_by_label("Ethnicity")).to_have_value("bafr")
    assert server.interview_document(interview_id)["child"] == {
        "given_name": "Robin", "gender": "male", "ethnicity": "bafr"}
