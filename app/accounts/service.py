"""What accounts do: organisations, people, signing in and out, and browser sessions.

Throttling state lives in the database (the user row and the audit log), never in memory, so it
holds however many app processes serve requests.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import ORG_KIND, ROLES, Organisation, User, UserSession
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from app.core.settings import get_settings
from app.core.text import ORG_CODE, UNSAFE_CHARACTERS
from app.core.types import utcnow

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
EMAIL_MAX_LENGTH = 320

ACCOUNT_LOCK_AFTER = 5
ACCOUNT_LOCK_FOR = timedelta(minutes=15)
ADDRESS_FAILURE_LIMIT = 20
ADDRESS_WINDOW = timedelta(minutes=15)

# Writing last_seen_at on every request would make every page view a write: it is written at
# most once a minute (or a quarter of the idle limit, when that is shorter).
TOUCH_INTERVAL = timedelta(minutes=1)

SIGN_IN_FAILED = "Enter a correct email address and password"
SIGN_IN_THROTTLED = "Enter a correct email address and password, or try again later"
SIGN_IN_THROUGH_SSO = ("Your organisation signs you in with its own account: choose "
                       "\"Sign in with your organisation's account\"")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# OWASP's recommended argon2id configuration (m=19 MiB, t=2, p=1): ASVS-compliant, and fast
# enough that sign-in stays quick on a 2-core server under load.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class SignInFailed(Unauthorized):
    """Wrong email, wrong password, locked or inactive account: one message for all of them."""

    title = SIGN_IN_FAILED

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED)


class SignInNeedsSso(Unauthorized):
    """The right password of someone whose organisation requires single sign-on."""

    title = SIGN_IN_THROUGH_SSO

    def __init__(self) -> None:
        super().__init__(SIGN_IN_THROUGH_SSO)


class SignInThrottled(TooManyRequests):
    """Too many failures from one address: says nothing about any account."""

    title = SIGN_IN_THROTTLED

    def __init__(self) -> None:
        super().__init__(SIGN_IN_THROTTLED)


# --- passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise BadRequest(f"The password must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise BadRequest(f"The password must be {PASSWORD_MAX_LENGTH} characters or fewer")


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- organisations and people ----------------------------------------------------------------


def get_organisation(session: Session, code: str) -> Organisation | None:
    return session.execute(
        select(Organisation).where(col(Organisation.code) == code)
    ).scalar_one_or_none()


def get_user_by_email(session: Session, email: str) -> User | None:
    if UNSAFE_CHARACTERS.search(email):  # no address holds one (and PostgreSQL refuses NUL)
        return None
    return session.execute(
        select(User).where(col(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def single_sign_on_organisations(session: Session) -> list[Organisation]:
    """The organisations whose people may sign in through their own provider, by name."""
    return list(session.execute(
        select(Organisation).where(col(Organisation.sso_issuer).is_not(None),
                                   col(Organisation.sso_client_id).is_not(None))
        .order_by(col(Organisation.name))
    ).scalars())


def _organisation_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or UNSAFE_CHARACTERS.search(name):
        raise BadRequest("Enter an organisation name of 1 to 200 characters, without control "
                         "or text-direction characters")
    return name


def create_organisation(session: Session, code: str, name: str, kind: str) -> Organisation:
    """Add an organisation; its code must be new and its kind one of `ORG_KIND`."""
    code = code.strip()
    if not ORG_CODE.match(code):
        raise BadRequest("Enter an organisation code of 1 to 64 letters, digits, - or _, "
                         "starting with a letter or digit (like 803 or avon-rhi)")
    name = _organisation_name(name)
    if kind not in ORG_KIND:
        raise BadRequest(f"Unknown organisation kind {kind!r}; use one of: {', '.join(ORG_KIND)}")
    if get_organisation(session, code) is not None:
        raise Conflict(f"An organisation with code {code!r} already exists")
    organisation = Organisation(code=code, name=name, kind=kind)
    session.add(organisation)
    session.flush()
    return organisation


def rename_organisation(session: Session, organisation: Organisation, name: str) -> str:
    """Give the organisation a new name (its code never changes); the name it had."""
    before = organisation.name
    organisation.name = _organisation_name(name)
    session.flush()
    return before


def create_user(session: Session, email: str, name: str, org_code: str, role: str,
                password: str) -> User:
    """Add a person to an organisation, with an argon2 hash of their password."""
    email, name = normalise_email(email), name.strip()
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email) or \
            UNSAFE_CHARACTERS.search(email):
        raise BadRequest(f"{email!r} is not an email address, like name@example.org")
    if not name or len(name) > 200 or UNSAFE_CHARACTERS.search(name):
        raise BadRequest("Enter a name of 1 to 200 characters, without control or "
                         "text-direction characters")
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}")
    check_password_rules(password)
    organisation = get_organisation(session, org_code.strip())
    if organisation is None or organisation.id is None:
        raise NotFound(f"No organisation has the code {org_code!r}")
    if get_user_by_email(session, email) is not None:
        raise Conflict(f"A user with email {email!r} already exists")
    user = User(email=email, name=name, organisation_id=organisation.id, role=role,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password, clearing any lockout."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


# --- signing in ------------------------------------------------------------------------------


def _address(address: str | None) -> str | None:
    return address[:64] if address else None


def _address_failures(session: Session, address: str, since: datetime) -> int:
    return session.execute(
        select(func.count()).select_from(AuditEntry).where(
            col(AuditEntry.action) == "sign_in_failed",
            col(AuditEntry.address) == address,
            col(AuditEntry.at) >= since,
        )
    ).scalar_one()


def address_throttled(session: Session, address: str) -> bool:
    """Too many failed sign-ins (of any kind) from this address lately."""
    return _address_failures(session, _address(address) or "", utcnow() - ADDRESS_WINDOW) \
        >= ADDRESS_FAILURE_LIMIT


def _organisation_code(session: Session, user: User) -> str | None:
    organisation = session.get(Organisation, user.organisation_id)
    return organisation.code if organisation else None


def _record_failure(session: Session, user: User | None, reason: str,
                    address: str | None) -> None:
    audit.record(
        session, actor="anonymous", action="sign_in_failed",
        organisation=_organisation_code(session, user) if user else None,
        target=f"user:{user.id}" if user else None, details={"reason": reason}, address=address,
    )


def count_failure(session: Session, user: User, counter: str, limit: int) -> None:
    """Add one to a failure counter of the user (`failed_logins`, `second_factor_failures`);
    at `limit` the account locks for ACCOUNT_LOCK_FOR and the count starts again. One UPDATE,
    so failures sent at once, from several processes, all count."""
    column = getattr(User, counter)
    failures = session.execute(
        update(User).where(col(User.id) == user.id).values({column: column + 1})
        .returning(column)
    ).scalar_one()
    if failures >= limit:
        setattr(user, counter, 0)
        user.locked_until = utcnow() + ACCOUNT_LOCK_FOR


def authenticate(session: Session, email: str, password: str, address: str | None) -> User:
    """The user these credentials belong to, or `SignInFailed` / `SignInThrottled` (or
    `SignInNeedsSso`, for the right password of someone whose organisation requires SSO).

    Every refusal says the same thing and costs one argon2 verification, so neither the message
    nor the time taken tells whether an account exists. Failures are written (flushed) before the
    error is raised: the caller must commit them, not roll them back.
    """
    address = _address(address)
    now = utcnow()
    if address and address_throttled(session, address):
        # Counted too, so an address that keeps trying stays throttled.
        _record_failure(session, None, "throttled", address)
        raise SignInThrottled

    user = get_user_by_email(session, email) if len(email) <= EMAIL_MAX_LENGTH else None
    if user is None or len(password) > PASSWORD_MAX_LENGTH:
        _verify(_dummy_hash(), password[:PASSWORD_MAX_LENGTH])
        _record_failure(session, user, "unknown_account" if user is None else "wrong_password",
                        address)
        raise SignInFailed

    password_ok = _verify(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > now:
        # Locked: even the right password fails, and failures do not extend the lock.
        _record_failure(session, user, "locked", address)
        raise SignInFailed
    if not user.active:
        _record_failure(session, user, "inactive", address)
        raise SignInFailed
    if not password_ok:
        count_failure(session, user, "failed_logins", ACCOUNT_LOCK_AFTER)
        _record_failure(session, user, "wrong_password", address)
        raise SignInFailed
    organisation = session.get(Organisation, user.organisation_id)
    if organisation is not None and organisation.has_sso and organisation.sso_required:
        # Said only after the right password, so it tells nobody else where an address is.
        _record_failure(session, user, "sso_required", address)
        raise SignInNeedsSso

    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_sign_in(session, user, address)
    return user


def record_sign_in(session: Session, user: User, address: str | None,
                   via: str | None = None) -> None:
    """A sign-in that succeeded: clear the password lock and audit `sign_in` (`via` "sso")."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record(session, actor=f"user:{user.id}", action="sign_in",
                 organisation=_organisation_code(session, user), target=f"user:{user.id}",
                 details={"via": via} if via else None, address=_address(address))


# --- sessions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSession:
    """A signed-in browser: its session row, its user and the user's organisation."""

    record: UserSession
    user: User
    organisation: Organisation

    @property
    def ends_at(self) -> datetime:
        """When the session ends if the browser sends nothing more: idle or absolute limit."""
        return session_ends_at(self.record)


def session_ends_at(record: UserSession) -> datetime:
    settings = get_settings()
    idle = record.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    return min(idle, record.created_at + timedelta(hours=settings.session_absolute_hours))


def _touch_interval() -> timedelta:
    return min(TOUCH_INTERVAL, timedelta(minutes=get_settings().session_idle_minutes) / 4)


def start_session(session: Session, user: User,
                  second_factor_done: bool = False) -> tuple[str, str]:
    """A new server-side session for `user`: returns (session id, CSRF token). A sign-in
    through the organisation's provider starts with its second factor done (its MFA)."""
    assert user.id is not None  # noqa: S101 - a signed-in user has been stored  # nosec B101
    record = UserSession(id=secrets.token_urlsafe(32), user_id=user.id,
                         csrf_token=secrets.token_urlsafe(32),
                         second_factor_done=second_factor_done)
    session.add(record)
    session.flush()
    return record.id, record.csrf_token


def load_session(session: Session, session_id: str) -> ActiveSession | None:
    """The live session with this id; None when it is unknown, ended, idle too long or too old."""
    record = session.get(UserSession, session_id)
    if record is None or record.ended_at is not None:
        return None
    settings = get_settings()
    now = utcnow()
    if now - record.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    if now - record.created_at > timedelta(hours=settings.session_absolute_hours):
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    organisation = session.get(Organisation, user.organisation_id)
    if organisation is None:
        return None
    if now - record.last_seen_at >= _touch_interval():
        record.last_seen_at = now
        session.flush()
    return ActiveSession(record=record, user=user, organisation=organisation)


def keep_alive(session: Session, session_id: str) -> datetime | None:
    """Restart a live session's idle clock ("Stay signed in"); when it now ends, or None."""
    active = load_session(session, session_id)
    if active is None:
        return None
    active.record.last_seen_at = utcnow()
    session.flush()
    return active.ends_at


def end_session(session: Session, session_id: str, address: str | None = None) -> None:
    """End a session on the server, so its cookie no longer signs anyone in."""
    record = session.get(UserSession, session_id)
    if record is None or record.ended_at is not None:
        return
    record.ended_at = utcnow()
    user = session.get(User, record.user_id)
    audit.record(session, actor=f"user:{record.user_id}", action="sign_out",
                 organisation=_organisation_code(session, user) if user else None,
                 target=f"user:{record.user_id}", address=_address(address))
    session.flush()
