"""The form in the order of the conversation (issue 14, item 5): every new answer is posted and
read back from the stored document; a bad one shows its error beside its field; codes no longer
offered stay when a record already holds them; answers no longer asked are kept; the warning
before sharing with a parent or carer the child described as the source of harm."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.errors import FieldError
from app.core.london import LONDON
from app.core.types import utcnow
from app.interviews import forms, service
from app.interviews.summary import summarise
from app.record import codes
from app.record.models import Interview
from app.record.validation import provisional_id
from tests.builders import actor, make_document, make_user, save_draft, sign_in, template_of
from tests.interviews.helpers import (
    as_on_the_page,
    error_summary,
    fill_whole_interview,
    post,
    start,
    stored,
    when,
)

WARNING = ("The child described abuse at home as a reason for going. Think before sharing "
           "with a parent or carer, and record why if you do.")


def draft_of(db: Session, **overrides: Any) -> str:
    """A draft of 803 holding `make_document(**overrides)`, typed in through its sections;
    its base URL."""
    draft = service.start_draft(db, actor())
    document = {k: v for k, v in make_document(**overrides).items() if k != "id"}
    assert save_draft(db, draft, actor(), document) == []
    db.commit()
    return f"/interviews/{draft.id}"


def field_of(page: str, name: str) -> str:
    """The markup of one field: its <div data-field="NAME"> up to the next field."""
    start = page.index(f'data-field="{name}"')
    following = page.find('class="rhi-field"', start + 1)
    return page[start:following if following > 0 else None]


def test_the_childs_new_answers_are_saved_and_shown_again(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/child", csrf, **{
        "child-local_id": "TEST-NEW-1", "child-given_name": "Alex",
        "child-uasc": "yes", "child-disability_or_send": "not_known",
        "child-placement_type": "kinship_care", "child-legal_status": "child_in_need"})

    assert answer.status_code == 303, error_summary(answer.text)
    child = stored(db, base)["child"]
    assert (child["uasc"], child["disability_or_send"], child["placement_type"]) == (
        True, "not_known", "kinship_care")
    page = client.get(f"{base}/child").text
    assert "Involvement with children&#39;s services" in page
    assert "Legal status" not in page
    assert re.search(r'name="child-uasc" type="radio" value="yes"\s+checked', page)
    assert re.search(r'value="kinship_care"\s+checked', page)


def test_a_child_with_no_case_id_is_given_a_provisional_one(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/child", csrf, **{
        "child-no_case_id": "yes", "child-given_name": "Alex"})

    assert answer.status_code == 303, error_summary(answer.text)
    child = stored(db, base)["child"]
    record_id = base.rsplit("/", 1)[1]
    assert child["no_case_id"] is True
    assert child["local_id"] == provisional_id(UUID(record_id))
    page = client.get(f"{base}/child").text
    assert f'value="{child["local_id"]}"' in page
    assert re.search(r'name="child-no_case_id" type="checkbox" value="yes"\s+checked', page)
    assert "provisional id" in page
    # Saved again as shown (the provisional id in the box), it stays.
    again = post(client, f"{base}/child", csrf, **as_on_the_page(db, base))
    assert again.status_code == 303, error_summary(again.text)
    assert stored(db, base)["child"]["local_id"] == child["local_id"]
    # Unticked, with nothing in the box: a case id is needed again (to submit).
    post(client, f"{base}/child", csrf, **{"child-given_name": "Alex"})
    assert "no_case_id" not in stored(db, base)["child"]


def test_a_case_id_typed_beside_no_case_id_is_refused_on_its_field(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/child", csrf, **{
        "child-no_case_id": "yes", "child-local_id": "TEST-TYPED"})

    assert answer.status_code == 422
    assert 'href="#child-local_id"' in answer.text
    assert "leave the case id empty" in field_of(answer.text, "child-local_id")


def test_who_brought_the_child_back_and_the_police_prevention_interview_are_saved(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/episodes", csrf, **{
        "episodes-count": "1", "episodes-0-type": "missing",
        **when("episodes-0-started_at", 1, 3, 2026, "18:00"),
        **when("episodes-0-returned_at", 2, 3, 2026, "09:00"),
        "episodes-0-brought_back_by": "police",
        **when("episodes-0-prevention_interview_at", 2, 3, 2026, "11:30")})

    assert answer.status_code == 303, error_summary(answer.text)
    episode = stored(db, base)["episodes"][0]
    assert episode["brought_back_by"] == "police"
    assert episode["prevention_interview_at"] == "2026-03-02T11:30:00Z"
    page = client.get(f"{base}/episodes").text
    assert 'id="episodes-0-prevention_interview_at-time"' in page
    assert 'value="11:30"' in field_of(page, "episodes-0-prevention_interview_at")
    assert "It is not the return interview" in page


def test_a_prevention_interview_in_the_future_is_refused_beside_its_field(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    later = (utcnow() + timedelta(days=3)).astimezone(LONDON)

    answer = post(client, f"{base}/episodes", csrf, **{
        "episodes-count": "1", "episodes-0-type": "missing",
        **when("episodes-0-prevention_interview_at", later.day, later.month, later.year,
               "10:00")})

    assert answer.status_code == 422
    assert any("safe and well" in item and "must be in the past" in item
               for item in error_summary(answer.text))
    assert 'href="#episodes-0-prevention_interview_at-day"' in answer.text
    assert "govuk-error-message" in field_of(answer.text, "episodes-0-prevention_interview_at")
    assert stored(db, base)["episodes"] == [{"type": "missing"}]  # the rest is kept


INTERVIEW_PAGE = {
    "interview-interviewer_relationship": "none",
    "interview-child_account": "I went to a friend's because of the rows.",
    "interview-feelings_now": "Tired, glad to be back.",
    "interview-afraid_of_anyone": "not_said",
    "interview-health_needs": "Asthma; needs an inhaler.",
    "interview-risk_indicators": ["criminal_exploitation", "several_phones_or_sims",
                                  "adult_of_concern", "self_harm"],
    "interview-safety_information_given": "yes",
    "interview-education": "Year 9; missed two days.",
    "interview-carer_view": "The carer was worried and called the police.",
}
STORED_INTERVIEW = {
    "interviewer_relationship": "none",
    "child_account": "I went to a friend's because of the rows.",
    "feelings_now": "Tired, glad to be back.",
    "afraid_of_anyone": "not_said",
    "health_needs": "Asthma; needs an inhaler.",
    "risk_indicators": ["criminal_exploitation", "several_phones_or_sims", "adult_of_concern",
                        "self_harm"],
    "safety_information_given": True,
    "education": "Year 9; missed two days.",
    "carer_view": "The carer was worried and called the police.",
}


def test_the_interview_pages_new_answers_are_saved_and_shown_again(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/interview", csrf, **INTERVIEW_PAGE)

    assert answer.status_code == 303, error_summary(answer.text)
    assert stored(db, base)["interview"] == STORED_INTERVIEW
    page = html.unescape(client.get(f"{base}/interview").text)
    for text in ("I went to a friend's because of the rows.", "Asthma; needs an inhaler.",
                 "Year 9; missed two days.", "The carer was worried and called the police.",
                 "Tired, glad to be back."):
        assert text in page, text
    for code in ("criminal_exploitation", "several_phones_or_sims", "adult_of_concern",
                 "self_harm"):
        assert re.search(rf'value="{code}"\s+checked', page), code


def test_the_interview_page_follows_the_conversation_words_before_codes() -> None:
    """Who and when; the child's account; before (push); during (where, who, how, places,
    pull); after (feelings, fear, harm, health, risks, safety information, education, carer)."""
    order = forms.INTERVIEW_KEYS
    assert order.index("child_account") < order.index("push_factors")
    assert order.index("push_factors") < order.index("where_stayed") < order.index(
        "pull_factors") < order.index("feelings_now") < order.index("risk_indicators")
    assert order.index("feelings_now") < order.index("afraid_of_anyone") < order.index(
        "harm_disclosed") < order.index("health_needs") < order.index(
            "risk_indicators") < order.index("safety_information_given") < order.index(
                "education") < order.index("carer_view")
    assert "interviewer_independent" not in order and "child_account" not in forms.VOICE_ASKED


def test_the_interview_page_shows_its_questions_in_that_order(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    page = client.get(f"{base}/interview").text
    names = [f"interview-{key}" for key in forms.INTERVIEW_KEYS if key != "locations"]
    positions = [page.index(f'name="{name}') for name in names]
    assert positions == sorted(positions), names
    for heading in ("In the child's own words", "Before: why the child went",
                    "During: where they went and who with", "After: how the child is now"):
        assert heading in page, heading
    assert 'name="interview-interviewer_independent"' not in page
    assert "Older partner" not in page and "Boyfriend or girlfriend" not in page
    # The risk indicators in three groups, each a fieldset with its legend.
    for legend in ("Forms of exploitation indicated", "Signs of exploitation",
                   "Other harms and risks"):
        assert re.search(rf'<legend class="govuk-fieldset__legend[^"]*">\s*{legend}', page), \
            legend
    shown = set(re.findall(r'name="interview-risk_indicators" type="checkbox" value="(\w+)"',
                           page))
    assert shown == set(codes.RISK_INDICATORS) - set(codes.DEPRECATED["risk_indicators"])
    # Every input has a label (GOV.UK's own markup): no id without a <label for>.
    for field_id in re.findall(r'<input class="govuk-(?:input|checkboxes__input|radios__input)'
                               r'[^"]*" id="([^"]+)"', page):
        assert f'for="{field_id}"' in page, field_id


def test_the_other_factor_is_revealed_under_other(client: TestClient, db: Session,
                                                  csrf: str) -> None:
    base = start(client, csrf)
    page = client.get(f"{base}/interview").text
    checkbox = re.search(r'<input[^>]*name="interview-push_factors"[^>]*value="other"[^>]*>',
                         page)
    assert checkbox and 'data-aria-controls="conditional-' in checkbox.group(0)
    conditional = page.split('class="govuk-checkboxes__conditional', 1)[1][:2000]
    assert 'id="interview-push_factors_other"' in conditional


VOICE_PAGE = {
    "interview-read_back_to_child": "yes",
    "interview-child_wishes": "To stay where I am.",
    "interview-information_sharing_explained": "yes",
    "interview-views_on_sharing": "objects",
    "interview-lawful_basis": "public_task",
    "interview-shared_against_wishes": "yes",
    "interview-shared_against_wishes_reason": "The social worker must know to keep them safe.",
    "interview-child_told_of_sharing": "yes",
}


def test_the_childs_views_on_sharing_and_the_lawful_basis_are_saved(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/voice", csrf, **VOICE_PAGE)

    assert answer.status_code == 303, error_summary(answer.text)
    assert stored(db, base)["interview"] == {
        "read_back_to_child": True, "child_wishes": "To stay where I am.",
        "information_sharing_explained": True, "views_on_sharing": "objects",
        "lawful_basis": "public_task", "shared_against_wishes": True,
        "shared_against_wishes_reason": "The social worker must know to keep them safe.",
        "child_told_of_sharing": True}
    page = client.get(f"{base}/voice").text
    assert 'name="interview-consent_to_share"' not in page
    assert re.search(r'value="objects"\s+checked', page)
    # The reason is revealed under "Yes" (GOV.UK's conditional reveal), shown as it is chosen.
    reveal = page.split('<div class="govuk-radios__conditional"', 1)[1][:2000]
    assert reveal.startswith(' id="conditional-interview-shared_against_wishes"')
    assert 'name="interview-shared_against_wishes_reason"' in reveal


def test_sharing_against_the_childs_wishes_needs_a_reason_before_submitting(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    post(client, f"{base}/voice", csrf, **as_on_the_page(
        db, base, **{"interview-shared_against_wishes": "yes"}))

    check = html.unescape(client.get(f"{base}/check").text)
    page = html.unescape(client.get(f"{base}/voice").text)

    assert "Say why information is shared against the child's wishes" in check
    assert "/voice?return_to=check#interview-shared_against_wishes_reason" in check
    assert "Say why information is shared against the child's wishes" in page.split(
        'id="needed-here"')[1].split("</details>")[0]


def test_a_bad_answer_on_the_voice_page_is_shown_there_and_the_good_ones_are_saved(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/voice", csrf, **{
        **VOICE_PAGE, "interview-lawful_basis": "because"})

    assert answer.status_code == 422
    assert template_of(answer) == "interviews/sections/voice.html"
    assert 'href="#interview-lawful_basis"' in answer.text
    assert "&#39;because&#39; is not an allowed" in field_of(answer.text, "interview-lawful_basis")
    saved = stored(db, base)["interview"]
    assert saved["views_on_sharing"] == "objects" and "lawful_basis" not in saved


def test_the_new_action_fields_are_saved_with_a_due_date_in_the_future(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    due = (utcnow() + timedelta(days=10)).astimezone(LONDON)

    answer = post(client, f"{base}/actions", csrf, **{
        "actions-count": "3",
        "actions-0-type": "strategy_discussion", "actions-0-owner": "Sam Worker",
        "actions-0-agency": "Children's social care", "actions-0-status": "planned",
        **when("actions-0-due_at", due.day, due.month, due.year, "17:00"),
        "actions-1-type": "safety_plan", "actions-1-status": "done",
        **when("actions-1-at", 3, 3, 2026, "15:00"),
        "actions-1-outcome": "Agreed with the child and the carer.",
        "actions-2-type": "mace_referral", "actions-2-status": "not_done",
        "actions-2-outcome": "The panel did not meet this month.",
        "sharing-count": "1", "sharing-0-with": "missing_coordinator",
        **when("sharing-0-at", 4, 3, 2026, "10:00")})

    assert answer.status_code == 303, error_summary(answer.text)
    document = stored(db, base)
    planned, done, not_done = document["actions"]
    assert planned == {"type": "strategy_discussion", "owner": "Sam Worker",
                       "agency": "Children's social care", "status": "planned",
                       "due_at": planned["due_at"]}
    assert planned["due_at"].startswith(f"{due.year}-{due.month:02d}-{due.day:02d}")
    assert done == {"type": "safety_plan", "status": "done", "at": "2026-03-03T15:00:00Z",
                    "outcome": "Agreed with the child and the carer."}
    assert not_done == {"type": "mace_referral", "status": "not_done",
                        "outcome": "The panel did not meet this month."}
    assert document["sharing"] == [{"with": "missing_coordinator", "at": "2026-03-04T10:00:00Z"}]
    page = client.get(f"{base}/actions").text
    assert 'value="Sam Worker"' in page
    assert re.search(r'id="actions-0-status"[^>]*value="planned"\s+checked', page)
    assert 'value="15:00"' in field_of(page, "actions-1-at")
    assert 'value="17:00"' in field_of(page, "actions-0-due_at")  # a time in the future, too
    names = [page.index(f'name="actions-0-{key}') for key in forms.ACTION_KEYS]
    assert names == sorted(names)  # the page asks them in the order errors are listed


def test_an_action_owner_too_long_is_refused_beside_its_field(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)

    answer = post(client, f"{base}/actions", csrf, **{
        "actions-count": "1", "actions-0-type": "safety_plan", "actions-0-owner": "x" * 201})

    assert answer.status_code == 422
    assert 'href="#actions-0-owner"' in answer.text
    assert "govuk-error-message" in field_of(answer.text, "actions-0-owner")


def test_an_action_from_before_statuses_keeps_its_time_and_reads_as_done(
        client: TestClient, db: Session, csrf: str) -> None:
    base = draft_of(db)  # its action has a time and no status: done then

    page = client.get(f"{base}/actions").text
    saved = post(client, f"{base}/actions", csrf, **as_on_the_page(db, base))

    assert 'value="10:00"' in field_of(page, "actions-0-at")
    assert not re.search(r'name="actions-0-status"[^>]*checked', page)  # nothing made up
    assert saved.status_code == 303, error_summary(saved.text)
    assert stored(db, base)["actions"] == [{"type": "follow_up_support",
                                            "at": "2026-03-04T10:00:00Z"}]
    check = html.unescape(client.get(f"{base}/check").text)
    assert re.search(r"Action 1: status\s*</dt>\s*<dd[^>]*>\s*Done", check)


@pytest.mark.parametrize("factor", sorted(codes.HARM_AT_HOME_FACTORS))
def test_sharing_with_a_parent_the_child_named_as_harmful_shows_a_warning(
        client: TestClient, db: Session, factor: str) -> None:
    sign_in(client, make_user(db, "interviewer"))
    base = draft_of(db, interview__push_factors=[factor, "family_conflict"],
                    sharing=[{"with": "parent_or_carer", "at": "2026-03-04T10:00:00Z"},
                             {"with": "social_worker", "at": "2026-03-04T10:00:00Z"}])

    page = html.unescape(client.get(f"{base}/actions").text)

    assert page.count(WARNING) == 1
    row = page.split('id="sharing-0-heading"')[1].split('id="sharing-1-heading"')[0]
    assert WARNING in row and 'class="govuk-warning-text"' in row


def test_no_warning_when_the_child_named_no_abuse_at_home(client: TestClient,
                                                          db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))
    base = draft_of(db, sharing=[{"with": "parent_or_carer", "at": "2026-03-04T10:00:00Z"}])

    assert WARNING not in html.unescape(client.get(f"{base}/actions").text)


def test_a_code_no_longer_offered_is_kept_when_the_record_holds_it(
        client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer"))
    base = draft_of(db, interview__pull_factors=["boyfriend_or_girlfriend"],
                    interview__risk_indicators=["older_partner"])

    page = client.get(f"{base}/interview").text
    assert re.search(r'value="boyfriend_or_girlfriend"\s+checked', page)
    assert re.search(r'value="older_partner"\s+checked', page)
    saved = post(client, f"{base}/interview", csrf, **as_on_the_page(
        db, base, **{"interview-where_stayed": "At a friend's"}))

    assert saved.status_code == 303, error_summary(saved.text)
    interview = stored(db, base)["interview"]
    assert interview["pull_factors"] == ["boyfriend_or_girlfriend"]
    assert interview["risk_indicators"] == ["older_partner"]
    assert interview["where_stayed"] == "At a friend's"


def test_answers_no_longer_asked_are_kept_when_their_page_is_saved(
        client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer"))
    base = draft_of(db)
    # As the API may still write them (the form no longer asks either).
    draft = stored(db, base)
    draft["interview"].update(interviewer_independent=True, consent_to_share="not_required")
    interview = db.get(Interview, UUID(base.rsplit("/", 1)[1]))
    assert interview is not None
    interview.document = {**draft}
    db.commit()

    voice = html.unescape(client.get(f"{base}/voice").text)
    assert 'id="interview-consent_to_share"' in voice and "Not required" in voice
    assert post(client, f"{base}/voice", csrf, **as_on_the_page(
        db, base, **VOICE_PAGE)).status_code == 303
    assert post(client, f"{base}/interview", csrf, **as_on_the_page(
        db, base, **{"interview-feelings_now": "Calmer"})).status_code == 303

    kept = stored(db, base)["interview"]
    assert kept["consent_to_share"] == "not_required"
    assert kept["interviewer_independent"] is True
    assert kept["views_on_sharing"] == "objects" and kept["feelings_now"] == "Calmer"
    check = html.unescape(client.get(f"{base}/check").text)
    assert "Consent to share (recorded before the question was dropped)" in check


def test_the_check_page_lists_every_new_answer_with_a_link_to_its_field(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))
    base = draft_of(
        db, child__uasc=True, child__disability_or_send="yes",
        child__placement_type="foster_care", episodes__0__brought_back_by="parent_or_carer",
        episodes__0__prevention_interview_at="2026-03-02T11:00:00Z",
        interview__interviewer_relationship="none", interview__feelings_now="Calmer now",
        interview__afraid_of_anyone="yes", interview__health_needs="Needs a GP visit",
        interview__safety_information_given=True, interview__education="At college",
        interview__carer_view="Relieved", interview__views_on_sharing="agrees_in_part",
        interview__lawful_basis="legal_obligation", interview__shared_against_wishes=True,
        interview__shared_against_wishes_reason="Police must know",
        interview__child_told_of_sharing=False,
        actions=[{"type": "nrm_decision", "status": "planned", "owner": "Jo Lead",
                  "agency": "Police", "due_at": "2026-03-20T17:00:00Z"}])

    page = html.unescape(client.get(f"{base}/check").text)

    for label, value, anchor in [
        ("Unaccompanied asylum-seeking child", "Yes", "child#child-uasc"),
        ("Disability or special educational needs (SEND)", "Yes",
         "child#child-disability_or_send"),
        ("Type of home or placement", "Foster care", "child#child-placement_type"),
        ("Involvement with children's services", "Looked after (in care)",
         "child#child-legal_status"),
        ("Who brought the child back", "A parent or carer", "episodes#episodes-0-brought_back_by"),
        ("Police prevention (safe and well) interview", "2 March 2026 at 11:00",
         "episodes#episodes-0-prevention_interview_at-day"),
        ("Interviewer's involvement with the child", codes.INTERVIEWER_RELATIONSHIP["none"],
         "interview#interview-interviewer_relationship"),
        ("How the child feels now", "Calmer now", "interview#interview-feelings_now"),
        ("Afraid of anyone", "Yes", "interview#interview-afraid_of_anyone"),
        ("Health needs", "Needs a GP visit", "interview#interview-health_needs"),
        ("Safety information and helplines given", "Yes",
         "interview#interview-safety_information_given"),
        ("School, college or work", "At college", "interview#interview-education"),
        ("The parent's or carer's view", "Relieved", "interview#interview-carer_view"),
        ("The child's views on sharing", "Agrees to some of it being shared",
         "voice#interview-views_on_sharing"),
        ("Lawful basis for sharing", "Legal obligation", "voice#interview-lawful_basis"),
        ("Shared against the child's wishes", "Yes", "voice#interview-shared_against_wishes"),
        ("Why it is shared against their wishes", "Police must know",
         "voice#interview-shared_against_wishes_reason"),
        ("The child was told what will be shared", "No",
         "voice#interview-child_told_of_sharing"),
        ("Action 1", "National Referral Mechanism decision recorded", "actions#actions-0-type"),
        ("Action 1: who owns it", "Jo Lead", "actions#actions-0-owner"),
        ("Action 1: agency", "Police", "actions#actions-0-agency"),
        ("Action 1: due", "20 March 2026 at 17:00", "actions#actions-0-due_at-day"),
        ("Action 1: status", "Planned", "actions#actions-0-status"),
        ("Action 1: when it was done", "Not done yet", "actions#actions-0-at-day"),
    ]:
        row = re.search(rf'<dt class="govuk-summary-list__key">\s*{re.escape(label)}\s*</dt>'
                        rf'\s*<dd class="govuk-summary-list__value">\s*{re.escape(value)}\s*</dd>'
                        rf'.*?href="{re.escape(base)}/{re.escape(anchor)}"', page, re.S)
        assert row, label


def test_every_answer_of_the_document_has_a_row_in_the_summary() -> None:
    """Each field the form asks has a row linking to it (its id on its section's page)."""
    document = make_document()
    blocks = summarise(document, "")
    anchors = {row.href.split("#", 1)[1] for block in blocks for row in block.rows
               if "#" in row.href}
    asked = ([f"child-{k}" for k in (*forms.CHILD_TEXT, *forms.CHILD_CODES, *forms.CHILD_BOOLS)
              if k not in ("given_name", "family_name")]
             + [f"episodes-0-{k}" for k in forms.EPISODE_KEYS if k != "found_postcode"]
             + [f"interview-{k}" for k in forms.INTERVIEW_KEYS if k not in (
                 "push_factors_other", "pull_factors_other")]
             + [f"interview-{k}" for k in forms.VOICE_ASKED]
             + [f"actions-0-{k}" for k in forms.ACTION_KEYS] + ["sharing-0-with"])
    for field in asked:
        assert field in anchors or f"{field}-day" in anchors, field


def test_errors_are_listed_in_the_order_of_their_fields_on_the_page() -> None:
    pointers = ["/actions/0/notes", "/actions/0/outcome", "/actions/0/at", "/actions/0/status",
                "/actions/0/due_at", "/actions/0/owner", "/actions/0/type", "/sharing/0/at",
                "/sharing/0/with", "/interview/carer_view", "/interview/child_account",
                "/interview/conducted_at", "/episodes/0/prevention_interview_at",
                "/episodes/0/type", "/child/placement_type", "/child/no_case_id"]
    ordered = [e.pointer for e in forms.page_order(
        [FieldError(p, "x", "x") for p in pointers])]
    assert ordered == [
        "/child/no_case_id", "/child/placement_type", "/episodes/0/type",
        "/episodes/0/prevention_interview_at", "/interview/conducted_at",
        "/interview/child_account", "/interview/carer_view", "/actions/0/type",
        "/actions/0/owner", "/actions/0/due_at", "/actions/0/status", "/actions/0/at",
        "/actions/0/outcome", "/actions/0/notes", "/sharing/0/with", "/sharing/0/at"]


def test_each_answer_belongs_to_the_page_that_asks_it() -> None:
    for key in forms.VOICE_KEYS:
        assert forms.section_for(f"/interview/{key}").slug == "voice", key
    for key in (*forms.INTERVIEW_KEYS, *forms.INTERVIEW_KEPT):
        assert forms.section_for(f"/interview/{key}").slug == "interview", key
    assert forms.section_for("/interview").slug == "interview"
    assert forms.section_for("/actions/2/due_at").slug == "actions"
