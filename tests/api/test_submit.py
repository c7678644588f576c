"""POST /api/v1/interviews: created once, retried safely, refused clearly."""

from __future__ import annotations

from uuid import UUID

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.record.models import Interview, InterviewVersion
from tests.builders import make_document

URL = "/api/v1/interviews"


def version_count(db: Session, interview_id: str) -> int:
    return db.execute(select(func.count()).select_from(InterviewVersion).where(
        col(InterviewVersion.interview_id) == UUID(interview_id))).scalar_one()


def test_a_new_interview_is_created_submitted_with_location_and_etag(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    document = make_document()

    answer = client.post(URL, json=document, headers=auth)

    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"{URL}/{document['id']}"
    assert answer.headers["etag"].startswith(f'"{document["id"]}-v1-')
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    record = answer.json()
    assert record["id"] == document["id"]
    assert record["child"]["given_name"] == "Test"
    assert record["status"] == "submitted"
    assert record["version"] == 1
    assert record["recorded_by_org"] == "803"
    assert record["approved_at"] is None
    assert record["created_at"].endswith("Z") and record["submitted_at"].endswith("Z")
    assert record["standards"] and {"code", "result"} <= set(record["standards"][0])
    assert db.get(Interview, UUID(document["id"])) is not None


def test_the_same_document_again_answers_200_with_the_same_record_and_no_new_version(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    document = make_document()
    first = client.post(URL, json=document, headers=auth)

    again = client.post(URL, json=document, headers=auth)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert version_count(db, document["id"]) == 1


def test_an_equivalent_document_counts_as_the_same(
        client: TestClient, auth: dict[str, str]) -> None:
    document = make_document()
    client.post(URL, json=document, headers=auth)
    padded = make_document(id=document["id"], child={
        **document["child"], "given_name": "  Test  ", "ethnicity": None})
    padded["episodes"][0]["found_postcode"] = "bs161qy"

    assert client.post(URL, json=padded, headers=auth).status_code == 200


def test_the_same_id_with_a_different_body_is_a_conflict(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    document = make_document()
    client.post(URL, json=document, headers=auth)

    changed = make_document(id=document["id"], child__given_name="Other")
    answer = client.post(URL, json=changed, headers=auth)

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/conflict"
    assert version_count(db, document["id"]) == 1


def test_a_body_that_is_not_json_is_a_400_problem_with_the_position(
        client: TestClient, auth: dict[str, str]) -> None:
    answer = client.post(URL, content=b'{"id": "x",\n "child": }', headers={
        **auth, "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/malformed-json"
    assert "line 2" in problem["detail"]


def test_an_empty_body_is_malformed_json(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.post(URL, content=b"", headers={**auth, "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/malformed-json"


def test_json_that_is_not_an_object_is_a_validation_problem(
        client: TestClient, auth: dict[str, str]) -> None:
    for body in (b"[]", b"null", b'"text"', b"42"):
        answer = client.post(URL, content=body, headers={
            **auth, "Content-Type": "application/json"})
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["code"] == "invalid_type"


def test_a_body_that_is_not_json_by_type_is_415(
        client: TestClient, auth: dict[str, str]) -> None:
    body = orjson.dumps(make_document())
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        answer = client.post(URL, content=body, headers=headers)
        assert answer.status_code == 415, content_type
        assert answer.json()["type"] == "/problems/unsupported-media-type"


def test_json_media_types_with_parameters_or_suffixes_are_accepted(
        client: TestClient, auth: dict[str, str]) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.rhi+json"):
        answer = client.post(URL, content=orjson.dumps(make_document()), headers={
            **auth, "Content-Type": content_type})
        assert answer.status_code == 201, content_type


def test_a_body_over_one_mebibyte_is_413(client: TestClient, auth: dict[str, str]) -> None:
    document = make_document(interview__child_account="x" * (1024 * 1024))

    answer = client.post(URL, json=document, headers=auth)

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/too-large"


def test_creating_is_audited_as_the_key(client: TestClient, auth: dict[str, str],
                                        db: Session) -> None:
    document = make_document()
    client.post(URL, json=document, headers=auth)

    entry = db.execute(select(AuditEntry).where(col(AuditEntry.target) == document["id"],
                                                col(AuditEntry.action) == "interview.create")
                       ).scalar_one()
    assert entry.actor.startswith("key:rk_")
    assert entry.organisation == "803"
