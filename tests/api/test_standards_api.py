"""The standard set in force is published to partner systems and signed-in people."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import bearer, make_key, make_user, sign_in


def test_any_key_reads_the_standard_set(client: TestClient, db: Session) -> None:
    _, key = make_key(db, "803", ("feed",))
    answer = client.get("/api/v1/standards", headers=bearer(key))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["version"], body["in_force"], body["versions"]) == (
        "2027.1", True, ["2026.1", "2027.1"])
    codes = [s["code"] for s in body["standards"]]
    assert codes[0] == "offer-within-72h" and len(codes) == 15
    assert "exploitation-response" in codes and "cse-risk-assessed" not in codes
    # Added last, so every earlier standard keeps its place.
    assert codes[-2:] == ["actions-followed-through", "placing-authority-told"]
    told = body["standards"][-1]
    assert told["parameters"] == {
        "placing_authority_days": 1,
        "placing_authority_recipients": ["missing_coordinator", "responsible_authority"]}
    offer = body["standards"][0]
    assert offer["title"] and offer["parameters"]


def test_an_earlier_set_is_read_by_its_version(client: TestClient, db: Session) -> None:
    _, key = make_key(db, "803", ("submit",))
    body = client.get("/api/v1/standards?version=2026.1", headers=bearer(key)).json()
    assert (body["version"], body["in_force"]) == ("2026.1", False)
    codes = [s["code"] for s in body["standards"]]
    assert len(codes) == 13 and "cse-risk-assessed" in codes
    assert "placing-authority-told" not in codes


def test_an_unknown_version_is_a_problem_naming_the_parameter(
        client: TestClient, db: Session) -> None:
    _, key = make_key(db, "803", ("feed",))
    for version in ("2025.1", "x" * 17, "2026.1\x00"):
        answer = client.get("/api/v1/standards", params={"version": version},
                            headers=bearer(key))
        assert answer.status_code == 422, version
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "version" in answer.text


def test_a_signed_in_person_reads_it_and_nobody_else(client: TestClient, db: Session) -> None:
    assert client.get("/api/v1/standards").status_code == 401
    sign_in(client, make_user(db, "interviewer"))
    assert client.get("/api/v1/standards").status_code == 200
