"""Recording an interview through the form, section by section, without JavaScript and with htmx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.record.models import InterviewVersion
from tests.builders import make_org, make_user, sign_in, template_of
from tests.interviews.helpers import (
    error_summary,
    fill_whole_interview,
    post,
    start,
    stored,
    title,
    when,
)


def test_a_whole_interview_is_recorded_and_submitted_without_javascript(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    doc = stored(db, base)
    assert doc["child"]["given_name"] == "Alex"
    assert doc["episodes"][0]["found_postcode"] == "BS16 1QY"
    # 18:00 on 1 March 2026 is GMT; stored in UTC
    assert doc["episodes"][0]["started_at"] == "2026-03-01T18:00:00Z"
    assert doc["interview"]["push_factors"] == ["family_conflict", "bullying"]
    assert doc["interview"]["seraf_score"] == 4
    assert doc["interview"]["child_account"] == "Synthetic account."

    check = client.get(f"{base}/check")
    assert check.status_code == 200
    assert template_of(check) == "interviews/check.html"
    assert "Check your answers before submitting" in check.text
    assert f'href="{base}/child#child-given_name"' in check.text  # change links
    assert "Practice standards not yet met" in check.text  # e.g. nothing shared yet

    submitted = post(client, f"{base}/submit", csrf)
    assert submitted.status_code == 303
    record = client.get(submitted.headers["location"])
    assert template_of(record) == "interviews/record.html"
    assert "Interview submitted" in record.text
    assert "Practice standards" in record.text
    db.expire_all()
    versions = db.query(InterviewVersion).filter(
        InterviewVersion.interview_id == UUID(stored(db, base)["id"])).all()  # type: ignore[arg-type]
    assert [v.version for v in versions] == [1]


def test_times_are_shown_in_london_time(client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    page = client.get(f"{base}/check").text
    # 18:00 London on 1 March 2026 (GMT) is shown as typed
    assert "1 March 2026 at 18:00" in page


@pytest.mark.parametrize(("section", "fields", "field_id", "message"), [
    ("child", {"child-date_of_birth-day": "31", "child-date_of_birth-month": "2",
               "child-date_of_birth-year": "2011"},
     "child-date_of_birth-day", "Date of birth must be a real date"),
    ("child", {"child-gender": "robot"}, "child-gender", "'robot' is not an allowed gender"),
    ("child", {"child-date_of_birth-day": "1", "child-date_of_birth-month": "1",
               "child-date_of_birth-year": "2099"}, "child-date_of_birth-day",
     "Date of birth must be in the past"),
    ("episodes", {"episodes-count": "1", "episodes-0-type": "missing",
                  **when("episodes-0-started_at", 2, 3, 2026, "18:00"),
                  **when("episodes-0-returned_at", 1, 3, 2026, "09:00")},
     "episodes-0-returned_at-day", "the return must be after the episode started"),
    ("episodes", {"episodes-count": "2", "episodes-0-type": "missing",
                  **when("episodes-0-started_at", 1, 3, 2026, "18:00"),
                  **when("episodes-0-returned_at", 3, 3, 2026, "09:00"),
                  "episodes-1-type": "away",
                  **when("episodes-1-started_at", 2, 3, 2026, "10:00"),
                  **when("episodes-1-returned_at", 4, 3, 2026, "09:00")},
     "episodes-0-started_at-day", "overlaps episode 2"),
    ("episodes", {"episodes-count": "1", **when("episodes-0-started_at", 1, 3, 2026, "25:99")},
     "episodes-0-started_at-day", "must be a real date and time"),
    ("episodes", {"episodes-count": "1", "episodes-0-found_postcode": "not a postcode"},
     "episodes-0-found_postcode", "must be a full UK postcode"),
    ("offer", {"offer-outcome": "maybe"}, "offer-outcome", "is not an allowed outcome"),
    ("interview", {"interview-seraf_score": "lots"}, "interview-seraf_score",
     "SERAF score must be a whole number"),
    ("interview", {"interview-seraf_score": "150"}, "interview-seraf_score",
     "SERAF score must be from 0 to 99"),
    ("interview", {"interview-push_factors": ["bullying", "none_identified"]},
     "interview-push_factors", "'none identified' cannot be chosen with other factors"),
    ("voice", {"interview-read_back_to_child": "perhaps"}, "interview-read_back_to_child",
     "the answer must be true or false"),
    ("actions", {"actions-count": "1", "actions-0-type": "teleport"}, "actions-0-type",
     "is not an allowed action 1: type"),
])
def test_each_section_shows_a_specific_error_for_bad_input(
        client: TestClient, db: Session, csrf: str, section: str, fields: dict[str, Any],
        field_id: str, message: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/{section}", csrf, **fields)
    assert answer.status_code == 422
    assert template_of(answer) == f"interviews/sections/{section}.html"  # the whole page again
    assert title(answer.text).startswith("Error: ")
    summary = error_summary(answer.text)
    assert any(message.lower() in item.lower() for item in summary), summary
    assert f'href="#{field_id}"' in answer.text  # the summary links to the field
    assert 'class="govuk-error-message"' in answer.text  # and the field shows it inline


def test_good_answers_beside_a_bad_one_are_still_saved(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/child", csrf, **{
        "child-given_name": "Alex", "child-family_name": "Testchild",
        "child-date_of_birth-day": "31", "child-date_of_birth-month": "2",
        "child-date_of_birth-year": "2011"})
    assert answer.status_code == 422
    assert 'value="31"' in answer.text  # what was typed stays on screen
    child = stored(db, base)["child"]
    assert child == {"given_name": "Alex", "family_name": "Testchild"}


def test_missing_content_is_allowed_in_a_draft(client: TestClient, db: Session,
                                                csrf: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/interview", csrf, **{"interview-where_stayed": "Unknown"})
    assert answer.status_code == 303
    assert stored(db, base)["interview"] == {"where_stayed": "Unknown"}


def test_htmx_autosave_answers_with_the_save_status_only(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/interview", csrf, htmx=True,
                  **{"interview-child_account": "Typed so far"})
    assert answer.status_code == 200
    assert template_of(answer) == "interviews/_autosave_result.html"
    assert 'id="save-status"' in answer.text and "Saved at" in answer.text
    assert "<html" not in answer.text
    assert answer.headers["vary"] == "HX-Request"
    assert stored(db, base)["interview"]["child_account"] == "Typed so far"

    bad = post(client, f"{base}/child", csrf, htmx=True, **{
        "child-given_name": "Alex", "child-gender": "robot"})
    assert bad.status_code == 422
    assert template_of(bad) == "interviews/_autosave_result.html"
    assert 'hx-swap-oob="true"' in bad.text and "is not an allowed gender" in bad.text
    assert stored(db, base)["child"] == {"given_name": "Alex"}


def test_the_same_bad_answer_gets_the_whole_page_without_htmx_and_the_autosave_result_with_it(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fields = {"child-given_name": "Alex", "child-gender": "robot"}

    plain = post(client, f"{base}/child", csrf, **fields)
    autosave = post(client, f"{base}/child", csrf, htmx=True, **fields)

    assert plain.status_code == autosave.status_code == 422
    assert template_of(plain) == "interviews/sections/child.html"
    assert "<html" in plain.text and 'value="Alex"' in plain.text
    assert template_of(autosave) == "interviews/_autosave_result.html"
    assert "<html" not in autosave.text and 'id="save-status"' in autosave.text
    for answer in (plain, autosave):  # a cache must keep the two apart
        assert "HX-Request" in answer.headers["vary"].split(", ")


def test_episodes_can_be_added_and_removed(client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    added = post(client, f"{base}/episodes", csrf, **{"episodes-count": "0",
                                                      "action": "add-episodes"})
    assert added.status_code == 303
    page = client.get(f"{base}/episodes").text
    assert "Episode 1" in page and 'name="episodes-count" value="1"' in page
    post(client, f"{base}/episodes", csrf, **{
        "episodes-count": "1", "episodes-0-type": "missing",
        **when("episodes-0-started_at", 1, 3, 2026, "18:00"), "action": "add-episodes"})
    assert len(stored(db, base)["episodes"]) == 2
    removed = post(client, f"{base}/episodes", csrf, **{
        "episodes-count": "2", "episodes-0-type": "missing",
        **when("episodes-0-started_at", 1, 3, 2026, "18:00"), "episodes-1-type": "away",
        "action": "remove-episodes-0"})
    assert removed.status_code == 303
    assert stored(db, base)["episodes"] == [{"type": "away"}]


def test_a_draft_survives_signing_out_and_in_again(client: TestClient, db: Session) -> None:
    make_org(db, "801")
    person = make_user(db, "interviewer", org="803")
    csrf = sign_in(client, person)
    base = start(client, csrf)
    post(client, f"{base}/child", csrf, **{"child-given_name": "Resumable"})
    assert post(client, "/logout", csrf).status_code == 303
    assert client.get(f"{base}/child", follow_redirects=False).status_code == 303  # signed out
    csrf = sign_in(client, person)
    home = client.get("/")
    assert "Resumable" in home.text and f"{base}/check" in home.text
    assert 'value="Resumable"' in client.get(f"{base}/child").text


def test_submit_is_refused_until_required_answers_are_given(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    check = client.get(f"{base}/check")
    assert template_of(check) == "interviews/check.html"
    assert "Needed before you can submit" in check.text
    assert "Submit interview" not in check.text
    refused = post(client, f"{base}/submit", csrf)
    assert refused.status_code == 422
    assert template_of(refused) == "interviews/check.html"  # the check page, with the errors
    assert title(refused.text).startswith("Error: ")
    assert "Enter the child&#39;s case identifier" in refused.text


def test_another_organisations_user_gets_404(client: TestClient, db: Session,
                                             csrf: str) -> None:
    base = start(client, csrf)
    post(client, f"{base}/child", csrf, **{"child-given_name": "Private"})
    post(client, "/logout", csrf)
    outsider = make_user(db, "manager", org="999")
    sign_in(client, outsider)
    for path in ("", "/child", "/check"):
        answer = client.get(f"{base}{path}")
        assert answer.status_code == 404
        assert template_of(answer) == "errors/404.html"
        assert "Private" not in answer.text


def test_the_childs_responsible_authority_can_read_the_record(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    csrf = sign_in(client, make_user(db, "interviewer", org="avon-rhi"))
    base = start(client, csrf)
    post(client, f"{base}/child", csrf, **{"child-given_name": "Placed",
                                           "child-responsible_authority": "801"})
    post(client, "/logout", csrf)
    sign_in(client, make_user(db, "manager", org="801"))
    assert "Placed" in client.get(base).text


def test_a_save_without_the_csrf_token_is_refused(client: TestClient, db: Session,
                                                  csrf: str) -> None:
    base = start(client, csrf)
    answer = client.post(f"{base}/child", data={"child-given_name": "Sneaky"})
    assert answer.status_code == 403
    assert "given_name" not in stored(db, base)["child"]


def test_pages_are_never_cached(client: TestClient, csrf: str) -> None:
    base = start(client, csrf)
    answer = client.get(f"{base}/child")
    assert template_of(answer) == "interviews/sections/child.html"
    assert answer.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_a_submitted_record_is_not_changed_by_its_form(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    assert post(client, f"{base}/submit", csrf).status_code == 303
    plain = client.get(f"{base}/voice", follow_redirects=False)
    assert (plain.status_code, plain.headers["location"]) == (303, base)
    assert template_of(plain) is None
    late = post(client, f"{base}/interview", csrf, htmx=True,
                **{"interview-child_account": "Typed in a tab left open"})
    assert late.status_code == 200
    assert template_of(late) == "_save_status.html"  # the status line only, not the record page
    assert "Not saved: this interview has been submitted" in late.text
    assert stored(db, base)["interview"]["child_account"] == "Synthetic account."


def test_the_date_of_birth_reads_as_a_date(client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    assert "4 May 2011" in client.get(f"{base}/check").text


def test_an_autosave_after_signing_out_leaves_the_form_in_place_and_names_the_sign_in_page(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    assert post(client, "/logout", csrf).status_code == 303
    sign_in_again = "/login?next=" + quote(f"{base}/interview", safe="")

    autosave = post(client, f"{base}/interview", csrf, htmx=True,
                    **{"interview-child_account": "Typed after signing out"})
    plain = post(client, f"{base}/interview", csrf,
                 **{"interview-child_account": "Typed after signing out"})

    # No HX-Redirect: htmx would leave the page, and the words typed with it.
    assert (autosave.status_code, autosave.headers["x-sign-in"]) == (401, sign_in_again)
    assert "hx-redirect" not in autosave.headers
    assert template_of(autosave) is None and autosave.text == ""  # nothing to swap in
    assert (plain.status_code, plain.headers["location"]) == (303, sign_in_again)
    assert template_of(client.get(sign_in_again)) == "accounts/login.html"
    assert "child_account" not in stored(db, base).get("interview", {})
