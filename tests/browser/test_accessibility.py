"""axe-core (WCAG 2.2 A and AA) on every page of the service, and a guard that keeps it so.

Each visit also checks that the page does not scroll sideways in its window (WCAG 1.4.10).

`PAGES` lists, for each HTML page route, the visits whose axe check covers it. The journey tests
also run axe on every page they pass through. `test_every_html_page_route_has_an_axe_check`
walks the application's router and fails when a page route has no visit here, so a new page
cannot ship without an accessibility check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from playwright.sync_api import Page, expect

from app.main import create_app
from tests.browser.support import (
    SECOND_FACTOR_PATH,
    TOTP_SECRETS,
    CheckAxe,
    HttpUser,
    OpenPage,
    Server,
    page_width,
    run_rhi,
    security_code,
    shot,
    whole_interview,
)


@dataclass(frozen=True)
class Visit:
    route: str  # the route's path, as the router spells it
    url: str  # may name {submitted} or {draft}: records made by the `seeded` fixture
    role: str | None = None
    device: str = "tablet"
    status: int = 200
    prepare: Callable[[Page, Server], object] | None = None  # to the state to check


def _sign_in_with_nothing(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _an_organisation_with_its_own_sign_in(page: Page, server: Server) -> None:
    """The sign-in page as drawn while Bristol signs its people in through its own provider
    (`rhi orgs sso set`), cleared again at once: the other tests' sign-in page offers none."""
    env = {**os.environ, "RHI_DATABASE_URL": f"sqlite:///{server.database}", "RHI_ENV": "test"}
    run_rhi([(["orgs", "sso", "set", "--org", "801", "--client-id", "axe-client",
               "--issuer", "https://login.example.test/tenant/v2.0"], None)], env)
    try:
        page.reload()
    finally:
        run_rhi([(["orgs", "sso", "clear", "--org", "801"], None)], env)
    expect(page.get_by_role("link", name="Bristol City Council")).to_be_visible()


def _impossible_date_of_birth(page: Page, server: Server) -> None:
    page.locator("#child-date_of_birth-day").fill("31")
    page.locator("#child-date_of_birth-month").fill("2")
    page.locator("#child-date_of_birth-year").fill("2011")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))  # the page, not an autosave's summary
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _queue_is_shown(page: Page, server: Server) -> None:
    expect(page.get_by_role("table", name=re.compile("^Needs your sign-off"))).to_contain_text(
        "Casey")


def _submitted_record(user: HttpUser, given: str) -> str:
    """A CSE case of a child of its own, submitted by `user`."""
    record = user.start()
    for slug, fields in whole_interview(given, "Decided", cse=True).items():
        if slug == "child":
            fields = {**fields, "child-local_id": f"BT-{uuid4().hex[:8]}"}
        user.save(record, slug, fields)
    user.submit(record)
    return record


def _decided_records(server: Server) -> dict[str, str]:
    """Made once: a record the manager returned to the interviewer, and one returned, changed
    and submitted again (version 2)."""
    if "returned" not in server.seeded:
        interviewer = HttpUser(server.base_url, server.people["interviewer"])
        manager = HttpUser(server.base_url, server.people["manager"])
        try:
            made = {name: _submitted_record(interviewer, name.capitalize())
                    for name in ("returned", "resubmitted")}
            for record in made.values():
                answer = manager.client.post(f"/interviews/{record}/return", data={
                    "csrf_token": manager.csrf,
                    "comment": "Please say where the child stayed, and who with."})
                assert answer.status_code == 303, answer.text[:2000]
            interviewer.save(made["resubmitted"], "interview", {
                **whole_interview("Resubmitted", "Decided")["interview"],
                "interview-child_account": "The child said they stayed at a friend's flat."})
            interviewer.submit(made["resubmitted"])
        finally:
            interviewer.close()
            manager.close()
        server.seeded.update(made)
    return server.seeded


def _approve_without_a_note(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Approve the record").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your oversight note")


def _approve_a_new_record(page: Page, server: Server) -> None:
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        record = _submitted_record(user, "Approved")
    finally:
        user.close()
    page.goto(f"/interviews/{record}")
    page.get_by_label("Your oversight note").fill("Read the account; the safety plan covers it.")
    page.get_by_label("I have read the record and the child's account").check()
    page.get_by_role("button", name="Approve the record").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You approved the record")
    expect(page.locator("#decision-made")).to_contain_text("Read the account")


def _open_a_returned_section(page: Page, server: Server) -> None:
    page.goto(f"/interviews/{_decided_records(server)['returned']}/voice")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Please say where")


def _check_a_returned_record(page: Page, server: Server) -> None:
    page.goto(f"/interviews/{_decided_records(server)['returned']}/check")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Please say where")


def _what_changed_in_version_2(page: Page, server: Server) -> None:
    page.goto(f"/interviews/{_decided_records(server)['resubmitted']}/versions/2")
    expect(page.get_by_role("table", name="The interview")).to_contain_text(
        "stayed at a friend's flat")


def _warned_parent_or_carer_report(page: Page, server: Server) -> None:
    """The parent's or carer's report of a record whose child named domestic abuse as a reason
    for going: it warns before anything else."""
    user = HttpUser(server.base_url, server.people["interviewer"])
    try:
        record = user.start()
        for slug, fields in whole_interview("Warned", "Reported").items():
            if slug == "child":
                fields = {**fields, "child-local_id": f"BT-{uuid4().hex[:8]}"}
            if slug == "interview":
                fields = {**fields, "interview-push_factors": ["domestic_abuse"]}
            user.save(record, slug, fields)
        user.submit(record)
    finally:
        user.close()
    page.goto(f"/interviews/{record}/report/parent_or_carer")
    expect(page.locator(".govuk-warning-text")).to_contain_text("abuse at home")


def _return_without_a_comment(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Return to the interviewer").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _technical_record_open(page: Page, server: Server) -> None:
    """The first entry's technical record shown: its hashes must wrap, not widen the page."""
    page.locator(".govuk-details__summary").first.click()
    expect(page.locator(".govuk-details__text").first).to_contain_text("Previous hash")


def _password_only(page: Page, server: Server, who: str) -> None:
    person = server.people[who]
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(SECOND_FACTOR_PATH))


def _set_up_second_factor(page: Page, server: Server) -> None:
    _password_only(page, server, "placement_team")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")


def _set_up_with_no_code(page: Page, server: Server) -> None:
    _set_up_second_factor(page, server)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _recovery_codes(page: Page, server: Server) -> None:
    person = server.people["newcomer"]
    _password_only(page, server, "newcomer")
    TOTP_SECRETS[person.email] = str(page.locator("[data-secret]").get_attribute("data-secret"))
    page.get_by_label("Security code").fill(security_code(person))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#recovery-codes code").first).to_be_visible()


def _security_code(page: Page, server: Server) -> None:
    HttpUser(server.base_url, server.people["interviewer"]).close()  # enrolled by now
    _password_only(page, server, "interviewer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")


def _a_word_in_a_number_field(page: Page, server: Server) -> str:
    """A new draft whose interview page holds a value it could not save; its id."""
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/child$"))
    interview_id = page.url.rsplit("/", 2)[1]
    page.goto(f"/interviews/{interview_id}/interview")
    page.locator("#interview-seraf_score").fill("lots")
    expect(page.locator("#interview-seraf_score-error")).to_be_visible()  # put there by rhi.js
    return interview_id


def _unsaved_answers_on_the_check_page(page: Page, server: Server) -> None:
    interview_id = _a_word_in_a_number_field(page, server)
    page.goto(f"/interviews/{interview_id}/check")
    expect(page.locator("#unsaved")).to_be_visible()


def _timeout_warning(page: Page, server: Server) -> None:
    # The dialog as rhi.js opens it before the session ends (30 minutes here: opened at once).
    page.evaluate("document.getElementById('rhi-timeout').showModal()")
    expect(page.get_by_role("dialog", name="You will be signed out soon")).to_be_visible()


def _invite_with_nothing(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _open_the_interviewer(page: Page, server: Server) -> None:
    page.get_by_role("link", name="Ivy Interviewer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ivy Interviewer")


def _reset_a_new_persons_password(page: Page, server: Server) -> None:
    # Someone invited for the purpose: the people other tests sign in as stay untouched.
    page.get_by_role("button", name="Invite someone").click()
    page.get_by_label("Name").fill("Axe Target")
    page.get_by_label("Email address").fill(f"axe.{uuid4().hex[:8]}@browser.example.org")
    page.get_by_label("Analyst").check()
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#temporary-password")).to_be_visible()
    page.get_by_role("link", name="Back to Axe Target").click()
    page.get_by_role("button", name="Reset the password").click()
    expect(page.locator("#temporary-password")).to_be_visible()


def _record_an_episode(page: Page, server: Server) -> None:
    """On /episodes/new: a child who went missing two days ago and came back yesterday morning
    (never "this morning": before 07:15 that return would be in the future, and refused)."""
    page.get_by_label("The authority's case id").fill(f"AXE-{uuid4().hex[:6]}")
    page.get_by_label("Missing (whereabouts not known)").check()
    for name, day_offset, time in (("started_at", 2, "18:30"), ("returned_at", 1, "07:15")):
        page.evaluate(
            """([name, offset, time]) => {
                const when = new Date(Date.now() - offset * 86400000);
                document.getElementById(name + '-day').value = when.getDate();
                document.getElementById(name + '-month').value = when.getMonth() + 1;
                document.getElementById(name + '-year').value = when.getFullYear();
                document.getElementById(name + '-time').value = time;
            }""", [name, day_offset, time])
    page.get_by_role("button", name="Record the episode").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Episode of AXE-")


def _a_return_on_the_list(page: Page, server: Server) -> None:
    page.goto("/episodes/new")
    _record_an_episode(page, server)
    page.goto("/episodes")
    expect(page.get_by_role("table").first).to_contain_text("AXE-")


def _record_nothing(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Record the episode").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _make_a_key(page: Page, server: Server) -> None:
    page.get_by_label("What it is for").fill("Axe key")
    page.get_by_label("Feed: the pseudonymised feed and summaries, for analysts").check()
    page.get_by_role("button", name="Make the key").click()
    expect(page.locator("#api-key")).to_be_visible()


def _make_nothing(page: Page, server: Server) -> None:
    page.get_by_label("Days until it expires").fill("")
    page.get_by_role("button", name="Make the key").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _search_for_the_seeded_child(page: Page, server: Server) -> None:
    page.get_by_label("Search for a child").fill("casey seeded")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("table")).to_contain_text("Casey Seeded")


def _open_the_seeded_childs_history(page: Page, server: Server) -> None:
    _search_for_the_seeded_child(page, server)
    page.get_by_role("link", name="Casey Seeded").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casey Seeded")


def _the_seeded_child_is_listed(page: Page, server: Server) -> None:
    expect(page.get_by_role("table")).to_contain_text("Casey Seeded")


def _the_restricted_view(page: Page, server: Server) -> None:
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "This is a restricted view of the record.")
    expect(page.locator("main")).not_to_contain_text("A synthetic account.")


def _find_the_seeded_child_to_start(page: Page, server: Server) -> None:
    page.get_by_label("Find the child by name or case id").fill("casey seeded")
    page.get_by_role("button", name="Find the child").click()
    expect(page.get_by_role("button", name=re.compile(
        "^Start the interview for Casey Seeded"))).to_be_visible()


def _start_for_the_seeded_child(page: Page, server: Server) -> None:
    _find_the_seeded_child_to_start(page, server)
    page.get_by_role("button", name=re.compile("^Start the interview for Casey Seeded")).click()
    expect(page.locator("#filled-in")).to_be_visible()
    expect(page.locator("#child-given_name")).to_have_value("Casey")


def _choose_declined(page: Page, server: Server) -> None:
    page.get_by_label("The child declined").check()
    expect(page.locator("#offer-decline_reason")).to_be_visible()


def _open_the_navigation_menu(page: Page, server: Server) -> None:
    """At 320 px the service navigation folds into a menu button; opened, it shows the links."""
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()


SECTIONS = ("child", "episodes", "offer", "interview", "voice", "actions")
SECTION_ROUTE = "/interviews/{interview_id}/{slug}"
RECORD_ROUTE = "/interviews/{interview_id}"
VERSION_ROUTE = "/interviews/{interview_id}/versions/{number}"
REPORT_ROUTE = "/interviews/{interview_id}/report/{recipient}"
PLACED_ROUTE = "/placed-in-our-area"
PLACED_RECORD_ROUTE = "/placed-in-our-area/{interview_id}"

PAGES: dict[str, Visit] = {
    "sign-in": Visit("/login", "/login"),
    "sign-in-errors": Visit("/login", "/login", prepare=_sign_in_with_nothing),
    "sign-in-signed-out": Visit("/login", "/login?signed_out=true"),
    "sign-in-timed-out": Visit("/login", "/login?reason=timeout&next=%2F&saved=14%3A02"),
    "sign-in-320px": Visit("/login", "/login", device="320px"),
    "sign-in-organisations-own-account": Visit("/login", "/login",
                                               prepare=_an_organisation_with_its_own_sign_in),
    "sign-in-own-account-not-offered": Visit("/login/sso/{org_code}", "/login/sso/no-such-org",
                                             status=404),
    "sign-in-own-account-refused": Visit("/login/sso/{org_code}/callback",
                                         "/login/sso/801/callback?code=x&state=y", status=404),
    "two-factor-set-up": Visit("/login/two-factor", "/login", prepare=_set_up_second_factor),
    "two-factor-set-up-errors": Visit("/login/two-factor", "/login",
                                      prepare=_set_up_with_no_code),
    "two-factor-recovery-codes": Visit("/login/two-factor", "/login", prepare=_recovery_codes),
    "two-factor-code": Visit("/login/two-factor", "/login", prepare=_security_code),
    "home-interviewer": Visit("/", "/", "interviewer"),
    "home-manager-oversight-queue": Visit("/", "/", "manager", device="desktop",
                                          prepare=_queue_is_shown),
    "home-manager-oversight-queue-320px": Visit("/", "/", "manager", device="320px",
                                                prepare=_queue_is_shown),
    "home-admin": Visit("/", "/", "admin", device="desktop"),
    "home-saved-for-later": Visit("/", "/?saved={draft}", "interviewer"),
    "home-timeout-warning": Visit("/", "/", "interviewer", prepare=_timeout_warning),
    "start-interview": Visit("/interviews/new", "/interviews/new", "interviewer"),
    "start-interview-child-found": Visit("/interviews/new", "/interviews/new", "interviewer",
                                         prepare=_find_the_seeded_child_to_start),
    "start-interview-child-found-320px": Visit("/interviews/new", "/interviews/new",
                                               "interviewer", device="320px",
                                               prepare=_find_the_seeded_child_to_start),
    "start-interview-none-found": Visit("/interviews/new", "/interviews/new?q=nobody+at+all",
                                        "interviewer"),
    "start-interview-errors": Visit("/interviews/new", "/interviews/new?q=x", "interviewer",
                                    status=422),
    # Each section of a whole interview still a draft, its follow-ups revealed and answered.
    **{f"section-{slug}": Visit(SECTION_ROUTE, f"/interviews/{{filled}}/{slug}",
                                "interviewer") for slug in SECTIONS},
    "section-offer-declined-revealed": Visit(SECTION_ROUTE, "/interviews/{draft}/offer",
                                             "interviewer", prepare=_choose_declined),
    "section-child-errors": Visit(SECTION_ROUTE, "/interviews/{draft}/child", "interviewer",
                                  prepare=_impossible_date_of_birth),
    "section-interview-320px": Visit(SECTION_ROUTE, "/interviews/{filled}/interview",
                                     "interviewer", device="320px"),
    "section-actions-320px": Visit(SECTION_ROUTE, "/interviews/{filled}/actions",
                                   "interviewer", device="320px"),
    "section-child-filled-in": Visit(SECTION_ROUTE, "/interviews/new", "interviewer",
                                     prepare=_start_for_the_seeded_child),
    "section-interview-autosave-errors": Visit(SECTION_ROUTE, "/interviews/new", "interviewer",
                                               prepare=_a_word_in_a_number_field),
    "discard-draft": Visit("/interviews/{interview_id}/discard",
                           "/interviews/{draft}/discard", "interviewer"),
    "check-answers-draft": Visit("/interviews/{interview_id}/check",
                                 "/interviews/{draft}/check", "interviewer"),
    "check-answers-unsaved": Visit("/interviews/{interview_id}/check", "/interviews/new",
                                   "interviewer", prepare=_unsaved_answers_on_the_check_page),
    "check-answers-submitted": Visit("/interviews/{interview_id}/check",
                                     "/interviews/{submitted}/check", "interviewer"),
    "record-interviewer": Visit(RECORD_ROUTE, "/interviews/{submitted}", "interviewer"),
    "record-interviewer-320px": Visit(RECORD_ROUTE, "/interviews/{submitted}", "interviewer",
                                      device="320px"),
    "record-manager-oversight": Visit(RECORD_ROUTE, "/interviews/{submitted}", "manager",
                                      device="desktop"),
    "record-manager-return-errors": Visit(RECORD_ROUTE, "/interviews/{submitted}", "manager",
                                          device="desktop", prepare=_return_without_a_comment),
    "record-manager-oversight-320px": Visit(RECORD_ROUTE, "/interviews/{submitted}", "manager",
                                            device="320px"),
    "record-manager-approve-errors": Visit(RECORD_ROUTE, "/interviews/{submitted}", "manager",
                                           device="desktop", prepare=_approve_without_a_note),
    "record-manager-approved": Visit(RECORD_ROUTE, "/interviews/{submitted}", "manager",
                                     device="desktop", prepare=_approve_a_new_record),
    "section-returned-with-comment": Visit(SECTION_ROUTE, "/interviews/{submitted}",
                                           "interviewer", prepare=_open_a_returned_section),
    "check-answers-returned-with-comment": Visit("/interviews/{interview_id}/check",
                                                 "/interviews/{submitted}", "interviewer",
                                                 prepare=_check_a_returned_record),
    "version-first": Visit(VERSION_ROUTE, "/interviews/{submitted}/versions/1", "interviewer"),
    "version-what-changed": Visit(VERSION_ROUTE, "/interviews/{submitted}/versions/1",
                                  "manager", device="desktop",
                                  prepare=_what_changed_in_version_2),
    "version-what-changed-320px": Visit(VERSION_ROUTE, "/interviews/{submitted}/versions/1",
                                        "interviewer", device="320px",
                                        prepare=_what_changed_in_version_2),
    "report-police": Visit(REPORT_ROUTE, "/interviews/{submitted}/report/police", "interviewer"),
    "report-whole-record-320px": Visit(REPORT_ROUTE, "/interviews/{submitted}/report/social_worker",
                                       "interviewer", device="320px"),
    "report-parent-or-carer-warning": Visit(REPORT_ROUTE,
                                            "/interviews/{submitted}/report/parent_or_carer",
                                            "interviewer", prepare=_warned_parent_or_carer_report),
    # The host authority's restricted view (Bristol, where the seeded child of South
    # Gloucestershire is placed), and the list of an organisation that hosts nobody.
    "placed-in-our-area": Visit(PLACED_ROUTE, "/placed-in-our-area", "host", device="desktop",
                                prepare=_the_seeded_child_is_listed),
    "placed-in-our-area-320px": Visit(PLACED_ROUTE, "/placed-in-our-area", "host",
                                      device="320px", prepare=_the_seeded_child_is_listed),
    "placed-in-our-area-none": Visit(PLACED_ROUTE, "/placed-in-our-area", "interviewer"),
    "placed-in-our-area-record": Visit(PLACED_RECORD_ROUTE, "/placed-in-our-area/{submitted}",
                                       "host", prepare=_the_restricted_view),
    "placed-in-our-area-record-320px": Visit(PLACED_RECORD_ROUTE,
                                             "/placed-in-our-area/{submitted}", "host",
                                             device="320px", prepare=_the_restricted_view),
    "quarterly-report-analyst": Visit("/reports/quarterly", "/reports/quarterly", "analyst",
                                      device="desktop"),
    "quarterly-report-manager": Visit("/reports/quarterly", "/reports/quarterly?period=2026-Q1",
                                      "manager", device="desktop"),
    # The board pack in the partnership's own figures (marked not for publication), on a
    # laptop and at 320 px, and a mode that is not one (a 422 page).
    "quarterly-report-own-figures": Visit("/reports/quarterly",
                                          "/reports/quarterly?period=2026-Q1&mode=own",
                                          "manager", device="desktop"),
    "quarterly-report-own-figures-320px": Visit("/reports/quarterly",
                                                "/reports/quarterly?mode=own", "analyst",
                                                device="320px"),
    "quarterly-report-no-such-figures": Visit("/reports/quarterly",
                                              "/reports/quarterly?mode=secret", "analyst",
                                              status=422),
    "episodes-work-list": Visit("/episodes", "/episodes", "manager", device="desktop",
                                prepare=_a_return_on_the_list),
    "episodes-work-list-320px": Visit("/episodes", "/episodes", "manager", device="320px",
                                      prepare=_a_return_on_the_list),
    "episodes-work-list-empty": Visit("/episodes", "/episodes", "manager"),
    "episode-new": Visit("/episodes/new", "/episodes/new", "manager"),
    "episode-new-errors": Visit("/episodes/new", "/episodes/new", "manager",
                                prepare=_record_nothing),
    "episode": Visit("/episodes/{episode_id}", "/episodes/new", "manager",
                     prepare=_record_an_episode),
    "episodes-mine": Visit("/episodes/mine", "/episodes/mine", "interviewer"),
    "children-differences": Visit("/children/differences", "/children/differences", "manager",
                                  device="desktop"),
    "search": Visit("/search", "/search", "interviewer"),
    "search-results": Visit("/search", "/search", "interviewer",
                            prepare=_search_for_the_seeded_child),
    "search-results-320px": Visit("/search", "/search", "interviewer", device="320px",
                                  prepare=_search_for_the_seeded_child),
    "child-history": Visit("/children/{child_id}", "/search", "interviewer", device="desktop",
                           prepare=_open_the_seeded_childs_history),
    "child-history-320px": Visit("/children/{child_id}", "/search", "interviewer",
                                 device="320px", prepare=_open_the_seeded_childs_history),
    "navigation-menu-320px": Visit("/", "/", "manager", device="320px",
                                   prepare=_open_the_navigation_menu),
    "audit-admin": Visit("/audit", "/audit", "admin", device="desktop"),
    "audit-manager-320px": Visit("/audit", "/audit", "manager", device="320px",
                                 prepare=_technical_record_open),
    "admin-people": Visit("/admin/people", "/admin/people", "admin", device="desktop"),
    "admin-people-320px": Visit("/admin/people", "/admin/people", "admin", device="320px"),
    "admin-invite": Visit("/admin/people/new", "/admin/people/new", "admin"),
    "admin-invite-errors": Visit("/admin/people/new", "/admin/people/new", "admin",
                                 prepare=_invite_with_nothing),
    "admin-person": Visit("/admin/people/{user_id}", "/admin/people", "admin",
                          prepare=_open_the_interviewer),
    "admin-temporary-password": Visit("", "/admin/people",
                                      "admin", prepare=_reset_a_new_persons_password),
    "admin-api-keys": Visit("/admin/api-keys", "/admin/api-keys", "admin", device="desktop"),
    "admin-api-keys-320px": Visit("/admin/api-keys", "/admin/api-keys", "admin",
                                  device="320px"),
    "admin-api-key-new": Visit("/admin/api-keys/new", "/admin/api-keys/new", "admin"),
    "admin-api-key-new-errors": Visit("/admin/api-keys/new", "/admin/api-keys/new", "admin",
                                      prepare=_make_nothing),
    "admin-api-key-made-320px": Visit("", "/admin/api-keys/new", "admin", device="320px",
                                      prepare=_make_a_key),
    "admin-organisations": Visit("/admin/organisations", "/admin/organisations", "admin",
                                 device="desktop"),
    "admin-organisation-new": Visit("/admin/organisations/new", "/admin/organisations/new",
                                    "admin"),
    "audit-errors": Visit("/audit", "/audit?from-day=31&from-month=2&from-year=2026", "admin",
                          device="desktop", status=422),
    # Not routes of their own, but pages people see.
    "error-not-found": Visit("", "/no-such-page", "interviewer", status=404),
    "error-forbidden": Visit("", "/interviews/new", "admin", status=403),
}

# GET routes outside /api/ that are not HTML pages, and why.
NOT_PAGES = {
    "/healthz": "health check (JSON)",
    "/readyz": "readiness check (JSON)",
    "/metrics": "Prometheus metrics (text), for its bearer token only",
    "/docs/oauth2-redirect": "Swagger UI's OAuth2 helper for /api/docs (FastAPI default)",
    "/reports/quarterly/{chart}.csv": "CSV download of a report chart",
    "/reports/quarterly.pdf": "PDF of the board pack, for board papers",
}


def html_page_routes() -> set[str]:
    """Every GET route that serves a page: HTMLResponse, or any GET path outside /api/ and
    /static that is not listed in NOT_PAGES."""
    pages = set()
    for route in iter_route_contexts(create_app().routes):
        path, methods = route.path, route.methods or set()
        if not path or "GET" not in methods or path.startswith(("/static", "/api/docs")):
            continue
        response_class = getattr(route, "response_class", None)
        response_class = getattr(response_class, "value", response_class)  # a Default(...)
        html = isinstance(response_class, type) and issubclass(response_class, HTMLResponse)
        if html or (not path.startswith("/api/") and path not in NOT_PAGES):
            pages.add(path)
    return pages


def test_every_html_page_route_has_an_axe_check() -> None:
    checked = {visit.route for visit in PAGES.values()}
    missing = sorted(html_page_routes() - checked)
    assert not missing, (
        f"HTML page routes with no axe-core check: {missing}. Add a Visit for each to PAGES "
        f"in {__name__} (or, if it is not a page, to NOT_PAGES with the reason).")


def test_the_axe_table_names_only_real_routes() -> None:
    routes = html_page_routes()
    stale = sorted({v.route for v in PAGES.values() if v.route and v.route not in routes})
    assert not stale, f"PAGES names routes the application no longer has: {stale}"


@pytest.mark.browser
@pytest.mark.parametrize("name", list(PAGES))
def test_no_wcag_violations(name: str, open_page: OpenPage, server: Server,
                            seeded: dict[str, str], check_axe: CheckAxe) -> None:
    visit = PAGES[name]
    page = open_page(visit.device, as_=visit.role)
    response = page.goto(visit.url.format(**seeded))
    assert response is not None
    assert response.status == visit.status, f"{visit.url}: {response.status}"
    if visit.prepare is not None:
        visit.prepare(page, server)
    result = check_axe(page, name)
    shot(page, f"axe-{name}")
    assert result.passes > 0  # axe did run its checks
    width = page_width(page)
    assert width is None, f"{name}: the page is {width} px wide, wider than its window " \
        f"({page.viewport_size}), so it scrolls sideways (WCAG 1.4.10 reflow)"
