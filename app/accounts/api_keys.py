"""API keys: made and revoked by admins, presented by partner systems as `Bearer` tokens.

A key reads `rhi_<id>_<secret>`. Only a SHA-256 hash of the whole key is stored: the secret is
256 random bits, so a slow password hash would add nothing but latency. The row id inside the key
finds the row; the hash comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from fastapi.security import HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import API_SCOPES, ApiKey, Organisation
from app.audit import service as audit
from app.core.errors import BadRequest, NotFound, Unauthorized
from app.core.text import UNSAFE_CHARACTERS
from app.core.types import utcnow

KEY_PREFIX = "rhi_"
ID_PREFIX = "rk_"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_KEY = re.compile(r"^rhi_(rk_[a-z0-9]{8})_([A-Za-z0-9_-]{43})$")
MAX_EXPIRES_DAYS = 3650
# Writing last_used_at on every call would make every read a write.
LAST_USED_INTERVAL = timedelta(minutes=1)
REALM = 'Bearer realm="rhi"'


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


# A hash no key has, compared against when the id is unknown, so both paths take the same time.
_NO_KEY_HASH = hash_key("rhi_rk_00000000_" + "0" * 43)


def _new_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def create_api_key(session: Session, org_code: str, name: str, scopes: Sequence[str],
                   expires_days: int = 365, *, actor: str = "system") -> tuple[ApiKey, str]:
    """A new key for an organisation: the row, and the plaintext key (shown once, never stored).
    `actor`: who made it, for the audit log (an administrator's label, or `system`)."""
    organisation = session.execute(
        select(Organisation).where(col(Organisation.code) == org_code.strip())
    ).scalar_one_or_none()
    if organisation is None:
        raise NotFound(f"No organisation has the code {org_code.strip()!r}")
    name = name.strip()
    if not name or len(name) > 200 or UNSAFE_CHARACTERS.search(name):
        raise BadRequest("Enter a key name of 1 to 200 characters, without control or "
                         "text-direction characters")
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if not scopes or unknown:
        raise BadRequest(f"Give at least one scope from: {', '.join(API_SCOPES)}"
                         + (f" (not {', '.join(unknown)})" if unknown else ""))
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise BadRequest(f"Expiry must be from 1 to {MAX_EXPIRES_DAYS} days")
    assert organisation.id is not None  # noqa: S101 - a stored row  # nosec B101
    key_id = _new_id()
    while session.get(ApiKey, key_id) is not None:  # 36^8 ids: a clash is rare, not impossible
        key_id = _new_id()
    plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    key = ApiKey(id=key_id, organisation_id=organisation.id, name=name,
                 scopes=[s for s in API_SCOPES if s in scopes], key_hash=hash_key(plaintext),
                 created_at=now, expires_at=now + timedelta(days=expires_days))
    session.add(key)
    session.flush()
    audit.record(session, actor=actor, organisation=organisation.code,
                 action="api_key.create", target=key_id,
                 details={"name": name, "scopes": key.scopes, "expires_days": expires_days})
    return key, plaintext


def revoke_api_key(session: Session, key_id: str, *, actor: str = "system",
                   organisation_id: int | None = None) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing. `organisation_id`: only
    a key of this organisation (another's does not exist for the caller)."""
    key = session.get(ApiKey, key_id.strip())
    if key is None or (organisation_id is not None and key.organisation_id != organisation_id):
        raise NotFound(f"No API key has the id {key_id.strip()!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor=actor, action="api_key.revoke", target=key.id)
    return key


@dataclass(frozen=True, slots=True)
class ApiKeyListing:
    key: ApiKey
    organisation_code: str


def list_api_keys(session: Session, organisation_id: int | None = None
                  ) -> list[ApiKeyListing]:
    """Every key (or one organisation's), newest first, with its organisation's code."""
    query = (select(ApiKey, col(Organisation.code))
             .join(Organisation, col(Organisation.id) == col(ApiKey.organisation_id))
             .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id)))
    if organisation_id is not None:
        query = query.where(col(ApiKey.organisation_id) == organisation_id)
    rows = session.execute(query).all()
    return [ApiKeyListing(key, code) for key, code in rows]


# --- authentication ---------------------------------------------------------------------------


class BearerUnauthorized(Unauthorized):
    """401 with the `WWW-Authenticate` challenge RFC 6750 asks for."""

    def __init__(self, detail: str, *, invalid_token: bool = True) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": REALM + (', error="invalid_token"'
                                                     if invalid_token else "")}


# Declared so the OpenAPI document names the scheme; it only reads the header (no auto error).
bearer_scheme = HTTPBearer(
    scheme_name="ApiKey", bearerFormat="rhi_<id>_<secret>", auto_error=False,
    description="An API key made with `rhi api-keys create`, sent as "
                "`Authorization: Bearer <key>`",
)


def authenticate_key(session: Session, plaintext: str) -> tuple[ApiKey, str]:
    """The live key and its organisation's code, or BearerUnauthorized."""
    match = _KEY.match(plaintext)
    row = None
    if match:
        row = session.execute(
            select(ApiKey, col(Organisation.code))
            .join(Organisation, col(Organisation.id) == col(ApiKey.organisation_id))
            .where(col(ApiKey.id) == match.group(1))
        ).one_or_none()
    stored = row[0].key_hash if row else _NO_KEY_HASH
    if not hmac.compare_digest(stored, hash_key(plaintext)) or row is None:
        raise BearerUnauthorized("The API key is not valid")
    key, organisation_code = row
    now = utcnow()
    if key.revoked_at is not None:
        raise BearerUnauthorized("The API key has been revoked; ask your administrator for a "
                                 "new one")
    if key.expires_at is not None and key.expires_at <= now:
        raise BearerUnauthorized("The API key has expired; ask your administrator for a new one")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_INTERVAL:
        key.last_used_at = now
    return key, organisation_code
