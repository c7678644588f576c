"""`rhi retention purge [--dry-run]`: delete the records whose retention period has ended.

Each deletion is its own transaction, together with its audit entry, so a purge stopped halfway
leaves every record either wholly there or wholly gone, and the log saying so. The output names
records by id and says why each goes; it never prints a name.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.core.db import get_engine
from app.core.london import london_day
from app.core.types import utcnow
from app.retention import service


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


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
    _say(f"Retention on {day.isoformat()}: kept until the later of the child's "
         f"{service.ordinal(rule.age_years)} birthday and {rule.years_after_last_episode} "
         f"years after the last episode" + (" (dry run: nothing is changed)" if dry_run else ""))
    removed = 0
    for decision in plan.due:
        if dry_run:
            _say(f"{verb} {decision.interview_id} (recorded by {decision.recorded_by_org}): "
                 f"{decision.reason(rule)}; kept until {decision.keep_until.isoformat()}")
            removed += 1
            continue
        fresh = service.recheck(session, decision, day, rule)
        if fresh is None:
            session.rollback()
            _say(f"skipped {decision.interview_id}: changed or held since the purge began")
            continue
        removal = service.delete_record(session, fresh)
        session.commit()
        removed += 1
        child = "; the child row too" if removal.child_removed else ""
        _say(f"{verb} {fresh.interview_id} (recorded by {fresh.recorded_by_org}): "
             f"{fresh.reason(rule)}; kept until {fresh.keep_until.isoformat()}; "
             f"{_count(removal.versions, 'version')}, {_count(removal.episodes, 'episode')}"
             f"{child}")
    for decision in plan.held:
        _say(f"kept {decision.interview_id} (recorded by {decision.recorded_by_org}): legal hold "
             f"(retention ended {decision.keep_until.isoformat()})")
    removed += _purge_register(session, day, rule, dry_run=dry_run, verb=verb)
    held = f"; {len(plan.held)} kept under legal hold" if plan.held else ""
    summary = "Records that would be deleted" if dry_run else "Records deleted"
    _say(f"{summary}: {removed}{held}")
    return removed


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
             f"{decision.responsible_authority}, no interview recorded): kept until "
             f"{decision.keep_until.isoformat()}{child}")
    return len(due)


def _purge(args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        purge(session, dry_run=args.dry_run)


def add_commands(subparsers: argparse._SubParsersAction[Any],
                 parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `retention purge`; it sets `run`, a function of the parsed arguments."""
    retention = subparsers.add_parser("retention", help="retention of records")
    actions = retention.add_subparsers(dest="action", required=True, metavar="ACTION",
                                       parser_class=parser_class)
    purge_parser = actions.add_parser("purge", help="delete records past the retention period")
    purge_parser.add_argument("--dry-run", action="store_true",
                              help="list what would be deleted; change nothing")
    purge_parser.set_defaults(run=_purge)
