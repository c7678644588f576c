"""The episode register API's OpenAPI document: the notification partner systems send and the
episode the API answers (`docs/episodes.md`)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.interviews.openapi import Finding, UtcTimestamp, links
from app.interviews.schemas import TIMESTAMP_PATTERN, code_enum
from app.record import codes
from app.record.models import EPISODE_STATES, REPORTED_BY

# Sent times may leave out the offset (Europe/London local time, as the interview document's):
# JSON Schema's `date-time` requires one, so these are the document's pattern, not the format.
_TIMESTAMP: Final = {"type": ["string", "null"], "pattern": TIMESTAMP_PATTERN, "maxLength": 40,
                     "description": "ISO 8601 date and time; without an offset it is "
                                    "Europe/London local time"}
_ORG: Final = {"type": "string", "maxLength": 64, "examples": ["803"]}


def _codes(table: dict[str, str], nullable: bool = True) -> dict[str, Any]:
    values: list[Any] = list(table)
    return {"type": ["string", "null"] if nullable else "string",
            "enum": [*values, None] if nullable else values}


def _changeable() -> dict[str, Any]:
    return {
        "type": _codes(codes.EPISODE_TYPE, nullable=False),
        "found_at": {**_TIMESTAMP, "description": "Found, or seen by a responsible adult"},
        "returned_at": {**_TIMESTAMP, "description": "Back at home or placement"},
        "reported_by": _codes(REPORTED_BY),
        "police_reference": {"type": ["string", "null"], "maxLength": 50},
        "police_risk_grade": _codes(codes.POLICE_RISK_GRADE),
        "notified_at": {**_TIMESTAMP, "description": "When the return service was told; the "
                        "time received when left out"},
    }


def notification_schema() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "required": ["id", "child", "type", "started_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid",
                   "description": "Made by your system, so a retry is safe"},
            "child": {
                "type": "object", "additionalProperties": False,
                "required": ["responsible_authority", "local_id"],
                "properties": {
                    "responsible_authority": _ORG,
                    "local_id": {"type": "string", "maxLength": 64,
                                 "description": "The responsible authority's case id"},
                    "date_of_birth": {"type": ["string", "null"], "format": "date"},
                    "legal_status": _codes(codes.LEGAL_STATUS),
                    "placement_authority": {**_ORG, "type": ["string", "null"]},
                },
            },
            "started_at": {**_TIMESTAMP, "type": "string",
                           "description": "When the child went missing: ISO 8601 date and "
                                          "time; without an offset it is Europe/London local "
                                          "time"},
            **_changeable(),
        },
    }


def change_schema() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": _changeable()}


EXAMPLE: Final = {
    "id": "6a0f4a52-3b7e-4c59-8d1e-0b8f5f0e2c11",
    "child": {"responsible_authority": "803", "local_id": "TEST-0001",
              "date_of_birth": "2011-05-04", "legal_status": "looked_after"},
    "type": "missing", "started_at": "2026-01-10T18:00:00Z", "reported_by": "police",
    "police_reference": "TEST-MP-0001", "police_risk_grade": "medium",
}


def body(schema: dict[str, Any], example: dict[str, Any], description: str,
         media_types: tuple[str, ...] = ("application/json",)) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description, "content": {
        media_type: {"schema": schema, "example": example} for media_type in media_types}}}


class EpisodeChild(BaseModel):
    responsible_authority: str
    local_id: str
    legal_status: str | None
    placement_authority: str | None


class EpisodeOffer(BaseModel):
    outcome: Annotated[str | None, WithJsonSchema(_codes(codes.OFFER_OUTCOME))]
    offered_at: UtcTimestamp | None
    conducted_at: UtcTimestamp | None
    shared_at: UtcTimestamp | None


class Episode(BaseModel):
    """An episode of the register, with where it has reached and the 72-hour standards."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
    child: EpisodeChild
    type: Annotated[str, code_enum(codes.EPISODE_TYPE)]
    started_at: UtcTimestamp
    found_at: UtcTimestamp | None
    returned_at: UtcTimestamp | None
    reported_by: str | None
    police_reference: str | None
    police_risk_grade: str | None
    notified_at: UtcTimestamp | None
    notified_by_org: str
    state: Annotated[str, code_enum(dict.fromkeys(EPISODE_STATES, ""))]
    allocated_org: str | None
    offer: EpisodeOffer
    standards: list[Finding]
    version: Annotated[int, Field(ge=1)]
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    duplicate_of: Annotated[str | None, Field(
        description="Only to the responsible authority: the episode this notification "
                    "repeats")] = None


class EpisodePage(BaseModel):
    data: list[Episode]
    next: str | None


def episode_links(*, from_request: bool = False) -> dict[str, Any]:
    """From an answer holding an episode: read it, and change it naming that version."""
    return links("episode", "readEpisode", "changeEpisode", path_name="episode_id",
                 from_request=from_request)
