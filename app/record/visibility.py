"""Who may see a record: the one place visibility is decided.

A record is visible to the organisation that recorded it and to the child's responsible
authority, and to nobody else (`visible_to`). Capture, the feed and the exports all read through
this rule (the feed applies it to its projection's same-named columns).

One more party sees less: the host authority, where another authority has placed the child
(`placed_in`). It sees a restricted view of the submitted records of children placed in its
area, and only through the host authority's pages (`app/interviews/placed.py`), which show the
host authority's report and nothing else; every other page and answer reads through
`visible_to`, for which the host authority's records do not exist.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.errors import NotFound
from app.record.models import Interview

NOT_VISIBLE = "No interview with this id is visible to you"


def visible_to(organisation_code: str) -> ColumnElement[bool]:
    """The visibility rule: the recording organisation and the child's responsible authority."""
    return or_(
        col(Interview.recorded_by_org) == organisation_code,
        col(Interview.responsible_authority) == organisation_code,
    )


def placed_in(organisation_code: str) -> ColumnElement[bool]:
    """The host authority's rule: records that are not drafts, of a child another authority
    placed in this organisation's area, which it could not already see (`visible_to`).

    A record being changed after a manager returned it is still shown as last submitted
    (`Interview.placement_authority` keeps the placement of that version).
    """
    return and_(
        col(Interview.placement_authority) == organisation_code,
        col(Interview.status) != "draft",
        col(Interview.responsible_authority).is_not(None),
        col(Interview.responsible_authority) != organisation_code,
        col(Interview.recorded_by_org) != organisation_code,
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
        raise NotFound(NOT_VISIBLE)
    return found
