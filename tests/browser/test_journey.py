"""An interviewer records a whole interview in a real browser, and sees the findings.

The same journey runs three ways: by touch on a tablet (810×1080), by touch at 320 px wide, and by
keyboard alone (Tab, Space, Enter, arrow keys inside a radio group, and typing; never the mouse).
On every page: a screenshot in tests/artifacts/, no sideways scrolling (WCAG 1.4.10 reflow), and,
on the tablet and at 320 px, axe-core's WCAG 2.2 A/AA rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    CheckAxe,
    Keyboard,
    OpenPage,
    Server,
    Touch,
    page_width,
    shot,
    sign_in_browser,
)

pytestmark = pytest.mark.browser


@dataclass
class Look:
    """At each page: a screenshot, axe-core, and no sideways scrolling."""

    page: Page
    name: str
    check_axe: CheckAxe
    axe: bool = True  # False where another journey already checks the same pages
    failures: list[str] = field(default_factory=list)
    count: int = 0

    def __call__(self, label: str) -> None:
        self.count += 1
        shot(self.page, f"{self.name}-{self.count:02d}-{label}")
        if self.axe:
            self.check_axe(self.page, f"{label} ({self.name})", self.failures)
        width = page_width(self.page)
        if width is not None:
            self.failures.append(f"{label} ({self.name}): the page is {width} px wide, wider "
                                 f"than its window, so it scrolls sideways (WCAG 1.4.10)")

    def assert_clean(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)


SECTION = re.compile(r"/interviews/([0-9a-f-]{36})/(\w+)$")


def record_an_interview(page: Page, drive: Touch | Keyboard, look: Look,
                        server: Server) -> str:
    """The whole journey; returns the interview's id."""
    page.goto("/login")
    sign_in_browser(page, server.people["interviewer"], drive, look)  # and the second factor
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    look("home")

    drive.button("Start a new interview")  # a link styled, and named, as a button
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a return interview")
    look("start")
    drive.button("Start now")
    expect(page).to_have_url(SECTION)
    found = SECTION.search(page.url)
    assert found and found.group(2) == "child"
    interview_id = found.group(1)

    # The child, with a date of birth that does not exist.
    expect(page.get_by_role("heading", level=1)).to_have_text("The child")
    look("child")
    drive.fill("child-local_id", "BT-0001")
    drive.fill("child-given_name", "Sam")
    drive.fill("child-family_name", "Browserchild")
    drive.fill("child-date_of_birth-day", "31")
    drive.fill("child-date_of_birth-month", "2")
    drive.fill("child-date_of_birth-year", "2011")
    drive.choose("child-gender", "female")
    drive.pick("child-ethnicity", "wbri", "White British")
    drive.choose("child-legal_status", "looked_after")
    drive.pick("child-responsible_authority", "803", "South")
    drive.pick("child-placement_authority", "801", "Bristol")
    drive.button("Save and continue")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves the focus to the summary
    expect(page).to_have_title(re.compile(r"^Error: "))
    error_link = summary.get_by_role("link", name=re.compile("Date of birth must be a real date"))
    expect(error_link).to_be_visible()
    expect(page.locator("#child-given_name")).to_have_value("Sam")  # nothing typed is lost
    look("child-error-summary")
    drive.activate(error_link)
    expect(page.locator("#child-date_of_birth-day")).to_be_focused()
    drive.replace("child-date_of_birth-day", "28")
    drive.button("Save and continue")

    # Missing episodes: add one, add another, remove the second.
    expect(page.get_by_role("heading", level=1)).to_have_text("Missing episodes")
    look("episodes")
    drive.button("Add an episode")
    expect(page.get_by_role("heading", name="Episode 1")).to_be_visible()
    drive.choose("episodes-0-type", "missing")
    for part, value in zip(("day", "month", "year", "time"), ("1", "3", "2026", "18:00"),
                           strict=True):
        drive.fill(f"episodes-0-started_at-{part}", value)
    for part, value in zip(("day", "month", "year", "time"), ("2", "3", "2026", "9:00am"),
                           strict=True):
        drive.fill(f"episodes-0-returned_at-{part}", value)
    drive.choose("episodes-0-reported_to_police", "yes")
    drive.fill("episodes-0-found_postcode", "bs161qy")
    drive.button("Add another episode")
    expect(page.get_by_role("heading", name="Episode 2")).to_be_visible()
    look("episodes-two")
    drive.button("Remove episode 2")
    expect(page.get_by_role("heading", name="Episode 2")).to_have_count(0)
    expect(page.get_by_role("heading", name="Episode 1")).to_be_visible()
    expect(page.locator("#episodes-0-found_postcode")).to_have_value("BS16 1QY")
    expect(page.locator("#episodes-0-returned_at-time")).to_have_value("09:00")
    drive.button("Save and continue")

    # The offer.
    expect(page.get_by_role("heading", level=1)).to_have_text("The offer of an interview")
    look("offer")
    drive.choose("offer-outcome", "completed")
    for part, value in zip(("day", "month", "year", "time"), ("2", "3", "2026", "12:00"),
                           strict=True):
        drive.fill(f"offer-offered_at-{part}", value)
    drive.button("Save and continue")

    # The interview.
    expect(page.get_by_role("heading", level=1)).to_have_text("The interview")
    look("interview")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "10:00"),
                           strict=True):
        drive.fill(f"interview-conducted_at-{part}", value)
    drive.choose("interview-mode", "in_person")
    drive.pick("interview-interviewer_role", "independent_rhi_worker", "Independent")
    drive.choose("interview-interviewer_independent", "yes")
    drive.choose("interview-interviewer_trained", "yes")
    drive.choose("interview-push_factors", "family_conflict")
    drive.choose("interview-push_factors", "bullying")
    drive.choose("interview-pull_factors", "peer_pressure")
    drive.fill("interview-where_stayed", "A friend's flat")
    drive.fill("interview-with_whom", "Friends")
    drive.choose("interview-harm_disclosed", "no")
    drive.fill("interview-seraf_score", "4")
    drive.button("Save and continue")

    # The child's voice.
    expect(page.get_by_role("heading", level=1)).to_have_text("The child's voice")
    look("voice")
    drive.fill("interview-child_account", "I went to my friend's flat after a row at home.")
    drive.choose("interview-read_back_to_child", "yes")
    drive.choose("interview-information_sharing_explained", "yes")
    drive.choose("interview-consent_to_share", "yes")
    drive.button("Save and continue")

    # Actions and sharing.
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions and sharing")
    look("actions")
    drive.button("Add an action")
    expect(page.get_by_role("heading", name="Action 1")).to_be_visible()
    drive.pick("actions-0-type", "safety_plan", "Safety")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "15:00"),
                           strict=True):
        drive.fill(f"actions-0-at-{part}", value)
    drive.button("Save and continue")

    # Check, submit, and see the findings.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting")
    expect(page.locator("main")).to_contain_text("Sam Browserchild")
    look("check-answers")
    drive.button("Submit interview")
    expect(page).to_have_url(re.compile(rf"/interviews/{interview_id}\?submitted=1$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Interview submitted")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Browserchild")
    findings = page.locator("table", has=page.locator("caption", has_text="Practice standards"))
    expect(findings).to_be_visible()
    assert findings.locator("tbody tr").count() > 0
    look("record-with-findings")
    return interview_id


def assert_recorded(server: Server, interview_id: str) -> None:
    doc = server.interview_document(interview_id)
    child = doc["child"]
    assert (child["given_name"], child["family_name"], child["date_of_birth"]) == (
        "Sam", "Browserchild", "2011-02-28")
    assert len(doc["episodes"]) == 1
    assert doc["episodes"][0]["found_postcode"] == "BS16 1QY"
    assert doc["episodes"][0]["returned_at"] == "2026-03-02T09:00:00Z"
    assert doc["interview"]["push_factors"] == ["family_conflict", "bullying"]
    assert doc["interview"]["harm_disclosed"] == "no"
    assert doc["interview"]["child_account"] == "I went to my friend's flat after a row at home."
    assert [a["type"] for a in doc["actions"]] == ["safety_plan"]


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_an_interview_is_recorded_by_touch(open_page: OpenPage, server: Server,
                                           check_axe: CheckAxe, device: str) -> None:
    page = open_page(device)
    look = Look(page, device, check_axe)
    interview_id = record_an_interview(page, Touch(page), look, server)
    assert_recorded(server, interview_id)
    look.assert_clean()


def test_an_interview_is_recorded_with_the_keyboard_alone(
        open_page: OpenPage, server: Server, check_axe: CheckAxe) -> None:
    page = open_page("keyboard")
    look = Look(page, "keyboard", check_axe, axe=False)  # the tablet journey's pages, unchanged
    interview_id = record_an_interview(page, Keyboard(page), look, server)
    assert_recorded(server, interview_id)
    look.assert_clean()


def test_enter_in_a_field_saves_and_continues_and_never_removes_an_episode(
        open_page: OpenPage, server: Server) -> None:
    """The form's default button is "Save and continue", not the first button on the page."""
    page = open_page("keyboard", as_="interviewer")
    page.goto("/interviews/new")
    Keyboard(page).button("Start now")
    expect(page).to_have_url(SECTION)
    base = page.url.rsplit("/", 1)[0]
    page.goto(f"{base}/episodes")
    drive = Keyboard(page)
    drive.button("Add an episode")
    expect(page.get_by_role("heading", name="Episode 1")).to_be_visible()
    drive.fill("episodes-0-police_reference", "REF-42")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("The offer of an interview")
    page.goto(f"{base}/episodes")
    expect(page.locator("#episodes-0-police_reference")).to_have_value("REF-42")
