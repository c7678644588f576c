"""The JSON API for partner systems: submit, read, change and list interview records.

Callers authenticate with an API key holding the `submit` scope. Bodies are read and parsed here
(orjson) and checked by `validation.py` through the service, so the API and the web form refuse
exactly the same things. Every answer holds personal data: `no-store` is added by the
middleware, and every read of a record is written to the audit log.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import and_, or_, select
from sqlmodel import col
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import (
    BadRequest,
    FieldError,
    PreconditionRequired,
    UnsupportedMediaType,
    ValidationFailed,
)
from app.core.http import external_url
from app.interviews import openapi, storage, submissions
from app.record.formats import format_timestamp, parse_timestamp
from app.record.models import Interview
from app.record.visibility import get_visible, visible_to

router = APIRouter(prefix="/api/v1", tags=["interviews"])

Submitter = Annotated[Caller, Depends(allow(scopes=("submit",)))]

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
MAX_CURSOR_LENGTH: Final = 256


class MalformedJson(BadRequest):
    type = "/problems/malformed-json"
    title = "The body is not valid JSON"


class InvalidCursor(BadRequest):
    type = "/problems/invalid-cursor"
    title = "The cursor is not valid"

    def __init__(self) -> None:
        message = "Use the `next` URL of the previous page as it is, or start again without it"
        super().__init__(f"The cursor is not one this API made. {message}",
                         errors=[FieldError("/query/cursor", "invalid_cursor", message).to_json()])


# --- reading requests ---------------------------------------------------------------------------


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def json_body(request: Request) -> Any:
    """The body parsed as JSON: 415 when it is not JSON by type, 400 when not JSON by content.

    Checking what the document holds is the service's job (`validation.py`), not this one's.
    """
    if not _is_json(request.headers.get("content-type")):
        raise UnsupportedMediaType("Send the interview document as `Content-Type: "
                                   "application/json`")
    body = await request.body()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedJson(f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno} (character {exc.pos})") from None


JsonBody = Annotated[Any, Depends(json_body)]


def required_if_match(
    # Declared required in the OpenAPI document by each route (`openapi.with_if_match`); read
    # as optional here, so that a missing one answers 428 (RFC 6585), not the framework's 422.
    if_match: Annotated[str | None, Header(alias="If-Match", include_in_schema=False)] = None,
) -> str:
    if not if_match or not if_match.strip():
        raise PreconditionRequired("Read the record, then send your change with "
                                   "`If-Match: <its ETag>` so that no one else's change is lost")
    return if_match


IfMatch = Annotated[str, Depends(required_if_match)]


# --- writing answers ----------------------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def record_json(interview: Interview) -> dict[str, Any]:
    """A stored record as the API answers it: the document, its metadata, its findings."""
    return {
        **interview.document,
        "status": interview.status,
        "version": interview.version,
        "recorded_by_org": interview.recorded_by_org,
        "created_at": _timestamp(interview.created_at),
        "updated_at": _timestamp(interview.updated_at),
        "submitted_at": _timestamp(interview.submitted_at),
        "approved_at": _timestamp(interview.approved_at),
        "standards": storage.current_findings(interview),
    }


def _json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json",
                    headers=headers)


def _record_response(interview: Interview, status_code: int = 200, *,
                     created: bool = False) -> Response:
    headers = {"ETag": storage.etag(interview)}
    if created:
        headers["Location"] = f"{router.prefix}/interviews/{interview.id}"
    return _json(record_json(interview), status_code, headers)


def _audit_view(session: SessionDep, caller: Caller, interview: Interview) -> None:
    audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                 action="interview.view", target=str(interview.id),
                 details={"version": interview.version, "via": "api"})


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(updated_at: datetime, interview_id: UUID) -> str:
    raw = orjson.dumps([updated_at.isoformat(), str(interview_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position a cursor names, or InvalidCursor (400)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        moment, interview_id = orjson.loads(raw)
        updated_at = datetime.fromisoformat(moment)
        if updated_at.tzinfo is None:
            raise ValueError
        return updated_at, UUID(interview_id)
    except (ValueError, TypeError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        raise InvalidCursor() from None


# --- routes -------------------------------------------------------------------------------------

@router.post(
    "/interviews", operation_id="createInterview", status_code=201,
    response_model=openapi.InterviewRecord,
    summary="Submit an interview",
    description=(
        "Creates a submitted record from a complete interview document. The client makes the "
        "`id`, so a retry is safe: the same `id` with an equivalent body answers **200** with "
        "the stored record and makes no new version; the same `id` with a different body "
        "answers **409**. Problems are `application/problem+json`; a 422 lists every field "
        "that needs attention with a JSON Pointer, a stable code and a message."
    ),
    response_description="Created: the stored record, with `Location` and `ETag`",
    responses={
        201: {"headers": {**openapi.LOCATION_HEADER, **openapi.ETAG_HEADER},
              "links": openapi.record_links()},
        200: {"model": openapi.InterviewRecord, "headers": openapi.ETAG_HEADER,
              "description": "A retry of a record already stored: the same record, unchanged",
              "links": openapi.record_links()},
        **openapi.problem_responses(400, 401, 403, 409, 413, 415, 422),
    },
    openapi_extra=openapi.json_body("A complete interview document (`data-dictionary.md`)"),
)
def create_interview(caller: Submitter, session: SessionDep, body: JsonBody) -> Response:
    interview, created = submissions.create_from_api(session, caller, body)
    return _record_response(interview, 201 if created else 200, created=created)


@router.get(
    "/interviews/{interview_id}", operation_id="readInterview",
    response_model=openapi.InterviewRecord,
    summary="Read an interview record",
    description="A record visible to your organisation: one it recorded, or one of a child it "
                "is responsible for. Any other id answers 404. A non-UUID id answers 422.",
    response_description="The stored record",
    responses={200: {"headers": openapi.ETAG_HEADER, "links": {
                   name: link for name, link in openapi.record_links(from_request=True).items()
                   if name != "readInterview"}},
               **openapi.problem_responses(401, 403, 404, 422)},
)
def read_interview(interview_id: UUID, caller: Submitter, session: SessionDep) -> Response:
    interview = get_visible(session, interview_id, caller.organisation_code)
    _audit_view(session, caller, interview)
    return _record_response(interview)


@router.put(
    "/interviews/{interview_id}", operation_id="replaceInterview",
    response_model=openapi.InterviewRecord,
    summary="Change an interview record",
    description="Replaces the document as a new version. Send `If-Match` with the `ETag` you "
                "read: a stale tag answers 412, none answers 428. The body's `id` may be left "
                "out; when present it must be the URL's.",
    response_description="The record as changed (a body equal to the stored one changes "
                         "nothing and makes no version)",
    responses={200: {"headers": openapi.ETAG_HEADER,
                     "links": openapi.record_links(from_request=True)},
               **openapi.problem_responses(400, 401, 403, 404, 412, 413, 415, 422, 428)},
    openapi_extra=openapi.with_if_match(openapi.json_body("A complete interview document")),
)
def replace_interview(interview_id: UUID, caller: Submitter, session: SessionDep,
                      if_match: IfMatch, body: JsonBody) -> Response:
    interview = submissions.update_from_api(session, caller, interview_id, body, if_match)
    return _record_response(interview)


@router.get(
    "/interviews/{interview_id}/versions", operation_id="listInterviewVersions",
    response_model=openapi.VersionList,
    summary="List a record's versions",
    description="Every submitted version, oldest first, with who made it and what changed.",
    response_description="The versions",
    responses=openapi.problem_responses(401, 403, 404, 422),
)
def list_versions(interview_id: UUID, caller: Submitter, session: SessionDep) -> Response:
    interview = get_visible(session, interview_id, caller.organisation_code)
    audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                 action="interview.versions", target=str(interview.id), address=caller.address,
                 details={"via": "api"})
    return _json({"data": [
        {"version": v.version, "updated_at": format_timestamp(v.created_at),
         "status": v.status, "changed_by": v.changed_by, "changed_pointers": v.changed_pointers}
        for v in storage.versions(session, interview)
    ]})


@router.get(
    "/interviews", operation_id="listInterviews", response_model=openapi.InterviewPage,
    summary="List your organisation's records",
    description="Records visible to your organisation in every status, ordered by `updated_at` "
                "then `id`. Follow `next` until it is null; a record changed while you page "
                "comes again later with its new version.",
    response_description="One page of records",
    responses=openapi.problem_responses(400, 401, 403, 422),
)
def list_interviews(
    request: Request,
    caller: Submitter,
    session: SessionDep,
    updated_since: Annotated[str | None, Query(
        description="Only records changed at or after this time (ISO 8601; without an offset "
                    "it is Europe/London local time)", max_length=40),
        openapi.LOCAL_TIMESTAMP] = None,
    cursor: Annotated[str | None, Query(
        description="Opaque: the position the `next` URL carries; any other value answers "
                    "400")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Records per page")]
        = DEFAULT_LIMIT,
) -> Response:
    query = select(Interview).where(visible_to(caller.organisation_code))
    if updated_since is not None:
        since = parse_timestamp(updated_since)
        if since is None:
            raise ValidationFailed([FieldError(
                "/query/updated_since", "invalid_timestamp",
                "updated_since must be a date and time, like 2026-03-01T18:30:00Z")],
                title="The request is not valid")
        query = query.where(col(Interview.updated_at) >= since)
    if cursor is not None:
        after, after_id = decode_cursor(cursor)
        query = query.where(or_(
            col(Interview.updated_at) > after,
            and_(col(Interview.updated_at) == after, col(Interview.id) > after_id)))
    rows = list(session.execute(
        query.order_by(col(Interview.updated_at), col(Interview.id)).limit(limit + 1)
    ).scalars())
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    if more:
        last = page[-1]
        next_url = external_url(request, cursor=encode_cursor(last.updated_at, last.id))
    if page:
        audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                     action="interview.list", details={
                         "via": "api", "count": len(page),
                         "ids": [str(interview.id) for interview in page]})
    return _json({"data": [record_json(interview) for interview in page], "next": next_url})


# --- other methods ------------------------------------------------------------------------------

_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def refuse_other_methods(on: APIRouter, path: str, *allowed: str) -> None:
    """405 with an `Allow` naming every method the path serves (RFC 9110), not only those of
    whichever route the router happened to try first."""
    allow = ", ".join(allowed)

    async def method_not_allowed() -> Response:
        raise StarletteHTTPException(405, "Method Not Allowed", headers={"Allow": allow})

    on.add_api_route(path, method_not_allowed, include_in_schema=False,
                         methods=[m for m in _METHODS if m not in allowed])


# After the routes above, so that a method they serve never reaches these.
refuse_other_methods(router, "/interviews", "GET", "POST")
refuse_other_methods(router, "/interviews/{interview_id}", "GET", "PUT")
refuse_other_methods(router, "/interviews/{interview_id}/versions", "GET")
