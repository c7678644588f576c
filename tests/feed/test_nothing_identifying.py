"""Nothing that names or pinpoints a child, an interviewer or an address reaches the feed.

Records hold a distinctive synthetic string in every identifying field of the data dictionary's
"Never in the feed" list; no format of any feed answer may contain any of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.interviews import service
from tests.builders import actor, make_user, record, sign_in
from tests.feed.conftest import feed_key

SECRETS = {
    "given_name": "Zephyrine",
    "family_name": "Quillfeather",
    "local_id": "LOCAL-7QX9Z",
    "date_of_birth": "2010-02-17",
    "police_reference": "POLREF-55501",
    "found_location": "Secretwarehouse Lane",
    "found_postcode": "BS99 7QZ",
    "location_postcode": "BA1 9XT",
    "location_description": "LOCDESC-Toffee",
    "interviewer_name": "Ozymandias Interviewer",
    "child_account": "ACCOUNT-Marmalade",
    "child_wishes": "WISHES-Gingerbread",
    "where_stayed": "STAYED-Peppermint",
    "with_whom": "WHOM-Liquorice",
    "travel": "TRAVEL-Butterscotch",
    "push_factors_other": "PUSHOTHER-Caramel",
    "pull_factors_other": "PULLOTHER-Humbug",
    "decline_reason": "DECLINE-Sherbet",
    "not_offered_reason": "NOTOFFERED-Treacle",
    "carer_information": "CARER-Nougat",
    "attempt_result": "ATTEMPT-Fudge",
    "action_notes": "NOTES-Praline",
    "returned_comment": "COMMENT-Brittle",
    "oversight_note": "NOTE-Quarrelsome",
    "feelings_now": "FEELINGS-Cinder",
    "health_needs": "HEALTH-Aniseed",
    "carer_view": "CARERVIEW-Marzipan",
    "education": "EDUCATION-Toffeeapple",
    "shared_against_wishes_reason": "AGAINST-Rhubarb",
    "action_owner": "OWNER-Bonbon Person",
    "action_agency": "AGENCY-Jellybean",
    "action_outcome": "OUTCOME-Honeycomb",
}
# Other spellings of the same facts.
ALSO_NEVER = ("17/02/2010", "BS997QZ", "7QZ", "9XT", "BA19XT")


def identifying_document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "child": {"local_id": SECRETS["local_id"], "given_name": SECRETS["given_name"],
                  "family_name": SECRETS["family_name"],
                  "date_of_birth": SECRETS["date_of_birth"], "gender": "female",
                  "ethnicity": "wbri", "legal_status": "looked_after",
                  "responsible_authority": "803", "placement_authority": "801"},
        "episodes": [{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                      "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                      "police_reference": SECRETS["police_reference"],
                      "police_risk_grade": "medium",
                      "found_location": SECRETS["found_location"],
                      "found_postcode": SECRETS["found_postcode"]}],
        "offer": {"outcome": "completed", "offered_at": "2026-03-02T12:00:00Z",
                  "decline_reason": SECRETS["decline_reason"],
                  "carer_information": SECRETS["carer_information"],
                  "attempts": [{"at": "2026-03-02T11:00:00Z", "method": "phone",
                                "result": SECRETS["attempt_result"]}]},
        "interview": {
            "conducted_at": "2026-03-03T10:00:00Z", "mode": "in_person",
            "interviewer_name": SECRETS["interviewer_name"],
            "interviewer_role": "independent_rhi_worker", "interviewer_independent": True,
            "interviewer_trained": True,
            "push_factors": ["family_conflict", "other"],
            "push_factors_other": SECRETS["push_factors_other"],
            "pull_factors": ["peer_pressure", "other"],
            "pull_factors_other": SECRETS["pull_factors_other"],
            "where_stayed": SECRETS["where_stayed"], "with_whom": SECRETS["with_whom"],
            "travel": SECRETS["travel"], "harm_disclosed": "yes",
            "risk_indicators": ["sexual_exploitation"],
            "locations": [{"description": SECRETS["location_description"],
                           "postcode": SECRETS["location_postcode"]}],
            "child_account": SECRETS["child_account"], "child_wishes": SECRETS["child_wishes"],
            "read_back_to_child": True, "information_sharing_explained": True,
            "consent_to_share": "yes", "seraf_score": 12,
            "feelings_now": SECRETS["feelings_now"], "health_needs": SECRETS["health_needs"],
            "carer_view": SECRETS["carer_view"], "education": SECRETS["education"],
            "views_on_sharing": "objects", "lawful_basis": "public_task",
            "shared_against_wishes": True,
            "shared_against_wishes_reason": SECRETS["shared_against_wishes_reason"],
            "child_told_of_sharing": True,
        },
        "actions": [{"type": "other", "at": "2026-03-03T12:00:00Z",
                     "notes": SECRETS["action_notes"]},
                    {"type": "safety_plan", "status": "not_done",
                     "due_at": "2026-03-05T12:00:00Z", "owner": SECRETS["action_owner"],
                     "agency": SECRETS["action_agency"], "outcome": SECRETS["action_outcome"]}],
        "sharing": [{"with": "social_worker", "at": "2026-03-04T10:00:00Z"}],
    }
    doc.update(changes)
    return doc


@pytest.fixture
def identifying_records(db: Session) -> None:
    completed = record(db, **identifying_document())
    # A second record of the same child: declined, then returned by a manager with a comment.
    declined = record(db, **identifying_document(
        episodes=[{"type": "away", "started_at": "2026-04-01T18:00:00Z",
                   "returned_at": "2026-04-02T09:00:00Z", "reported_to_police": False,
                   "police_reference": SECRETS["police_reference"],
                   "found_location": SECRETS["found_location"],
                   "found_postcode": SECRETS["found_postcode"]}],
        offer={"outcome": "declined", "offered_at": "2026-04-02T12:00:00Z",
               "decline_reason": SECRETS["decline_reason"],
               "carer_information": SECRETS["carer_information"]},
        interview=None))
    record(db, **identifying_document(
        episodes=[{"type": "missing", "started_at": "2026-05-01T18:00:00Z",
                   "returned_at": "2026-05-02T09:00:00Z", "reported_to_police": True}],
        offer={"outcome": "not_offered", "not_offered_reason": SECRETS["not_offered_reason"]},
        interview=None))
    service.return_to_interviewer(db, declined, actor(), SECRETS["returned_comment"])
    service.approve(db, completed, actor(), SECRETS["oversight_note"], read_record=True)
    assert completed.document["child"]["given_name"] == SECRETS["given_name"]
    db.commit()


def assert_nothing_identifying(body: bytes) -> None:
    text = body.decode().lower()
    for name, secret in SECRETS.items():
        assert secret.lower() not in text, f"{name} reached the feed"
    for spelling in ALSO_NEVER:
        assert spelling.lower() not in text, f"{spelling} reached the feed"


FEED_ANSWERS = (  # (url, headers, something the answer must hold: the records are there)
    ("/api/v1/feed/interviews", {}, b"child_key"),
    ("/api/v1/feed/interviews", {"Accept": "application/x-ndjson"}, b"child_key"),
    ("/api/v1/feed/interviews?format=ndjson", {}, b"child_key"),
    ("/api/v1/feed/interviews?format=csv", {}, b"looked_after"),
    ("/api/v1/feed/summary?group_by=quarter,month,age_band,gender,legal_status", {},
     b"2026-Q1"),
    ("/api/v1/feed/summary?group_by=responsible_authority,out_of_area&format=csv", {},
     b"803,true"),
)


@pytest.mark.parametrize(("url", "headers", "marker"), FEED_ANSWERS)
def test_no_feed_format_holds_an_identifying_value(
        client: TestClient, db: Session, identifying_records: None, url: str,
        headers: dict[str, str], marker: bytes) -> None:
    answer = client.get(url, headers={**feed_key(db), **headers})
    assert answer.status_code == 200, answer.text
    assert marker in answer.content
    assert_nothing_identifying(answer.content)


def test_the_records_carry_their_pseudonymised_content(
        client: TestClient, db: Session, identifying_records: None) -> None:
    data = client.get("/api/v1/feed/interviews", headers=feed_key(db)).json()["data"]
    assert len(data) == 3
    first = next(r for r in data if r["outcome"] == "completed")
    assert first["episodes"][0]["found_district"] == "BS99"
    assert first["location_districts"] == ["BA1"]
    assert first["push_factors"] == ["family_conflict", "other"]
    assert first["seraf_category"] == 3
    keys = {r["child_key"] for r in data}
    assert len(keys) == 1 and len(next(iter(keys))) == 64  # one child, one stable key


def test_the_quarterly_report_holds_nothing_identifying(
        client: TestClient, db: Session, identifying_records: None) -> None:
    sign_in(client, make_user(db, "analyst"))
    for url in ("/reports/quarterly?period=2026-Q1", "/reports/quarterly?period=2026-Q2",
                "/reports/quarterly/headline.csv?period=2026-Q1",
                "/reports/quarterly/standards.csv?period=2026-Q2"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert_nothing_identifying(answer.content)
