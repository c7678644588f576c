"""Who is told when a record changes: subscribed to "a record changed" (`app/startup.py`), so
each message is written in the transaction that made the change.

- The host authority (the child's placement authority, when another authority is responsible
  for the child and the host did not record it itself), when a record naming it is submitted:
  once per record and host, to the organisation's `notify_email`, with a link to the record's
  host-authority report.
- The interviewer who started a record, when a manager returns it: once per version returned,
  to their account's email.

A change older than `FRESH` (a record re-evaluated by `rhi standards evaluate`, a return
decided before these notices began) is not announced: the message says what just happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import Organisation, User
from app.core.types import utcnow
from app.notify import messages, outbox
from app.record.models import Interview, InterviewVersion

FRESH: Final = timedelta(hours=1)


def _fresh(moment: datetime | None) -> bool:
    return moment is not None and utcnow() - moment <= FRESH


def record_changed(session: Session, interview: Interview, *, new: bool = False) -> None:
    """Queue what the change means to the host authority or the interviewer, if anything."""
    if interview.status in ("submitted", "approved"):
        _host_authority(session, interview)
    elif interview.status == "returned":
        _returned(session, interview)


def host_of(interview: Interview) -> str | None:
    """The authority the child is placed in, when it is not the responsible authority nor the
    organisation that recorded the interview."""
    child = interview.document.get("child")
    host = child.get("placement_authority") if isinstance(child, dict) else None
    responsible = interview.responsible_authority
    if not isinstance(host, str) or not host or responsible is None or host in (
            responsible, interview.recorded_by_org):
        return None
    return host


def _host_authority(session: Session, interview: Interview) -> None:
    host = host_of(interview)
    if host is None or not _fresh(interview.updated_at):
        return
    address = session.execute(select(col(Organisation.notify_email))
                              .where(col(Organisation.code) == host)).scalar_one_or_none()
    outbox.queue(session, messages.host_authority(interview.id), organisation=host,
                 recipient=address, dedupe_key=f"host_authority:{interview.id}:{host}")


def _returned(session: Session, interview: Interview) -> None:
    if interview.created_by_user_id is None:
        return  # a partner system's record: it hears through the API
    decided_at = session.execute(
        select(col(InterviewVersion.decided_at))
        .where(col(InterviewVersion.interview_id) == interview.id,
               col(InterviewVersion.version) == interview.version,
               col(InterviewVersion.decision) == "returned")).scalar_one_or_none()
    if not _fresh(decided_at):
        return
    person = session.get(User, interview.created_by_user_id)
    address = person.email if person is not None and person.active else None
    outbox.queue(session, messages.record_returned(interview.id),
                 organisation=interview.recorded_by_org, recipient=address,
                 dedupe_key=f"record_returned:{interview.id}:{interview.version}",
                 no_address=outbox.NO_PERSON_ADDRESS)
