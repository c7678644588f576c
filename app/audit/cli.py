"""`rhi audit verify`: check the audit log's keyed hash chain from the first entry to the last,
and against every signed checkpoint; `rhi audit checkpoint`: write one."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.orm import Session

from app.audit import checkpoints, service
from app.core.db import get_engine
from app.core.errors import DomainError


class ChainBroken(DomainError):
    """The chain does not verify (`rhi` exits 1)."""

    title = "The audit log has been changed"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def verify(session: Session) -> service.Verification:
    """Print OK and the count, or each problem and raise ChainBroken. A log that verifies gets
    a new checkpoint, so entries cut off its end later are found."""
    path = checkpoints.path_for(session)
    known, unreadable = checkpoints.read(path)
    result = service.verify_all(session, anchors=[c.last_id for c in known if c.last_id])
    problems = result.problems + checkpoints.check(known, result)
    if not problems and not unreadable:
        checkpoints.append(path, result)
        _say(f"OK: {result.count} audit entries verified; the last is {result.last_id} "
             f"with hash {result.last_hash}; {len(known)} earlier checkpoint"
             f"{'' if len(known) == 1 else 's'} agree; checkpoint written to {path}")
        return result
    for line in unreadable:
        _say(line)
    for problem in problems:
        _say(f"entry {problem.entry_id}: {problem.problem}")
    count = len(problems) + len(unreadable)
    raise ChainBroken(f"the audit log does not verify: {count} problem{'s' if count > 1 else ''} "
                      f"in {result.count} entries (listed above)")


def _verify(_args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        verify(session)


def add_commands(subparsers: argparse._SubParsersAction[Any],
                 parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `audit verify` and `audit checkpoint`; each sets `run`, a function of the parsed
    arguments."""
    audit = subparsers.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION",
                                   parser_class=parser_class)
    actions.add_parser("verify", help="check that no entry was changed or removed, and write "
                                      "a checkpoint").set_defaults(run=_verify)
    # The same: a checkpoint is only ever written for a log that verifies.
    actions.add_parser("checkpoint", help="verify, then record the chain's length and head "
                                          "outside the database (run it from a timer)") \
        .set_defaults(run=_verify)
