"""Never lose a word: in a real browser, on the longest section of the form, a value the record
cannot take (a date that does not exist, a time of 25:70, a word in a number field, a choice
that contradicts another with its "other" text) is kept as typed, and found again in its field
with its error beside it, whichever way the interviewer left the page: autosave, "Save and
continue", the step list, "Save and come back later", a reload, or a sign-out on a timeout.
"""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import OpenPage, Server, Touch, sign_in_browser

pytestmark = pytest.mark.browser

SECTION = re.compile(r"/interviews/([0-9a-f-]{36})/interview$")
DATE_ERROR = ("When the interview took place must be a real date and time, for example "
              "27 3 2026 and 14:30")
NUMBER_ERROR = "SERAF score must be a whole number"
CHOICE_ERROR = "'none identified' cannot be chosen with other factors"
WHEN = {"date": ("31", "2", "2026", "10:00"), "time": ("3", "3", "2026", "25:70")}


def start_on_the_interview_section(page: Page) -> str:
    page.goto("/interviews/new")
    Touch(page).button("Start now")
    expect(page).to_have_url(re.compile(r"/child$"))
    interview_id = page.url.rsplit("/", 2)[1]
    page.goto(f"/interviews/{interview_id}/interview")
    expect(page.get_by_role("heading", level=1)).to_have_text("The interview")
    return interview_id


def type_invalid_values(page: Page, kind: str) -> None:
    drive = Touch(page)
    for part, value in zip(("day", "month", "year", "time"), WHEN[kind], strict=True):
        drive.fill(f"interview-conducted_at-{part}", value)
    drive.fill("interview-interviewer_name", "Ivy Interviewer")  # valid: saved as usual
    drive.choose("interview-push_factors", "none_identified")
    drive.choose("interview-push_factors", "other")
    drive.fill("interview-push_factors_other", "Typed in the other box")
    drive.fill("interview-seraf_score", "lots")


def assert_kept_with_errors_beside_the_fields(page: Page, kind: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("The interview")
    for part, value in zip(("day", "month", "year", "time"), WHEN[kind], strict=True):
        expect(page.locator(f"#interview-conducted_at-{part}")).to_have_value(value)
    expect(page.locator("#interview-seraf_score")).to_have_value("lots")
    expect(page.locator('input[name="interview-push_factors"][value="none_identified"]')
           ).to_be_checked()
    expect(page.locator('input[name="interview-push_factors"][value="other"]')).to_be_checked()
    expect(page.locator("#interview-push_factors_other")).to_have_value("Typed in the other box")
    expect(page.locator("#interview-interviewer_name")).to_have_value("Ivy Interviewer")
    # Each error beside its field, as GOV.UK shows it, and read out with the field.
    expect(page.locator("#interview-conducted_at-error")).to_have_text(f"Error: {DATE_ERROR}")
    expect(page.locator("#interview-seraf_score-error")).to_have_text(f"Error: {NUMBER_ERROR}")
    expect(page.locator("#interview-push_factors-error")).to_contain_text(CHOICE_ERROR)
    expect(page.locator("#interview-seraf_score")).to_have_class(re.compile("govuk-input--error"))
    expect(page.locator("#interview-seraf_score")).to_have_attribute(
        "aria-describedby", re.compile(r"\binterview-seraf_score-error\b"))
    expect(page.locator(".govuk-error-summary")).to_contain_text(NUMBER_ERROR)


def wait_for_the_autosave(page: Page) -> None:
    expect(page.locator("#save-status")).to_have_text(
        re.compile(r"^Saved at \d\d:\d\d\. 3 answers need correcting"))


WAYS = ["autosave", "continue", "step list", "come back later", "reload"]


@pytest.mark.parametrize("way", WAYS)
def test_a_rejected_value_is_found_again_beside_its_field_however_the_page_is_left(
        open_page: OpenPage, server: Server, way: str) -> None:
    kind = "time" if WAYS.index(way) % 2 else "date"
    page = open_page("tablet", as_="interviewer")
    interview_id = start_on_the_interview_section(page)
    type_invalid_values(page, kind)
    drive = Touch(page)

    if way == "autosave":
        wait_for_the_autosave(page)
        # Shown beside the fields at once, without leaving the page...
        assert_kept_with_errors_beside_the_fields(page, kind)
        page.goto("/")  # ...and still there after going away and coming back
        page.goto(f"/interviews/{interview_id}/interview")
    elif way == "continue":
        drive.button("Save and continue")  # errors: the page again, as typed
        expect(page.locator(".govuk-error-summary")).to_be_focused()
    elif way == "step list":
        drive.button("The child's voice")  # at once, before any autosave
        expect(page.get_by_role("heading", level=1)).to_have_text("The child's voice")
        drive.button("The interview")
    elif way == "come back later":
        drive.button("Save and come back later")
        banner = page.locator(".govuk-notification-banner")
        expect(banner).to_contain_text("have been saved")
        expect(banner).to_contain_text("Some answers need correcting")
        page.locator("#drafts + ul a").first.click()  # the draft, at its check page
        unsaved = page.locator("#unsaved")
        expect(unsaved).to_contain_text(NUMBER_ERROR)
        expect(page.get_by_role("button", name="Submit interview")).to_have_count(0)
        unsaved.get_by_role("link", name=NUMBER_ERROR).click()
    else:  # reload
        wait_for_the_autosave(page)
        page.reload()

    # (From the check page, the link comes back there after the fix: ?return_to=check.)
    expect(page).to_have_url(re.compile(
        rf"/interviews/{interview_id}/interview(\?return_to=check)?(#.*)?$"))
    assert_kept_with_errors_beside_the_fields(page, kind)
    stored = server.interview_document(interview_id)["interview"]
    assert stored["interviewer_name"] == "Ivy Interviewer"
    assert {"conducted_at", "seraf_score", "push_factors"}.isdisjoint(stored)


def test_putting_a_value_right_takes_its_error_away_as_the_page_saves(
        open_page: OpenPage, server: Server) -> None:
    page = open_page("tablet", as_="interviewer")
    interview_id = start_on_the_interview_section(page)
    drive = Touch(page)
    drive.fill("interview-seraf_score", "lots")
    expect(page.locator("#interview-seraf_score-error")).to_have_text(f"Error: {NUMBER_ERROR}")

    drive.fill("interview-seraf_score", "12")

    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    expect(page.locator("#interview-seraf_score-error")).to_have_count(0)
    expect(page.locator("#interview-seraf_score")).not_to_have_class(
        re.compile("govuk-input--error"))
    assert server.interview_document(interview_id)["interview"]["seraf_score"] == 12


def test_the_timeout_warning_keeps_a_person_signed_in_when_asked(
        open_quick_timeout_page: OpenPage, quick_timeout_server: Server) -> None:
    page = open_quick_timeout_page("tablet", as_="interviewer")
    interview_id = start_on_the_interview_section(page)
    Touch(page).fill("interview-where_stayed", "At a friend's")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved at"))

    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(dialog).to_contain_text("we will sign you out in")
    Touch(page).button("Stay signed in")

    expect(dialog).to_be_hidden()
    # Past the moment the page would have signed out, the person is still here, signed in.
    page.wait_for_timeout(12_000)
    expect(page).to_have_url(re.compile(rf"/interviews/{interview_id}/interview$"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 200):
        Touch(page).fill("interview-travel", "By bus")  # autosaved: the session still lives
    document = quick_timeout_server.interview_document(interview_id)
    assert document["interview"]["travel"] == "By bus"


def test_signed_out_by_a_timeout_a_person_is_told_why_and_comes_back_to_what_they_typed(
        open_quick_timeout_page: OpenPage, quick_timeout_server: Server) -> None:
    page = open_quick_timeout_page("tablet", as_="interviewer", fresh=True)
    interview_id = start_on_the_interview_section(page)
    type_invalid_values(page, "date")

    # Nobody answers the warning: the page saves, signs out, and says why.
    expect(page).to_have_url(re.compile(r"/login\?reason=timeout"), timeout=45_000)
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("You were signed out because you had not done anything")
    expect(banner).to_contain_text("Everything you typed was saved")
    expect(banner).to_contain_text("Sign in to go back to where you were")
    # The signed-out tablet shows nothing of the child.
    assert "Ivy Interviewer" not in page.content() and "lots" not in page.content()

    sign_in_browser(page, quick_timeout_server.people["interviewer"])

    expect(page).to_have_url(re.compile(rf"/interviews/{interview_id}/interview$"))
    assert_kept_with_errors_beside_the_fields(page, "date")
    assert UUID(interview_id)
