"""Retention: deleting records whose retention period has ended (`rhi retention purge`), and a
records manager's decisions on the records that are not deleted automatically
(`rhi retention decide`).

Each record has a retention class (`security.md`, "Retention"; the periods are set here, in
`DEFAULT_RULE`), decided from what it holds:

- `standard`: kept until the later of the child's 25th birthday and 6 years after the record's
  last episode, and deleted from the next day (Europe/London).
- `looked_after`: the child's legal status is `looked_after`, or `care_leaver` (a care leaver
  was looked after), on the record or on any of its kept versions, or on a register episode it
  covers. The record is case-record material (Care Planning, Placement and Case Review (England)
  Regulations 2010, reg. 50): kept until the child's 75th birthday (never less than `standard`).
- `exploitation`: an exploitation indicator (`EXPLOITATION_INDICATORS`) in the record's risk
  indicators, or in any of its kept versions'. Its period is whichever of the two above applies,
  but when it ends the record is never deleted automatically: it waits for a records manager's
  decision (`RetentionDecision`), to destroy it (the next purge deletes it) or to keep it until
  a date (then it waits again). Only a decision made after the period ended counts: a decision
  on an earlier period (before a new episode lengthened it) does not.

A record under legal hold is kept whatever its class and whatever was decided.

- The last episode is the latest return (or start, for an episode with no return) among the
  record's episodes; a record with no episode at all counts from its last change instead.
- The date of birth is the child row's, else the document's. Without one a birthday is taken
  as that many years after the last episode (the youngest child the record could be about), so
  no record is ever deleted early for want of a date.
- Someone born on 29 February has their birthday on 1 March in other years.
- An episode of the register that no record covers (notified, never interviewed) is
  `looked_after` when it or a notification repeating it gives that legal status (or
  `care_leaver`), else `standard`; it holds no risk indicators.

Deleting a record removes the interview, its versions and episodes, any row of another table
that refers to it (the analyst feed's projection, the retention decisions), and the child row
once no record refers to it. Each deletion writes an audit entry naming the record by id, its
class and the rule that ended it: no name, no date of birth (the log outlives the record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal
from uuid import UUID

from sqlalchemy import (
    CursorResult,
    Delete,
    column,
    delete,
    exists,
    func,
    inspect,
    or_,
    select,
    table,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import TableClause
from sqlmodel import col

from app.audit import service as audit
from app.core.errors import BadRequest, NotFound
from app.core.london import london_day
from app.core.text import UNSAFE_CHARACTERS
from app.core.types import UTCDateTime, utcnow
from app.record.codes import EXPLOITATION_INDICATORS
from app.record.models import (
    Child,
    Episode,
    IdentityReview,
    Interview,
    InterviewVersion,
    RegisterEpisode,
)
from app.retention.models import (
    DECIDED_BY_MAX,
    DESTROY,
    KEEP_UNTIL,
    REASON_MAX,
    RetentionDecision,
)


@dataclass(frozen=True)
class RetentionRule:
    age_years: int = 25
    years_after_last_episode: int = 6
    # Looked-after children (and care leavers): case-record material, kept to this birthday.
    looked_after_age_years: int = 75


DEFAULT_RULE = RetentionRule()

# The legal statuses that make a record case-record material: a care leaver was looked after.
LOOKED_AFTER_STATUSES: Final = frozenset({"looked_after", "care_leaver"})

Because = Literal["birthday", "last_episode", "looked_after_birthday"]
RetentionClass = Literal["standard", "looked_after", "exploitation"]
CLASSES: Final[tuple[RetentionClass, ...]] = ("standard", "looked_after", "exploitation")
# What the purge does with a record today: nothing yet (its period runs), keep it (legal hold;
# a records manager's decision to keep it), wait for a records manager's decision, or delete it.
Outcome = Literal["running", "held", "deferred", "waiting", "delete"]


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
class Recorded:
    """A records manager's decision on a record (a `RetentionDecision` row)."""

    decision: str  # DESTROY or KEEP_UNTIL
    keep_until: date | None
    decided_on: date  # London day


@dataclass(frozen=True)
class Decision:
    """What the rule says about one record."""

    interview_id: UUID
    recorded_by_org: str
    child_id: int | None
    keep_until: date  # the last day the record is kept (its period)
    because: Because
    legal_hold: bool
    looked_after: bool = False
    exploitation: bool = False
    # The latest decision of a records manager made after the period ended (exploitation).
    recorded: Recorded | None = None

    @property
    def retention_class(self) -> RetentionClass:
        if self.exploitation:
            return "exploitation"
        return "looked_after" if self.looked_after else "standard"

    @property
    def label(self) -> str:
        """The class as the purge prints it: an exploitation record says which period."""
        if self.exploitation:
            return "exploitation, looked-after period" if self.looked_after else "exploitation"
        return self.retention_class

    def ended(self, today: date) -> bool:
        """Whether the retention period has ended by `today`."""
        return today > self.keep_until

    def outcome(self, today: date) -> Outcome:
        if not self.ended(today):
            return "running"
        if self.legal_hold:
            return "held"
        if not self.exploitation:
            return "delete"
        if self.recorded is None:
            return "waiting"
        if self.recorded.decision == DESTROY:
            return "delete"
        if self.recorded.keep_until is not None and today <= self.recorded.keep_until:
            return "deferred"
        return "waiting"

    def reason(self, rule: RetentionRule = DEFAULT_RULE) -> str:
        return _reason(self.because, rule)


def _reason(because: Because, rule: RetentionRule) -> str:
    if because == "birthday":
        return f"the child's {ordinal(rule.age_years)} birthday has passed"
    if because == "looked_after_birthday":
        return (f"the child's {ordinal(rule.looked_after_age_years)} birthday has passed "
                "(looked after: kept as case-record material)")
    return f"{rule.years_after_last_episode} years have passed since the last episode"


def keep_until(date_of_birth: date | None, last_episode: date,
               rule: RetentionRule = DEFAULT_RULE, *, looked_after: bool = False
               ) -> tuple[date, Because]:
    """The last day a record is kept, and which part of the rule decided it. A looked-after
    child's record is kept to the 75th birthday, and never for less than another's."""
    after_episode = anniversary(last_episode, rule.years_after_last_episode)
    birthday = anniversary(date_of_birth or last_episode, rule.age_years)
    until: date = after_episode
    because: Because = "last_episode"
    if birthday > after_episode:
        until, because = birthday, "birthday"
    if looked_after:
        case_record = anniversary(date_of_birth or last_episode, rule.looked_after_age_years)
        if case_record > until:
            return case_record, "looked_after_birthday"
    return until, because


@dataclass
class _Holds:
    """What a record's document and kept versions say, for its class."""

    date_of_birth: date | None = None
    looked_after: bool = False
    exploitation: bool = False


def _read_document(document: Any, holds: _Holds, *, current: bool) -> None:
    if not isinstance(document, dict):
        return
    child = document.get("child")
    if isinstance(child, dict):
        if child.get("legal_status") in LOOKED_AFTER_STATUSES:
            holds.looked_after = True
        text = child.get("date_of_birth")
        if current and isinstance(text, str):
            try:
                holds.date_of_birth = date.fromisoformat(text)
            except ValueError:
                pass
    interview = document.get("interview")
    indicators = interview.get("risk_indicators") if isinstance(interview, dict) else None
    if isinstance(indicators, list) and any(
            isinstance(code, str) and code in EXPLOITATION_INDICATORS for code in indicators):
        holds.exploitation = True


_CHUNK = 200  # records read together: their documents, versions and decisions


def _holds(session: Session, ids: list[UUID]) -> dict[UUID, _Holds]:
    """What each record (of a few) holds: its documents, every kept version's, and the legal
    status of the register episodes it covers."""
    found: dict[UUID, _Holds] = {found_id: _Holds() for found_id in ids}
    for found_id, document in session.execute(
            select(col(Interview.id), col(Interview.document)).where(
                col(Interview.id).in_(ids))):
        _read_document(document, found[found_id], current=True)
    for found_id, document in session.execute(
            select(col(InterviewVersion.interview_id), col(InterviewVersion.document)).where(
                col(InterviewVersion.interview_id).in_(ids))):
        _read_document(document, found[found_id], current=False)
    covered = session.execute(
        select(col(Episode.interview_id)).join(RegisterEpisode, or_(
            col(RegisterEpisode.id) == col(Episode.register_id),
            col(RegisterEpisode.duplicate_of) == col(Episode.register_id)))
        .where(col(Episode.interview_id).in_(ids),
               col(RegisterEpisode.legal_status).in_(LOOKED_AFTER_STATUSES))
        .distinct()).scalars()
    for found_id in covered:
        found[found_id].looked_after = True
    return found


def _recorded(session: Session, ids: list[UUID]) -> dict[UUID, list[Recorded]]:
    """Each record's decisions, oldest first."""
    found: dict[UUID, list[Recorded]] = defaultdict(list)
    for row in session.execute(
            select(RetentionDecision).where(col(RetentionDecision.interview_id).in_(ids))
            .order_by(col(RetentionDecision.decided_at), col(RetentionDecision.id))).scalars():
        found[row.interview_id].append(
            Recorded(row.decision, row.keep_until, london_day(row.decided_at)))
    return found


def _latest_after(recorded: Iterable[Recorded], period_end: date) -> Recorded | None:
    """The latest decision made after the period ended: one made before is about another
    period (a new episode has lengthened it since)."""
    latest = None
    for decision in recorded:
        if decision.decided_on > period_end:
            latest = decision
    return latest


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
    rows = session.execute(query).all()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        ids = [row[0] for row in chunk]
        holds = _holds(session, ids)
        recorded = _recorded(session, ids)
        for found_id, org, child_id, held, updated_at, born, last in chunk:
            anchor = london_day(last or updated_at)
            what = holds[found_id]
            until, because = keep_until(born or what.date_of_birth, anchor, rule,
                                        looked_after=what.looked_after)
            latest = (_latest_after(recorded.get(found_id, ()), until)
                      if what.exploitation else None)
            yield Decision(found_id, org, child_id, until, because, bool(held),
                           what.looked_after, what.exploitation, latest)


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
    """Delete one record and everything that hangs off it (its retention decisions too), with
    an audit entry. Flushes."""
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
    # episode, and its legal status counted in the record's class, so its retention has ended
    # too, unless another record still covers it.
    for register_id in registered:
        if session.execute(select(func.count()).select_from(Episode).where(
                col(Episode.register_id) == register_id)).scalar_one() == 0:
            _delete_register_episode(session, register_id)
    session.execute(update(RegisterEpisode).where(
        col(RegisterEpisode.interview_id) == interview_id).values(interview_id=None))
    child_removed = (decision.child_id is not None
                     and _remove_child_if_unused(session, decision.child_id))
    session.expire_all()  # rows deleted by statement must not linger in the identity map
    details: dict[str, Any] = {
        "reason": "retention", "class": decision.retention_class, "rule": decision.because,
        "versions": versions, "episodes": episodes, "other_rows": other_rows,
        "child_removed": child_removed}
    if decision.recorded is not None:
        details["decided_on"] = decision.recorded.decided_on.isoformat()
    audit.record(session, actor=actor, organisation=decision.recorded_by_org,
                 action="interview.delete", target=str(interview_id), details=details)
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
    never interviewed): kept until the child's 25th birthday or 6 years after the episode, or,
    for a looked-after child or a care leaver, until the 75th birthday."""

    episode_id: UUID
    responsible_authority: str
    child_id: int
    keep_until: date
    because: Because
    looked_after: bool = False

    @property
    def retention_class(self) -> RetentionClass:
        return "looked_after" if self.looked_after else "standard"

    def reason(self, rule: RetentionRule = DEFAULT_RULE) -> str:
        return _reason(self.because, rule)


def register_due(session: Session, today: date,
                 rule: RetentionRule = DEFAULT_RULE) -> list[RegisterDecision]:
    """Episodes of the register, covered by no record, whose retention has ended."""
    covered = select(col(Episode.register_id)).where(col(Episode.register_id).is_not(None))
    repeat = aliased(RegisterEpisode)
    looked_after = or_(
        col(RegisterEpisode.legal_status).in_(LOOKED_AFTER_STATUSES),
        exists().where(col(repeat.duplicate_of) == col(RegisterEpisode.id),
                       col(repeat.legal_status).in_(LOOKED_AFTER_STATUSES)))
    rows = session.execute(
        select(col(RegisterEpisode.id), col(RegisterEpisode.responsible_authority),
               col(RegisterEpisode.child_id), col(RegisterEpisode.started_at),
               col(RegisterEpisode.returned_at), col(Child.date_of_birth), looked_after)
        .join(Child, col(Child.id) == col(RegisterEpisode.child_id))
        .where(col(RegisterEpisode.duplicate_of).is_(None),
               col(RegisterEpisode.id).not_in(covered))
        .order_by(col(RegisterEpisode.started_at))).all()
    due = []
    for episode_id, authority, child_id, started, returned, born, cared_for in rows:
        until, because = keep_until(born, london_day(returned or started), rule,
                                    looked_after=bool(cared_for))
        if until < today:
            due.append(RegisterDecision(episode_id, authority, child_id, until, because,
                                        bool(cared_for)))
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
                 details={"reason": "retention", "class": decision.retention_class,
                          "rule": decision.because, "child_removed": child_removed})
    session.flush()
    return child_removed


@dataclass(frozen=True)
class Plan:
    due: list[Decision]
    held: list[Decision]  # ended, but under legal hold: kept
    # Exploitation records whose period has ended, with no decision in force: kept.
    waiting: list[Decision] = field(default_factory=list)
    # Exploitation records a records manager decided to keep until a date not yet passed.
    deferred: list[Decision] = field(default_factory=list)
    # How many records of each class are still within their retention period.
    running: Mapping[RetentionClass, int] = field(default_factory=dict)


def plan(session: Session, today: date | None = None,
         rule: RetentionRule = DEFAULT_RULE) -> Plan:
    """Which records the rule deletes today, which it would but for a legal hold, and which
    wait for (or are kept by) a records manager's decision."""
    day = today or london_day(utcnow())
    lists: dict[Outcome, list[Decision]] = {
        "delete": [], "held": [], "waiting": [], "deferred": []}
    running: dict[RetentionClass, int] = dict.fromkeys(CLASSES, 0)
    for decision in decisions(session, rule):
        outcome = decision.outcome(day)
        if outcome == "running":
            running[decision.retention_class] += 1
        else:
            lists[outcome].append(decision)
    return Plan(lists["delete"], lists["held"], lists["waiting"], lists["deferred"], running)


def recheck(session: Session, decision: Decision, today: date,
            rule: RetentionRule = DEFAULT_RULE) -> Decision | None:
    """The decision again, just before deleting: since the plan a hold may have been set, an
    episode or an exploitation indicator added, a decision recorded, or the record removed.
    None unless it is still to be deleted today."""
    for fresh in decisions(session, rule, interview_id=decision.interview_id):
        if fresh.outcome(today) == "delete":
            return fresh
    return None


# --- a records manager's decision ----------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """A decision just recorded, and the record's retention as it stood."""

    row: RetentionDecision
    record: Decision


def decide(session: Session, interview_id: UUID, *, keep_until_day: date | None,
           reason: str, decided_by: str, at: datetime | None = None,
           rule: RetentionRule = DEFAULT_RULE, actor: str = "cli") -> Decided:
    """Record a records manager's decision on an exploitation record whose retention period
    has ended: destroy it (`keep_until_day` None; the next purge deletes it) or keep it until
    that day (then it waits for a decision again). Audited without the reason, which is free
    text and may name the child; the reason stays on the row, and goes with the record.
    Flushes; the caller commits. Refuses (BadRequest, NotFound) anything else."""
    moment = at or utcnow()
    today = london_day(moment)
    reason = reason.strip()
    decided_by = decided_by.strip()
    if not reason or len(reason) > REASON_MAX or UNSAFE_CHARACTERS.search(reason):
        raise BadRequest(f"give the reason for the decision in 1 to {REASON_MAX} characters")
    if not decided_by or len(decided_by) > DECIDED_BY_MAX or UNSAFE_CHARACTERS.search(
            decided_by):
        raise BadRequest(f"give who decided (--by) in 1 to {DECIDED_BY_MAX} characters")
    if keep_until_day is not None and keep_until_day <= today:
        raise BadRequest(f"--keep-until must be a day after today ({today.isoformat()})")
    found = next(decisions(session, rule, interview_id=interview_id), None)
    if found is None:
        raise NotFound(f"there is no record {interview_id}")
    if not found.exploitation:
        raise BadRequest(f"record {interview_id} is of the {found.retention_class} class: it "
                         "is deleted when its retention period ends, with no decision")
    if not found.ended(today):
        raise BadRequest(f"the retention period of record {interview_id} runs until "
                         f"{found.keep_until.isoformat()}: a decision is made once it has "
                         "ended")
    row = RetentionDecision(
        interview_id=interview_id, decision=KEEP_UNTIL if keep_until_day else DESTROY,
        keep_until=keep_until_day, reason=reason, decided_by=decided_by, decided_at=moment)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, organisation=found.recorded_by_org,
                 action="interview.retention-decision", target=str(interview_id),
                 details={"decision": row.decision,
                          "keep_until": keep_until_day.isoformat() if keep_until_day else None,
                          "decided_by": decided_by, "class": found.retention_class,
                          "retention_ended": found.keep_until.isoformat()})
    return Decided(row, found)
