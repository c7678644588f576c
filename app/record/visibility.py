"""Who may see a record: the one place visibility is decided.

A record is visible to the organisation that recorded it and to the child's responsible
authority, and to nobody else. Capture, the feed and the exports all read through this rule (the
feed applies it to its projection's same-named columns).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.errors import NotFound
from app.record.models import Interview


def visible_to(organisation_code: str) -> ColumnElement[bool]:
    """The visibility rule: the recording organisation and the child's responsible authority."""
    return or_(
        col(Interview.recorded_by_org) == organisation_code,
        col(Interview.responsible_authority) == organisation_code,
    )


def get_visible(session: Session, interview_id: UUID, organisation_code: str, *,
                for_update: bool = False) -> Interview:
    """The record, or NotFound when it does not exist or this organisation may not see it."""
    query = select(Interview).where(col(Interview.id) == interview_id,
                                    visible_to(organisation_code))
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("No interview with this id is visible to you")
    return found
