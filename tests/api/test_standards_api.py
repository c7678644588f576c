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
    assert body["version"] == "2026.1"
    codes = [s["code"] for s in body["standards"]]
    assert codes[0] == "offer-within-72h" and len(codes) == 13
    offer = body["standards"][0]
    assert offer["title"] and offer["parameters"]


def test_a_signed_in_person_reads_it_and_nobody_else(client: TestClient, db: Session) -> None:
    assert client.get("/api/v1/standards").status_code == 401
    sign_in(client, make_user(db, "interviewer"))
    assert client.get("/api/v1/standards").status_code == 200
