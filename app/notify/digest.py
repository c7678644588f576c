"""The daily digest (`rhi notify deadlines`, meant for a timer): one email a day to each
responsible authority with something about to pass, to its `notify_email`:

- deadlines about to pass: pending practice-standard findings on its records (submitted or
  returned, and approved records' follow-up plans, as the manager's queue reads them) due by
  the end of the next working day;
- returns waiting for an offer: episodes of its register the child came back from, with no
  offer recorded, whose 72 hours end within the next 24 hours.

Only counts and links: no record, episode or child is named. An authority hears only of its
own children's records and episodes (by `responsible_authority`), never another's. Once a day:
the digest's row is keyed on the organisation and the UK day, so a second run that day writes
nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import Organisation
from app.core.london import london_day
from app.core.types import utcnow
from app.notify import messages, outbox
from app.record.formats import parse_timestamp
from app.record.models import Interview, RegisterEpisode
from app.standards import CURRENT, Result, episode_findings
from app.standards.calendar import add_working_days, london_date

PLAN: Final = "actions-followed-through"
WAITING_WINDOW: Final = timedelta(hours=24)


@dataclass
class Digests:
    """What one run did: the outbox ids queued, and the organisations already told today."""

    queued: list[UUID] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    organisations: int = 0


def _due(finding: dict[str, Any]) -> datetime | None:
    due = finding.get("due_at")
    return parse_timestamp(due) if isinstance(due, str) else None


def deadlines(session: Session, moment: datetime,
              horizon: datetime) -> dict[str, tuple[int, int]]:
    """By responsible authority: (pending findings due in (moment, horizon], records)."""
    findings: Counter[str] = Counter()
    records: Counter[str] = Counter()
    rows = session.execute(
        select(col(Interview.responsible_authority), col(Interview.status),
               col(Interview.findings))
        .where(col(Interview.responsible_authority).is_not(None),
               col(Interview.status).in_(("submitted", "returned"))
               | ((col(Interview.status) == "approved")
                  & (col(Interview.open_action_due_at) <= horizon))))
    for authority, status, stored in rows:
        soon = [f for f in stored or [] if f.get("result") == "pending"
                and (status != "approved" or f.get("code") == PLAN)
                and (due := _due(f)) is not None and moment < due <= horizon]
        if soon:
            findings[authority] += len(soon)
            records[authority] += 1
    return {authority: (findings[authority], records[authority]) for authority in findings}


def waiting_for_an_offer(session: Session, moment: datetime) -> Counter[str]:
    """By responsible authority: returns with no offer whose 72 hours end within 24 hours."""
    hours = timedelta(hours=CURRENT.offer_hours)
    found: Counter[str] = Counter()
    episodes = session.execute(
        select(RegisterEpisode).where(
            col(RegisterEpisode.duplicate_of).is_(None),
            col(RegisterEpisode.returned_at) > moment - hours,
            col(RegisterEpisode.returned_at) <= moment - hours + WAITING_WINDOW,
            col(RegisterEpisode.offer_outcome).is_(None),
            col(RegisterEpisode.offered_at).is_(None))).scalars()
    for episode in episodes:
        offer, _ = episode_findings(episode, CURRENT, moment)
        if offer.result is Result.PENDING and offer.due_at is not None and \
                moment < offer.due_at <= moment + WAITING_WINDOW:
            found[episode.responsible_authority] += 1
    return found


def build(session: Session, now: datetime | None = None) -> Digests:
    """Queue today's digest for each responsible authority with something due, in the
    caller's transaction (the caller commits, then sends)."""
    moment = now or utcnow()
    today = london_day(moment)
    horizon = add_working_days(moment, 1)
    soon = deadlines(session, moment, horizon)
    waiting = waiting_for_an_offer(session, moment)
    done = Digests()
    organisations = session.execute(
        select(col(Organisation.code), col(Organisation.name), col(Organisation.notify_email))
        .where(col(Organisation.code).in_(sorted(set(soon) | set(waiting))))
        .order_by(col(Organisation.code))).all()
    for code, name, address in organisations:
        done.organisations += 1
        findings, records = soon.get(code, (0, 0))
        message = messages.daily_digest(name, today, london_date(horizon), findings=findings,
                                        records=records, waiting=waiting[code])
        made = outbox.queue(session, message, organisation=code, recipient=address,
                            dedupe_key=f"daily_digest:{code}:{today.isoformat()}", now=moment)
        if made is None:
            done.already.append(code)
        else:
            done.queued.append(made)
    return done
