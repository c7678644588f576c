"""Follow-up questions revealed under the answer they follow (issue 18, "fewer taps"), in a real
browser: revealed on choosing the answer and hidden on choosing another, by touch and by the
keyboard alone; what is typed in them autosaves; a follow-up hidden by a changed answer leaves
the record (its words stay in the page, and come back with the answer); an autosave's error is
shown beside a revealed field and not beside its question; radios carry aria-controls but never
aria-expanded, so axe finds nothing; without JavaScript every follow-up is shown and posts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import (
    CheckAxe,
    HttpUser,
    Keyboard,
    OpenPage,
    Server,
    Touch,
    autosave_carrying,
    when,
)

pytestmark = pytest.mark.browser

REASON = "The police must know where they stayed."


def a_draft(server: Server, **sections: dict[str, Any]) -> str:
    """A new draft of the interviewer's, with these sections posted as a browser without
    JavaScript would."""
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        draft = user.start()
        for slug, fields in sections.items():
            user.save(draft, slug, fields)
    finally:
        user.close()
    return draft


def no_radio_is_expanded(page: Page) -> None:
    """GOV.UK's aria-controls is kept on every radio that reveals; its aria-expanded never is."""
    expect(page.locator('input[type="radio"][aria-controls]').first).to_be_attached()
    expect(page.locator('input[type="radio"][aria-expanded]')).to_have_count(0)
    expect(page.locator('input[type="radio"][data-aria-controls]')).to_have_count(0)


def test_the_reason_is_revealed_under_yes_hidden_under_no_and_kept_only_with_yes(
        open_page: OpenPage, server: Server, check_axe: CheckAxe) -> None:
    draft = a_draft(server)
    page = open_page("tablet", as_="interviewer")
    page.goto(f"/interviews/{draft}/voice")
    drive = Touch(page)
    reason = page.locator("#interview-shared_against_wishes_reason")
    expect(reason).to_be_hidden()
    no_radio_is_expanded(page)

    drive.choose("interview-shared_against_wishes", "yes")
    expect(reason).to_be_visible()
    no_radio_is_expanded(page)
    check_axe(page, "voice, the reason revealed")
    with page.expect_response(autosave_carrying(
            draft, "voice", interview__shared_against_wishes_reason=REASON)):
        drive.fill("interview-shared_against_wishes_reason", REASON)
    assert server.interview_document(draft)["interview"]["shared_against_wishes_reason"] == REASON

    # The browser still posts the hidden reason; the server does not count it for "no".
    with page.expect_response(autosave_carrying(
            draft, "voice", interview__shared_against_wishes="no",
            interview__shared_against_wishes_reason=REASON)):
        drive.choose("interview-shared_against_wishes", "no")
    expect(reason).to_be_hidden()
    stored = server.interview_document(draft)["interview"]
    assert stored["shared_against_wishes"] is False
    assert "shared_against_wishes_reason" not in stored
    no_radio_is_expanded(page)

    with page.expect_response(autosave_carrying(  # changed back, on the same page
            draft, "voice", interview__shared_against_wishes="yes")):
        drive.choose("interview-shared_against_wishes", "yes")
    expect(reason).to_be_visible()
    expect(reason).to_have_value(REASON)  # the words were kept in the page
    assert server.interview_document(draft)["interview"]["shared_against_wishes_reason"] == REASON

    page.reload()  # and the page opens as saved: revealed, with the words
    expect(reason).to_be_visible()
    expect(reason).to_have_value(REASON)
    no_radio_is_expanded(page)


@pytest.mark.parametrize("device", ["keyboard", "keyboard-320px"])
def test_a_follow_up_is_revealed_and_typed_with_the_keyboard_alone(
        open_page: OpenPage, server: Server, device: str) -> None:
    draft = a_draft(server)
    page = open_page(device, as_="interviewer")
    page.goto(f"/interviews/{draft}/offer")
    drive = Keyboard(page)
    declined = page.locator("#offer-decline_reason")
    not_offered = page.locator("#offer-not_offered_reason")
    expect(declined).to_be_hidden()
    expect(not_offered).to_be_hidden()

    drive.choose("offer-outcome", "declined")  # Tab into the group, arrows to "declined"
    expect(declined).to_be_visible()
    expect(not_offered).to_be_hidden()
    with page.expect_response(autosave_carrying(draft, "offer",
                                                offer__decline_reason="I was tired.")):
        drive.fill("offer-decline_reason", "I was tired.")  # Tab reaches the revealed field
        page.keyboard.press("Tab")  # and on: the change saves at once
    no_radio_is_expanded(page)
    assert server.interview_document(draft)["offer"] == {
        "outcome": "declined", "decline_reason": "I was tired."}

    with page.expect_response(autosave_carrying(draft, "offer", offer__outcome="not_offered")):
        drive.choose("offer-outcome", "not_offered")  # arrows on, past "not achieved"
    expect(declined).to_be_hidden()
    expect(not_offered).to_be_visible()
    assert server.interview_document(draft)["offer"] == {"outcome": "not_offered"}
    no_radio_is_expanded(page)


def test_an_autosave_error_is_shown_beside_the_revealed_field_not_beside_its_question(
        open_page: OpenPage, server: Server) -> None:
    draft = a_draft(server, actions={"actions-count": "1", "actions-0-type": "safety_plan",
                                     "sharing-count": "0"})
    page = open_page("tablet", as_="interviewer")
    page.goto(f"/interviews/{draft}/actions")
    drive = Touch(page)
    done_at = page.locator("#actions-0-at-day")
    expect(done_at).to_be_hidden()

    drive.choose("actions-0-status", "done")
    expect(done_at).to_be_visible()
    for part, value in zip(("day", "month", "year", "time"), ("31", "2", "2026", "15:00"),
                           strict=True):
        drive.fill(f"actions-0-at-{part}", value)

    error = page.locator("#actions-0-at-error")
    expect(error).to_contain_text("real date")
    status = page.locator('[data-field="actions-0-status"]')
    expect(status.locator(".govuk-form-group").first).not_to_have_class(
        re.compile("govuk-form-group--error"))
    expect(page.locator("#actions-0-status-error")).to_have_count(0)
    expect(done_at).to_have_class(re.compile("govuk-input--error"))

    with page.expect_response(autosave_carrying(draft, "actions", actions__0__at__day="3")):
        drive.fill("actions-0-at-day", "3")
    expect(error).to_have_count(0)
    expect(done_at).not_to_have_class(re.compile("govuk-input--error"))
    assert server.interview_document(draft)["actions"][0]["at"] == "2026-02-03T15:00:00Z"


def test_without_javascript_every_follow_up_is_shown_and_posts(
        browser: Browser, open_page: OpenPage, server: Server,
        signed_in_states: dict[str, Any]) -> None:
    draft = a_draft(server, episodes={"episodes-count": "1", "episodes-0-type": "missing",
                                      **when("episodes-0-started_at", 1, 3, 2026, "18:00")},
                    actions={"actions-count": "1", "actions-0-type": "safety_plan",
                             "sharing-count": "0"})
    open_page("tablet", as_="interviewer")  # signed in once: the cookies are reused below
    context = browser.new_context(base_url=server.base_url, java_script_enabled=False,
                                  storage_state=signed_in_states["interviewer"],
                                  locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        for slug, follow_ups in {
                "episodes": ["episodes-0-police_reference", "episodes-0-police_risk_grade-2"],
                "offer": ["offer-decline_reason", "offer-not_offered_reason"],
                "interview": ["interview-push_factors_other", "interview-pull_factors_other"],
                "voice": ["interview-shared_against_wishes_reason"],
                "actions": ["actions-0-at-day"]}.items():
            page.goto(f"/interviews/{draft}/{slug}")
            for field_id in follow_ups:
                expect(page.locator(f"#{field_id}")).to_be_visible()
        page.goto(f"/interviews/{draft}/offer")
        page.locator('input[name="offer-outcome"][value="declined"]').check()
        page.locator("#offer-decline_reason").fill("I was tired.")
        page.get_by_role("button", name="Save and continue", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("The interview")
    finally:
        context.close()
    assert server.interview_document(draft)["offer"] == {
        "outcome": "declined", "decline_reason": "I was tired."}
