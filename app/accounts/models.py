"""Organisations, people, their sessions and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Column, String, false
from sqlmodel import Field, SQLModel

from app.core.types import JSONType, UTCDateTime, utcnow

ROLES = ("interviewer", "placement_team", "manager", "analyst", "admin")
# Roles that may see identifying data (names, free text): they need a second factor.
IDENTIFYING_ROLES = frozenset({"interviewer", "placement_team", "manager"})
API_SCOPES = ("submit", "feed", "returns", "notify")
# The kinds of organisation in a partnership (`data-dictionary.md`, organisations).
ORG_KIND: Final = {
    "local_authority": "Local authority",
    "rhi_provider": "Return interview provider",
    "police": "Police",
    "health": "Health",
    "placement_provider": "Placement provider",
    "other": "Other",
}


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Single sign-on through the organisation's OpenID Connect provider (app/accounts/sso.py);
    # no issuer: its people sign in with a password and TOTP.
    sso_issuer: str | None = Field(default=None, max_length=500)
    sso_client_id: str | None = Field(default=None, max_length=200)
    # The name of the environment variable holding the client secret, never the secret.
    sso_secret_env: str | None = Field(default=None, max_length=100)
    # The ID token's claim holding the person's email address.
    sso_email_claim: str = Field(default="email", max_length=100,
                                 sa_column_kwargs={"server_default": "email"})
    # Its people sign in through the provider only: a password is refused.
    sso_required: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Where the service's emails to the organisation go (app/notify/): set by its administrator
    # on /admin/organisations. None: nothing is sent to it.
    notify_email: str | None = Field(default=None, max_length=254)

    @property
    def has_sso(self) -> bool:
        return bool(self.sso_issuer and self.sso_client_id)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    name: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    role: str = Field(max_length=32)
    password_hash: str = Field(max_length=200)
    totp_secret: str | None = Field(default=None, max_length=64)
    # The last TOTP time step accepted: a code is good once, even within its 30 s window.
    totp_last_step: int | None = None
    recovery_codes: list[str] | None = Field(default=None, sa_type=JSONType)
    failed_logins: int = 0
    # Wrong second-factor codes since the last right one: a right password never resets it.
    second_factor_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds the id, signed; ending the row ends the session."""

    __tablename__ = "user_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    second_factor_done: bool = False


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=200)
    scopes: list[str] = Field(sa_type=JSONType)
    key_hash: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
