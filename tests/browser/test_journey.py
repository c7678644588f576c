"""An interviewer records a whole interview in a real browser, and sees the findings.

The same journey runs four ways: by touch on a tablet (810×1080), by touch at 320 px wide, and by
keyboard alone (Tab, Space, Enter, arrow keys inside a radio group, and typing; never the mouse)
on a tablet-sized window and at 320 px wide. It fills in the form in the order of the
conversation, with the answers of standard set 2027.1: the child's status (UASC, SEND, placement
type), who brought them back and the police prevention interview, the interviewer's involvement,
how the child feels now, the child's views on sharing and the lawful basis, something shared
against their wishes with its reason, an "other" reason for going (its words revealed under
"Other"), and an action with an owner, an agency, a due date, a
status and the time it was done, shared with the missing co-ordinator.
On every page: a screenshot in tests/artifacts/, no sideways scrolling (WCAG 1.4.10 reflow), and,
on the tablet and at 320 px by touch, axe-core's WCAG 2.2 A/AA rules.

From "Start a new interview" to the submitted record, every tap, typed entry and screen is
counted (`tests/browser/tally.py`), and the counts must be those README.md gives: a change that
adds or saves taps changes them both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    CheckAxe,
    HttpUser,
    Keyboard,
    OpenPage,
    Server,
    Touch,
    page_width,
    shot,
    sign_in_browser,
    when,
    whole_interview,
)
from tests.browser.tally import Counting, Tally

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


# What the reference interview takes from the home page to the submitted record (README.md,
# "Fewer taps"): one episode (and a second added and removed), one action, one sharing, and a
# date of birth that does not exist, put right. `fields`: the questions the section pages show.
SHOWN = {"child": 13, "episodes": 10, "offer": 3, "interview": 24, "voice": 8, "actions": 10}
REFERENCE_INTERVIEW = {"taps": 48, "typed": 50, "entries": 98, "screens": 15, "fields": 68,
                       "fields_by_section": SHOWN}
# The same interview for a child the service knows, found by case id (and no mistake made).
RETURNING_CHILD = {"taps": 39, "typed": 44, "entries": 83, "screens": 15, "fields": 68,
                   "fields_by_section": SHOWN}

SECTION = re.compile(r"/interviews/([0-9a-f-]{36})/(\w+)(?:\?known=1)?$")


def record_an_interview(page: Page, driver: Touch | Keyboard, look: Look,
                        server: Server, known: str | None = None) -> tuple[str, Tally]:
    """The whole journey; returns the interview's id and what it took from the home page on.
    With `known` (a case id), the child is one the service knows: found on the start page,
    their section filled in, and only checked."""
    page.goto("/login")
    sign_in_browser(page, server.people["interviewer"], driver, look)  # and the second factor
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    look("home")
    drive = Counting(driver)

    drive.button("Start a new interview")  # a link styled, and named, as a button
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a return interview")
    look("start")
    if known is None:
        drive.button("Start now")
    else:
        drive.fill("q", known)
        drive.button("Find the child")
        start = page.get_by_role("button", name=re.compile(
            rf"^Start the interview for .*, case {re.escape(known)}$"))
        expect(start).to_be_visible()
        look("start-child-found")
        drive.activate(start)
    expect(page).to_have_url(SECTION)
    found = SECTION.search(page.url)
    assert found and found.group(2) == "child"
    interview_id = found.group(1)

    expect(page.get_by_role("heading", level=1)).to_have_text("The child")
    if known is None:
        enter_a_new_child(page, drive, look)
    else:
        check_a_known_child(page, drive, look)

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
    drive.choose("episodes-0-brought_back_by", "police")
    for part, value in zip(("day", "month", "year", "time"), ("2", "3", "2026", "11:00"),
                           strict=True):
        drive.fill(f"episodes-0-prevention_interview_at-{part}", value)
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

    # The interview, in the order of the conversation: the child's own words, then before,
    # during and after.
    expect(page.get_by_role("heading", level=1)).to_have_text("The interview")
    look("interview")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "10:00"),
                           strict=True):
        drive.fill(f"interview-conducted_at-{part}", value)
    drive.choose("interview-mode", "in_person")
    drive.pick("interview-interviewer_role", "independent_rhi_worker", "Independent")
    drive.choose("interview-interviewer_relationship", "none")
    drive.choose("interview-interviewer_trained", "yes")
    drive.fill("interview-child_account", "I went to my friend's flat after a row at home.")
    drive.choose("interview-push_factors", "family_conflict")
    drive.choose("interview-push_factors", "bullying")
    other = page.locator("#interview-push_factors_other")
    expect(other).to_be_hidden()  # revealed under "Other" (a checkbox: GOV.UK's reveal)
    drive.choose("interview-push_factors", "other")
    expect(other).to_be_visible()
    drive.fill("interview-push_factors_other", "Wanted some space")
    drive.fill("interview-where_stayed", "A friend's flat")
    drive.fill("interview-with_whom", "Friends")
    drive.choose("interview-pull_factors", "peer_pressure")
    drive.fill("interview-feelings_now", "Tired, and glad to be back.")
    drive.choose("interview-afraid_of_anyone", "no")
    drive.choose("interview-harm_disclosed", "no")
    drive.fill("interview-seraf_score", "4")
    drive.choose("interview-safety_information_given", "yes")
    drive.button("Save and continue")

    # The child's voice: their wishes, and sharing with their views.
    expect(page.get_by_role("heading", level=1)).to_have_text("The child's voice")
    look("voice")
    drive.choose("interview-read_back_to_child", "yes")
    drive.choose("interview-information_sharing_explained", "yes")
    drive.choose("interview-views_on_sharing", "agrees_in_part")
    drive.choose("interview-lawful_basis", "public_task")
    drive.choose("interview-shared_against_wishes", "yes")
    drive.fill("interview-shared_against_wishes_reason", "The police must know where.")
    drive.choose("interview-child_told_of_sharing", "yes")
    look("voice-shared-against-wishes")
    drive.button("Save and continue")

    # Actions and sharing: an action someone owns, with its due date and status.
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions and sharing")
    look("actions")
    drive.button("Add an action")
    expect(page.get_by_role("heading", name="Action 1")).to_be_visible()
    drive.pick("actions-0-type", "safety_plan", "Safety")
    drive.fill("actions-0-owner", "Ivy Interviewer")
    drive.fill("actions-0-agency", "Avon Return Interview Service")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "17:00"),
                           strict=True):
        drive.fill(f"actions-0-due_at-{part}", value)
    drive.choose("actions-0-status", "done")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "15:00"),
                           strict=True):
        drive.fill(f"actions-0-at-{part}", value)
    drive.fill("actions-0-outcome", "Agreed with the child and the carer.")
    drive.button("Add who it was shared with")
    expect(page.get_by_role("heading", name="Shared 1")).to_be_visible()
    expect(page.locator("#actions-0-owner")).to_have_value("Ivy Interviewer")  # kept
    drive.pick("sharing-0-with", "missing_coordinator", "The authority")
    for part, value in zip(("day", "month", "year", "time"), ("3", "3", "2026", "16:00"),
                           strict=True):
        drive.fill(f"sharing-0-at-{part}", value)
    look("actions-filled")
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
    return interview_id, drive.tally


def enter_a_new_child(page: Page, drive: Touch, look: Look) -> None:
    """The child typed in, with a date of birth that does not exist, then put right."""
    drive.fill("child-local_id", "BT-0001")
    drive.fill("child-given_name", "Sam")
    drive.fill("child-family_name", "Browserchild")
    drive.fill("child-date_of_birth-day", "31")
    drive.fill("child-date_of_birth-month", "2")
    drive.fill("child-date_of_birth-year", "2011")
    drive.choose("child-gender", "female")
    drive.pick("child-ethnicity", "wbri", "White British")
    drive.choose("child-uasc", "yes")
    drive.choose("child-disability_or_send", "no")
    drive.choose("child-legal_status", "looked_after")
    drive.pick("child-responsible_authority", "803", "South")
    drive.choose("child-placement_type", "foster_care")
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


def check_a_known_child(page: Page, drive: Touch, look: Look) -> None:
    """The child found: every answer filled in from the latest record, checked, and saved."""
    expect(page.locator("#filled-in")).to_be_visible()
    for field_id, value in (("child-given_name", "Sam"), ("child-family_name", "Browserchild"),
                            ("child-date_of_birth-day", "28"), ("child-ethnicity", "wbri"),
                            ("child-placement_authority", "801")):
        expect(page.locator(f"#{field_id}")).to_have_value(value)
    for name, value in (("child-gender", "female"), ("child-uasc", "yes"),
                        ("child-legal_status", "looked_after"),
                        ("child-placement_type", "foster_care")):
        expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()
    look("child-filled-in")
    drive.button("Save and continue")


def assert_recorded(server: Server, interview_id: str) -> None:
    doc = server.interview_document(interview_id)
    child = doc["child"]
    assert (child["given_name"], child["family_name"], child["date_of_birth"]) == (
        "Sam", "Browserchild", "2011-02-28")
    assert len(doc["episodes"]) == 1
    assert doc["episodes"][0]["found_postcode"] == "BS16 1QY"
    assert doc["episodes"][0]["returned_at"] == "2026-03-02T09:00:00Z"
    assert (child["uasc"], child["disability_or_send"], child["placement_type"]) == (
        True, "no", "foster_care")
    assert doc["episodes"][0]["brought_back_by"] == "police"
    assert doc["episodes"][0]["prevention_interview_at"] == "2026-03-02T11:00:00Z"
    interview = doc["interview"]
    assert interview["push_factors"] == ["family_conflict", "bullying", "other"]
    assert interview["push_factors_other"] == "Wanted some space"
    assert interview["harm_disclosed"] == "no"
    assert interview["child_account"] == "I went to my friend's flat after a row at home."
    assert (interview["interviewer_relationship"], interview["feelings_now"],
            interview["afraid_of_anyone"], interview["safety_information_given"]) == (
        "none", "Tired, and glad to be back.", "no", True)
    assert "interviewer_independent" not in interview and "consent_to_share" not in interview
    assert (interview["views_on_sharing"], interview["lawful_basis"],
            interview["shared_against_wishes"], interview["shared_against_wishes_reason"],
            interview["child_told_of_sharing"]) == (
        "agrees_in_part", "public_task", True, "The police must know where.", True)
    assert doc["actions"] == [{
        "type": "safety_plan", "owner": "Ivy Interviewer",
        "agency": "Avon Return Interview Service", "due_at": "2026-03-03T17:00:00Z",
        "status": "done", "at": "2026-03-03T15:00:00Z",
        "outcome": "Agreed with the child and the carer."}]
    assert doc["sharing"] == [{"with": "missing_coordinator", "at": "2026-03-03T16:00:00Z"}]


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_an_interview_is_recorded_by_touch(open_page: OpenPage, server: Server,
                                           check_axe: CheckAxe, device: str) -> None:
    page = open_page(device)
    look = Look(page, device, check_axe)
    interview_id, tally = record_an_interview(page, Touch(page), look, server)
    assert_recorded(server, interview_id)
    look.assert_clean()
    assert tally.write(device) == REFERENCE_INTERVIEW


@pytest.mark.parametrize("device", ["keyboard", "keyboard-320px"])
def test_an_interview_is_recorded_with_the_keyboard_alone(
        open_page: OpenPage, server: Server, check_axe: CheckAxe, device: str) -> None:
    page = open_page(device)
    look = Look(page, device, check_axe, axe=False)  # the touch journeys' pages, unchanged
    interview_id, tally = record_an_interview(page, Keyboard(page), look, server)
    assert_recorded(server, interview_id)
    look.assert_clean()
    assert tally.write(device) == REFERENCE_INTERVIEW


def an_earlier_record_of(server: Server, case_id: str) -> None:
    """Sam Browserchild's record of an episode in January, submitted: the child the returning
    journey finds."""
    earlier = {"child": {"child-local_id": case_id, "child-date_of_birth-day": "28",
                         "child-date_of_birth-month": "2", "child-ethnicity": "wbri",
                         "child-uasc": "yes", "child-disability_or_send": "no",
                         "child-placement_type": "foster_care"},
               "episodes": {**when("episodes-0-started_at", 1, 1, 2026, "18:00"),
                            **when("episodes-0-returned_at", 2, 1, 2026, "09:00")},
               "offer": when("offer-offered_at", 2, 1, 2026, "12:00"),
               "interview": when("interview-conducted_at", 3, 1, 2026, "10:00"),
               "actions": when("actions-0-at", 3, 1, 2026, "15:00")}
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        record = user.start()
        for slug, fields in whole_interview("Sam", "Browserchild").items():
            user.save(record, slug, {**fields, **earlier.get(slug, {})})
        user.submit(record)
    finally:
        user.close()


def test_a_returning_childs_interview_is_recorded_by_touch_with_the_child_found(
        open_page: OpenPage, server: Server, check_axe: CheckAxe) -> None:
    """The same interview for a child the service knows: found by case id, not typed."""
    case_id = f"BT-R{uuid4().hex[:6].upper()}"
    an_earlier_record_of(server, case_id)
    page = open_page("tablet")
    look = Look(page, "returning", check_axe)

    interview_id, tally = record_an_interview(page, Touch(page), look, server, known=case_id)

    assert_recorded(server, interview_id)
    assert server.interview_document(interview_id)["child"]["local_id"] == case_id
    look.assert_clean()
    assert tally.write("returning") == RETURNING_CHILD


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
    drive.choose("episodes-0-reported_to_police", "yes")  # the reference is asked under "Yes"
    drive.fill("episodes-0-police_reference", "REF-42")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("The offer of an interview")
    page.goto(f"{base}/episodes")
    expect(page.locator("#episodes-0-police_reference")).to_have_value("REF-42")


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_sharing_with_a_parent_the_child_named_as_harmful_is_warned_against(
        open_page: OpenPage, server: Server, check_axe: CheckAxe, device: str) -> None:
    """A draft whose child named domestic abuse as a reason for going, shared with a parent or
    carer: the warning is beside that row (and no other), and axe finds nothing."""
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        draft = user.start()
        for slug, fields in whole_interview("Warned", "Sharing").items():
            if slug == "interview":
                fields = {**fields, "interview-push_factors": ["domestic_abuse"]}
            if slug == "actions":
                fields = {**fields, "sharing-count": "2", "sharing-0-with": "social_worker",
                          "sharing-1-with": "parent_or_carer",
                          "sharing-0-at-day": "3", "sharing-0-at-month": "3",
                          "sharing-0-at-year": "2026", "sharing-0-at-time": "16:00"}
            user.save(draft, slug, fields)
    finally:
        user.close()
    page = open_page(device, as_="interviewer")
    page.goto(f"/interviews/{draft}/actions")

    warning = page.locator(".govuk-warning-text")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("The child described abuse at home as a reason for going. "
                                    "Think before sharing with a parent or carer")
    expect(page.locator("section", has=page.get_by_role("heading", name="Shared 2"))
           .locator(".govuk-warning-text")).to_be_visible()
    shot(page, f"{device}-sharing-warning")
    check_axe(page, f"actions with the sharing warning ({device})")
    assert page_width(page) is None
