"""One child, many organisations: the responsible authority owns the child's identity.

What another organisation says about the child (a record's or a notification's date of birth)
stays in its own record; where it differs from the authority's, the authority is shown the
difference and accepts it (the child's row takes it) or rejects it (the row keeps its own).
Either way the decision is kept (`IdentityReview`) and audited, and the difference is not shown
again. Nothing is overwritten without a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID

from sqlalchemy import String, cast, exists, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit import service as audit
from app.core.errors import Forbidden, NotFound
from app.core.types import utcnow
from app.record.models import Child, IdentityReview, Interview, RegisterEpisode

SOURCES: Final = ("record", "episode")
DECISIONS: Final = ("accepted", "rejected")
LIMIT: Final = 500


@dataclass(frozen=True)
class Difference:
    child_id: int
    local_id: str
    ours: date | None
    theirs: date
    source: str  # "record" or "episode"
    source_id: str
    given_by: str
    given_at: datetime | None


def differences(session: Session, authority: str) -> list[Difference]:
    """Dates of birth other organisations gave for the authority's children, differing from
    the authority's and not yet decided, oldest first."""
    stated = col(Interview.document)["child"]["date_of_birth"].as_string()
    ours = cast(col(Child.date_of_birth), String)
    records = session.execute(
        select(col(Interview.id), col(Interview.recorded_by_org), col(Interview.submitted_at),
               col(Child.id), col(Child.local_id), col(Child.date_of_birth), stated)
        .join(Child, col(Child.id) == col(Interview.child_id))
        .where(col(Child.responsible_authority) == authority,
               col(Interview.recorded_by_org) != authority,
               col(Interview.status) != "draft",
               col(Child.date_of_birth).is_not(None), stated.is_not(None), stated != ours,
               ~exists(select(col(IdentityReview.id)).where(
                   col(IdentityReview.interview_id) == col(Interview.id),
                   col(IdentityReview.field) == "date_of_birth")))
        .order_by(col(Interview.submitted_at)).limit(LIMIT)).all()
    notified = session.execute(
        select(col(RegisterEpisode.id), col(RegisterEpisode.notified_by_org),
               col(RegisterEpisode.created_at), col(Child.id), col(Child.local_id),
               col(Child.date_of_birth), col(RegisterEpisode.stated_date_of_birth))
        .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
        .where(col(Child.responsible_authority) == authority,
               col(RegisterEpisode.notified_by_org) != authority,
               col(Child.date_of_birth).is_not(None),
               col(RegisterEpisode.stated_date_of_birth).is_not(None),
               col(RegisterEpisode.stated_date_of_birth) != col(Child.date_of_birth),
               ~exists(select(col(IdentityReview.id)).where(
                   col(IdentityReview.episode_id) == col(RegisterEpisode.id),
                   col(IdentityReview.field) == "date_of_birth")))
        .order_by(col(RegisterEpisode.created_at)).limit(LIMIT)).all()
    found = []
    for source, rows in (("record", records), ("episode", notified)):
        for source_id, given_by, given_at, child_id, local_id, born, theirs in rows:
            if child_id is None:
                continue
            try:
                theirs_date = theirs if isinstance(theirs, date) else date.fromisoformat(
                    str(theirs))
            except ValueError:
                continue
            found.append(Difference(child_id, local_id, born, theirs_date, source,
                                    str(source_id), given_by, given_at))
    return sorted(found, key=lambda d: (d.given_at or utcnow(), d.source_id))


def decide(session: Session, actor: Caller, source: str, source_id: str,
           decision: str) -> Difference:
    """Accept or reject one difference; NotFound unless it is the caller's to decide."""
    if actor.role != "manager":
        raise Forbidden("Only a manager of the child's responsible authority decides")
    if source not in SOURCES or decision not in DECISIONS:
        raise NotFound("No such difference is waiting for your decision")
    found = next((d for d in differences(session, actor.organisation_code)
                  if d.source == source and d.source_id == source_id), None)
    if found is None:
        raise NotFound("No such difference is waiting for your decision")
    given = UUID(source_id)
    session.add(IdentityReview(child_id=found.child_id,
                               interview_id=given if source == "record" else None,
                               episode_id=given if source == "episode" else None,
                               field="date_of_birth", proposed=found.theirs.isoformat(),
                               decision=decision, decided_by=actor.label))
    if decision == "accepted":
        session.execute(update(Child).where(col(Child.id) == found.child_id)
                        .values(date_of_birth=found.theirs, updated_at=utcnow()))
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action=f"child.date-of-birth.{decision}", target=str(found.child_id),
                 address=actor.address,
                 details={"source": source, "source_id": source_id,
                          "from": found.ours.isoformat() if found.ours else None,
                          "given": found.theirs.isoformat(), "given_by": found.given_by})
    session.flush()
    return found
