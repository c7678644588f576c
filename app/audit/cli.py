"""`rhi audit verify`: check the audit log's hash chain from the first entry to the last."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service
from app.core.db import get_engine
from app.core.errors import DomainError


class ChainBroken(DomainError):
    """The chain does not verify (`rhi` exits 1)."""

    title = "The audit log has been changed"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def verify(session: Session) -> service.Verification:
    """Print OK and the count, or each broken entry and raise ChainBroken."""
    result = service.verify_all(session)
    if result.ok:
        # The last hash, noted somewhere else, shows later whether entries were cut off the end
        # (which no chain can show by itself).
        _say(f"OK: {result.count} audit entries verified; the last is {result.last_id} "
             f"with hash {result.last_hash}")
        return result
    for problem in result.problems:
        _say(f"entry {problem.entry_id}: {problem.problem}")
    count = len(result.problems)
    raise ChainBroken(f"the audit log does not verify: {count} problem{'s' if count > 1 else ''} "
                      f"in {result.count} entries (listed above)")


def _verify(_args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        verify(session)


def add_commands(subparsers: argparse._SubParsersAction[Any],
                 parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `audit verify`; it sets `run`, a function of the parsed arguments."""
    audit = subparsers.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION",
                                   parser_class=parser_class)
    actions.add_parser("verify", help="check that no entry was changed or removed") \
        .set_defaults(run=_verify)
