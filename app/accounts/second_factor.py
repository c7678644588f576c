"""The second factor: TOTP (RFC 6238) with single-use recovery codes (ASVS 6.3.2).

Everyone whose role shows identifying data enrols at their first sign-in. Recovery codes are
shown once and stored only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from sqlalchemy.orm import Session

from app.accounts.models import IDENTIFYING_ROLES, User, UserSession
from app.accounts.service import count_failure
from app.audit import service as audit
from app.core.text import digits as only_digits
from app.core.types import utcnow

ISSUER = "Return Interview Service"
RECOVERY_CODES = 10
MAX_FAILURES = 5


def needs_second_factor(role: str) -> bool:
    return role in IDENTIFYING_ROLES


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def _accepted_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step `code` belongs to (one either side of now, for a phone's clock a little
    out), provided it is later than the last step accepted: each code works once."""
    digits = code.replace(" ", "")
    if len(digits) != 6 or not only_digits(digits):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(
                totp.at(step * totp.interval), digits):
            return step
    return None


def _fail(session: Session, user: User, address: str | None) -> None:
    """Count a wrong code. Its own counter, which only a right code resets: sharing the
    password's, a right password would reset it and let codes be guessed without end."""
    count_failure(session, user, "second_factor_failures", MAX_FAILURES)
    audit.record(session, actor=f"user:{user.id}", action="second_factor_failed",
                 target=f"user:{user.id}", address=address)
    session.flush()


def enrol(session: Session, user: User, record: UserSession, secret: str, code: str,
          address: str | None) -> list[str] | None:
    """Confirm a new authenticator with a code from it; returns the recovery codes, shown once."""
    _locked(session, user)
    step = _accepted_step(secret, code, None)
    if step is None:
        _fail(session, user, address)
        return None
    user.totp_last_step = step
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_secret = secret
    user.recovery_codes = [_hash(c) for c in codes]
    user.second_factor_failures = 0
    record.second_factor_done = True
    audit.record(session, actor=f"user:{user.id}", action="second_factor_enrolled",
                 target=f"user:{user.id}", address=address)
    session.flush()
    return codes


def _locked(session: Session, user: User) -> None:
    """The user's row read again and locked to the end of the transaction, so that the same
    code (or recovery code) sent twice at once, to any of the server's processes, works once:
    the second waits for the first to commit and then sees the code spent. (On SQLite the
    write transaction already holds the one write lock.)"""
    session.refresh(user, with_for_update=True)


def verify(session: Session, user: User, record: UserSession, code: str,
           address: str | None) -> bool:
    """Accept a current TOTP code or an unused recovery code (which is then spent)."""
    _locked(session, user)
    ok = False
    step = _accepted_step(user.totp_secret, code, user.totp_last_step) \
        if user.totp_secret else None
    if step is not None:
        user.totp_last_step = step
        ok = True
    else:
        hashed = _hash(code)
        remaining = list(user.recovery_codes or [])
        match = next((h for h in remaining if hmac.compare_digest(h, hashed)), None)
        if match is not None:
            remaining.remove(match)
            user.recovery_codes = remaining
            ok = True
            audit.record(session, actor=f"user:{user.id}", action="recovery_code_used",
                         target=f"user:{user.id}", details={"left": len(remaining)},
                         address=address)
    if not ok:
        _fail(session, user, address)
        return False
    user.second_factor_failures = 0
    record.second_factor_done = True
    session.flush()
    return True


def too_many_failures(user: User) -> bool:
    """Locked by wrong codes (or otherwise): the session in the middle of signing in ends."""
    return user.locked_until is not None and user.locked_until > utcnow()
