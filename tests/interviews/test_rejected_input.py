"""Never lose a word: a value the record cannot take is kept as typed, shown again in its field
with its error on every way back to the page, and stops the record being submitted until put
right; everything valid beside it is saved as usual."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.record.models import Interview
from tests.builders import make_document, record, template_of
from tests.interviews.helpers import (
    error_summary,
    fill_whole_interview,
    post,
    start,
    stored,
    when,
)

BAD_DATE = when("interview-conducted_at", 31, 2, 2026, "10:00")
BAD_TIME = when("interview-conducted_at", 3, 3, 2026, "25:70")
TYPED = {
    **BAD_DATE,
    "interview-seraf_score": "lots",
    "interview-push_factors": ["none_identified", "other"],
    "interview-push_factors_other": "Typed in the other box",
    "interview-interviewer_name": "Ivy Interviewer",
}


def field_error(html: str, field: str) -> str | None:
    """The GOV.UK error message shown beside a field (its `<id>-error` paragraph), or None."""
    found = re.search(rf'<p[^>]*id="{re.escape(field)}-error"[^>]*>(.*?)</p>', html, re.S)
    if not found:
        return None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def value_of(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else None


def checked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" type="checkbox" value="([^"]+)" checked', html)


def interview_of(db: Session, base: str) -> Interview:
    db.expire_all()
    found = db.get(Interview, UUID(base.rsplit("/", 1)[1]))
    assert found is not None
    return found


def assert_typed_values_and_errors_shown(html: str) -> None:
    assert [value_of(html, f"interview-conducted_at-{part}")
            for part in ("day", "month", "year", "time")] == ["31", "2", "2026", "10:00"]
    assert value_of(html, "interview-seraf_score") == "lots"
    assert checked(html, "interview-push_factors") == ["other", "none_identified"] or \
        sorted(checked(html, "interview-push_factors")) == ["none_identified", "other"]
    assert value_of(html, "interview-push_factors_other") == "Typed in the other box"
    assert field_error(html, "interview-conducted_at") == \
        ("Error: When the interview took place must be a real date and time, for example "
         "27 3 2026 and 14:30")
    assert field_error(html, "interview-seraf_score") == \
        "Error: SERAF score must be a whole number"
    assert "cannot be chosen" in (field_error(html, "interview-push_factors") or "")


@pytest.mark.parametrize("leave", ["autosave", "goto", "later", "continue"])
def test_a_rejected_value_comes_back_as_typed_with_its_error_however_the_page_was_left(
        client: TestClient, db: Session, csrf: str, leave: str) -> None:
    base = start(client, csrf)
    extra = {"goto": "voice"} if leave == "goto" else {}
    if leave in ("later", "continue"):
        extra = {"action": leave}
    answer = post(client, f"{base}/interview", csrf, htmx=leave == "autosave",
                  **TYPED, **extra)

    if leave == "autosave":
        assert answer.status_code == 422
        assert template_of(answer) == "interviews/_autosave_result.html"
        assert "3 answers need correcting; they are kept as you typed them" in answer.text
    elif leave == "goto":
        assert (answer.status_code, answer.headers["location"]) == (303, f"{base}/voice")
    elif leave == "later":
        assert (answer.status_code, answer.headers["location"]) == (
            303, f"/?saved={base.rsplit('/', 1)[1]}")
        home = client.get(answer.headers["location"]).text
        assert "Some answers need correcting" in home
        assert "answers need correcting</strong>" in home
    else:  # continue with errors stays on the page, as typed, with the errors
        assert answer.status_code == 422
        assert_typed_values_and_errors_shown(answer.text)

    # What was valid went into the record; what was not is not in it...
    document = stored(db, base)
    assert document["interview"]["interviewer_name"] == "Ivy Interviewer"
    assert {"conducted_at", "seraf_score", "push_factors"}.isdisjoint(document["interview"])
    # ...but is kept, and the page (a reload, or coming back) shows it with its errors.
    again = client.get(f"{base}/interview")
    assert again.status_code == 200
    assert_typed_values_and_errors_shown(again.text)
    assert error_summary(again.text)[0] == ("When the interview took place must be a real date "
                                            "and time, for example 27 3 2026 and 14:30")


def test_an_invalid_time_is_kept_as_typed_too(client: TestClient, db: Session,
                                              csrf: str) -> None:
    base = start(client, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **BAD_TIME)

    page = client.get(f"{base}/interview").text

    assert value_of(page, "interview-conducted_at-time") == "25:70"
    assert value_of(page, "interview-conducted_at-day") == "3"
    assert field_error(page, "interview-conducted_at") is not None


def test_putting_it_right_saves_it_and_keeps_nothing_more(client: TestClient, db: Session,
                                                          csrf: str) -> None:
    base = start(client, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **TYPED)

    fixed = post(client, f"{base}/interview", csrf, htmx=True, **{
        **TYPED, **when("interview-conducted_at", 3, 3, 2026, "10:00"),
        "interview-seraf_score": "12", "interview-push_factors": ["other"]})

    assert fixed.status_code == 200 and "need correcting" not in fixed.text
    assert interview_of(db, base).rejected_input is None
    document = stored(db, base)["interview"]
    assert (document["seraf_score"], document["push_factors"]) == (12, ["other"])
    page = client.get(f"{base}/interview").text
    assert field_error(page, "interview-seraf_score") is None
    assert value_of(page, "interview-seraf_score") == "12"


def test_each_section_keeps_its_own_typing(client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **{"interview-seraf_score": "lots"})
    post(client, f"{base}/child", csrf, htmx=True, **{
        "child-given_name": "Alex", "child-date_of_birth-day": "30",
        "child-date_of_birth-month": "2", "child-date_of_birth-year": "2012"})
    # Fixing the child's page leaves the interview page's typing where it is.
    post(client, f"{base}/child", csrf, htmx=True, **{"child-given_name": "Alex"})

    assert set(interview_of(db, base).rejected_input or {}) == {"interview"}
    assert value_of(client.get(f"{base}/interview").text, "interview-seraf_score") == "lots"
    assert value_of(client.get(f"{base}/child").text, "child-date_of_birth-day") == ""


def test_a_record_with_unsaved_answers_cannot_be_submitted_and_the_check_page_says_where(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **{"interview-seraf_score": "lots"})

    check = client.get(f"{base}/check").text
    submitted = post(client, f"{base}/submit", csrf)

    assert "Answers typed but not saved" in check
    assert f'href="{base}/interview#interview-seraf_score"' in check
    assert "Submit interview" not in check
    assert submitted.status_code == 422
    assert "SERAF score must be a whole number" in error_summary(submitted.text)
    assert interview_of(db, base).status == "draft"


def test_a_change_that_makes_another_page_wrong_waits_and_costs_that_page_nothing(
        client: TestClient, db: Session, csrf: str) -> None:
    # The child's other submitted record: an episode over the same days as this draft's.
    record(db, child__local_id="OTHER-1", episodes__0__started_at="2026-03-01T20:00:00Z",
           episodes__0__returned_at="2026-03-02T08:00:00Z")
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    episodes_before = stored(db, base)["episodes"]

    # Giving this draft the other record's case id would make its episode overlap that one.
    answer = post(client, f"{base}/child", csrf, htmx=True, **{
        "child-local_id": "OTHER-1", "child-given_name": "Alex", "child-family_name": "Testchild",
        "child-responsible_authority": "803"})

    assert answer.status_code == 422
    assert stored(db, base)["episodes"] == episodes_before  # the episode is not thrown away
    assert stored(db, base)["child"]["local_id"] == "TEST-001"
    page = client.get(f"{base}/child").text
    assert value_of(page, "child-local_id") == "OTHER-1"  # the change waits, as typed
    assert error_summary(page)


def test_the_audit_log_names_the_answers_not_saved_but_never_what_they_say(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **TYPED)

    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "interview.save")
                       .order_by(col(AuditEntry.id).desc())).scalars().first()

    assert entry is not None and entry.details is not None
    assert entry.details["not_saved"] == ["/interview/conducted_at",
                                          "/interview/push_factors", "/interview/seraf_score"]
    assert "lots" not in str(entry.details)


def test_a_partner_systems_replacement_of_the_draft_clears_what_the_form_kept(
        client: TestClient, db: Session, csrf: str) -> None:
    from app.accounts.caller import Caller
    from app.interviews import storage, submissions

    base = start(client, csrf)
    post(client, f"{base}/interview", csrf, htmx=True, **{"interview-seraf_score": "lots"})
    interview = interview_of(db, base)
    document = make_document(id=str(interview.id))

    submissions.update_from_api(db, Caller.system("803"), interview.id, document,
                                storage.etag(interview))

    assert interview.status == "submitted" and interview.rejected_input is None


@pytest.mark.parametrize("fields", [
    {"goto": "nowhere"}, {"goto": "../../admin"}, {"action": "later", "goto": "check"},
    {"interview-conducted_at-day": "３１"}, {"interview-seraf_score": "٣"},
    {"interview-push_factors": ["x" * 500]}, {"interview-locations-count": "9999999999"},
])
def test_odd_posts_to_a_section_are_kept_or_refused_never_a_500(
        client: TestClient, db: Session, csrf: str, fields: dict[str, Any]) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/interview", csrf, **fields)

    assert answer.status_code in (303, 422), answer.text[:300]
    if answer.status_code == 303:
        assert answer.headers["location"].startswith((f"{base}/", "/?saved="))
    assert client.get(f"{base}/interview").status_code == 200
