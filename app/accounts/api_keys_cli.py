"""`rhi api-keys create | list | revoke`: the admin's commands for partner systems' keys.

Each command owns its transaction: its own session, one commit at the end. Refusals are
DomainErrors, which `rhi` prints as one line before exiting 1. The new key is printed alone on
the last line, so a script can take it with `tail -n 1`; only its hash is stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.api_keys import (
    MAX_EXPIRES_DAYS,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from app.accounts.models import API_SCOPES, ApiKey
from app.core.db import get_engine
from app.core.errors import DomainError
from app.core.types import utcnow


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "-"


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return f"revoked {_day(key.revoked_at)}"
    if key.expires_at is not None and key.expires_at <= now:
        return f"expired {_day(key.expires_at)}"
    return f"active until {_day(key.expires_at)}"


def _create(args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        key, plaintext = create_api_key(session, args.org, args.name, args.scopes,
                                        expires_days=args.expires_days)
        session.commit()
    _say(f"Created API key {key.id} ({key.name}) for {args.org.strip()}: "
         f"scopes {', '.join(key.scopes)}, expires {_day(key.expires_at)}")
    _say("Give this key to the partner system now; it is not stored and cannot be shown again:")
    _say(plaintext)


def _list(_args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        listed = list_api_keys(session)
    if not listed:
        _say("No API keys")
        return
    now = utcnow()
    _say(f"{'ID':<12} {'ORG':<16} {'SCOPES':<20} {'LAST USED':<10} {'STATE':<24} NAME")
    for entry in listed:
        key = entry.key
        _say(f"{key.id:<12} {entry.organisation_code:<16} {','.join(key.scopes):<20} "
             f"{_day(key.last_used_at):<10} {_state(key, now):<24} {key.name}")


def _revoke(args: argparse.Namespace) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        key = revoke_api_key(session, args.key_id)
        session.commit()
    _say(f"Revoked API key {key.id} ({key.name}); it no longer works")


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_EXPIRES_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r} must be from 1 to {MAX_EXPIRES_DAYS}")
    return value


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `api-keys` and its actions; each sets `run`, a function of the parsed arguments."""
    api_keys = subparsers.add_parser("api-keys", help="API keys of partner systems")
    actions = api_keys.add_subparsers(dest="action", required=True, metavar="ACTION",
                                      parser_class=type(api_keys))

    create = actions.add_parser("create", help="make a key; it is printed once, on the last line")
    create.add_argument("--org", required=True, metavar="CODE", help="the organisation's code")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--scope", required=True, action="append", choices=API_SCOPES,
                        dest="scopes", help="repeat for several scopes")
    create.add_argument("--expires-days", type=_days, default=365, metavar="DAYS")
    create.set_defaults(run=_create)

    actions.add_parser("list", help="every key, without secrets").set_defaults(run=_list)

    revoke = actions.add_parser("revoke", help="stop a key working, at once")
    revoke.add_argument("key_id", metavar="KEY_ID", help="like rk_ab12cd34")
    revoke.set_defaults(run=_revoke)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m app.accounts.api_keys_cli api-keys ...`, for use before `rhi` has it."""
    parser = argparse.ArgumentParser(prog="rhi")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except DomainError as refusal:
        sys.stderr.write(f"rhi: error: {refusal}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
