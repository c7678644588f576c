"""`rhi demo seed`: the demo's organisations and people, a fresh password for every demo person,
and, the first time, two years of history up to now (`plan.py`, played by `history.py`).

The organisations, people and partner systems of a new demo are made as the service went live,
a fortnight before the history starts, so that nothing in it is older than they are. A demo
already seeded gets new passwords only: its history is never made twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.accounts.caller import Caller
from app.accounts.models import User
from app.core.types import replaying, utcnow
from app.demo import cast
from app.demo.history import DEMO_LABEL, Actors, History
from app.demo.plan import EPISODES_A_YEAR, YEARS, make_plan
from app.demo.times import whole_minute
from app.interviews.service import evaluate_due_findings
from app.record.models import Interview, RegisterEpisode


@dataclass(frozen=True, slots=True)
class Seeded:
    password: str
    logins: list[tuple[str, str, str]]  # email, role, organisation
    already: bool = False  # the history was there before: only the passwords changed
    episodes: int = 0  # in the register
    records: int = 0
    steps: dict[str, int] = field(default_factory=dict)


def has_history(session: Session) -> bool:
    """Whether a demo history (or the demo's first six notifications, before it had one) is
    in the database already."""
    notified = select(col(RegisterEpisode.id)).where(
        col(RegisterEpisode.notified_by_org) == cast.POLICE).limit(1)
    recorded = select(col(Interview.id)).where(
        col(Interview.recorded_by_org) == cast.PROVIDER).limit(1)
    return bool(session.execute(notified).first() or session.execute(recorded).first())


def _people(session: Session, password: str) -> list[tuple[str, str, str]]:
    """The demo's organisations and people, made when missing; every person's password set."""
    for code, name, kind in cast.ORGANISATIONS:
        if accounts.get_organisation(session, code) is None:
            accounts.create_organisation(session, code, name, kind)
    logins = []
    for role, name, organisation in cast.USERS:
        email = f"{role}@{cast.DOMAIN}"
        user = accounts.get_user_by_email(session, email)
        if user is None:
            accounts.create_user(session, email, name, organisation, role, password)
        else:
            accounts.set_password(session, user, password)
        logins.append((email, role, organisation))
    return logins


def _person(session: Session, role: str) -> Caller:
    user = session.execute(select(User).where(
        col(User.email) == f"{role}@{cast.DOMAIN}")).scalar_one()
    organisation = accounts.get_organisation(
        session, next(code for who, _, code in cast.USERS if who == role))
    assert user.id is not None and organisation is not None  # noqa: S101  # nosec B101
    return Caller(label=f"user:{user.id}", organisation_code=organisation.code, name=user.name,
                  user_id=user.id, email=user.email, role=user.role,
                  organisation_id=organisation.id)


def _systems(session: Session, days: int) -> tuple[Caller, dict[str, Caller]]:
    """The partner systems' keys, as callers (their secrets are thrown away): the provider's
    case system (`submit`), and the police's and each authority's (`notify`) by organisation."""
    case_system: Caller | None = None
    notifiers: dict[str, Caller] = {}
    for organisation, name, scopes in cast.SYSTEMS:
        key, _ = create_api_key(session, organisation, name, list(scopes),
                                expires_days=days + 365, actor=DEMO_LABEL)
        caller = Caller(label=f"key:{key.id}", organisation_code=organisation, name=key.name,
                        api_key_id=key.id, scopes=frozenset(key.scopes))
        if "notify" in scopes:
            notifiers[organisation] = caller
        else:
            case_system = caller
    assert case_system is not None  # noqa: S101 - one in cast.SYSTEMS  # nosec B101
    return case_system, notifiers


def seed(session: Session, *, years: int = YEARS, episodes_a_year: int = EPISODES_A_YEAR,
         now: datetime | None = None, progress: bool = False) -> Seeded:
    """Make (or refresh) the demo; the caller commits. `years=0`: the organisations and
    people only. `now`: the moment the history runs up to (a test's fixed day)."""
    password = "demo-" + secrets.token_urlsafe(12)
    moment = whole_minute(now or utcnow())
    if years == 0 or has_history(session):
        return Seeded(password, _people(session, password), already=years > 0)
    plan = make_plan(moment, years=years, episodes_a_year=episodes_a_year)
    went_live = moment - timedelta(days=(plan.now.date() - plan.first_day).days + 14)
    with replaying(went_live):
        logins = _people(session, password)
        case_system, notifiers = _systems(session, (moment - went_live).days)
        actors = Actors(interviewer=_person(session, "interviewer"),
                        manager=_person(session, "manager"), case_system=case_system,
                        notifiers=notifiers)
    tally = History(session, actors).play(plan, progress=progress)
    with replaying(moment):
        # What the nightly `rhi standards evaluate` would have left: findings whose deadline
        # has passed are stored as not met.
        evaluate_due_findings(session, moment)
    session.flush()
    return Seeded(password, logins, episodes=_count(session, RegisterEpisode),
                  records=_count(session, Interview), steps=dict(tally.steps))


def _count(session: Session, table: type[RegisterEpisode] | type[Interview]) -> int:
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())
