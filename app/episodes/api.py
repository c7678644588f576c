"""The episode register's JSON API: partner systems (police missing-person units, children's
social care) notify missing episodes and returns with a key holding the `notify` scope.

The same rules as interviews: the client makes the id, so a retry is safe (201, then 200 for
the same body, 409 for a different one); a change needs `If-Match` (428 without, 412 when
stale); problems are `application/problem+json` naming the field. Every read is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import and_, or_, select
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import FieldError, ValidationFailed
from app.core.http import external_url
from app.core.types import utcnow
from app.episodes import openapi, service
from app.interviews import openapi as shared
from app.interviews.api import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    IfMatch,
    JsonBody,
    decode_cursor,
    encode_cursor,
    refuse_other_methods,
)
from app.record.formats import parse_timestamp
from app.record.models import Child, RegisterEpisode
from app.record.register import get_visible, visible_to
from app.standards import CURRENT, episode_findings

router = APIRouter(prefix="/api/v1", tags=["episodes"])

Notifier = Annotated[Caller, Depends(allow(scopes=("notify",)))]


def _json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json",
                    headers=headers)


def episode_body(episode: RegisterEpisode, local_id: str, viewer: str,
                 now: datetime) -> dict[str, Any]:
    findings = [f.to_json() for f in episode_findings(episode, CURRENT, now)]
    return service.episode_json(episode, local_id, viewer, now, findings)


def _answer(session: SessionDep, caller: Caller, episode: RegisterEpisode,
            status_code: int = 200, *, created: bool = False) -> Response:
    headers = {"ETag": service.etag(episode)}
    if created:
        headers["Location"] = f"{router.prefix}/episodes/{episode.id}"
    body = episode_body(episode, service.local_id_of(session, episode),
                        caller.organisation_code, utcnow())
    return _json(body, status_code, headers)


@router.post(
    "/episodes", operation_id="notifyEpisode", status_code=201,
    response_model=openapi.Episode,
    summary="Notify a missing episode (and its return, when known)",
    description=(
        "Registers a missing or away episode for a child of a responsible authority. Your "
        "system makes the `id`, so a retry is safe: the same `id` and body answer **200** with "
        "the stored episode; the same `id` with a different body answers **409**. The same "
        "child and start already registered by your organisation, or visible to it, answers "
        "**409** naming that episode (`already_registered`): change it with PATCH."),
    response_description="Created: the episode, with `Location` and `ETag`",
    responses={
        201: {"headers": {**shared.LOCATION_HEADER, **shared.ETAG_HEADER},
              "links": openapi.episode_links()},
        200: {"model": openapi.Episode, "headers": shared.ETAG_HEADER,
              "description": "A retry of an episode already notified: the same episode",
              "links": openapi.episode_links()},
        **shared.problem_responses(400, 401, 403, 409, 413, 415, 422),
    },
    openapi_extra=openapi.body(openapi.notification_schema(), openapi.EXAMPLE,
                               "A missing or away episode (`docs/episodes.md`)"),
)
def notify_episode(caller: Notifier, session: SessionDep, body: JsonBody) -> Response:
    episode, created = service.notify(session, caller, body)
    return _answer(session, caller, episode, 201 if created else 200, created=created)


@router.get(
    "/episodes/{episode_id}", operation_id="readEpisode", response_model=openapi.Episode,
    summary="Read an episode",
    description="An episode visible to your organisation: one it notified, one of a child it "
                "is responsible for, one allocated to it, or one its record covers. Any other "
                "id answers 404.",
    responses={200: {"headers": shared.ETAG_HEADER, "links": {
                   name: link for name, link in openapi.episode_links(from_request=True).items()
                   if name != "readEpisode"}},
               **shared.problem_responses(401, 403, 404, 422)},
)
def read_episode(episode_id: UUID, caller: Notifier, session: SessionDep) -> Response:
    episode = get_visible(session, episode_id, caller.organisation_code)
    audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                 action="episode.view", target=str(episode.id), details={"via": "api"})
    return _answer(session, caller, episode)


@router.patch(
    "/episodes/{episode_id}", operation_id="changeEpisode", response_model=openapi.Episode,
    summary="Change an episode: the return, when found, the police details",
    description="Send only the fields that change (`null` clears an optional one), with "
                "`If-Match` naming the `ETag` you read: a stale tag answers 412, none 428. The "
                "child and the start cannot change. Only the organisation that notified the "
                "episode, or the child's responsible authority, may change it (403).",
    responses={200: {"headers": shared.ETAG_HEADER,
                     "links": openapi.episode_links(from_request=True)},
               **shared.problem_responses(400, 401, 403, 404, 412, 413, 415, 422, 428)},
    openapi_extra=shared.with_if_match(openapi.body(
        openapi.change_schema(),
        {"returned_at": "2026-01-11T09:30:00Z", "found_at": "2026-01-11T08:45:00Z"},
        "The fields that change", ("application/json", "application/merge-patch+json"))),
)
def change_episode(episode_id: UUID, caller: Notifier, session: SessionDep, if_match: IfMatch,
                   body: JsonBody) -> Response:
    episode = service.change(session, caller, episode_id, body, if_match)
    return _answer(session, caller, episode)


@router.get(
    "/episodes", operation_id="listEpisodes", response_model=openapi.EpisodePage,
    summary="List the episodes visible to your organisation",
    description="Ordered by `updated_at` then `id`. Follow `next` until it is null; an episode "
                "changed while you page comes again later with its new version.",
    responses=shared.problem_responses(400, 401, 403, 422),
)
def list_episodes(
    request: Request, caller: Notifier, session: SessionDep,
    updated_since: Annotated[str | None, Query(
        description="Only episodes changed at or after this time (ISO 8601; without an "
                    "offset it is Europe/London local time)",
        max_length=40), shared.LOCAL_TIMESTAMP] = None,
    cursor: Annotated[str | None, Query(description="Opaque: from the `next` URL")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    query = (select(RegisterEpisode, col(Child.local_id))
             .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
             .where(visible_to(caller.organisation_code)))
    if updated_since is not None:
        since = parse_timestamp(updated_since)
        if since is None:
            raise ValidationFailed([FieldError(
                "/query/updated_since", "invalid_timestamp",
                "updated_since must be a date and time, like 2026-03-01T18:30:00Z")],
                title="The request is not valid")
        query = query.where(col(RegisterEpisode.updated_at) >= since)
    if cursor is not None:
        after, after_id = decode_cursor(cursor)
        query = query.where(or_(
            col(RegisterEpisode.updated_at) > after,
            and_(col(RegisterEpisode.updated_at) == after, col(RegisterEpisode.id) > after_id)))
    rows = session.execute(query.order_by(col(RegisterEpisode.updated_at),
                                          col(RegisterEpisode.id)).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    if more:
        last = page[-1][0]
        next_url = external_url(request, cursor=encode_cursor(last.updated_at, last.id))
    if page:
        audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                     action="episode.list", details={
                         "via": "api", "count": len(page),
                         "ids": [str(episode.id) for episode, _ in page]})
    now = utcnow()
    return _json({"data": [episode_body(episode, local_id, caller.organisation_code, now)
                           for episode, local_id in page], "next": next_url})


refuse_other_methods(router, "/episodes", "GET", "POST")
refuse_other_methods(router, "/episodes/{episode_id}", "GET", "PATCH")
