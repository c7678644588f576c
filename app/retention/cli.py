"""`rhi retention purge [--dry-run]`: delete the records whose retention period has ended;
`rhi retention decide`: a records manager's decision on a record that is not deleted
automatically (an exploitation record).

Each deletion is its own transaction, together with its audit entry, so a purge stopped halfway
leaves every record either wholly there or wholly gone, and the log saying so. The output names
records by id, with their retention class and why each goes or stays; it never prints a name, a
date of birth or a decision's reason (free text).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from app.core.db import get_engine
from app.core.london import london_day
from app.core.types import utcnow
from app.retention import service

DECIDE_HINT = "rhi retention decide {id} --destroy|--keep-until YYYY-MM-DD --reason TEXT --by NAME"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _record(decision: service.Decision) -> str:
    return (f"{decision.interview_id} (recorded by {decision.recorded_by_org}) "
            f"[{decision.label}]")


def _rules(rule: service.RetentionRule) -> str:
    return (f"standard records are kept until the later of the child's "
            f"{service.ordinal(rule.age_years)} birthday and {rule.years_after_last_episode} "
            f"years after the last episode; looked-after records (and care leavers') until the "
            f"child's {service.ordinal(rule.looked_after_age_years)} birthday; exploitation "
            f"records then wait for a records manager's decision")


def purge(session: Session, *, dry_run: bool, today: date | None = None,
          rule: service.RetentionRule = service.DEFAULT_RULE) -> int:
    """Delete (or, in a dry run, list) what the rule ends today; commits each deletion.

    Returns the number of records deleted (or that would be).
    """
    day = today or london_day(utcnow())
    plan = service.plan(session, day, rule)
    # The plan only read; end its transaction (on SQLite it holds the write lock) before the
    # deletions, each of which is a transaction of its own.
    session.rollback()
    verb = "would delete" if dry_run else "deleted"
    _say(f"Retention on {day.isoformat()}: {_rules(rule)}"
         + (" (dry run: nothing is changed)" if dry_run else ""))
    removed = 0
    for decision in plan.due:
        if dry_run:
            _say(f"{verb} {_record(decision)}: {_why(decision, rule)}")
            removed += 1
            continue
        fresh = service.recheck(session, decision, day, rule)
        if fresh is None:
            session.rollback()
            _say(f"skipped {decision.interview_id}: changed, held or decided on since the "
                 "purge began")
            continue
        removal = service.delete_record(session, fresh)
        session.commit()
        removed += 1
        child = "; the child row too" if removal.child_removed else ""
        _say(f"{verb} {_record(fresh)}: {_why(fresh, rule)}; "
             f"{_count(removal.versions, 'version')}, {_count(removal.episodes, 'episode')}"
             f"{child}")
    for decision in plan.waiting:
        _say(f"waiting for a records manager's decision: {_record(decision)}: "
             f"{decision.reason(rule)}; retention ended {decision.keep_until.isoformat()}"
             f"{_expired(decision)}; exploitation records are not deleted without one "
             f"({DECIDE_HINT.format(id=decision.interview_id)})")
    for decision in plan.deferred:
        _say(f"kept {_record(decision)}: {_kept_by(decision)} (retention ended "
             f"{decision.keep_until.isoformat()})")
    for decision in plan.held:
        _say(f"kept {_record(decision)}: legal hold (retention ended "
             f"{decision.keep_until.isoformat()})")
    removed += _purge_register(session, day, rule, dry_run=dry_run, verb=verb)
    summary = "Records that would be deleted" if dry_run else "Records deleted"
    kept = [f"{len(plan.held)} kept under legal hold" if plan.held else "",
            f"{len(plan.waiting)} waiting for a records manager's decision"
            if plan.waiting else "",
            f"{len(plan.deferred)} kept by a records manager's decision"
            if plan.deferred else ""]
    _say(f"{summary}: {removed}" + "".join(f"; {part}" for part in kept if part))
    _say("Within their retention period: " + ", ".join(
        f"{plan.running.get(name, 0)} {name}" for name in service.CLASSES))
    return removed


def _why(decision: service.Decision, rule: service.RetentionRule) -> str:
    """Why a record goes: its period ended (and, for exploitation, a records manager decided
    to destroy it)."""
    why = f"{decision.reason(rule)}; kept until {decision.keep_until.isoformat()}"
    if decision.recorded is not None:
        why += (f"; a records manager decided on {decision.recorded.decided_on.isoformat()} "
                "to destroy it")
    return why


def _kept_by(decision: service.Decision) -> str:
    recorded = decision.recorded
    if recorded is None or recorded.keep_until is None:
        return "a records manager's decision"
    return (f"a records manager decided on {recorded.decided_on.isoformat()} to keep it until "
            f"{recorded.keep_until.isoformat()}")


def _expired(decision: service.Decision) -> str:
    recorded = decision.recorded
    if recorded is None or recorded.keep_until is None:
        return ""
    return f"; the records manager's decision kept it until {recorded.keep_until.isoformat()}"


def _purge_register(session: Session, day: date, rule: service.RetentionRule, *,
                    dry_run: bool, verb: str) -> int:
    """The register's episodes that no record covers (notified, never interviewed)."""
    due = service.register_due(session, day, rule)
    session.rollback()
    for decision in due:
        child = ""
        if not dry_run:
            if service.delete_register_episode(session, decision):
                child = "; the child row too"
            session.commit()
        _say(f"{verb} episode {decision.episode_id} (of a child of "
             f"{decision.responsible_authority}, no interview recorded) "
             f"[{decision.retention_class}]: {decision.reason(rule)}; kept until "
             f"{decision.keep_until.isoformat()}{child}")
    return len(due)


def _purge(args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        purge(session, dry_run=args.dry_run)


def decide(session: Session, interview_id: UUID, *, keep_until: date | None, reason: str,
           decided_by: str) -> service.Decided:
    """Record the decision and commit; says what it means for the next purge."""
    decided = service.decide(session, interview_id, keep_until_day=keep_until, reason=reason,
                             decided_by=decided_by)
    session.commit()
    record = decided.record
    if keep_until is None:
        meaning = "destroy it: the next `rhi retention purge` deletes it"
    else:
        meaning = (f"keep it until {keep_until.isoformat()}; from the day after, it waits for "
                   "a decision again")
    held = ("; it is under legal hold, which keeps it whatever is decided"
            if record.legal_hold else "")
    _say(f"Recorded for {_record(record)} (retention ended {record.keep_until.isoformat()}): "
         f"{meaning}{held}")
    return decided


def _decide(args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        decide(session, args.interview_id, keep_until=args.keep_until, reason=args.reason,
               decided_by=args.by)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _interview_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a record id: {text!r}") from None


def add_commands(subparsers: argparse._SubParsersAction[Any],
                 parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `retention purge` and `retention decide`; each sets `run`, a function of the parsed
    arguments."""
    retention = subparsers.add_parser("retention", help="retention of records")
    actions = retention.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       parser_class=parser_class)
    purge_parser = actions.add_parser("purge", help="delete records past the retention period")
    purge_parser.add_argument("--dry-run", action="store_true",
                              help="list what would be deleted and what waits; change nothing")
    purge_parser.set_defaults(run=_purge)
    decide_parser = actions.add_parser(
        "decide", help="a records manager's decision on an exploitation record past its "
                       "retention period")
    decide_parser.add_argument("interview_id", type=_interview_id, metavar="INTERVIEW_ID")
    what = decide_parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--destroy", action="store_true",
                      help="the next purge deletes it")
    what.add_argument("--keep-until", type=_day, metavar="YYYY-MM-DD",
                      help="keep it until this day; then it waits for a decision again")
    decide_parser.add_argument("--reason", required=True, metavar="TEXT",
                               help="why (kept with the decision, never in the audit log)")
    decide_parser.add_argument("--by", required=True, metavar="NAME",
                               help="the records manager who decided")
    decide_parser.set_defaults(run=_decide)
