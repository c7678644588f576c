"""The JSON API's shapes, for the OpenAPI document only.

Requests are checked by `app.record.validation`, the one source of truth; these models only
describe, truthfully, what it accepts and what the API answers. They mirror
`data-dictionary.md`, take their code lists from `app.record.codes` (a code added there appears
here too), and a test holds their fields to the document's. What JSON Schema cannot
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
from app.record.fields import CLOCK_SKEW, MAX_ITEMS

TIMESTAMP_PATTERN: Final = (
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"
)
# Control characters cannot be stored; tab and line breaks can.
_TEXT_CHARS: Final = r"[^\x00-\x08\x0B\x0C\x0E-\x1F]"
OPTIONAL_TEXT_PATTERN: Final = rf"^{_TEXT_CHARS}*$"
# Text is trimmed and empty text is absent, so a required text needs a visible character.
REQUIRED_TEXT_PATTERN: Final = rf"^{_TEXT_CHARS}*[^\x00-\x20]{_TEXT_CHARS}*$"


def code_enum(values: Mapping[str, str]) -> WithJsonSchema:
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
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"no_case_id": {"const": True}}, "required": ["no_case_id"]},
        "then": {"not": {"required": ["local_id"]}},
        "else": {"required": ["local_id"]},
    })

    local_id: Annotated[str | None, _text(64, required=True), Field(
        description="Required unless `no_case_id` is true; then the service gives the child "
                    "a provisional id, `prov-` and 12 hex digits")] = None
    given_name: Annotated[str, _text(100, required=True)]
    family_name: Annotated[str, _text(100, required=True)]
    date_of_birth: Annotated[Date, Field(description="In the past; the child must be under 18 "
                                         "at the start of the first episode (25 for a care "
                                         "leaver)")]
    gender: Annotated[str, code_enum(codes.GENDER)]
    ethnicity: Annotated[str, code_enum(codes.ETHNICITY)] | None = None
    legal_status: Annotated[str, code_enum(codes.LEGAL_STATUS)]
    responsible_authority: OrgCode
    placement_authority: OrgCode | None = None
    no_case_id: Annotated[bool | None, Field(
        description="The child has no case id with children's services")] = None
    uasc: Annotated[bool | None, Field(
        description="An unaccompanied asylum-seeking child")] = None
    disability_or_send: Annotated[str, code_enum(codes.DISABILITY_OR_SEND)] | None = None
    placement_type: Annotated[str, code_enum(codes.PLACEMENT_TYPE)] | None = None


class Episode(_Shape):
    type: Annotated[str, code_enum(codes.EPISODE_TYPE)]
    started_at: Timestamp
    returned_at: Annotated[Timestamp | None, Field(
        description="After `started_at`; absent while the child is still missing. A child's "
                    "episodes (in this and other records) must not overlap, and only one may "
                    "be open")] = None
    reported_to_police: bool
    police_reference: Annotated[str, _text(50)] | None = None
    police_risk_grade: Annotated[str, code_enum(codes.POLICE_RISK_GRADE)] | None = None
    found_location: Annotated[str, _text(500)] | None = None
    found_postcode: Postcode | None = None
    brought_back_by: Annotated[str, code_enum(codes.BROUGHT_BACK_BY)] | None = None
    prevention_interview_at: Annotated[Timestamp | None, Field(
        description="When the police prevention (safe and well) interview took place; it is "
                    "never the return interview")] = None


class Attempt(_Shape):
    at: Timestamp
    method: Annotated[str, code_enum(codes.ATTEMPT_METHOD)]
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

    outcome: Annotated[str, code_enum(codes.OFFER_OUTCOME)]
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
        {"if": {"properties": {"shared_against_wishes": {"const": True}},
                "required": ["shared_against_wishes"]},
         "then": {"required": ["shared_against_wishes_reason"],
                  "properties": {"shared_against_wishes_reason": {
                      "type": "string", "pattern": REQUIRED_TEXT_PATTERN}}}},
    ]})

    conducted_at: Annotated[Timestamp | None, Field(
        description="Required when the outcome is `completed`; after the latest return")] = None
    mode: Annotated[str, code_enum(codes.MODE)] | None = Field(
        None, description="Required when the outcome is `completed`")
    location_type: Annotated[str, code_enum(codes.LOCATION_TYPE)] | None = None
    interviewer_name: Annotated[str, _text(200)] | None = None
    interviewer_role: Annotated[str, code_enum(codes.INTERVIEWER_ROLE)] | None = Field(
        None, description="Required when the outcome is `completed`")
    interviewer_relationship: Annotated[str, code_enum(codes.INTERVIEWER_RELATIONSHIP)] | None \
        = Field(None, description="With the role, decides independence from set 2027.1")
    interviewer_independent: Annotated[bool | None, Field(
        description="Self-declared; read by set 2026.1 only")] = None
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
    harm_disclosed: Annotated[str, code_enum(codes.HARM_DISCLOSED)] | None = None
    risk_indicators: Annotated[list[str], _code_list(codes.RISK_INDICATORS)] | None = None
    locations: Annotated[list[Location], Field(max_length=MAX_ITEMS)] | None = None
    child_account: Text | None = None
    child_wishes: Text | None = None
    read_back_to_child: bool | None = None
    information_sharing_explained: bool | None = None
    consent_to_share: Annotated[str | None, code_enum(codes.CONSENT_TO_SHARE), Field(
        description="Deprecated: record `views_on_sharing` and `lawful_basis` instead")] = None
    seraf_score: Annotated[int, Field(ge=0, le=99)] | None = None
    feelings_now: Text | None = None
    afraid_of_anyone: Annotated[str, code_enum(codes.AFRAID_OF_ANYONE)] | None = None
    health_needs: Text | None = None
    safety_information_given: bool | None = None
    carer_view: Text | None = None
    education: Text | None = None
    views_on_sharing: Annotated[str, code_enum(codes.VIEWS_ON_SHARING)] | None = None
    lawful_basis: Annotated[str, code_enum(codes.LAWFUL_BASIS)] | None = None
    shared_against_wishes: bool | None = None
    shared_against_wishes_reason: Annotated[Text | None, Field(
        description="Required when `shared_against_wishes` is true")] = None
    child_told_of_sharing: bool | None = None


def _status_is(*statuses: str) -> dict[str, Any]:
    return {"properties": {"status": {"enum": list(statuses)}}, "required": ["status"]}


class Action(_Shape):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"type": {"const": "other"}}},
         "then": {"required": ["notes"],
                  "properties": {"notes": {"type": "string",
                                           "pattern": REQUIRED_TEXT_PATTERN}}}},
        {"if": _status_is("planned", "not_done"), "then": {"not": {"required": ["at"]}},
         "else": {"required": ["at"]}},
        {"if": _status_is("planned"), "then": {"required": ["due_at"]}},
        {"if": _status_is("not_done"),
         "then": {"required": ["outcome"],
                  "properties": {"outcome": {"type": "string",
                                             "pattern": REQUIRED_TEXT_PATTERN}}}},
    ]})

    type: Annotated[str, code_enum(codes.ACTION_TYPE)]
    at: Annotated[Timestamp | None, Field(
        description="When it was done: required unless the status is `planned` or `not_done`, "
                    "and refused then")] = None
    notes: Annotated[Text | None, Field(description="Required when the type is `other`")] = None
    owner: Annotated[str, _text(200)] | None = None
    agency: Annotated[str, _text(200)] | None = None
    due_at: Annotated[Timestamp | None, Field(
        description="When it is due; required when `planned`; may be in the future")] = None
    status: Annotated[str | None, code_enum(codes.ACTION_STATUS), Field(
        description="Absent means done at `at` (as before set 2027.1)")] = None
    outcome: Annotated[Text | None, Field(
        description="What came of it; required when `not_done` (why not)")] = None


class Sharing(_Shape):
    with_: Annotated[str, code_enum(codes.SHARING_WITH), Field(alias="with")]
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
