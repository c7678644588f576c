"""A record's submitted versions: each submission and accepted change is kept whole."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.record.models import InterviewVersion


def latest_version(session: Session, interview_id: UUID
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The document and findings of the record's latest version, or None before its first."""
    row = session.execute(
        select(col(InterviewVersion.document), col(InterviewVersion.findings))
        .where(col(InterviewVersion.interview_id) == interview_id)
        .order_by(col(InterviewVersion.version).desc())
        .limit(1)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None
