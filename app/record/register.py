"""The episode register as every part of the service reads it: who may see an episode, the
state it has reached, and the facts the 72-hour standards judge it by.

An episode is visible to the child's responsible authority, to the organisation that notified
it, to the organisation it is allocated to, and to an organisation whose record covers it; to
nobody else. Capture, the co-ordinator's list, the feed and the SSDA903 export all read through
`visible_to`.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.errors import NotFound
from app.record.models import Episode, Interview, RegisterEpisode

STATE_LABELS = {
    "missing": "Missing",
    "returned": "Returned: waiting for an offer",
    "offered": "Offered: waiting for the interview",
    "not_offered": "Not offered",
    "completed": "Interview completed",
    "declined": "Declined",
    "not_achieved": "Not achieved",
    "shared": "Report shared",
    "duplicate": "Notified twice (counted once)",
}


def visible_to(organisation_code: str) -> ColumnElement[bool]:
    """The register's visibility rule, as a WHERE clause on `RegisterEpisode`."""
    covered = exists(
        select(col(Episode.id))
        .join(Interview, col(Interview.id) == col(Episode.interview_id))
        .where(col(Episode.register_id) == col(RegisterEpisode.id),
               col(Interview.recorded_by_org) == organisation_code))
    return or_(
        col(RegisterEpisode.responsible_authority) == organisation_code,
        col(RegisterEpisode.notified_by_org) == organisation_code,
        col(RegisterEpisode.allocated_org) == organisation_code,
        covered,
    )


def get_visible(session: Session, episode_id: UUID, organisation_code: str, *,
                for_update: bool = False) -> RegisterEpisode:
    """The episode, or NotFound when it does not exist or this organisation may not see it."""
    query = select(RegisterEpisode).where(col(RegisterEpisode.id) == episode_id,
                                          visible_to(organisation_code))
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("No episode with this id is visible to you")
    return found


def state(episode: RegisterEpisode) -> str:
    """Where the episode has reached: missing → returned → offered or not offered → completed,
    declined or not achieved → report shared."""
    if episode.duplicate_of is not None:
        return "duplicate"
    if episode.returned_at is None:
        return "missing"
    outcome = episode.offer_outcome
    if outcome is None:
        return "offered" if episode.offered_at is not None else "returned"
    if outcome == "completed" and episode.shared_at is not None:
        return "shared"
    return outcome

