"""The JSON API's shapes, for the OpenAPI document only.

Requests are checked by `validation.py`, the one source of truth; these models only describe,
truthfully, what it accepts and what the API answers. They mirror `data-dictionary.md` and take
their code lists from `codes.py`, so a code added there appears here too. What JSON Schema cannot
say (dates in order, overlapping episodes, organisations that exist) is in the descriptions and
comes back as a 422 problem.

The request schema is inlined whole (no `$ref`s): FastAPI registers components only for models
it validates or answers with, and the body is parsed by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.record import codes
from app.record.models import STATUSES
from app.record.validation import CLOCK_SKEW, ERROR_CODES, MAX_ITEMS
from app.standards import Result

# Codes the API adds to those of `validation.py`.
API_ERROR_CODES: Final = {
    "invalid_cursor": "The cursor is not one this API made; start again without it",
}

TIMESTAMP_PATTERN: Final = (
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"
)
# Control characters cannot be stored; tab and line breaks can.
_TEXT_CHARS: Final = r"[^\x00-\x08\x0B\x0C\x0E-\x1F]"
OPTIONAL_TEXT_PATTERN: Final = rf"^{_TEXT_CHARS}*$"
# Text is trimmed and empty text is absent, so a required text needs a visible character.
REQUIRED_TEXT_PATTERN: Final = rf"^{_TEXT_CHARS}*[^\x00-\x20]{_TEXT_CHARS}*$"


def _enum(values: Mapping[str, str]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values)})


def _text(max_length: int = 10_000, *, required: bool = False) -> WithJsonSchema:
    return WithJsonSchema({
        "type": "string", "maxLength": max_length,
        "pattern": REQUIRED_TEXT_PATTERN if required else OPTIONAL_TEXT_PATTERN,
    })


Timestamp = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": TIMESTAMP_PATTERN,
    "description": "ISO 8601 date and time. Without an offset it is Europe/London local time. "
                   f"Not more than {int(CLOCK_SKEW.total_seconds() // 60)} minutes in the future.",
    "examples": ["2026-03-01T18:30:00Z", "2026-03-01T18:30"],
})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date",
                                      "examples": ["2012-03-27"]})]
OrgCode = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    "description": "The code of an organisation known to the service (`803`, `avon-police`)",
})]
Postcode = Annotated[str, WithJsonSchema({
    "type": "string", "maxLength": 16,
    "pattern": r"^([A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}|[Gg][Ii][Rr] ?0[Aa]{2})$",
    "description": "A full UK postcode; stored normalised (`bs161qy` becomes `BS16 1QY`)",
})]
Text = Annotated[str, _text()]


def _code_list(values: Mapping[str, str]) -> WithJsonSchema:
    return WithJsonSchema({"type": "array", "items": {"type": "string", "enum": list(values)},
                           "maxItems": len(values), "uniqueItems": True})


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Child(_Shape):
    local_id: Annotated[str, _text(64, required=True)]
    given_name: Annotated[str, _text(100, required=True)]
    family_name: Annotated[str, _text(100, required=True)]
    date_of_birth: Annotated[Date, Field(description="In the past; the child must be under 18 "
                                         "at the start of the first episode (25 for a care "
                                         "leaver)")]
    gender: Annotated[str, _enum(codes.GENDER)]
    ethnicity: Annotated[str, _enum(codes.ETHNICITY)] | None = None
    legal_status: Annotated[str, _enum(codes.LEGAL_STATUS)]
    responsible_authority: OrgCode
    placement_authority: OrgCode | None = None


class Episode(_Shape):
    type: Annotated[str, _enum(codes.EPISODE_TYPE)]
    started_at: Timestamp
    returned_at: Annotated[Timestamp | None, Field(
        description="After `started_at`; absent while the child is still missing. A child's "
                    "episodes (in this and other records) must not overlap, and only one may "
                    "be open")] = None
    reported_to_police: bool
    police_reference: Annotated[str, _text(50)] | None = None
    police_risk_grade: Annotated[str, _enum(codes.POLICE_RISK_GRADE)] | None = None
    found_location: Annotated[str, _text(500)] | None = None
    found_postcode: Postcode | None = None


class Attempt(_Shape):
    at: Timestamp
    method: Annotated[str, _enum(codes.ATTEMPT_METHOD)]
    result: Text | None = None


class Offer(_Shape):
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"outcome": {"const": "not_offered"}}},
        "then": {"required": ["not_offered_reason"],
                 "properties": {"not_offered_reason": {"type": "string",
                                                       "pattern": REQUIRED_TEXT_PATTERN}}},
        "else": {"required": ["offered_at"],
                 "properties": {"offered_at": {"type": "string"}}},
    })

    outcome: Annotated[str, _enum(codes.OFFER_OUTCOME)]
    offered_at: Annotated[Timestamp | None, Field(
        description="Required unless the outcome is `not_offered`")] = None
    not_offered_reason: Annotated[Text | None, Field(
        description="Required when the outcome is `not_offered`")] = None
    decline_reason: Text | None = None
    attempts: Annotated[list[Attempt], Field(max_length=MAX_ITEMS)] | None = None
    carer_information: Text | None = None


class Location(_Shape):
    description: Annotated[str, _text(required=True)]
    postcode: Postcode | None = None


def _other_needs_text(factors: str) -> dict[str, Any]:
    return {"if": {"properties": {factors: {"type": "array", "contains": {"const": "other"}}},
                   "required": [factors]},
            "then": {"required": [f"{factors}_other"],
                     "properties": {f"{factors}_other": {"type": "string",
                                                         "pattern": REQUIRED_TEXT_PATTERN}}}}


def _none_identified_alone(factors: str) -> dict[str, Any]:
    return {"if": {"properties": {factors: {"type": "array",
                                            "contains": {"const": "none_identified"}}},
                   "required": [factors]},
            "then": {"properties": {factors: {"maxItems": 1}}}}


class InterviewContent(_Shape):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        _other_needs_text("push_factors"), _other_needs_text("pull_factors"),
        _none_identified_alone("push_factors"), _none_identified_alone("pull_factors"),
    ]})

    conducted_at: Annotated[Timestamp | None, Field(
        description="Required when the outcome is `completed`; after the latest return")] = None
    mode: Annotated[str, _enum(codes.MODE)] | None = Field(
        None, description="Required when the outcome is `completed`")
    location_type: Annotated[str, _enum(codes.LOCATION_TYPE)] | None = None
    interviewer_name: Annotated[str, _text(200)] | None = None
    interviewer_role: Annotated[str, _enum(codes.INTERVIEWER_ROLE)] | None = Field(
        None, description="Required when the outcome is `completed`")
    interviewer_independent: bool | None = None
    interviewer_trained: bool | None = None
    child_chose_interviewer: bool | None = None
    push_factors: Annotated[list[str], _code_list(codes.PUSH_FACTORS)] | None = Field(
        None, description="`[\"none_identified\"]` when none; `other` needs "
                          "`push_factors_other`")
    pull_factors: Annotated[list[str], _code_list(codes.PULL_FACTORS)] | None = Field(
        None, description="`[\"none_identified\"]` when none; `other` needs "
                          "`pull_factors_other`")
    push_factors_other: Text | None = None
    pull_factors_other: Text | None = None
    where_stayed: Text | None = None
    with_whom: Text | None = None
    travel: Text | None = None
    harm_disclosed: Annotated[str, _enum(codes.HARM_DISCLOSED)] | None = None
    risk_indicators: Annotated[list[str], _code_list(codes.RISK_INDICATORS)] | None = None
    locations: Annotated[list[Location], Field(max_length=MAX_ITEMS)] | None = None
    child_account: Text | None = None
    child_wishes: Text | None = None
    read_back_to_child: bool | None = None
    information_sharing_explained: bool | None = None
    consent_to_share: Annotated[str, _enum(codes.CONSENT_TO_SHARE)] | None = None
    seraf_score: Annotated[int, Field(ge=0, le=99)] | None = None


class Action(_Shape):
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"type": {"const": "other"}}},
        "then": {"required": ["notes"],
                 "properties": {"notes": {"type": "string", "pattern": REQUIRED_TEXT_PATTERN}}},
    })

    type: Annotated[str, _enum(codes.ACTION_TYPE)]
    at: Timestamp
    notes: Annotated[Text | None, Field(description="Required when the type is `other`")] = None


class Sharing(_Shape):
    with_: Annotated[str, _enum(codes.SHARING_WITH), Field(alias="with")]
    at: Timestamp


class InterviewDocument(_Shape):
    """A complete interview document: the body of POST and PUT."""

    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"offer": {"properties": {"outcome": {"const": "completed"}},
                                        "required": ["outcome"]}},
               "required": ["offer"]},
        "then": {"required": ["interview"],
                 "properties": {"interview": {
                     "type": "object",
                     "required": ["conducted_at", "mode", "interviewer_role"],
                     "properties": {"conducted_at": {"type": "string"},
                                    "mode": {"type": "string"},
                                    "interviewer_role": {"type": "string"}}}}},
    })

    id: Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"}), Field(
        description="Made by the client when the interview is started; sending the same id "
                    "again is a safe retry")]
    child: Child
    episodes: Annotated[list[Episode], Field(min_length=1, max_length=50)]
    offer: Offer
    interview: Annotated[InterviewContent | None, Field(
        description="Required when the outcome is `completed`")] = None
    actions: Annotated[list[Action], Field(max_length=MAX_ITEMS)] | None = None
    sharing: Annotated[list[Sharing], Field(max_length=MAX_ITEMS)] | None = None


# --- JSON Schema plumbing ---------------------------------------------------------------------


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """The schema with every `#/$defs/...` reference replaced by its definition, and without
    pydantic's `default: null` (absent is absent) and generated titles."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            merged = {**_inline(defs[ref.removeprefix("#/$defs/")], defs),
                      **{k: _inline(v, defs) for k, v in node.items() if k != "$ref"}}
            return merged
        return {k: _inline(v, defs) for k, v in node.items()
                if k not in ("$defs", "default", "title") or isinstance(v, dict)}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_CONDITIONS: Final = ("if", "then", "else", "allOf")


def _as_stored(node: Any) -> Any:
    """A stored document's schema: as a request's, but nothing required (drafts and returned
    records may be incomplete), no `null`s (absent values are left out)."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            base = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
            node = {**base, **rest[0]} if len(rest) == 1 else {**base, "anyOf": rest}
        return {k: _as_stored(v) for k, v in node.items()
                if k not in ("required", "minItems", "default", *_CONDITIONS)
                and not (k == "pattern" and v == REQUIRED_TEXT_PATTERN)}
    if isinstance(node, list):
        return [_as_stored(v) for v in node]
    return node


@cache
def _document_schema() -> dict[str, Any]:
    raw = InterviewDocument.model_json_schema(by_alias=True)
    inlined: dict[str, Any] = _inline(raw, raw.get("$defs", {}))
    return {"title": "InterviewDocument", **inlined}


def document_schema() -> dict[str, Any]:
    """The request body's JSON Schema, inlined."""
    return copy.deepcopy(_document_schema())


def stored_document_schema() -> dict[str, Any]:
    """The document part of a stored record: what `document_to_json` writes."""
    stored: dict[str, Any] = _as_stored(_document_schema())
    stored["description"] = ("The interview document as stored: trimmed, postcodes normalised, "
                             "timestamps in UTC with `Z`, absent values left out")
    return stored


def _stored(part: str) -> WithJsonSchema:
    return WithJsonSchema(stored_document_schema()["properties"][part])


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
    status: Annotated[str, _enum(dict.fromkeys(STATUSES, ""))]
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
    status: Annotated[str, _enum(dict.fromkeys(STATUSES, ""))]
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
