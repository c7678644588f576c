"""The host authority's restricted view (issue 16): where another authority placed a child, the
authority the child lives in sees the submitted records of that child on "Children placed in
our area", each as the host authority's report (the episodes, the places, harm and risk, the
safety actions) and never the child's account, a draft, or a child not placed in its area.
Every other page of the record stays 404 to it, and every read is audited."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.interviews import service
from app.interviews.placed import placed_records
from app.record.models import Interview, InterviewVersion
from tests.builders import (
    bearer,
    make_document,
    make_key,
    make_org,
    make_user,
    record,
    save_draft,
    sign_in,
)

RESPONSIBLE, HOST, THIRD = "803", "801", "805"  # the child's authority, where it lives, neither
ACCOUNT = "They said they stayed with people from the park."
WISHES = "To move back to the old school."
FEELINGS = "Tired, but glad to be back."


def placed(**overrides: Any) -> dict[str, Any]:
    """Overrides of `make_document` for a child of 803 placed in 801, with criminal
    exploitation indicated, the child's own words and views, and actions of every kind."""
    values: dict[str, Any] = {
        "child__placement_authority": HOST, "child__given_name": "Harper",
        "child__family_name": "Hostchild",
        "episodes__0__police_reference": "PR-2026-0099",
        "episodes__0__found_location": "Cabot Circus",
        "interview__child_account": ACCOUNT, "interview__child_wishes": WISHES,
        "interview__feelings_now": FEELINGS, "interview__where_stayed": "A flat in Easton",
        "interview__with_whom": "Two older men", "interview__locations": [
            {"description": "Stapleton Road flat", "postcode": "BS5 0NR"}],
        "interview__push_factors": ["placement_unhappy"],
        "interview__risk_indicators": ["criminal_exploitation"],
        "interview__harm_disclosed": "yes",
        "interview__views_on_sharing": "objects",
        "actions": [
            {"type": "safety_plan", "at": "2026-03-04T10:00:00Z", "owner": "Sam Foster",
             "agency": "Foster carer", "notes": "Notes for the social worker"},
            {"type": "follow_up_support", "at": "2026-03-06T10:00:00Z",
             "outcome": "Weekly sessions agreed"},
        ],
    }
    values.update(overrides)
    return values


def made(db: Session, org: str = RESPONSIBLE, **overrides: Any) -> Interview:
    """A submitted record, committed: a refused request rolls back only its own work."""
    for code in (RESPONSIBLE, HOST, THIRD):
        make_org(db, code)
    interview = record(db, org, **overrides)
    db.commit()
    return interview


def person(client: TestClient, db: Session, org: str, role: str = "interviewer") -> None:
    client.cookies.clear()
    sign_in(client, make_user(db, role, org=org))


def page(client: TestClient, path: str) -> tuple[int, str]:
    answer = client.get(path)
    return answer.status_code, html.unescape(answer.text)


def as_caller(db: Session, org: str, role: str) -> Caller:
    user = make_user(db, role, org=org)
    return Caller(label=f"user:{user.id}", organisation_code=org, user_id=user.id, role=role)


# --- what the host authority sees -------------------------------------------------------------

@pytest.mark.parametrize("role", ["interviewer", "placement_team", "manager"])
def test_the_host_sees_the_episode_places_risks_and_safety_actions(
        client: TestClient, db: Session, role: str) -> None:
    interview = made(db, **placed())
    person(client, db, HOST, role)

    listed_status, listed = page(client, "/placed-in-our-area")
    status, shown = page(client, f"/placed-in-our-area/{interview.id}")

    assert listed_status == 200
    assert f'href="/placed-in-our-area/{interview.id}">Harper Hostchild</a>' in listed
    assert status == 200
    for seen in ("Harper Hostchild", "4 May 2011", "1 March 2026 at 18:00", "2 March 2026",
                 "PR-2026-0099", "Cabot Circus", "A flat in Easton",
                 "Stapleton Road flat BS5 0NR", "Harm disclosed", "Criminal exploitation",
                 "Safety plan", "Owner: Sam Foster", "Agency: Foster carer",
                 "OFFICIAL-SENSITIVE", str(interview.id)):
        assert seen in shown, seen
    for hidden in (ACCOUNT, WISHES, FEELINGS, "The child's views on sharing",
                   "Does not want it shared", "Two older men", "Unhappy in placement",
                   "Follow-up support", "Weekly sessions agreed",
                   "Notes for the social worker", "Lawful basis"):
        assert hidden not in shown, hidden
        assert hidden not in listed, hidden


def test_the_page_says_it_is_a_restricted_view_and_whom_to_contact(
        client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, HOST)

    _, shown = page(client, f"/placed-in-our-area/{interview.id}")

    banner = re.search(r'<div id="restricted-view">(.*?)</div>\s*</div>\s*</div>', shown, re.S)
    assert banner is not None
    text = re.sub(r"<[^>]+>|\s+", " ", banner.group(1))
    assert "This is a restricted view of the record." in text
    assert f"contact Test Organisation {RESPONSIBLE}, the child's responsible authority" in text
    assert "what the child said in their own words and their views on sharing" in text


def test_the_list_shows_the_most_recently_submitted_first(
        client: TestClient, db: Session) -> None:
    older = made(db, **placed(child__given_name="Older"))
    newer = made(db, **placed(child__given_name="Newer"))
    for interview, day in ((older, 1), (newer, 2)):
        db.execute(update(InterviewVersion)
                   .where(col(InterviewVersion.interview_id) == interview.id)
                   .values(created_at=datetime(2026, 3, day, 12, tzinfo=UTC)))
    db.commit()
    person(client, db, HOST)

    _, listed = page(client, "/placed-in-our-area")

    assert listed.index("Newer Hostchild") < listed.index("Older Hostchild")
    assert [p.name for p in placed_records(db, HOST)] == ["Newer Hostchild",
                                                          "Older Hostchild"]


# --- what it never sees -----------------------------------------------------------------------

def test_the_host_never_sees_a_draft(client: TestClient, db: Session) -> None:
    make_org(db, HOST)
    author = as_caller(db, RESPONSIBLE, "interviewer")
    draft = service.start_draft(db, author)
    errors = save_draft(db, draft, author, {k: v for k, v in make_document(**placed()).items()
                                            if k != "id"})
    assert not errors, errors
    db.commit()
    person(client, db, HOST)

    assert page(client, f"/placed-in-our-area/{draft.id}")[0] == 404
    assert "Harper" not in page(client, "/placed-in-our-area")[1]


def test_a_child_not_placed_in_its_area_is_not_there(client: TestClient,
                                                     db: Session) -> None:
    at_home = made(db, **placed(child__placement_authority=RESPONSIBLE,
                                child__given_name="Athome"))
    elsewhere = made(db, **placed(child__placement_authority=THIRD,
                                  child__given_name="Elsewhere"))
    unplaced = made(db, **placed(child__placement_authority=None, child__given_name="Unplaced"))
    person(client, db, HOST)

    _, listed = page(client, "/placed-in-our-area")

    for interview in (at_home, elsewhere, unplaced):
        assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 404
        assert str(interview.id) not in listed
    assert "No return interview record of a child placed in your area" in listed


def test_a_third_authority_sees_nothing_of_a_child_placed_in_another(
        client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, THIRD, "manager")

    _, listed = page(client, "/placed-in-our-area")

    assert "Harper" not in listed
    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 404
    assert page(client, f"/interviews/{interview.id}")[0] == 404


def test_every_other_page_of_the_record_is_404_to_the_host(
        client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, HOST, "manager")
    missing = "00000000-0000-4000-8000-000000000000"

    for path in ("", "/check", "/child", "/voice", "/versions/1", "/report/host_authority",
                 "/report/police", "/report/social_worker", "/discard"):
        status, text = page(client, f"/interviews/{interview.id}{path}")
        assert status == 404, path
        assert "Harper" not in text and ACCOUNT not in text
        assert page(client, f"/interviews/{missing}{path}")[0] == 404
    _, key = make_key(db, HOST, scopes=("submit",))
    answer = client.get(f"/api/v1/interviews/{interview.id}", headers=bearer(key))
    assert answer.status_code == 404
    assert answer.json()["detail"] == client.get(f"/api/v1/interviews/{missing}",
                                                 headers=bearer(key)).json()["detail"]
    listed = client.get("/api/v1/interviews", headers=bearer(key))
    assert str(interview.id) not in listed.text
    assert str(interview.id) not in page(client, "/")[1]
    assert "Harper" not in page(client, "/search?q=harper")[1]


def test_what_the_host_recorded_itself_is_its_own_record_not_a_restricted_view(
        client: TestClient, db: Session) -> None:
    interview = made(db, HOST, **placed())
    person(client, db, HOST)

    assert page(client, f"/interviews/{interview.id}")[0] == 200
    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 404
    assert str(interview.id) not in page(client, "/placed-in-our-area")[1]


def test_the_responsible_authoritys_view_is_unchanged(client: TestClient,
                                                      db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, RESPONSIBLE)

    status, whole = page(client, f"/interviews/{interview.id}")

    assert status == 200
    assert ACCOUNT in whole and WISHES in whole
    assert page(client, f"/interviews/{interview.id}/report/host_authority")[0] == 200
    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 404
    assert str(interview.id) not in page(client, "/placed-in-our-area")[1]


def test_a_returned_record_shows_what_was_submitted_until_it_is_submitted_again(
        client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    manager = as_caller(db, RESPONSIBLE, "manager")
    service.return_to_interviewer(db, interview, manager, "Please add where they stayed.")
    interviewer = as_caller(db, RESPONSIBLE, "interviewer")
    changed = {k: v for k, v in make_document(**placed(
        interview__where_stayed="A house in Lawrence Hill")).items() if k != "id"}
    assert not save_draft(db, interview, interviewer, changed)
    db.commit()
    person(client, db, HOST)

    _, while_returned = page(client, f"/placed-in-our-area/{interview.id}")
    service.submit(db, interview, interviewer)
    db.commit()
    _, resubmitted = page(client, f"/placed-in-our-area/{interview.id}")

    assert "A flat in Easton" in while_returned
    assert "Lawrence Hill" not in while_returned
    assert "A house in Lawrence Hill" in resubmitted
    assert "Version 2" in resubmitted


def test_a_child_moved_while_the_record_is_returned_moves_when_it_is_submitted_again(
        client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    manager = as_caller(db, RESPONSIBLE, "manager")
    service.return_to_interviewer(db, interview, manager, "The child has moved.")
    interviewer = as_caller(db, RESPONSIBLE, "interviewer")
    moved = {k: v for k, v in make_document(**placed(
        child__placement_authority=THIRD)).items() if k != "id"}
    assert not save_draft(db, interview, interviewer, moved)
    db.commit()
    person(client, db, HOST)

    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 200
    service.submit(db, interview, interviewer)
    db.commit()
    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 404
    person(client, db, THIRD)
    assert page(client, f"/placed-in-our-area/{interview.id}")[0] == 200


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_people_who_see_nothing_identifying_may_not_use_it(
        client: TestClient, db: Session, role: str) -> None:
    interview = made(db, **placed())
    person(client, db, HOST, role)

    assert client.get("/placed-in-our-area").status_code == 403
    assert client.get(f"/placed-in-our-area/{interview.id}").status_code == 403


# --- audited ----------------------------------------------------------------------------------

def _entries(db: Session, action: str) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).where(col(AuditEntry.action) == action)
                           .order_by(col(AuditEntry.id))).scalars())


def test_every_read_is_audited_in_plain_words(client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, HOST, "manager")

    client.get("/placed-in-our-area")
    client.get(f"/placed-in-our-area/{interview.id}")
    log = html.unescape(client.get("/audit", params={"action": "interview.host-list"}).text)
    viewed_log = html.unescape(client.get("/audit", params={"action": "interview.host-view"}).text)

    [listed] = _entries(db, "interview.host-list")
    [viewed] = _entries(db, "interview.host-view")
    assert (listed.organisation, listed.details) == (
        HOST, {"count": 1, "ids": [str(interview.id)]})
    assert (viewed.organisation, viewed.target, viewed.details) == (
        HOST, str(interview.id), {"version": 1})
    assert "Test Manager (manager) was shown the list of children placed in their area" in log
    assert "1 records" in log
    assert ("Test Manager (manager) viewed the host authority's restricted view of an "
            "interview record") in viewed_log
    assert "Harper" not in log + viewed_log  # the log names no child


def test_a_refused_read_is_audited_as_any_refusal(client: TestClient, db: Session) -> None:
    interview = made(db, **placed())
    person(client, db, THIRD)

    client.get(f"/placed-in-our-area/{interview.id}")

    assert not _entries(db, "interview.host-view")
    refused = _entries(db, "request.refused")[-1]
    assert (refused.target, refused.details) == (
        f"/placed-in-our-area/{interview.id}", {"status": 404, "method": "GET"})
