"""The OpenAPI document describes the API truthfully: bodies, answers, problems, codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from app.interviews.openapi import EXAMPLE_DOCUMENT
from app.interviews.schemas import document_schema
from app.record.fields import ERROR_CODES
from app.record.validation import validate_document
from tests.builders import make_document

# The web pages' routes are in the document too until they are left out of it (pages.py makes
# one function serve GET and POST, so FastAPI warns of duplicate operation ids).
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")

ROUTES = {
    ("post", "/api/v1/interviews"): {"200", "201", "400", "401", "403", "409", "413", "415",
                                     "422"},
    ("get", "/api/v1/interviews"): {"200", "400", "401", "403", "422"},
    ("get", "/api/v1/interviews/{interview_id}"): {"200", "401", "403", "404", "422"},
    ("put", "/api/v1/interviews/{interview_id}"): {"200", "400", "401", "403", "404", "412",
                                                   "413", "415", "422", "428"},
    ("get", "/api/v1/interviews/{interview_id}/versions"): {"200", "401", "403", "404", "422"},
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from app.main import create_app

    with TestClient(create_app()) as client:
        answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def validator(openapi: dict[str, Any], name: str) -> Any:
    return jsonschema_rs.validator_for({**openapi, "$ref": f"#/components/schemas/{name}"},
                                       validate_formats=True)


def test_every_route_documents_every_status_it_answers(openapi: dict[str, Any]) -> None:
    for (method, path), statuses in ROUTES.items():
        operation = openapi["paths"][path][method]
        assert set(operation["responses"]) == statuses, (method, path)
        assert operation["security"] == [{"ApiKey": []}]
        for status in statuses - {"200", "201"}:
            assert "application/problem+json" in operation["responses"][status]["content"]
    assert openapi["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_the_validation_problem_lists_every_error_code(openapi: dict[str, Any]) -> None:
    problem = openapi["paths"]["/api/v1/interviews"]["post"]["responses"]["422"]["content"][
        "application/problem+json"]["schema"]
    for code in ERROR_CODES:
        assert f"`{code}`" in problem["description"]


def test_the_request_body_is_the_interview_document(openapi: dict[str, Any]) -> None:
    for method in ("post", "put"):
        path = "/api/v1/interviews" + ("" if method == "post" else "/{interview_id}")
        body = openapi["paths"][path][method]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == document_schema()
    assert "$ref" not in str(document_schema())


def test_documents_the_api_accepts_fit_the_schema() -> None:
    schema = jsonschema_rs.validator_for(document_schema(), validate_formats=True)
    for document in (make_document(), EXAMPLE_DOCUMENT, make_document(
            offer={"outcome": "not_offered", "not_offered_reason": "Moved away"},
            interview=None, actions=[], sharing=[])):
        assert not list(schema.iter_errors(document)), document
    assert validate_document(EXAMPLE_DOCUMENT, complete=True, now=datetime.now(UTC)).ok


@pytest.mark.parametrize("change", [
    {"child__gender": "unknown"}, {"child__nickname": "Tee"}, {"episodes": []},
    {"interview": None}, {"offer__offered_at": None},
    {"interview__push_factors": ["other"]}, {"interview__seraf_score": 100},
    {"actions": [{"type": "other", "at": "2026-03-04T10:00:00Z"}]},
])
def test_what_the_schema_refuses_the_api_refuses(change: dict[str, Any],
                                                 client: TestClient,
                                                 auth: dict[str, str]) -> None:
    document = make_document(**change)
    schema = jsonschema_rs.validator_for(document_schema(), validate_formats=True)

    assert list(schema.iter_errors(document))
    assert client.post("/api/v1/interviews", json=document, headers=auth).status_code == 422


def test_answers_fit_their_schemas(openapi: dict[str, Any], client: TestClient,
                                   auth: dict[str, str]) -> None:
    created = client.post("/api/v1/interviews", json=make_document(), headers=auth).json()
    page = client.get("/api/v1/interviews", headers=auth).json()
    versions = client.get(f"/api/v1/interviews/{created['id']}/versions", headers=auth).json()

    for name, answer in (("InterviewRecord", created), ("InterviewPage", page),
                         ("VersionList", versions)):
        assert not list(validator(openapi, name).iter_errors(answer)), name


@pytest.mark.parametrize("path", ["/api/v1/feed/interviews", "/api/v1/feed/summary"])
def test_feed_answers_that_can_be_not_modified_document_the_304(openapi: dict[str, Any],
                                                                 path: str) -> None:
    responses = openapi["paths"][path]["get"]["responses"]
    assert "304" in responses
    assert "If-None-Match" in openapi["paths"][path]["get"]["description"]
