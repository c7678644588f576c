"""`rhi notify send`: send the outbox's messages whose time has come (meant for a timer, every
minute or few); `rhi notify deadlines`: queue and send today's digest to each responsible
authority with deadlines about to pass or returns waiting for an offer (meant for a timer,
once each morning; a second run the same day sends nothing new).

The output counts messages and names organisations by code; it never prints an address, a
record or a child.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.orm import Session

from app.core.db import get_engine
from app.notify import digest, outbox, senders, sending


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _configured() -> senders.Sender | None:
    sender = senders.configured()
    if sender is None:
        _say("No email is configured (RHI_NOTIFY_API_KEY or RHI_SMTP_HOST): messages are "
             "kept as not sent")
    return sender


def _send(_args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        tally = sending.send_due(session, _configured())
    _say(f"Notifications: {tally}")


def _deadlines(_args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        made = digest.build(session)
        queued = outbox.take_queued(session)  # sent below, not by a thread that may not finish
        session.commit()
        tally = sending.send_due(session, _configured(), ids=queued)
    _say(f"Digests: {len(made.queued)} written for {made.organisations} organisation"
         f"{'' if made.organisations == 1 else 's'} with something due"
         + (f"; already written today for {', '.join(made.already)}" if made.already else ""))
    _say(f"Notifications: {tally}")


def add_commands(subparsers: argparse._SubParsersAction[Any],
                 parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `notify send` and `notify deadlines`; each sets `run`, a function of the parsed
    arguments."""
    notify = subparsers.add_parser("notify", help="email notifications")
    actions = notify.add_subparsers(dest="action", required=True, metavar="ACTION",
                                    parser_class=parser_class)
    actions.add_parser("send", help="send the queued messages whose time has come, trying "
                                    "failures again with backoff (run it from a timer)") \
        .set_defaults(run=_send)
    actions.add_parser("deadlines", help="today's digest of deadlines about to pass and "
                                         "returns waiting for an offer, once a day per "
                                         "organisation (run it from a timer)") \
        .set_defaults(run=_deadlines)
