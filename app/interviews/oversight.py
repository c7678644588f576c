"""The manager's queue on `/`, in three groups, each row saying why it is there.

- "Needs your sign-off": every submitted record waiting for a manager's decision. Exploitation
  cases (manager-oversight pending or overdue) come first, soonest oversight deadline first;
  then the others, oldest submission first.
- "Due in the next two working days": records with a standard not yet met whose deadline falls
  within two working days (app/standards/calendar.py), soonest first.
- "Missed, for information": records with a standard not met, latest deadline first.

Records not yet approved (submitted, or returned to the interviewer) are read, and approved records
whose follow-up plan has an action still planned and due within two working days or overdue
(`actions-followed-through`): approval does not close what was promised to the child. A record
may be in
more than one group, each time with its own reasons: a submitted CSE case is signed off in the
first, and its other standards due soon or missed are in the others (its oversight is said in the
first group only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.core.templating import format_london
from app.core.types import utcnow
from app.interviews.storage import current_findings
from app.record.formats import parse_timestamp
from app.record.models import Interview, InterviewVersion
from app.record.visibility import visible_to
from app.standards import titles as standard_titles
from app.standards.calendar import add_working_days

QUEUE_LIMIT = 200  # rows shown in each group (the count says how many there are)
OVERSIGHT = "manager-oversight"
PLAN = "actions-followed-through"


@dataclass(frozen=True)
class QueueItem:
    interview: Interview
    reasons: list[str]  # never empty: why the record is in this group
    when: datetime | None  # submitted (sign-off) or the deadline (due soon, missed)
    awaiting_oversight: bool = False  # an exploitation case waiting for sign-off


@dataclass(frozen=True)
class Group:
    key: str  # the group's id on the page
    title: str
    when_label: str  # the heading of the `when` column
    items: list[QueueItem] = field(default_factory=list)
    total: int = 0  # how many records are in the group, shown or not


@dataclass(frozen=True)
class QueueFilter:
    """What the manager narrowed the queue to (all empty: everything)."""

    standard: str | None = None  # only rows whose reasons include this standard
    recorded_by: str | None = None  # only records of this organisation
    exploitation: bool = False  # only exploitation cases (manager-oversight applies)

    def __bool__(self) -> bool:
        return bool(self.standard or self.recorded_by or self.exploitation)


@dataclass(frozen=True)
class Queue:
    groups: tuple[Group, Group, Group]
    # The organisations whose records are in the queue before filtering (for the filter's list).
    recorded_by: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(group.total for group in self.groups)

    def interviews(self) -> Iterator[Interview]:
        """Every record the queue shows (for the audit log: the list names children)."""
        for group in self.groups:
            for item in group.items:
                yield item.interview


def _written_by(session: Session, viewer: Caller, interviews: list[Interview]) -> set[Any]:
    """The records the viewer started or submitted a version of: another manager's to approve."""
    if viewer.user_id is None:
        return set()
    mine = {i.id for i in interviews if i.created_by_user_id == viewer.user_id}
    ids = [i.id for i in interviews if i.id not in mine]
    if ids:
        mine |= set(session.execute(
            select(col(InterviewVersion.interview_id)).distinct()
            .where(col(InterviewVersion.changed_by) == viewer.label,
                   col(InterviewVersion.interview_id).in_(ids))).scalars())
    return mine


def _due(finding: dict[str, Any]) -> datetime | None:
    due = finding.get("due_at")
    return parse_timestamp(due) if isinstance(due, str) else None


def _sign_off(interview: Interview, findings: list[dict[str, Any]],
              written: bool) -> tuple[QueueItem, datetime | None]:
    oversight = next((f for f in findings if f["code"] == OVERSIGHT
                      and f["result"] in ("pending", "not_met")), None)
    if oversight is not None:
        late = "overdue. " if oversight["result"] == "not_met" else ""
        reasons = [f"Exploitation case, for a manager's oversight: {late}{oversight['detail']}"]
    else:
        submitted = interview.submitted_at or interview.updated_at
        reasons = [f"Submitted on {format_london(submitted)}: waiting for a manager to approve "
                   "it or return it to the interviewer."]
    if written:
        reasons.append("You wrote or changed this record, so another manager must approve it.")
    item = QueueItem(interview, reasons, interview.submitted_at, oversight is not None)
    return item, _due(oversight) if oversight is not None else None


def _said(title: str, finding: dict[str, Any], approved: bool = False) -> str:
    said = f"{title}. {finding['detail']}"
    return f"Approved, but its follow-up plan is open: {said}" if approved else said


def _exploitation_case(findings: list[dict[str, Any]]) -> bool:
    return any(f["code"] == OVERSIGHT and f["result"] != "not_applicable" for f in findings)


def oversight_queue(session: Session, viewer: Caller, now: datetime | None = None,
                    only: QueueFilter | None = None) -> Queue:
    """The manager's queue: what needs their sign-off, what falls due within two working days,
    and what was missed, each row with its reasons (see the module's docstring); `only`
    narrows it (a standard, an organisation, exploitation cases)."""
    only = only or QueueFilter()
    moment = now or utcnow()
    horizon = add_working_days(moment, 2)
    titles = standard_titles()
    interviews = list(session.execute(
        select(Interview).where(
            visible_to(viewer.organisation_code),
            col(Interview.status).in_(("submitted", "returned"))
            | ((col(Interview.status) == "approved")
               & (col(Interview.open_action_due_at) <= horizon)))
    ).scalars())
    written = _written_by(session, viewer, [i for i in interviews if i.status == "submitted"])
    far = datetime.max.replace(tzinfo=moment.tzinfo)
    sign_off: list[tuple[tuple[Any, ...], QueueItem]] = []
    due_soon: list[tuple[tuple[Any, ...], QueueItem]] = []
    missed: list[tuple[tuple[Any, ...], QueueItem]] = []
    recorded_by = tuple(sorted({i.recorded_by_org for i in interviews}))
    for interview in interviews:
        findings = current_findings(interview, moment)
        if only.recorded_by and interview.recorded_by_org != only.recorded_by:
            continue
        if only.exploitation and not _exploitation_case(findings):
            continue
        if only.standard:
            findings = [f for f in findings if f["code"] == only.standard]
            if not any(f["result"] in ("pending", "not_met") for f in findings):
                continue
        waiting = interview.status == "submitted"
        if waiting:
            item, oversight_due = _sign_off(interview, findings, interview.id in written)
            sign_off.append(((not item.awaiting_oversight, oversight_due or far,
                              interview.submitted_at or far, str(interview.id)), item))
        # A waiting record's oversight is said where it is signed off; an approved record is
        # here for its follow-up plan only.
        others = [f for f in findings if not (waiting and f["code"] == OVERSIGHT)
                  and (interview.status != "approved" or f["code"] == PLAN)]
        soon = [(d, f) for f in others
                if f["result"] == "pending" and (d := _due(f)) is not None and d <= horizon]
        if soon:
            first = min(d for d, _ in soon)
            due_soon.append(((first, str(interview.id)), QueueItem(
                interview, [_said(titles.get(f["code"], f["code"]), f, not waiting and
                                  interview.status == "approved")
                            for _, f in sorted(soon, key=lambda pair: pair[0])], first)))
        gone = [f for f in others if f["result"] == "not_met"]
        if gone:
            dates = [d for f in gone if (d := _due(f)) is not None]
            latest = max(dates) if dates else None
            missed.append((((-(latest.timestamp()) if latest else 0.0), str(interview.id)),
                           QueueItem(interview, [_said(titles.get(f["code"], f["code"]), f,
                                                       interview.status == "approved")
                                                 for f in gone], latest)))

    def group(key: str, title: str, when_label: str,
              rows: list[tuple[tuple[Any, ...], QueueItem]]) -> Group:
        rows.sort(key=lambda row: row[0])
        return Group(key, title, when_label, [item for _, item in rows[:QUEUE_LIMIT]],
                     len(rows))

    return Queue((
        group("sign-off", "Needs your sign-off", "Submitted", sign_off),
        group("due-soon", "Due in the next two working days", "Due", due_soon),
        group("missed", "Missed, for information", "Was due", missed),
    ), recorded_by)
