"""The manager's oversight queue: what falls short, what is nearly due, and every CSE case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.interviews.storage import current_findings
from app.record.formats import parse_timestamp
from app.record.models import Interview
from app.record.visibility import visible_to
from app.standards.calendar import add_working_days

QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueItem:
    interview: Interview
    reasons: list[str]
    deadline: datetime | None
    awaiting_oversight: bool


def _reasons(findings: list[dict[str, Any]], horizon: datetime,
             status: str) -> tuple[list[str], datetime | None, bool]:
    reasons: list[str] = []
    deadlines: list[datetime] = []
    awaiting = False
    for finding in findings:
        due = parse_timestamp(finding["due_at"]) if finding.get("due_at") else None
        if finding["result"] == "not_met":
            reasons.append(f"Not met: {finding['detail']}")
            if due:
                deadlines.append(due)
        elif finding["result"] == "pending" and due is not None and due <= horizon:
            reasons.append(f"Due soon: {finding['detail']}")
            deadlines.append(due)
        if finding["code"] == "manager-oversight" and finding["result"] in ("pending", "not_met") \
                and status == "submitted":
            awaiting = True
            if due:
                deadlines.append(due)
    return reasons, min(deadlines) if deadlines else None, awaiting


def oversight_queue(session: Session, organisation_code: str,
                    now: datetime | None = None) -> list[QueueItem]:
    """Submitted records with unmet findings, deadlines within two working days, or a CSE case
    awaiting sign-off; oldest deadline first."""
    moment = now or utcnow()
    horizon = add_working_days(moment, 2)
    rows = session.execute(
        select(Interview).where(visible_to(organisation_code),
                                col(Interview.status) == "submitted")
    ).scalars()
    items = []
    for interview in rows:
        reasons, deadline, awaiting = _reasons(current_findings(interview, moment), horizon,
                                               interview.status)
        if reasons or awaiting:
            items.append(QueueItem(interview, reasons, deadline, awaiting))
    far = datetime.max.replace(tzinfo=moment.tzinfo)
    items.sort(key=lambda item: (item.deadline or far, str(item.interview.id)))
    return items[:QUEUE_LIMIT]
