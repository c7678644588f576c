"""Fewer taps, as the server renders the form (no JavaScript): the interviewer's name filled in
from the sign-in until they save another, times open the number pad, and no "Now" button that
could not work."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_user, sign_in
from tests.interviews.helpers import post, start


def test_the_interviewers_name_is_filled_in_and_their_own_choice_kept(
        client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer", name="Test Prefilled Person"))
    base = start(client, csrf)

    page = client.get(f"{base}/interview").text
    post(client, f"{base}/interview", csrf, **{"interview-interviewer_name": "Someone Else"})
    again = client.get(f"{base}/interview").text

    assert 'value="Test Prefilled Person"' in page
    assert 'value="Someone Else"' in again and "Test Prefilled Person" not in again.split(
        'id="interview-interviewer_name"')[1][:200]
    assert re.search(r'id="interview-conducted_at-time"[^>]*inputmode="numeric"', page)
    assert "rhi-now" not in page  # the button is made by rhi.js only
