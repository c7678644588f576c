"""A report per recipient (issue 14, item 2): `GET /interviews/{id}/report/{recipient}` holds only
what that recipient needs, for exactly the people who may see the record, audited."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.interviews.reports import CONTENTS, HARM_AT_HOME_WARNING, REPORT_FOR, build_report
from app.record import codes
from app.record.models import Interview
from tests.builders import make_document, make_user, record, sign_in

ACCOUNT = "They said they stayed with people from the park."
WISHES = "To move back to the old school."
FEELINGS = "Tired, but glad to be back."
WHOLE_RECORD = ("missing_coordinator", "social_worker", "personal_adviser", "iro",
                "responsible_authority")


def _rich(**overrides: Any) -> dict[str, Any]:
    """A record of a looked-after child of 803 placed in 801, with criminal exploitation
    indicated and every new field filled."""
    values: dict[str, Any] = {
        "child__placement_authority": "801", "child__given_name": "Robin",
        "child__family_name": "Reportchild", "child__uasc": True,
        "episodes__0__police_reference": "PR-2026-0042", "episodes__0__found_location":
        "Temple Meads station", "episodes__0__brought_back_by": "police",
        "interview__child_account": ACCOUNT, "interview__child_wishes": WISHES,
        "interview__feelings_now": FEELINGS, "interview__where_stayed": "A flat in Easton",
        "interview__with_whom": "Two older men", "interview__locations": [
            {"description": "Stapleton Road flat", "postcode": "BS5 0NR"}],
        "interview__push_factors": ["placement_unhappy"],
        "interview__risk_indicators": ["criminal_exploitation", "self_harm"],
        "interview__harm_disclosed": "yes", "interview__health_needs": "Needs a dentist",
        "interview__education": "Excluded for a week in February",
        "interview__safety_information_given": True,
        "interview__carer_view": "The carer thinks the placement is working",
        "interview__views_on_sharing": "agrees_in_part",
        "actions": [
            {"type": "safety_plan", "at": "2026-03-04T10:00:00Z", "owner": "Sam Foster",
             "agency": "Foster carer"},
            {"type": "education_referral", "status": "planned",
             "due_at": "2026-03-20T10:00:00Z", "owner": "Ms Head", "agency": "Easton Academy"},
            {"type": "health_referral", "at": "2026-03-05T10:00:00Z", "agency": "CAMHS",
             "notes": "Seen about self-harm"},
            {"type": "police_intelligence", "at": "2026-03-04T12:00:00Z",
             "agency": "Avon and Somerset Police"},
            {"type": "follow_up_support", "at": "2026-03-06T10:00:00Z",
             "outcome": "Weekly sessions agreed"},
        ],
    }
    values.update(overrides)
    return values


def _made(db: Session, org: str = "803", **overrides: Any) -> Interview:
    """A submitted record, committed: a refused request rolls back only its own work."""
    made = record(db, org, **overrides)
    db.commit()
    return made


def _page(client: TestClient, interview_id: Any, recipient: str) -> tuple[int, str]:
    answer = client.get(f"/interviews/{interview_id}/report/{recipient}")
    return answer.status_code, html.unescape(answer.text)


def test_the_police_report_holds_no_childs_account(client: TestClient, db: Session,
                                                   csrf: str) -> None:
    made = _made(db, **_rich())

    status, page = _page(client, made.id, "police")

    assert status == 200
    for shown in ("Robin Reportchild", "PR-2026-0042", "Temple Meads station", "Two older men",
                  "Stapleton Road flat BS5 0NR", "Criminal exploitation", "Safety plan",
                  "Police intelligence submitted", "OFFICIAL-SENSITIVE", str(made.id)):
        assert shown in page, shown
    for hidden in (ACCOUNT, WISHES, FEELINGS, "Unhappy in placement", "Needs a dentist",
                   "Excluded for a week", "The carer thinks", "Seen about self-harm",
                   "Weekly sessions agreed"):
        assert hidden not in page, hidden


@pytest.mark.parametrize("recipient", ["host_authority", "placement_provider"])
def test_the_host_authority_and_provider_get_the_places_and_risks_not_the_account(
        client: TestClient, db: Session, csrf: str, recipient: str) -> None:
    made = _made(db, **_rich())

    status, page = _page(client, made.id, recipient)

    assert status == 200
    for shown in ("Robin Reportchild", "PR-2026-0042", "A flat in Easton",
                  "Stapleton Road flat BS5 0NR", "Criminal exploitation", "Self-harm",
                  "Safety plan", "Health referral", "Police intelligence submitted"):
        assert shown in page, shown
    for hidden in (ACCOUNT, WISHES, FEELINGS, "Two older men", "Unhappy in placement",
                   "Needs a dentist", "Excluded for a week", "Education referral",
                   "Follow-up support", "Seen about self-harm"):
        assert hidden not in page, hidden


@pytest.mark.parametrize("factor", sorted(codes.HARM_AT_HOME_FACTORS))
def test_the_parent_or_carer_report_warns_when_the_child_named_abuse_at_home(
        client: TestClient, db: Session, csrf: str, factor: str) -> None:
    made = _made(db, **_rich(interview__push_factors=[factor, "family_conflict"]))

    status, page = _page(client, made.id, "parent_or_carer")

    assert status == 200
    assert HARM_AT_HOME_WARNING in page
    assert 'class="govuk-warning-text"' in page
    # The warning is about sharing with a parent or carer: no other report carries it.
    assert HARM_AT_HOME_WARNING not in _page(client, made.id, "social_worker")[1]


def test_the_parent_or_carer_report_has_no_warning_otherwise_and_holds_little(
        client: TestClient, db: Session, csrf: str) -> None:
    made = _made(db, **_rich(interview__push_factors=["family_conflict", "bullying"]))

    status, page = _page(client, made.id, "parent_or_carer")

    assert status == 200
    assert HARM_AT_HOME_WARNING not in page
    assert "Robin Reportchild" in page
    assert "Safety information and helplines given to the child" in page
    assert "Safety plan" in page  # owned by the foster carer
    for hidden in (ACCOUNT, WISHES, FEELINGS, "Family conflict", "Criminal exploitation",
                   "Two older men", "A flat in Easton", "PR-2026-0042", "Needs a dentist",
                   "Health referral", "Education referral", "Police intelligence"):
        assert hidden not in page, hidden


def test_the_school_sees_the_childs_wishes_only_when_the_child_agrees(
        client: TestClient, db: Session, csrf: str) -> None:
    in_part = _made(db, **_rich())
    agreed = _made(db, **_rich(interview__views_on_sharing="agrees"))

    _, page = _page(client, in_part.id, "school")
    _, with_wishes = _page(client, agreed.id, "school")

    assert "Excluded for a week in February" in page
    assert "Education referral" in page and "Due 20 March 2026" in page
    assert WISHES not in page
    assert WISHES in with_wishes
    for hidden in (ACCOUNT, FEELINGS, "Criminal exploitation", "Needs a dentist",
                   "Safety plan", "Health referral", "PR-2026-0042", "Two older men"):
        assert hidden not in with_wishes, hidden


def test_health_sees_health_needs_self_harm_and_health_referrals(
        client: TestClient, db: Session, csrf: str) -> None:
    made = _made(db, **_rich())

    _, page = _page(client, made.id, "health")

    for shown in ("Needs a dentist", "Self-harm", "Health referral", "CAMHS", "4 May 2011"):
        assert shown in page, shown
    for hidden in (ACCOUNT, WISHES, "Criminal exploitation", "Safety plan",
                   "Education referral", "PR-2026-0042", "Two older men"):
        assert hidden not in page, hidden


@pytest.mark.parametrize("recipient", WHOLE_RECORD)
def test_the_childs_own_professionals_get_the_whole_record(
        client: TestClient, db: Session, csrf: str, recipient: str) -> None:
    made = _made(db, **_rich())

    status, page = _page(client, made.id, recipient)

    assert status == 200
    for shown in (ACCOUNT, WISHES, FEELINGS, "Unhappy in placement", "Two older men",
                  "Needs a dentist", "Excluded for a week", "The carer thinks",
                  "Seen about self-harm", "Weekly sessions agreed", "PR-2026-0042",
                  "Unaccompanied asylum-seeking child"):
        assert shown in page, shown


@pytest.mark.parametrize("recipient", sorted(codes.SHARING_WITH))
def test_only_the_whole_record_carries_the_childs_own_words(recipient: str) -> None:
    document = make_document(**_rich(interview__views_on_sharing="agrees",
                                     interview__push_factors=["domestic_abuse"]))
    report = build_report(recipient, document)
    text = repr(report.sections)

    assert (ACCOUNT in text) is (recipient in WHOLE_RECORD)
    assert (FEELINGS in text) is (recipient in WHOLE_RECORD)
    assert (WISHES in text) is (recipient in (*WHOLE_RECORD, "school"))


def test_there_is_a_report_for_every_sharing_code_and_no_other() -> None:
    assert set(CONTENTS) == set(REPORT_FOR) == set(codes.SHARING_WITH)


def test_every_report_is_built_from_a_sparse_or_odd_document() -> None:
    odd: dict[str, Any] = {"child": "not a part", "episodes": [None, {"started_at": 5}],
                           "interview": {"push_factors": "domestic_abuse", "locations": [1]},
                           "actions": [{"type": None, "status": "done"}, "x"], "sharing": 7}
    for recipient in CONTENTS:
        for document in ({}, odd):
            assert build_report(recipient, document).sections


def test_the_top_of_the_report_says_who_for_and_which_recipients_are_required(
        client: TestClient, db: Session, csrf: str) -> None:
    made = _made(db, **_rich(sharing=[{"with": "police", "at": "2026-03-04T10:00:00Z"}]))

    _, police = _page(client, made.id, "police")
    _, school = _page(client, made.id, "school")

    assert "Report for the police" in police
    assert "OFFICIAL-SENSITIVE" in police and str(made.id) in police
    assert f"Version {made.version}" in police
    assert "Report made" in police
    # Looked after, placed out of area, criminal exploitation indicated (set 2027.1).
    for label in ("The authority's missing co-ordinator", "Social worker",
                  "Independent Reviewing Officer", "Police",
                  "Host authority (where the child is placed)", "Placement provider"):
        assert label in police, label
    assert "standard set 2027.1" in police
    assert "Police is one of them" in police
    assert "4 March 2026 at 10:00" in police  # recorded as sent
    assert "School is not one of them" in school


def test_the_record_page_links_to_the_required_recipients_reports(
        client: TestClient, db: Session, csrf: str) -> None:
    made = _made(db, **_rich())

    page = html.unescape(client.get(f"/interviews/{made.id}").text)

    assert "Reports for each recipient" in page
    required = page.split('id="reports"', 1)[1].split("Reports for other recipients", 1)[0]
    others = page.split("Reports for other recipients", 1)[1]
    for code in ("missing_coordinator", "social_worker", "iro", "police", "host_authority",
                 "placement_provider"):
        assert f'href="/interviews/{made.id}/report/{code}"' in required, code
    for code in ("school", "health", "parent_or_carer", "personal_adviser"):
        assert f'href="/interviews/{made.id}/report/{code}"' not in required, code
        assert f'href="/interviews/{made.id}/report/{code}"' in others, code


def test_a_caller_who_cannot_see_the_record_gets_404(client: TestClient, db: Session,
                                                      csrf: str) -> None:
    elsewhere = _made(db, "901", **_rich(child__responsible_authority="901",
                                          child__placement_authority="901"))

    for recipient in ("police", "social_worker", "parent_or_carer"):
        status, page = _page(client, elsewhere.id, recipient)
        assert status == 404
        assert "Robin" not in page and "PR-2026-0042" not in page
    missing = client.get("/interviews/00000000-0000-4000-8000-000000000000/report/police")
    assert missing.status_code == 404


@pytest.mark.parametrize("recipient", ["nobody", "POLICE", "social-worker", "police ",
                                       "with", "%00", "report"])
def test_an_unknown_recipient_is_404(client: TestClient, db: Session, csrf: str,
                                     recipient: str) -> None:
    made = _made(db, **_rich())

    answer = client.get(f"/interviews/{made.id}/report/{recipient}")

    assert answer.status_code == 404
    assert "Robin" not in answer.text


def test_a_report_read_is_audited_naming_the_recipient(client: TestClient, db: Session,
                                                       csrf: str) -> None:
    made = _made(db, **_rich())

    assert client.get(f"/interviews/{made.id}/report/police").status_code == 200

    entries = db.execute(select(AuditEntry).where(
        col(AuditEntry.target) == str(made.id),
        col(AuditEntry.action) == "interview.view")).scalars().all()
    assert [e.details for e in entries] == [{"page": "report", "recipient": "police"}]
    assert entries[0].actor.startswith("user:") and entries[0].organisation == "803"


def test_a_refused_report_writes_no_read(client: TestClient, db: Session, csrf: str) -> None:
    made = _made(db, **_rich())

    client.get(f"/interviews/{made.id}/report/nobody")

    reads = db.execute(select(AuditEntry).where(
        col(AuditEntry.target) == str(made.id),
        col(AuditEntry.action) == "interview.view")).scalars().all()
    assert reads == []


@pytest.mark.parametrize("role", ["placement_team", "manager"])
def test_the_record_roles_may_read_a_report_and_others_may_not(
        client: TestClient, db: Session, role: str) -> None:
    made = _made(db, **_rich())
    sign_in(client, make_user(db, role, org="803"))
    assert client.get(f"/interviews/{made.id}/report/police").status_code == 200
    client.cookies.clear()
    sign_in(client, make_user(db, "analyst", org="803"))
    assert client.get(f"/interviews/{made.id}/report/police").status_code == 403


def test_a_drafts_report_says_not_to_share_it_and_its_record_page_lists_none(
        client: TestClient, db: Session, csrf: str) -> None:
    from tests.interviews.helpers import start

    base = start(client, csrf)

    report = client.get(f"{base}/report/social_worker")
    record_page = client.get(base)

    assert report.status_code == 200
    assert "This record is a draft" in html.unescape(report.text)
    assert "Reports for each recipient" not in record_page.text
