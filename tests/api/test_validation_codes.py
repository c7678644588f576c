"""Every validation code the API can answer, each from one change to a valid document.

The codes and their meanings are `app.record.fields.ERROR_CODES` (published in the OpenAPI
document); a code added there without a case here fails `test_every_error_code_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.record import codes
from app.record.fields import ERROR_CODES
from tests.builders import DELETE, make_document

URL = "/api/v1/interviews"
Change = Callable[[], dict[str, Any]]

OTHER_EPISODE = {"type": "away", "started_at": "2026-03-02T00:00:00Z",
                 "returned_at": "2026-03-02T06:00:00Z", "reported_to_police": False}
OPEN_EPISODES = [
    {"type": "missing", "started_at": "2026-03-01T18:00:00Z", "reported_to_police": True},
    {"type": "away", "started_at": "2026-03-05T18:00:00Z", "reported_to_police": False},
]

# code, the changed document, the pointer the error names
CASES: list[tuple[str, Change, str]] = [
    ("required", lambda: make_document(child__given_name=DELETE), "/child/given_name"),
    ("invalid_type", lambda: make_document(episodes__0__reported_to_police="yes"),
     "/episodes/0/reported_to_police"),
    ("unknown_field", lambda: make_document(child__nickname="Tee"), "/child/nickname"),
    ("unknown_code", lambda: make_document(child__gender="unknown"), "/child/gender"),
    ("duplicate_code", lambda: make_document(interview__push_factors=["bullying", "bullying"]),
     "/interview/push_factors/1"),
    ("none_identified_alone",
     lambda: make_document(interview__pull_factors=["none_identified", "parties"]),
     "/interview/pull_factors"),
    ("too_long", lambda: make_document(child__given_name="x" * 101), "/child/given_name"),
    ("too_many", lambda: make_document(
        interview__risk_indicators=[*codes.RISK_INDICATORS, "weapons"]),
     "/interview/risk_indicators"),
    ("formula_start", lambda: make_document(child__local_id="=1+2"), "/child/local_id"),
    ("invalid_character", lambda: make_document(child__family_name="Child\x07"),
     "/child/family_name"),
    ("invalid_uuid", lambda: make_document(id="not-a-uuid"), "/id"),
    ("invalid_date", lambda: make_document(child__date_of_birth="2011-02-30"),
     "/child/date_of_birth"),
    ("invalid_timestamp", lambda: make_document(episodes__0__started_at="last tuesday"),
     "/episodes/0/started_at"),
    ("invalid_postcode", lambda: make_document(episodes__0__found_postcode="BS16"),
     "/episodes/0/found_postcode"),
    ("invalid_organisation", lambda: make_document(child__placement_authority="not a code!"),
     "/child/placement_authority"),
    ("unknown_organisation", lambda: make_document(child__placement_authority="999"),
     "/child/placement_authority"),
    ("out_of_range", lambda: make_document(interview__seraf_score=100),
     "/interview/seraf_score"),
    ("in_future", lambda: make_document(child__date_of_birth="2099-01-01"),
     "/child/date_of_birth"),
    ("before_start", lambda: make_document(episodes__0__returned_at="2026-03-01T17:00:00Z"),
     "/episodes/0/returned_at"),
    ("before_return", lambda: make_document(interview__conducted_at="2026-03-02T08:00:00Z"),
     "/interview/conducted_at"),
    ("too_old", lambda: make_document(child__date_of_birth="2000-01-01"),
     "/child/date_of_birth"),
    ("overlapping_episodes",
     lambda: make_document(episodes=[make_document()["episodes"][0], OTHER_EPISODE]),
     "/episodes/0/started_at"),
    ("several_open_episodes", lambda: make_document(episodes=OPEN_EPISODES),
     "/episodes/0/returned_at"),
    ("other_text_required", lambda: make_document(interview__push_factors=["other"]),
     "/interview/push_factors_other"),
    ("empty_list", lambda: make_document(episodes=[]), "/episodes"),
    ("not_done_yet", lambda: make_document(actions=[
        {"type": "safety_plan", "status": "planned", "at": "2026-03-04T10:00:00Z",
         "due_at": "2026-03-06T17:00:00Z"}]), "/actions/0/at"),
    ("case_id_conflict", lambda: make_document(child__no_case_id=True), "/child/local_id"),
]

def test_every_error_code_has_a_case() -> None:
    # id_mismatch is a PUT's code: tests/api/test_read_and_change.py covers it.
    assert {code for code, _, _ in CASES} == set(ERROR_CODES) - {
        "id_mismatch",
        "before_found",  # notifications only: tests/episodes/test_notify_api.py
    }


def test_the_base_document_is_valid(client: TestClient, auth: dict[str, str]) -> None:
    assert client.post(URL, json=make_document(), headers=auth).status_code == 201


@pytest.mark.parametrize(("code", "change", "pointer"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_document_is_a_422_problem_naming_the_field_and_code(
        client: TestClient, auth: dict[str, str], code: str, change: Change,
        pointer: str) -> None:
    answer = client.post(URL, json=change(), headers=auth)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/validation"
    assert {"pointer": pointer, "code": code} in [
        {"pointer": e["pointer"], "code": e["code"]} for e in problem["errors"]]
    assert all(e["message"] for e in problem["errors"])


def test_every_error_is_reported_at_once(client: TestClient, auth: dict[str, str]) -> None:
    document = make_document(child__gender="unknown", interview__seraf_score=100,
                             child__nickname="Tee")

    problem = client.post(URL, json=document, headers=auth).json()

    assert problem["detail"] == "3 fields need attention"
    assert {e["code"] for e in problem["errors"]} == {"unknown_code", "out_of_range",
                                                      "unknown_field"}


def test_an_episode_overlapping_another_record_of_the_same_child_is_refused(
        client: TestClient, auth: dict[str, str]) -> None:
    first = make_document()
    assert client.post(URL, json=first, headers=auth).status_code == 201
    second = make_document(child=first["child"], episodes=[{
        "type": "missing", "started_at": "2026-03-01T20:00:00Z",
        "returned_at": "2026-03-02T02:00:00Z", "reported_to_police": True}])

    problem = client.post(URL, json=second, headers=auth).json()

    assert problem["errors"][0]["code"] == "overlapping_episodes"
    assert "another record" in problem["errors"][0]["message"]
