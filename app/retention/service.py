"""Retention: deleting records whose retention period has ended (`rhi retention purge`).

The rule (`security.md`, configurable here, in `DEFAULT_RULE`): a record is kept until the later
of the child's 25th birthday and 6 years after the record's last episode, and deleted from the
next day (Europe/London). A record under legal hold is kept whatever its dates.

- The last episode is the latest return (or start, for an episode with no return) among the
  record's episodes; a record with no episode at all counts from its last change instead.
- The date of birth is the child row's, else the document's. Without one the 25th birthday is
  taken as 25 years after the last episode (the youngest child the record could be about), so
  no record is ever deleted early for want of a date.
- Someone born on 29 February has their birthday on 1 March in other years.

Deleting a record removes the interview, its versions and episodes, any row of another table
that refers to it (the analyst feed's projection, say), and the child row once no record refers
to it. Each deletion writes an audit entry naming the record by id and the rule that ended it:
no name, no date of birth (the log outlives the record).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from sqlalchemy import (
    CursorResult,
    Delete,
    column,
    delete,
    func,
    inspect,
    select,
    table,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause
from sqlmodel import col

from app.audit import service as audit
from app.core.london import london_day
from app.core.types import UTCDateTime, utcnow
from app.record.models import (
    Child,
    Episode,
    IdentityReview,
    Interview,
    InterviewVersion,
    RegisterEpisode,
)


@dataclass(frozen=True)
class RetentionRule:
    age_years: int = 25
    years_after_last_episode: int = 6


DEFAULT_RULE = RetentionRule()

Because = Literal["birthday", "last_episode"]


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, 25th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def anniversary(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Decision:
    """What the rule says about one record."""

    interview_id: UUID
    recorded_by_org: str
    child_id: int | None
    keep_until: date  # the last day the record is kept
    because: Because
    legal_hold: bool

    def due(self, today: date) -> bool:
        return today > self.keep_until

    def reason(self, rule: RetentionRule = DEFAULT_RULE) -> str:
        if self.because == "birthday":
            return f"the child's {ordinal(rule.age_years)} birthday has passed"
        return f"{rule.years_after_last_episode} years have passed since the last episode"


def keep_until(date_of_birth: date | None, last_episode: date,
               rule: RetentionRule = DEFAULT_RULE) -> tuple[date, Because]:
    """The last day a record is kept, and which part of the rule decided it."""
    after_episode = anniversary(last_episode, rule.years_after_last_episode)
    birthday = anniversary(date_of_birth or last_episode, rule.age_years)
    if birthday > after_episode:
        return birthday, "birthday"
    return after_episode, "last_episode"


def _document_date_of_birth(session: Session, interview_id: UUID) -> date | None:
    document = session.execute(
        select(col(Interview.document)).where(col(Interview.id) == interview_id)
    ).scalar_one()
    child = document.get("child") if isinstance(document, dict) else None
    text = child.get("date_of_birth") if isinstance(child, dict) else None
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def decisions(session: Session, rule: RetentionRule = DEFAULT_RULE, *,
              interview_id: UUID | None = None) -> Iterator[Decision]:
    """The rule applied to every record (or the one named), oldest first."""
    # type_coerce: an aggregate loses the column's type, and with it the UTC handling.
    last_episode = type_coerce(
        func.max(func.coalesce(col(Episode.returned_at), col(Episode.started_at))),
        UTCDateTime())
    episodes = (select(col(Episode.interview_id), last_episode.label("last"))
                .group_by(col(Episode.interview_id)).subquery())
    query = (
        select(col(Interview.id), col(Interview.recorded_by_org), col(Interview.child_id),
               col(Interview.legal_hold), col(Interview.updated_at),
               col(Child.date_of_birth), episodes.c.last)
        .outerjoin(Child, col(Child.id) == col(Interview.child_id))
        .outerjoin(episodes, episodes.c.interview_id == col(Interview.id))
        .order_by(col(Interview.created_at), col(Interview.id))
    )
    if interview_id is not None:
        query = query.where(col(Interview.id) == interview_id)
    for found_id, org, child_id, held, updated_at, born, last in session.execute(query).all():
        anchor = london_day(last or updated_at)
        born = born or _document_date_of_birth(session, found_id)
        until, because = keep_until(born, anchor, rule)
        yield Decision(found_id, org, child_id, until, because, bool(held))


@dataclass(frozen=True)
class Removal:
    decision: Decision
    versions: int
    episodes: int
    other_rows: int
    child_removed: bool


def _tables_referring_to(session: Session, table_name: str, skip: set[str]
                         ) -> list[tuple[TableClause, str]]:
    """Every other table whose foreign key names `table_name`: (table, column), read from the
    database itself, so a table added later (the feed's projection) is found without a change
    here."""
    inspector = inspect(session.connection())
    found = []
    for name in inspector.get_table_names():
        if name in skip:
            continue
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] == table_name and len(fk["constrained_columns"]) == 1:
                column_name = fk["constrained_columns"][0]
                found.append((table(name, column(column_name)), column_name))
    return found


def _delete(session: Session, statement: Delete) -> int:
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0


def delete_record(session: Session, decision: Decision, *, actor: str = "system") -> Removal:
    """Delete one record and everything that hangs off it, with an audit entry. Flushes."""
    interview_id = decision.interview_id
    known = {"interviews", "interview_versions", "episodes"}
    other_rows = 0
    for other, name in _tables_referring_to(session, "interviews", known):
        other_rows += _delete(session, delete(other).where(other.c[name] == interview_id))
    versions = _delete(session, delete(InterviewVersion).where(
        col(InterviewVersion.interview_id) == interview_id))
    registered = {found for found in session.execute(
        select(col(Episode.register_id)).where(col(Episode.interview_id) == interview_id)
    ).scalars() if found is not None}
    episodes = _delete(session, delete(Episode).where(
        col(Episode.interview_id) == interview_id))
    session.execute(delete(Interview).where(col(Interview.id) == interview_id))
    # The register's episodes this record covered: each ends no later than the record's last
    # episode, so its retention has ended too, unless another record still covers it.
    for register_id in registered:
        if session.execute(select(func.count()).select_from(Episode).where(
                col(Episode.register_id) == register_id)).scalar_one() == 0:
            _delete_register_episode(session, register_id)
    session.execute(update(RegisterEpisode).where(
        col(RegisterEpisode.interview_id) == interview_id).values(interview_id=None))
    child_removed = (decision.child_id is not None
                     and _remove_child_if_unused(session, decision.child_id))
    session.expire_all()  # rows deleted by statement must not linger in the identity map
    audit.record(session, actor=actor, organisation=decision.recorded_by_org,
                 action="interview.delete", target=str(interview_id),
                 details={"reason": "retention", "rule": decision.because,
                          "versions": versions, "episodes": episodes,
                          "other_rows": other_rows, "child_removed": child_removed})
    session.flush()
    return Removal(decision, versions, episodes, other_rows, child_removed)


def _remove_child_if_unused(session: Session, child_id: int) -> bool:
    """Delete the child's row when no record, episode or other row refers to it any more."""
    still_used = session.execute(
        select(func.count()).select_from(Interview).where(col(Interview.child_id) == child_id)
    ).scalar_one() + session.execute(
        select(func.count()).select_from(Episode).where(col(Episode.child_id) == child_id)
    ).scalar_one()
    for other, name in _tables_referring_to(session, "children",
                                            {"interviews", "episodes", "identity_reviews"}):
        still_used += session.execute(select(func.count()).select_from(other).where(
            other.c[name] == child_id)).scalar_one()
    if still_used:
        return False
    # The authority's decisions on facts about the child go with the child.
    session.execute(delete(IdentityReview).where(col(IdentityReview.child_id) == child_id))
    session.execute(delete(Child).where(col(Child.id) == child_id))
    return True


def _delete_register_episode(session: Session, register_id: UUID) -> None:
    """An episode of the register, with the notifications that repeat it."""
    session.execute(update(Episode).where(col(Episode.register_id) == register_id)
                    .values(register_id=None))
    session.execute(delete(RegisterEpisode).where(
        col(RegisterEpisode.duplicate_of) == register_id))
    session.execute(delete(RegisterEpisode).where(col(RegisterEpisode.id) == register_id))


@dataclass(frozen=True)
class RegisterDecision:
    """The rule applied to an episode of the register that no record covers (notified, and
    never interviewed): kept until the child's 25th birthday or 6 years after the episode."""

    episode_id: UUID
    responsible_authority: str
    child_id: int
    keep_until: date
    because: Because


def register_due(session: Session, today: date,
                 rule: RetentionRule = DEFAULT_RULE) -> list[RegisterDecision]:
    """Episodes of the register, covered by no record, whose retention has ended."""
    covered = select(col(Episode.register_id)).where(col(Episode.register_id).is_not(None))
    rows = session.execute(
        select(col(RegisterEpisode.id), col(RegisterEpisode.responsible_authority),
               col(RegisterEpisode.child_id), col(RegisterEpisode.started_at),
               col(RegisterEpisode.returned_at), col(Child.date_of_birth))
        .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
        .where(col(RegisterEpisode.duplicate_of).is_(None),
               col(RegisterEpisode.id).not_in(covered))
        .order_by(col(RegisterEpisode.started_at))).all()
    due = []
    for episode_id, authority, child_id, started, returned, born in rows:
        until, because = keep_until(born, london_day(returned or started), rule)
        if until < today:
            due.append(RegisterDecision(episode_id, authority, child_id, until, because))
    return due


def delete_register_episode(session: Session, decision: RegisterDecision, *,
                            actor: str = "system") -> bool:
    """Delete an episode of the register past its retention, with an audit entry; True when
    the child's row went too. Flushes."""
    _delete_register_episode(session, decision.episode_id)
    child_removed = _remove_child_if_unused(session, decision.child_id)
    session.expire_all()
    audit.record(session, actor=actor, organisation=decision.responsible_authority,
                 action="episode.delete", target=str(decision.episode_id),
                 details={"reason": "retention", "rule": decision.because,
                          "child_removed": child_removed})
    session.flush()
    return child_removed


@dataclass(frozen=True)
class Plan:
    due: list[Decision]
    held: list[Decision]  # due but under legal hold: kept


def plan(session: Session, today: date | None = None,
         rule: RetentionRule = DEFAULT_RULE) -> Plan:
    """Which records the rule deletes today, and which it would but for a legal hold."""
    day = today or london_day(utcnow())
    due: list[Decision] = []
    held: list[Decision] = []
    for decision in decisions(session, rule):
        if decision.due(day):
            (held if decision.legal_hold else due).append(decision)
    return Plan(due, held)


def recheck(session: Session, decision: Decision, today: date,
            rule: RetentionRule = DEFAULT_RULE) -> Decision | None:
    """The decision again, just before deleting: since the plan a hold may have been set, an
    episode added, or the record removed. None unless it is still due and not held."""
    for fresh in decisions(session, rule, interview_id=decision.interview_id):
        if fresh.due(today) and not fresh.legal_hold:
            return fresh
    return None
