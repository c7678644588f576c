"""The OpenAPI document describes the API truthfully: bodies, answers, problems, codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

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


# --- links: create, then read, change and list versions -----------------------------------------

OPERATIONS_WITH_LINKS = {
    "createInterview": {"readInterview", "replaceInterview", "listInterviewVersions"},
    "readInterview": {"replaceInterview", "listInterviewVersions"},
    "replaceInterview": {"readInterview", "replaceInterview", "listInterviewVersions"},
    "notifyEpisode": {"readEpisode", "changeEpisode"},
    "readEpisode": {"changeEpisode"},
    "changeEpisode": {"readEpisode", "changeEpisode"},
}


def operations(openapi: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every operation of the JSON API by its id: (method, path, operation)."""
    return {operation["operationId"]: (method, path, operation)
            for path, methods in openapi["paths"].items() if path.startswith("/api/v1/")
            for method, operation in methods.items()}


def resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def links_of(openapi: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(source operation id, status, link name, link) for every link in the document."""
    return [(operation_id, status, name, link)
            for operation_id, (_, _, operation) in operations(openapi).items()
            for status, response in operation["responses"].items()
            for name, link in response.get("links", {}).items()]


def test_create_read_and_change_link_to_the_operations_on_what_they_answer(
        openapi: dict[str, Any]) -> None:
    found: dict[str, set[str]] = {}
    for source, status, name, link in links_of(openapi):
        assert name == link["operationId"]
        found.setdefault(source, set()).add(name)
        if source in ("createInterview", "notifyEpisode"):
            assert status in ("200", "201")
    assert found == OPERATIONS_WITH_LINKS
    for source in ("createInterview", "notifyEpisode"):
        responses = operations(openapi)[source][2]["responses"]
        assert responses["201"]["links"] == responses["200"]["links"]  # a retry links the same


def test_every_link_resolves_against_the_document(openapi: dict[str, Any]) -> None:
    by_id = operations(openapi)
    for source_id, status, name, link in links_of(openapi):
        where = f"{source_id} {status} {name}"
        _, _, source = by_id[source_id]
        _, _, target = by_id[link["operationId"]]
        wanted = {(p["in"], p["name"]) for p in target.get("parameters", [])
                  if p.get("required")}
        given = set()
        for key, expression in link["parameters"].items():
            location, _, parameter = key.rpartition(".")
            match = [p for p in target["parameters"] if p["name"] == parameter
                     and (not location or p["in"] == location)]
            assert len(match) == 1, f"{where}: {key} is not a parameter of the target"
            given.add((match[0]["in"], parameter))
            response = source["responses"][status]
            if expression.startswith("$response.body#/"):
                schema = resolve(openapi, response["content"]["application/json"]["schema"])
                assert expression.removeprefix("$response.body#/") in schema["properties"], where
            elif expression.startswith("$response.header."):
                assert expression.removeprefix("$response.header.") in response["headers"], where
            else:
                assert expression.startswith("$request.path."), where
                assert {"in": "path", "name": expression.removeprefix("$request.path.")} \
                    .items() <= next(p for p in source["parameters"] if p["in"] == "path") \
                    .items(), where
        assert wanted <= given, f"{where}: the link leaves out {wanted - given}"


def _evaluate(expression: str, request_path: dict[str, str], answer: Any) -> str:
    if expression.startswith("$response.body#/"):
        value: str = answer.json()[expression.removeprefix("$response.body#/")]
        return value
    if expression.startswith("$response.header."):
        header: str = answer.headers[expression.removeprefix("$response.header.")]
        return header
    return request_path[expression.removeprefix("$request.path.")]


def _follow(client: TestClient, openapi: dict[str, Any], source_id: str, status: int,
            answer: Any, request_path: dict[str, str], headers: dict[str, str],
            bodies: dict[str, Any]) -> dict[str, Any]:
    """Call every link of `answer` as a stateful run would; each target's answer by its id."""
    by_id = operations(openapi)
    links = by_id[source_id][2]["responses"][str(status)]["links"]
    followed = {}
    for name, link in links.items():
        method, path, _ = by_id[link["operationId"]]
        extra = dict(headers)
        for key, expression in link["parameters"].items():
            location, _, parameter = key.rpartition(".")
            value = _evaluate(expression, request_path, answer)
            if location == "header":
                extra[parameter] = value
            else:
                path = path.replace("{" + parameter + "}", value)
        followed[name] = client.request(method.upper(), path, headers=extra,
                                        json=bodies.get(name))
    return followed


def test_following_the_links_from_a_create_reads_changes_and_lists_it(
        openapi: dict[str, Any], client: TestClient, auth: dict[str, str]) -> None:
    document = make_document()
    created = client.post("/api/v1/interviews", json=document, headers=auth)
    assert created.status_code == 201
    changed = {**document, "offer": {**document["offer"], "offered_at": "2026-03-02T13:00:00Z"}}
    followed = _follow(client, openapi, "createInterview", 201, created, {}, auth,
                       {"replaceInterview": changed})
    assert {name: answer.status_code for name, answer in followed.items()} == {
        "readInterview": 200, "replaceInterview": 200, "listInterviewVersions": 200}
    assert followed["readInterview"].json()["id"] == created.json()["id"]
    # The change's own links carry the new ETag on.
    replaced = followed["replaceInterview"]
    again = _follow(client, openapi, "replaceInterview", 200, replaced,
                    {"interview_id": created.json()["id"]}, auth, {"replaceInterview": document})
    assert {name: answer.status_code for name, answer in again.items()} == {
        "readInterview": 200, "replaceInterview": 200, "listInterviewVersions": 200}


def test_following_the_links_from_a_notification_reads_and_changes_it(
        openapi: dict[str, Any], client: TestClient, db: Session) -> None:
    from uuid import uuid4

    from tests.builders import bearer, make_key

    headers = bearer(make_key(db, "803", scopes=("notify",))[1])
    body = {"id": str(uuid4()), "type": "missing", "started_at": "2026-03-01T18:00:00Z",
            "child": {"responsible_authority": "803", "local_id": "TEST-LINKS-1"}}
    notified = client.post("/api/v1/episodes", json=body, headers=headers)
    assert notified.status_code == 201
    followed = _follow(client, openapi, "notifyEpisode", 201, notified, {}, headers,
                       {"changeEpisode": {"returned_at": "2026-03-02T09:00:00Z"}})
    assert {name: answer.status_code for name, answer in followed.items()} == {
        "readEpisode": 200, "changeEpisode": 200}
    assert followed["changeEpisode"].json()["returned_at"] == "2026-03-02T09:00:00Z"


# --- If-Match, 304, formats ---------------------------------------------------------------------


@pytest.mark.parametrize("operation_id", ["replaceInterview", "changeEpisode"])
def test_if_match_is_declared_required_and_its_absence_is_the_428_problem(
        openapi: dict[str, Any], client: TestClient, db: Session, auth: dict[str, str],
        operation_id: str) -> None:
    from uuid import uuid4

    from tests.builders import bearer, make_key

    _, _, operation = operations(openapi)[operation_id]
    [if_match] = [p for p in operation["parameters"] if p["name"].lower() == "if-match"]
    assert (if_match["in"], if_match["required"]) == ("header", True)
    assert "428" in operation["responses"] and "428" in if_match["description"]

    if operation_id == "replaceInterview":
        document = make_document()
        client.post("/api/v1/interviews", json=document, headers=auth)
        url, method, body, headers = (f"/api/v1/interviews/{document['id']}", "PUT", document,
                                      auth)
    else:
        headers = bearer(make_key(db, "803", scopes=("notify",))[1])
        notified = client.post("/api/v1/episodes", headers=headers, json={
            "id": str(uuid4()), "type": "missing", "started_at": "2026-03-01T18:00:00Z",
            "child": {"responsible_authority": "803", "local_id": "TEST-IF-MATCH"}}).json()
        url, method, body = (f"/api/v1/episodes/{notified['id']}", "PATCH",
                             {"returned_at": "2026-03-02T09:00:00Z"})
    for sent in ({}, {"If-Match": ""}, {"If-Match": "  "}):
        answer = client.request(method, url, json=body, headers={**headers, **sent})
        assert answer.status_code == 428, (sent, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    stale = client.request(method, url, json=body, headers={**headers, "If-Match": '"old"'})
    assert stale.status_code == 412


def test_every_operation_that_can_answer_304_documents_it(openapi: dict[str, Any]) -> None:
    conditional = set()
    for operation_id, (_, path, operation) in operations(openapi).items():
        takes_tag = any(p["name"].lower() == "if-none-match"
                        for p in operation.get("parameters", []))
        assert ("304" in operation["responses"]) == takes_tag, operation_id
        if takes_tag:
            conditional.add(path)
            not_modified = operation["responses"]["304"]
            assert "content" not in not_modified and "ETag" in not_modified["headers"]
            assert "ETag" in operation["responses"]["200"]["headers"]
    assert conditional == {"/api/v1/feed/interviews", "/api/v1/feed/episodes",
                           "/api/v1/feed/summary"}


def test_the_feeds_document_parquet(openapi: dict[str, Any]) -> None:
    for path in ("/api/v1/feed/interviews", "/api/v1/feed/episodes"):
        operation = openapi["paths"][path]["get"]
        assert operation["responses"]["200"]["content"]["application/vnd.apache.parquet"] == {
            "schema": {"type": "string", "format": "binary"}}
        [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
        assert "parquet" in fmt["schema"]["anyOf"][0]["enum"]
        assert "format=parquet" in operation["description"]


MOMENT_NAMES = ("updated_since", "returned_from", "returned_to")


def _strings(node: Any, trail: tuple[str, ...] = ()) -> Any:
    """Every (trail, schema) of a string schema in the document, with the names above it."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            yield trail, node
        for key, value in node.items():
            yield from _strings(value, (*trail, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, trail)


def test_timestamps_and_dates_are_typed_everywhere(openapi: dict[str, Any]) -> None:
    """A moment is `date-time` where the server always writes it with an offset (answers) and a
    pattern saying it may leave the offset out where the server takes UK local time (what is
    sent); a date is `date`. Never a plain string."""
    api = {"paths": {p: v for p, v in openapi["paths"].items() if p.startswith("/api/v1/")},
           "components": openapi["components"]}
    moments = dates = 0
    for trail, schema in _strings(api):
        name = trail[-1] if trail and trail[-1] not in ("schema", "items") else trail[-2]
        if name.endswith("_at") or name == "date_of_birth":
            if "then" in trail or "else" in trail:
                continue  # a condition's `type: string` only: the property's own schema is typed
            if name == "date_of_birth":
                assert schema.get("format") == "date", trail
                dates += 1
                continue
            moments += 1
            if "responses" in trail or "components" in trail:
                assert schema.get("format") == "date-time", trail
            else:
                assert "pattern" in schema or schema.get("format") == "date-time", trail
                assert "format" not in schema, f"{trail}: the server takes local times"
    assert moments >= 25 and dates >= 2
    by_id = operations(openapi)
    for operation_id in ("listInterviews", "listEpisodes"):
        [since] = [p for p in by_id[operation_id][2]["parameters"]
                   if p["name"] == "updated_since"]
        assert "pattern" in since["schema"] and "Europe/London" in since["description"]
    for path in ("/api/v1/feed/interviews", "/api/v1/feed/episodes"):
        for parameter in openapi["paths"][path]["get"]["parameters"]:
            if parameter["name"] in MOMENT_NAMES:
                assert "pattern" in parameter["schema"], parameter
                assert "UK local time" in parameter["description"], parameter
    for parameter in openapi["paths"]["/api/v1/feed/summary"]["get"]["parameters"]:
        if parameter["name"] in ("from", "to"):
            assert parameter["schema"]["format"] == "date"


FILTER_VALUES = {
    "2026-07-01": True, "2026-07-01T10:00": True, "2026-07-01T10:00:00Z": True,
    "2026-07-01T10:00:00.123456+01:00": True, "2026-07-01T10:00:00.123456789Z": True,
    "2026-07-01 10:00": False, "01/07/2026": False, "2026-07-01T10": False,
    " 2026-07-01": False, "2026-07-01Z": False, "٢٠٢٦-07-01": False,
}


@pytest.mark.parametrize("path", ["/api/v1/feed/interviews", "/api/v1/feed/episodes"])
def test_what_the_feed_filters_schema_takes_the_server_takes(
        openapi: dict[str, Any], client: TestClient, db: Session, path: str) -> None:
    from tests.builders import bearer, make_key

    headers = bearer(make_key(db, "803", scopes=("feed",))[1])
    [parameter] = [p for p in openapi["paths"][path]["get"]["parameters"]
                   if p["name"] == "updated_since"]
    schema = jsonschema_rs.validator_for(parameter["schema"], validate_formats=True)
    for value, valid in FILTER_VALUES.items():
        assert schema.is_valid(value) is valid, value
        answer = client.get(path, params={"updated_since": value}, headers=headers)
        assert answer.status_code == (200 if valid else 422), (value, answer.text)


def test_a_local_time_the_notification_schema_allows_is_accepted(
        openapi: dict[str, Any], client: TestClient, db: Session) -> None:
    from uuid import uuid4

    from tests.builders import bearer, make_key

    body = {"id": str(uuid4()), "type": "missing", "started_at": "2026-03-01T18:30",
            "child": {"responsible_authority": "803", "local_id": "TEST-LOCAL-TIME"}}
    schema = openapi["paths"]["/api/v1/episodes"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(body)
    answer = client.post("/api/v1/episodes", json=body,
                         headers=bearer(make_key(db, "803", scopes=("notify",))[1]))
    assert answer.status_code == 201, answer.text
    assert answer.json()["started_at"] == "2026-03-01T18:30:00Z"  # March: GMT


NEW_GROUPINGS = ("decline_reason_given", "push_factor", "pull_factor", "risk_indicator",
                 "found_district", "location_district", "time_of_day", "day_of_week",
                 "repeat_missing", "action_type", "action_status")


def test_the_summary_lists_every_grouping_and_table_it_takes(
        openapi: dict[str, Any], client: TestClient, db: Session) -> None:
    from app.feed import summary, summary_tables
    from tests.builders import bearer, make_key

    parameters = {p["name"]: p for p in
                  openapi["paths"]["/api/v1/feed/summary"]["get"]["parameters"]}
    group_by = parameters["group_by"]
    # A comma-separated list (`group_by=quarter,responsible_authority`) of known names.
    assert (group_by["in"], group_by["style"], group_by["explode"]) == ("query", "form", False)
    assert group_by["schema"]["type"] == "array" and group_by["schema"]["uniqueItems"]
    names = group_by["schema"]["items"]["enum"]
    assert names == [*summary.GROUPINGS, *summary_tables.EPISODE_GROUPINGS,
                     *summary_tables.ACTION_GROUPINGS]
    assert set(NEW_GROUPINGS) < set(names)
    assert parameters["table"]["schema"]["enum"] == [
        "groups", "coverage", "episode_groups", "episode_totals", "action_groups",
        "action_totals"]
    assert parameters["stage_delays"]["schema"]["type"] == "boolean"

    headers = bearer(make_key(db, "803", scopes=("feed",))[1])
    for name in names:  # each value the document lists, the server takes
        answer = client.get("/api/v1/feed/summary", params={"group_by": name}, headers=headers)
        assert answer.status_code == 200, (name, answer.text)
    answer = client.get("/api/v1/feed/summary", params={"group_by": "hour_of_day"},
                        headers=headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/query/group_by"
