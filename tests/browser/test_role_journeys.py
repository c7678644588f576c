"""A manager, a placement team and an administrator each do their work in a real browser.

Each journey runs by touch on a tablet (810×1080) and at 320 px wide; the manager's also by
keyboard alone (Tab, Space, Enter and typing, never the mouse) on a tablet-sized window and at
320 px. The interviewer's journey is test_journey.py. On every page a journey visits: a
screenshot in tests/artifacts/, no sideways scrolling (WCAG 1.4.10), and axe-core's WCAG 2.2
A/AA rules (`Look`).

The records a journey works on are written beforehand by the interviewer with plain form posts,
each about a child of its own (the journeys share one server with every other browser test).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from app.interviews.oversight import QUEUE_LIMIT
from tests.browser.support import (
    CheckAxe,
    HttpUser,
    Keyboard,
    OpenPage,
    Person,
    Server,
    Touch,
    run_rhi,
    sign_in_browser,
    when,
    whole_interview,
)
from tests.browser.test_journey import Look

pytestmark = pytest.mark.browser

# Each run's children are named after the way it is driven, so no two runs share a child.
WORD = {"tablet": "Tablet", "320px": "Narrow", "keyboard": "Keyed", "keyboard-320px": "Keyslim"}
# Below GOV.UK Frontend's tablet breakpoint the service navigation folds into a "Menu" button.
NARROW = 641
QUEUE_GROUPS = ("Needs your sign-off", "Due in the next two working days",
                "Missed, for information")
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def interviewer(server: Server) -> Iterator[HttpUser]:
    """The interviewer, signed in once for the module, writing the records the journeys read."""
    user = HttpUser(server.base_url, server.people["interviewer"])
    yield user
    user.close()


def submit_record(user: HttpUser, given: str, family: str, case_id: str | None = None,
                  **changes: dict[str, Any]) -> str:
    """A complete record of a child of its own (a new case id unless given), submitted; its
    id. `changes` replaces or adds fields of a section (by its slug)."""
    changes["child"] = {"child-local_id": case_id or f"BT-{secrets.token_hex(4)}",
                        **changes.get("child", {})}
    record = user.start()
    for slug, fields in whole_interview(given, family).items():
        user.save(record, slug, {**fields, **changes.get(slug, {})})
    user.submit(record)
    return record


def navigate(page: Page, drive: Touch, name: str) -> None:
    """Follow a link of the service navigation, opening its menu first on a narrow screen."""
    navigation = page.locator(".govuk-service-navigation")
    window = page.viewport_size
    assert window is not None
    if window["width"] < NARROW:
        menu = navigation.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()  # shown once GOV.UK Frontend has started
        drive.activate(menu)
    link = navigation.get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    drive.activate(link)


def expect_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def above(first: Locator, second: Locator) -> bool:
    """Whether `first` ends before `second` starts on the page (measured together)."""
    answer: bool = first.evaluate(
        "(a, b) => a.getBoundingClientRect().bottom <= b.getBoundingClientRect().top",
        second.element_handle())
    return answer


# --- the manager -------------------------------------------------------------------------------


def assert_queue_counted(page: Page) -> None:
    """Each group of the oversight queue says how many records it holds, in its heading and in
    the list of groups above, and shows that many (up to the most a group shows)."""
    for title in QUEUE_GROUPS:
        group = page.get_by_role("heading", level=3,
                                 name=re.compile(rf"^{re.escape(title)} \(\d+\)$"))
        expect(group).to_be_visible()
        counted = re.search(r"\((\d+)\)$", group.inner_text())
        assert counted is not None
        total = int(counted.group(1))
        expect(page.locator("#oversight ~ ul li", has=page.get_by_role(
            "link", name=title, exact=True))).to_have_text(f"{title}: {total}")
        rows = page.get_by_role("table", name=re.compile(rf"^{re.escape(title)},"))
        expect(rows.locator("tbody tr")).to_have_count(min(total, QUEUE_LIMIT))


def sign_off_table(page: Page) -> Locator:
    return page.get_by_role("table", name=re.compile(r"^Needs your sign-off,"))


def sign_off_records(page: Page, drive: Touch, look: Look, server: Server,
                     interviewer: HttpUser, word: str) -> None:
    """The manager's journey: the queue, a filter, a record returned with a note, another
    approved with a note, and what changed when the returned one came back."""
    returned_name, approved_name = f"Rory {word}", f"Abby {word}"
    account = f"Rory said they stayed with an older man they met online ({word})."
    returned = submit_record(interviewer, "Rory", word, interview={
        "interview-child_account": account,
        "interview-risk_indicators": ["sexual_exploitation"]})
    approved = submit_record(interviewer, "Abby", word)
    return_note = f"Please say where Rory stayed, and who with ({word})."
    approve_note = f"Read the account; the safety plan covers the risks ({word})."

    sign_in_browser(page, server.people["manager"], drive, look)  # and the second factor
    expect_heading(page, "Your work")
    expect(page.get_by_role("heading", level=2, name="Oversight queue")).to_be_visible()
    assert_queue_counted(page)
    expect(sign_off_table(page).get_by_role("link", name=returned_name)).to_be_visible()
    expect(sign_off_table(page).get_by_role("link", name=approved_name)).to_be_visible()
    look("home-oversight-queue")

    # Only the exploitation cases: Rory's is one (it is marked so), Abby's is not.
    filters = page.locator(".rhi-queue-filter summary")
    drive.activate(filters)
    drive.choose("exploitation", "1")
    drive.button("Apply filters")
    expect(filters).to_have_text("Filter the queue (filtered)")
    expect(page.locator("#filter-exploitation")).to_be_checked()
    rory = sign_off_table(page).get_by_role("row", name=re.compile(returned_name))
    expect(rory).to_contain_text("Exploitation: sign-off needed")
    expect(sign_off_table(page).get_by_role("link", name=approved_name)).to_have_count(0)
    assert_queue_counted(page)
    look("home-oversight-queue-filtered")

    # Read the record first: the child's account and the actions come before the decision.
    drive.activate(rory.get_by_role("link", name=returned_name))
    expect(page).to_have_url(re.compile(rf"/interviews/{returned}$"))
    expect_heading(page, returned_name)
    expect(page.locator("main")).to_contain_text(
        "Read the record and the child's account, then make your decision")
    told = page.get_by_text(account, exact=True)
    owner = page.locator(".govuk-summary-list__row", has_text="Action 1: who owns it")
    decision = page.get_by_role("heading", level=2, name="Your decision")
    expect(told).to_be_visible()
    expect(owner).to_contain_text("Ivy Interviewer")
    expect(decision).to_be_visible()
    assert above(told, decision) and above(owner, decision)
    look("record-to-decide")

    # Returned without a note: the message is beside the field, and nothing is decided.
    drive.button("Return to the interviewer")
    expect(page).to_have_title(re.compile(r"^Error: "))
    missing = "Enter a comment saying what the interviewer should change"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    field = page.locator(".govuk-form-group", has=page.locator("#comment"))
    expect(field.locator("#comment-error")).to_have_text(f"Error: {missing}")
    expect(page.locator("#comment")).to_have_attribute("aria-describedby",
                                                       re.compile(r"\bcomment-error\b"))
    look("record-return-without-a-note")
    drive.activate(summary.get_by_role("link", name=missing))
    expect(page.locator("#comment")).to_be_focused()
    drive.fill("comment", return_note)
    drive.button("Return to the interviewer")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text(f"You returned the record for {returned_name} to the "
                                   "interviewer")
    expect(page.locator("#decision-made")).to_contain_text("The manager's comment")
    expect(page.locator("#decision-made")).to_contain_text(return_note)
    expect(decision).to_have_count(0)
    look("record-returned")

    # Back to the queue, and another record approved with a note.
    drive.activate(banner.get_by_role("link", name="Back to the oversight queue"))
    expect_heading(page, "Your work")
    look("home-after-returning")
    drive.activate(sign_off_table(page).get_by_role("link", name=approved_name))
    expect(page).to_have_url(re.compile(rf"/interviews/{approved}$"))
    expect_heading(page, approved_name)
    look("record-to-approve")
    drive.fill("oversight_note", approve_note)
    drive.choose("read_record", "yes")
    drive.button("Approve the record")
    expect(banner).to_contain_text(f"You approved the record for {approved_name}")
    expect(page.locator("#decision-made")).to_contain_text("Manager oversight")
    expect(page.locator("#decision-made")).to_contain_text(approve_note)
    look("record-approved")

    # The interviewer answers the comment and submits again: what changed in version 2.
    changed = f"Rory said they stayed at a friend's flat in Filton, with her mum ({word})."
    interviewer.save(returned, "interview", {
        **whole_interview("Rory", word)["interview"],
        "interview-risk_indicators": ["sexual_exploitation"],
        "interview-child_account": changed})
    interviewer.submit(returned)
    drive.activate(banner.get_by_role("link", name="Back to the oversight queue"))
    expect_heading(page, "Your work")
    drive.activate(sign_off_table(page).get_by_role("link", name=returned_name))
    expect_heading(page, returned_name)
    versions = page.locator("#versions + ul")
    expect(versions).to_contain_text(return_note)  # the comment stays with version 1
    look("record-submitted-again")
    drive.link("Version 2")
    expect_heading(page, "Version 2: what changed")
    what = page.get_by_role("row", name=re.compile("The child's account"))
    expect(what).to_contain_text(account)
    expect(what).to_contain_text(changed)
    look("what-changed")


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_a_manager_returns_one_record_and_approves_another_by_touch(
        open_page: OpenPage, server: Server, interviewer: HttpUser, check_axe: CheckAxe,
        device: str) -> None:
    page = open_page(device)
    look = Look(page, f"manager-{device}", check_axe)
    sign_off_records(page, Touch(page), look, server, interviewer, WORD[device])
    look.assert_clean()


@pytest.mark.parametrize("device", ["keyboard", "keyboard-320px"])
def test_a_manager_returns_one_record_and_approves_another_with_the_keyboard_alone(
        open_page: OpenPage, server: Server, interviewer: HttpUser, check_axe: CheckAxe,
        device: str) -> None:
    page = open_page(device)
    look = Look(page, f"manager-{device}", check_axe)
    sign_off_records(page, Keyboard(page), look, server, interviewer, WORD[device])
    look.assert_clean()


# --- the placement team ------------------------------------------------------------------------


def new_person(server: Server, role: str, org: str, name: str) -> Person:
    """Someone added with `rhi users create`, as an operator would: signing in for the first
    time, they set up their authenticator (the seeded people's state is other tests' to use)."""
    person = Person(f"{role}.{secrets.token_hex(4)}@browser.example.org", name, role, org,
                    secrets.token_urlsafe(18))
    env = {**os.environ, "RHI_DATABASE_URL": f"sqlite:///{server.database}", "RHI_ENV": "test"}
    run_rhi([(["users", "create", "--email", person.email, "--name", person.name,
               "--org", org, "--role", role], person.password + "\n")], env)
    return person


def _at(prefix: str, moment: datetime) -> dict[str, str]:
    return when(prefix, moment.day, moment.month, moment.year, moment.strftime("%H:%M"))


def repeatedly_missing(days_ago: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """The episodes, offer, interview and action of a child missing overnight on each of these
    days (UK time), the last one interviewed the day after they came back."""
    today = datetime.now(LONDON).replace(second=0, microsecond=0)
    episodes: dict[str, Any] = {"episodes-count": str(len(days_ago))}
    for n, days in enumerate(days_ago):
        went = (today - timedelta(days=days)).replace(hour=18, minute=0)
        episodes |= {f"episodes-{n}-type": "missing", f"episodes-{n}-reported_to_police": "yes",
                     **_at(f"episodes-{n}-started_at", went),
                     **_at(f"episodes-{n}-returned_at", went + timedelta(hours=15))}
    back = (today - timedelta(days=min(days_ago) - 1)).replace(hour=9, minute=0)
    return {"episodes": episodes,
            "offer": _at("offer-offered_at", back + timedelta(hours=3)),
            "interview": _at("interview-conducted_at", back + timedelta(days=1, hours=1)),
            "actions": _at("actions-0-at", back + timedelta(days=1, hours=6))}


def read_a_placed_childs_history(page: Page, drive: Touch, look: Look, server: Server,
                                 person: Person, child: str, case_id: str,
                                 account: str) -> None:
    sign_in_browser(page, person, drive, look)  # setting up the authenticator
    expect_heading(page, "Your work")
    placed = page.get_by_role("table", name=re.compile("^Children of your authority placed"))
    row = placed.get_by_role("row", name=re.compile(child))
    expect(row).to_contain_text(case_id)
    look("home-placed-out-of-area")

    # Its record: everything the responsible authority may read, and no decision to make.
    drive.activate(row.get_by_role("link", name=child))
    expect_heading(page, child)
    expect(page.get_by_text(account, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Your decision")).to_have_count(0)
    expect(page.get_by_role("button", name="Approve the record")).to_have_count(0)
    look("record")
    # The report for Bristol, where the child lives: what a host authority needs, not the
    # child's own account.
    drive.link("Report for the host authority")
    expect_heading(page, "Report for the host authority")
    expect(page.locator("#marking")).to_have_text("OFFICIAL-SENSITIVE")
    expect(page.locator("main")).to_contain_text(case_id)
    expect(page.locator("main")).to_contain_text("A friend's flat")
    expect(page.locator("main")).not_to_contain_text(account)
    look("report-host-authority")

    # Find the child by case id from the service navigation, and read their history.
    navigate(page, drive, "Search")
    expect_heading(page, "Search for a child")
    look("search")
    drive.fill("q", case_id)
    drive.button("Search")
    results = page.get_by_role("table", name="1 child found")
    expect(results).to_contain_text(case_id)
    look("search-results")
    drive.activate(results.get_by_role("link", name=child))
    expect_heading(page, child)
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "Repeatedly missing: 3 episodes started in the last 90 days.")
    episodes = page.get_by_role("table", name="Episodes, the latest first")
    expect(episodes.locator("tbody tr")).to_have_count(3)
    records = page.get_by_role("table", name="Interview records, the latest saved first")
    expect(records.locator("tbody tr")).to_have_count(1)
    expect(records).to_contain_text("Submitted")
    look("child-history")


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_a_placement_team_reads_its_child_placed_out_of_area_and_their_history(
        open_page: OpenPage, server: Server, interviewer: HttpUser, check_axe: CheckAxe,
        device: str) -> None:
    """South Gloucestershire's child, placed in Bristol and missing three times in a month."""
    word = WORD[device]
    child, case_id = f"Pia {word}", f"PL-{secrets.token_hex(3).upper()}"
    account = f"Pia said she went to see her sister in Bristol ({word})."
    missing = repeatedly_missing((30, 20, 10))
    missing["interview"]["interview-child_account"] = account
    submit_record(interviewer, "Pia", word, case_id, **missing)
    person = new_person(server, "placement_team", "803", f"Pat {word}")

    page = open_page(device)
    look = Look(page, f"placement-{device}", check_axe)
    read_a_placed_childs_history(page, Touch(page), look, server, person, child, case_id,
                                 account)
    look.assert_clean()


# --- the administrator -------------------------------------------------------------------------


def administer(page: Page, drive: Touch, look: Look, server: Server, word: str) -> None:
    admin = server.people["admin"]
    leaver = f"Lee Leaver {word}"
    key_name = f"Case system {word}"
    sign_in_browser(page, admin, drive, look)  # a password alone: no child is named
    expect_heading(page, "Administration")
    look("home")

    # People: invite someone (a bad email address first), then disable their account.
    drive.activate(page.locator("main").get_by_role("link", name="People", exact=True))
    expect_heading(page, "People")
    # A region of its own, which scrolls sideways on a narrow screen (from the keyboard too).
    everyone = page.get_by_role("region", name="Everyone in your organisation")
    expect(everyone.get_by_role("row", name=re.compile(f"^{admin.name} \\(you\\)"))
           ).to_contain_text("Active")
    look("people")
    drive.button("Invite someone")
    expect_heading(page, "Invite someone")
    look("invite")
    drive.fill("name", leaver)
    drive.fill("email", "lee.leaver at example.org")
    drive.choose("role", "analyst")
    drive.button("Invite")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    email_field = page.locator(".govuk-form-group", has=page.locator("#email"))
    expect(email_field.locator("#email-error")).to_contain_text(
        "is not an email address, like name@example.org")
    expect(page.locator("#name")).to_have_value(leaver)  # nothing typed is lost
    look("invite-bad-email")
    drive.replace("email", f"lee.{secrets.token_hex(4)}@browser.example.org")
    drive.button("Invite")
    expect(page.locator(".govuk-panel")).to_contain_text(f"Invited {leaver}")
    expect(page.locator("#temporary-password")).not_to_be_empty()
    look("invited")
    drive.link(f"Back to {leaver}")
    expect_heading(page, leaver)
    look("person")
    drive.button("Disable the account")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The account is disabled and its sessions have ended")
    account = page.locator(".govuk-summary-list__row",
                           has=page.get_by_text("Account", exact=True))
    expect(account).to_contain_text("Disabled")
    look("person-disabled")
    drive.link("Back to people")
    expect(everyone.get_by_role("row", name=re.compile(leaver))).to_contain_text("Disabled")
    look("people-with-the-leaver-disabled")

    # Organisations: the partnership's, its own marked.
    navigate(page, drive, "Organisations")
    expect_heading(page, "Organisations")
    expect(page.get_by_role("table", name="Every organisation")).to_contain_text(
        "Avon Return Interview Service (yours)")
    look("organisations")

    # API keys: a key is shown once, when it is made, and never again.
    navigate(page, drive, "API keys")
    expect_heading(page, "API keys")
    look("api-keys")
    drive.button("Make a key")
    expect_heading(page, "Make an API key")
    look("api-key-new")
    drive.fill("name", key_name)
    drive.choose("scopes", "submit")
    drive.button("Make the key")
    expect(page.locator(".govuk-panel")).to_contain_text(f"Key made: {key_name}")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "This is the only time it is shown")
    key = page.locator("#api-key").inner_text()
    assert len(key) > 20, key
    look("api-key-made")
    drive.link("Back to API keys")
    keys = page.get_by_role("table", name="Your organisation's keys, newest first")
    expect(keys.get_by_role("row", name=re.compile(key_name))).to_contain_text("Active")
    expect(page.locator("main")).not_to_contain_text(key)
    look("api-keys-with-the-new-key")

    # The audit log says what the administrator did, by name, in words.
    navigate(page, drive, "Audit log")
    expect_heading(page, "Audit log")
    entries = page.locator("main ol")
    me = f"{admin.name} (administrator)"
    expect(entries).to_contain_text(f"{me} invited {leaver} (analyst)")
    expect(entries).to_contain_text(f"{me} disabled the account of {leaver} (analyst)")
    expect(entries).to_contain_text(f"{me} made the API key “{key_name}”")
    look("audit-log")


@pytest.mark.parametrize("device", ["tablet", "320px"])
def test_an_administrator_invites_and_disables_someone_makes_a_key_and_reads_the_log(
        open_page: OpenPage, server: Server, check_axe: CheckAxe, device: str) -> None:
    page = open_page(device)
    look = Look(page, f"admin-{device}", check_axe)
    administer(page, Touch(page), look, server, WORD[device])
    look.assert_clean()
