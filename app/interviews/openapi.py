"""The rest of the interviews API's OpenAPI document: answers, problems, headers and the example.

The interview document's own shape is `schemas.py`; these describe what the routes answer, so
that the document is true of every status they can give.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.interviews.schemas import (
    TIMESTAMP_PATTERN,
    code_enum,
    document_schema,
    stored_document_schema,
)
from app.record.fields import ERROR_CODES
from app.record.models import STATUSES
from app.standards import Result

# Codes the API adds to those of validation (`app.record.fields.ERROR_CODES`).
API_ERROR_CODES: Final = {
    "invalid_cursor": "The cursor is not one this API made; start again without it",
}

def _as_utc(schema: Any) -> Any:
    """A stored part's schema with its moments as `date-time`: what is sent may leave the
    offset out (a pattern), but stored, every moment is UTC with `Z`."""
    if isinstance(schema, list):
        return [_as_utc(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("pattern") == TIMESTAMP_PATTERN:
        kept = {k: v for k, v in schema.items() if k not in ("pattern", "description",
                                                             "examples")}
        return {**kept, "format": "date-time", "description": "UTC, with `Z`",
                "examples": ["2026-03-01T18:30:00Z"]}
    return {key: _as_utc(value) for key, value in schema.items()}


def _stored(part: str) -> WithJsonSchema:
    return WithJsonSchema(_as_utc(stored_document_schema()["properties"][part]))


EXAMPLE_DOCUMENT: Final = {
    "id": "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f",
    "child": {"local_id": "TEST-0001", "given_name": "Test", "family_name": "Child",
              "date_of_birth": "2011-05-04", "gender": "female", "legal_status": "looked_after",
              "responsible_authority": "803", "placement_authority": "803"},
    "episodes": [{"type": "missing", "started_at": "2026-01-10T18:00:00Z",
                  "returned_at": "2026-01-11T09:30:00Z", "reported_to_police": True,
                  "police_risk_grade": "medium", "found_postcode": "BS16 1QY"}],
    "offer": {"outcome": "completed", "offered_at": "2026-01-11T15:00:00Z"},
    "interview": {"conducted_at": "2026-01-12T16:00:00Z", "mode": "in_person",
                  "interviewer_role": "independent_rhi_worker", "interviewer_independent": True,
                  "push_factors": ["placement_unhappy"], "pull_factors": ["family_or_friends"],
                  "risk_indicators": [], "child_account": "Stayed with a friend.",
                  "information_sharing_explained": True},
    "actions": [{"type": "follow_up_support", "at": "2026-01-13T10:00:00Z"}],
    "sharing": [{"with": "social_worker", "at": "2026-01-12T17:00:00Z"}],
}


# --- answers -----------------------------------------------------------------------------------


UtcTimestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                              "examples": ["2026-01-12T16:05:00Z"]})]
# A moment the API is sent, which may leave out the offset (then it is Europe/London local
# time): JSON Schema's `date-time` requires one, so this is a pattern, the interview
# document's own (`schemas.TIMESTAMP_PATTERN`).
LOCAL_TIMESTAMP: Final = WithJsonSchema({
    "type": "string", "maxLength": 40, "pattern": TIMESTAMP_PATTERN,
    "description": "ISO 8601 date and time; without an offset it is Europe/London local time",
    "examples": ["2026-03-01T18:30:00Z", "2026-03-01T18:30"]})


class Finding(BaseModel):
    """One practice standard checked against the record (`practice-standards.md`)."""

    code: str
    set_version: str
    result: Annotated[str, WithJsonSchema({"type": "string", "enum": [r.value for r in Result]})]
    due_at: UtcTimestamp | None
    evidence_at: UtcTimestamp | None
    detail: str


class InterviewRecord(BaseModel):
    """A stored record: the interview document, its metadata and its findings."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
    child: Annotated[dict[str, Any], _stored("child")]
    episodes: Annotated[list[dict[str, Any]], _stored("episodes")]
    offer: Annotated[dict[str, Any], _stored("offer")]
    interview: Annotated[dict[str, Any], _stored("interview")] | None = None
    actions: Annotated[list[dict[str, Any]], _stored("actions")] | None = None
    sharing: Annotated[list[dict[str, Any]], _stored("sharing")] | None = None
    status: Annotated[str, code_enum(dict.fromkeys(STATUSES, ""))]
    version: Annotated[int, Field(ge=0, description="0 for a draft never submitted; 1 on first "
                                  "submission, +1 on every accepted change")]
    recorded_by_org: str
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    submitted_at: UtcTimestamp | None
    approved_at: UtcTimestamp | None
    standards: list[Finding]


class InterviewPage(BaseModel):
    """One page of records, oldest change first; follow `next` until it is null."""

    data: list[InterviewRecord]
    next: Annotated[str | None, Field(description="The URL of the next page, or null on the "
                                      "last page")]


class VersionSummary(BaseModel):
    version: int
    updated_at: UtcTimestamp
    status: Annotated[str, code_enum(dict.fromkeys(STATUSES, ""))]
    changed_by: Annotated[str, Field(description="`key:<key id>` or `user:<user id>`")]
    changed_pointers: Annotated[list[str], Field(
        description="JSON Pointers of every value that changed from the previous version")]


class VersionList(BaseModel):
    data: list[VersionSummary]


# --- problems ----------------------------------------------------------------------------------


def _code_table() -> str:
    rows = {**ERROR_CODES, **API_ERROR_CODES}
    return "\n".join(f"- `{code}`: {meaning}" for code, meaning in rows.items())


def problem_schema(*, with_codes: bool = False) -> dict[str, Any]:
    """An RFC 9457 problem document; a 422 lists what is wrong, field by field."""
    code: dict[str, Any] = {"type": "string", "description": "Stable; see the problem's "
                            "description for the codes and their meanings"}
    error = {"type": "object", "required": ["pointer", "code", "message"], "properties": {
        "pointer": {"type": "string", "description": "A JSON Pointer into the request body; "
                    "`/query/<name>` or `/path/<name>` for a parameter"},
        "code": code,
        "message": {"type": "string", "description": "What to do, in plain words"},
    }}
    schema: dict[str, Any] = {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string", "examples": ["/problems/validation"]},
                       "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"},
                       "errors": {"type": "array", "items": error}},
    }
    if with_codes:
        schema["description"] = ("Validation codes (a query or path parameter may also get a "
                                 "code of the framework's, such as `uuid_parsing`):\n\n"
                                 + _code_table())
    return schema


PROBLEMS: Final = {
    400: "The body is not JSON (`/problems/malformed-json`, with the position), or the cursor "
         "is not valid (`/problems/invalid-cursor`)",
    401: "The API key is missing, unknown, expired or revoked",
    403: "The API key does not have the `submit` scope",
    404: "No record with this id is visible to your organisation",
    409: "A record with this id exists with different content: change it with PUT",
    412: "`If-Match` does not name the current version: read the record again",
    413: "The body is over 1 MiB",
    415: "The body is not `application/json`",
    422: "The request is not valid: `errors` says what, field by field",
    428: "Send `If-Match` with the `ETag` you read",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problems a route can answer."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": PROBLEMS[status],
            "content": {"application/problem+json": {
                "schema": problem_schema(with_codes=status == 422)}},
        }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {
                "description": "`Bearer realm=\"rhi\"`", "schema": {"type": "string"}}}
        responses[status] = response
    return responses


ETAG_HEADER: Final = {"ETag": {"description": "The version's tag, for `If-Match`",
                               "required": True, "schema": {"type": "string"}}}
LOCATION_HEADER: Final = {"Location": {"description": "The record's URL", "required": True,
                                       "schema": {"type": "string"}}}


def json_body(description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads an interview document itself."""
    return {"requestBody": {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": document_schema(),
                                         "example": EXAMPLE_DOCUMENT}},
    }}


# --- preconditions and links -------------------------------------------------------------------


IF_MATCH: Final = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The `ETag` of the version you read (its read, its creation or your last "
                   "change answered it). Without it the answer is 428, a problem, and nothing "
                   "changes; a tag that is no longer the current version's answers 412.",
    "schema": {"type": "string", "minLength": 1,
               "examples": ['"3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f-v2-4be1f0a3c9d2"']},
}


def with_if_match(extra: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` of a change: its own (the body), and `If-Match` declared required.

    The route reads the header itself (`api.required_if_match`, left out of the generated
    document), so that a missing one answers the 428 problem, not the framework's 422.
    """
    return {**extra, "parameters": [IF_MATCH]}


def links(item: str, read: str, change: str, *, path_name: str, from_request: bool = False,
          more: dict[str, str] | None = None) -> dict[str, Any]:
    """OpenAPI links from an answer holding `item` to the operations on it: read it, change it
    with `If-Match` from the answer's `ETag`, and `more` (operation id: what it does) that take
    its id alone. From an answer about the URL's own item (`from_request`) the id is the
    request's; else the body's `id` (a create's answer)."""
    source = f"$request.path.{path_name}" if from_request else "$response.body#/id"
    out: dict[str, Any] = {
        read: {"operationId": read, "parameters": {path_name: source},
               "description": f"Read the {item}"},
        change: {"operationId": change,
                 "parameters": {path_name: source, "header.If-Match": "$response.header.ETag"},
                 "description": f"Change the {item}, naming the version this answer gave "
                                "(`If-Match` from its `ETag`)"},
    }
    for operation, description in (more or {}).items():
        out[operation] = {"operationId": operation, "parameters": {path_name: source},
                          "description": description}
    return out


def record_links(*, from_request: bool = False) -> dict[str, Any]:
    """From an answer holding a record: read it, change it, list its versions."""
    return links("record", "readInterview", "replaceInterview", path_name="interview_id",
                 from_request=from_request,
                 more={"listInterviewVersions": "List the record's versions"})
