"""Synthetic notifications for the demo: the police tell the return service of children of the
two authorities going missing and coming back, some of them hours ago, one overdue, one still
missing, so the co-ordinator's work list has something to decide."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.core.types import utcnow
from app.episodes import service
from app.record.formats import format_timestamp
from app.record.models import RegisterEpisode

POLICE = "avon-police"
PROVIDER = "avon-rhi"
# (authority, hours since missing, hours since return or None, risk grade)
EPISODES = (
    ("803", 30, 6, "medium"),
    ("803", 60, 40, "high"),
    ("801", 100, 80, "medium"),  # overdue: no offer within 72 hours
    ("801", 20, 2, "low"),
    ("803", 9, None, "high"),  # still missing
    ("801", 50, 26, "no_apparent_risk"),
)


def seed_notifications(session: Session) -> int:
    """Notify the demo episodes once (none when the police have notified any already)."""
    if session.execute(select(col(RegisterEpisode.id)).where(
            col(RegisterEpisode.notified_by_org) == POLICE).limit(1)).first():
        return 0
    police = Caller.system(POLICE, label="system:demo")
    now = utcnow().replace(second=0, microsecond=0)
    for index, (authority, missing, returned, grade) in enumerate(EPISODES):
        body = {"id": str(uuid4()), "type": "missing", "reported_by": "police",
                "police_reference": f"DEMO-MP-{index + 1:04d}", "police_risk_grade": grade,
                "child": {"responsible_authority": authority,
                          "local_id": f"DEMO-N{index + 1:04d}", "legal_status": "looked_after"},
                "started_at": format_timestamp(now - timedelta(hours=missing))}
        if returned is not None:
            body["returned_at"] = format_timestamp(now - timedelta(hours=returned))
        episode, _ = service.notify(session, police, body)
        # The authorities commission the return service: as their co-ordinators would.
        episode.allocated_org = PROVIDER
        episode.allocated_at = now
    session.flush()
    return len(EPISODES)
