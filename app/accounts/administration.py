"""What an administrator does to the people of their organisation: invite, change a role,
disable and re-enable, reset a password or a second factor, end their sessions. Each is audited,
with the administrator as the actor and the person as the target.

An administrator acts within their own organisation only (another's people do not exist for
them), never disables, demotes or resets themselves (so nobody locks the service out by
accident), and a temporary password is shown once, to them, never stored in plain text.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import ROLES, Organisation, User, UserSession
from app.accounts.service import create_user, set_password
from app.audit import service as audit
from app.core.errors import BadRequest, NotFound
from app.core.types import utcnow

ACTIONS = ("disable", "enable", "end-sessions", "reset-password", "reset-second-factor",
           "role")


def temporary_password() -> str:
    """Twenty random characters in groups, easy to read out: shown once, to the administrator."""
    raw = secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")
    return "-".join(raw[i:i + 5] for i in range(0, 20, 5))


def people_of(session: Session, actor: Caller) -> list[User]:
    return list(session.execute(
        select(User).where(col(User.organisation_id) == actor.organisation_id)
        .order_by(col(User.name), col(User.id))).scalars())


def person(session: Session, actor: Caller, user_id: int) -> User:
    """A person of the administrator's organisation; NotFound for anyone else."""
    user = session.get(User, user_id)
    if user is None or user.organisation_id != actor.organisation_id:
        raise NotFound("No one with this id is in your organisation")
    return user


def open_sessions(session: Session, user: User) -> int:
    return len(session.execute(
        select(col(UserSession.id)).where(col(UserSession.user_id) == user.id,
                                          col(UserSession.ended_at).is_(None))).all())


def _audit(session: Session, actor: Caller, action: str, user: User,
           details: dict[str, object] | None = None) -> None:
    audit.record(session, actor=actor.label, organisation=actor.organisation_code,
                 action=f"user.{action}", target=f"user:{user.id}", address=actor.address,
                 details=dict(details or {}))


def end_sessions(session: Session, actor: Caller, user: User) -> int:
    """End every live session of the person: each browser is signed out at its next request."""
    live = session.execute(
        select(UserSession).where(col(UserSession.user_id) == user.id,
                                  col(UserSession.ended_at).is_(None))).scalars().all()
    now = utcnow()
    for record in live:
        record.ended_at = now
    session.flush()
    _audit(session, actor, "end_sessions", user, {"ended": len(live)})
    return len(live)


def _not_yourself(actor: Caller, user: User, what: str) -> None:
    if user.id == actor.user_id:
        raise BadRequest(f"You cannot {what} your own account; ask another administrator")


def disable(session: Session, actor: Caller, user: User) -> None:
    """A leaver: no more sign-ins, and every session ends now."""
    _not_yourself(actor, user, "disable")
    user.active = False
    _audit(session, actor, "disable", user)
    end_sessions(session, actor, user)


def enable(session: Session, actor: Caller, user: User) -> None:
    user.active = True
    user.locked_until = None
    user.failed_logins = 0
    user.second_factor_failures = 0
    _audit(session, actor, "enable", user)


def set_role(session: Session, actor: Caller, user: User, role: str) -> None:
    """A new role; the person's sessions end, so the next sign-in carries it (and asks for a
    second factor where the new role shows identifying data)."""
    if role not in ROLES:
        raise BadRequest(f"Choose a role: one of {', '.join(ROLES)}")
    _not_yourself(actor, user, "change the role of")
    before = user.role
    user.role = role
    _audit(session, actor, "set_role", user, {"from": before, "to": role})
    end_sessions(session, actor, user)


def reset_password(session: Session, actor: Caller, user: User) -> str:
    """A temporary password, returned once; the old one stops working and sessions end."""
    _not_yourself(actor, user, "reset the password of")
    password = temporary_password()
    set_password(session, user, password)
    _audit(session, actor, "reset_password", user)
    end_sessions(session, actor, user)
    return password


def reset_second_factor(session: Session, actor: Caller, user: User) -> None:
    """A lost phone: the authenticator and recovery codes go; the next sign-in enrols anew."""
    _not_yourself(actor, user, "reset the second factor of")
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = None
    user.second_factor_failures = 0
    _audit(session, actor, "reset_second_factor", user)
    end_sessions(session, actor, user)


def change(session: Session, actor: Caller, user: User, action: str,
           role: str = "") -> str | None:
    """Do one of `ACTIONS` to the person (the web page's buttons, the `rhi users` commands);
    the temporary password for `reset-password`, else None."""
    if action == "reset-password":
        return reset_password(session, actor, user)
    if action == "disable":
        disable(session, actor, user)
    elif action == "enable":
        enable(session, actor, user)
    elif action == "end-sessions":
        end_sessions(session, actor, user)
    elif action == "reset-second-factor":
        reset_second_factor(session, actor, user)
    elif action == "role":
        set_role(session, actor, user, role)
    else:
        raise BadRequest(f"Unknown action {action!r}; use one of: {', '.join(ACTIONS)}")
    return None


@dataclass(frozen=True)
class Invited:
    user: User
    password: str


def invite(session: Session, actor: Caller, email: str, name: str, role: str) -> Invited:
    """A new person in the administrator's organisation, with a temporary password."""
    organisation = session.get(Organisation, actor.organisation_id)
    if organisation is None:
        raise NotFound("Your organisation no longer exists")
    password = temporary_password()
    user = create_user(session, email, name, organisation.code, role, password)
    _audit(session, actor, "invite", user, {"role": role})
    return Invited(user, password)
