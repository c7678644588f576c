"""The `rhi` command line (commands as in docs/api.md).

Each command opens its own database session and commits once at the end: the command is the
transaction owner. Bad input gives one line on standard error and a non-zero exit (2 for usage,
1 for everything the domain refuses), never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.accounts import api_keys_cli
from app.accounts import service as accounts
from app.accounts.models import ORG_KIND, ROLES
from app.audit import cli as audit_cli
from app.core.db import get_engine, upgrade_database
from app.core.errors import DomainError
from app.core.settings import ConfigurationError, get_settings
from app.demo import plan as demo_plan
from app.notify import cli as notify_cli
from app.retention import cli as retention_cli
from app.startup import wire

EXIT_REFUSED = 1
EXIT_USAGE = 2

class CommandError(Exception):
    """A refusal to report in one line and exit 1."""




class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


# --- commands --------------------------------------------------------------------------------


def _cores() -> int:
    """The processor cores this process may run on (a container's or `taskset`'s share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.core import observability

    upgrade_database()  # here, once, before any worker starts
    settings = get_settings()
    proxies = settings.trusted_proxies.strip()
    workers = args.workers or settings.workers or _cores()
    if workers > 1:
        _share_metrics_between_workers()
    # X-Forwarded-For and -Proto only from the proxies named: by default from nobody (uvicorn
    # would otherwise believe any client on 127.0.0.1). No access log: its lines hold the raw
    # path and query (a name searched for); `observability.Observed` logs each request instead.
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                workers=workers, proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None, access_log=False,
                log_config=observability.log_config(settings.log_format))


def _share_metrics_between_workers() -> None:
    """Workers write their metrics to files in one directory, which `/metrics` adds up
    (prometheus-client's multiprocess mode): the operator's `PROMETHEUS_MULTIPROC_DIR`, emptied
    of an earlier run's files, or a new temporary directory removed when the server stops.
    Set before the workers start, so each imports prometheus-client with it."""
    from app.core import observability

    directory = observability.multiprocess_directory()
    if directory is None:
        made = tempfile.mkdtemp(prefix="rhi-metrics-")
        atexit.register(shutil.rmtree, made, ignore_errors=True)
        os.environ[observability.MULTIPROCESS_DIR_VARIABLE] = made
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def _db_upgrade(_args: argparse.Namespace) -> None:
    upgrade_database()
    _say("The database is up to date")


def _orgs_create(args: argparse.Namespace) -> None:
    with Session(get_engine()) as session:
        organisation = accounts.create_organisation(session, args.code, args.name, args.kind)
        session.commit()
        _say(f"Created organisation {organisation.code}: {organisation.name}")


def _orgs_sso_set(args: argparse.Namespace) -> None:
    from app.accounts import sso

    with Session(get_engine(), expire_on_commit=False) as session:
        organisation = sso.configure(session, args.org, issuer=args.issuer,
                                     client_id=args.client_id, secret_env=args.secret_env,
                                     email_claim=args.email_claim, required=args.required)
        session.commit()
    secret_env = organisation.sso_secret_env or ""
    _say(f"{organisation.code} signs in through {organisation.sso_issuer}"
         + (" only (passwords refused)" if organisation.sso_required else "")
         + f"; the client secret is read from {secret_env}")
    if not os.environ.get(secret_env):
        _say(f"note: {secret_env} is not set here: set it where the service runs")


def _orgs_sso_clear(args: argparse.Namespace) -> None:
    from app.accounts import sso

    with Session(get_engine(), expire_on_commit=False) as session:
        organisation = sso.clear(session, args.org)
        session.commit()
    _say(f"{organisation.code} signs in with passwords and TOTP")


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords do not match")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("no password given on standard input")
    return password


def _users_create(args: argparse.Namespace) -> None:
    password = _read_password()
    with Session(get_engine()) as session:
        user = accounts.create_user(session, args.email, args.name, args.org, args.role,
                                    password)
        session.commit()
        _say(f"Created {user.role} {user.email} in {args.org}")


def _users_change(args: argparse.Namespace) -> None:
    """disable, enable, end-sessions, reset-password, reset-second-factor, set-role: what an
    administrator does on /admin/people, for an operator (audited as `cli`)."""
    from app.accounts import administration
    from app.accounts.caller import Caller
    from app.accounts.models import Organisation

    with Session(get_engine(), expire_on_commit=False) as session:
        user = accounts.get_user_by_email(session, args.email)
        if user is None:
            raise CommandError(f"no one has the email address {args.email!r}")
        organisation = session.get(Organisation, user.organisation_id)
        actor = Caller.system(organisation.code if organisation else "", label="cli")
        action = "role" if args.action == "set-role" else args.action
        password = administration.change(session, actor, user, action,
                                         getattr(args, "role", ""))
        session.commit()
    said = {"disable": "disabled, and every session ended", "enable": "enabled",
            "end-sessions": "signed out everywhere",
            "reset-second-factor": "to set up an authenticator at the next sign-in"}
    if password is not None:
        _say(f"Temporary password for {user.email} (shown once): {password}")
    elif action == "role":
        _say(f"{user.email} is now {args.role}; every session ended")
    else:
        _say(f"{user.email}: {said[action]}")


def _demo_seed(args: argparse.Namespace) -> None:
    from app.demo.history import HistoryError
    from app.demo.seed import seed

    if get_settings().env == "prod":
        raise CommandError("demo data is never seeded when RHI_ENV=prod")
    with Session(get_engine()) as session:
        # A fresh password every run, set on every demo user: the printed one always works and
        # no demo password is ever written in the code.
        try:
            seeded = seed(session, years=args.years, episodes_a_year=args.episodes_a_year,
                          progress=sys.stderr.isatty())
        except HistoryError as failure:
            raise CommandError(f"the demo could not be made: {failure}") from failure
        session.commit()
    if seeded.already:
        _say("The demo's history is there already: only the passwords are new")
    elif seeded.records or seeded.episodes:
        _say(f"History made: {seeded.episodes} episodes in the register and "
             f"{seeded.records} interview records over {args.years} years (synthetic)")
    _say(f"Demo sign-ins (all synthetic), password {seeded.password}")
    for email, role, org_code in seeded.logins:
        _say(f"  {email:<40} {role:<15} {org_code}")


def _standards_evaluate(_args: argparse.Namespace) -> None:
    from app.interviews.service import evaluate_due_findings

    with Session(get_engine()) as session:
        changed = evaluate_due_findings(session)
        session.commit()
    _say(f"Findings refreshed: {changed}")


# --- the parser ------------------------------------------------------------------------------


def _at_least(least: int) -> Callable[[str], int]:
    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{text!r} must be {least} or more")
        return value

    return whole_number


_positive = _at_least(1)
_not_negative = _at_least(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rhi", description="Return Interview Service")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)

    serve = commands.add_parser("serve", help="migrate the database to head, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive, default=8000)
    serve.add_argument("--workers", type=_positive, default=None, metavar="N",
                       help="server processes (default: RHI_WORKERS, else one per processor "
                            f"core, here {_cores()}); 1 serves in this process")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    db.add_parser("upgrade", help="apply the Alembic migrations").set_defaults(run=_db_upgrade)

    orgs = commands.add_parser("orgs", help="organisations").add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    org_create = orgs.add_parser("create", help="add an organisation")
    org_create.add_argument("--code", required=True)
    org_create.add_argument("--name", required=True)
    org_create.add_argument("--kind", required=True, choices=tuple(ORG_KIND))
    org_create.set_defaults(run=_orgs_create)
    sso = orgs.add_parser("sso", help="single sign-on through the organisation's OpenID "
                          "Connect provider").add_subparsers(
        dest="sso_action", required=True, metavar="ACTION", parser_class=_Parser)
    sso_set = sso.add_parser("set", help="sign the organisation's people in through its "
                             "provider; the client secret is read from an environment variable")
    sso_set.add_argument("--org", required=True, metavar="CODE")
    sso_set.add_argument("--issuer", required=True, metavar="URL")
    sso_set.add_argument("--client-id", required=True, metavar="ID")
    sso_set.add_argument("--secret-env", default=None, metavar="NAME",
                         help="the variable holding the client secret "
                              "(default RHI_SSO_SECRET_<CODE>)")
    sso_set.add_argument("--email-claim", default="email", metavar="CLAIM",
                         help="the ID token's claim holding the email address (default email)")
    sso_set.add_argument("--required", action="store_true",
                         help="refuse the organisation's people a password sign-in")
    sso_set.set_defaults(run=_orgs_sso_set)
    sso_clear = sso.add_parser("clear", help="back to passwords and TOTP")
    sso_clear.add_argument("--org", required=True, metavar="CODE")
    sso_clear.set_defaults(run=_orgs_sso_clear)

    users = commands.add_parser("users", help="people").add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    user_create = users.add_parser("create", help="add a person; the password is read from stdin")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", required=True)
    user_create.add_argument("--org", required=True, metavar="CODE")
    user_create.add_argument("--role", required=True, choices=ROLES)
    user_create.set_defaults(run=_users_create)
    for action, text in (("disable", "a leaver: no more sign-ins, every session ended"),
                         ("enable", "let a disabled person sign in again"),
                         ("end-sessions", "sign a person out everywhere"),
                         ("reset-password", "a temporary password, printed once"),
                         ("reset-second-factor", "a lost phone: enrol again at next sign-in"),
                         ("set-role", "a new role; every session ended")):
        change = users.add_parser(action, help=text)
        change.add_argument("--email", required=True)
        if action == "set-role":
            change.add_argument("--role", required=True, choices=ROLES)
        change.set_defaults(run=_users_change)

    api_keys_cli.add_commands(commands)

    demo = commands.add_parser("demo", help="synthetic demo data").add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    demo_seed = demo.add_parser(
        "seed", help="synthetic organisations, people and years of missing episodes, returns "
        "and interview records up to today (made once; a fresh password every run)")
    demo_seed.add_argument("--years", type=_not_negative, default=demo_plan.YEARS,
                           metavar="N", help=f"years of history before today (default "
                           f"{demo_plan.YEARS}; 0: the organisations and sign-ins only)")
    demo_seed.add_argument("--episodes-a-year", type=_positive,
                           default=demo_plan.EPISODES_A_YEAR, metavar="N",
                           help="about how many missing and away episodes a year, across the "
                                f"demo's authorities (default {demo_plan.EPISODES_A_YEAR})")
    demo_seed.set_defaults(run=_demo_seed)

    standards = commands.add_parser("standards", help="practice standards").add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    standards.add_parser("evaluate", help="refresh findings whose deadlines have passed, and add "
                          "standards added to a record's set") \
        .set_defaults(run=_standards_evaluate)

    retention_cli.add_commands(commands, _Parser)
    audit_cli.add_commands(commands, _Parser)
    notify_cli.add_commands(commands, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # usage errors and --help
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace], None] = args.run
    wire()
    try:
        run(args)
    except (DomainError, CommandError) as refusal:
        return _fail(str(refusal), EXIT_REFUSED)
    except (ConfigurationError, ValidationError) as bad:
        return _fail(f"configuration: {_first_line(str(bad))}", EXIT_REFUSED)
    except SQLAlchemyError as failure:
        cause = getattr(failure, "orig", None) or failure
        hint = (" (has `rhi db upgrade` been run?)"
                if isinstance(failure, OperationalError | ProgrammingError) else "")
        return _fail(f"database: {_first_line(str(cause))}{hint}", EXIT_REFUSED)
    except KeyboardInterrupt:
        return 130
    return 0


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown problem"


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"rhi: error: {message}\n")
    return code
