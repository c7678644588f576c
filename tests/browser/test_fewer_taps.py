"""Fewer taps (issue 18, part 6): the interviewer's name is filled in from the sign-in, "Now"
fills a date and time with one tap and is saved as if typed, and times open the number pad."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.support import OpenPage, Server, Touch
from tests.browser.test_never_lose_a_word import start_on_the_interview_section

pytestmark = pytest.mark.browser


def test_now_and_the_interviewers_name_save_without_typing(open_page: OpenPage,
                                                            server: Server) -> None:
    page = open_page("tablet", as_="interviewer")
    interview_id = start_on_the_interview_section(page)
    name = page.locator("#interview-interviewer_name")
    expect(name).to_have_value(server.people["interviewer"].name)
    expect(page.locator("#interview-conducted_at-time")).to_have_attribute("inputmode", "numeric")

    before = datetime.now()
    Touch(page).button("Now: When the interview took place")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved at \d\d:\d\d"))

    page.goto(f"/interviews/{interview_id}/interview")  # what was saved, from the server
    expect(page.locator("#interview-conducted_at-day")).to_have_value(str(before.day))
    expect(page.locator("#interview-conducted_at-month")).to_have_value(str(before.month))
    expect(page.locator("#interview-conducted_at-year")).to_have_value(str(before.year))
    expect(page.locator("#interview-conducted_at-time")).to_have_value(
        re.compile(r"^\d\d:\d\d$"))
    expect(name).to_have_value(server.people["interviewer"].name)

