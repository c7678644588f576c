"""Settings from the environment (`RHI_*`), in one place, failing fast in `prod`."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_DATABASE_URL = "sqlite:///var/rhi.sqlite3"
# A GOV.UK Notify API key ends with the service's id and the key's secret, each a UUID.
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NOTIFY_KEY = re.compile(f"-{_UUID}-{_UUID}$")


class ConfigurationError(RuntimeError):
    """The service cannot start with this configuration."""


def _dev_secret(name: str) -> str:
    """A random secret kept in `var/` so that sessions and pseudonyms survive restarts in dev.

    Made whole in a file of its own and linked into place, which fails if another process got
    there first: two servers starting at once read the same secret, never two."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        fresh = VAR_DIR / f".{name}.{secrets.token_hex(8)}"
        try:
            descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(descriptor, secrets.token_urlsafe(48).encode())
            finally:
                os.close(descriptor)
            with contextlib.suppress(FileExistsError):  # another process's secret is the one
                os.link(fresh, path)
        finally:
            fresh.unlink(missing_ok=True)
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RHI_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # A PostgreSQL read replica of `database_url` for the feed's long reads (full pulls and
    # their ETags, the summaries, the report's tables: whatever reads through
    # `app.core.db.reading`); empty: they read `database_url` itself (docs/deployment.md).
    feed_database_url: str = ""
    env: Literal["dev", "test", "prod"] = "dev"
    secret_key: str = ""
    pseudonym_key: str = ""
    # Keys the audit log's entries and signs its checkpoints (HMAC): kept out of the database,
    # so someone who can only change the database cannot rewrite the log unnoticed.
    audit_key: str = ""
    # Where `rhi audit checkpoint` and `rhi audit verify` append signed checkpoints of the
    # chain's length and head: put it on another store than the database's. By default a file
    # in var/ named after the database.
    audit_checkpoint_file: str = ""
    # A browser session ends after this long without a request (minutes; a fraction is allowed,
    # for tests). The page warns `session_warning_seconds` before, with a way to stay signed in.
    session_idle_minutes: float = Field(default=30, gt=0)
    session_warning_seconds: int = Field(default=120, ge=10)
    session_absolute_hours: int = 12
    max_body_bytes: int = 1024 * 1024
    # The addresses (or networks) of the reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed, comma-separated; none by default, so a client cannot
    # choose the address the sign-in throttle and the audit log see.
    trusted_proxies: str = ""
    # The service's address as people and partner systems reach it (https://rhi.example.org):
    # links in answers (the next page of a list) are built from it, never from the request's
    # Host header. Needed in prod.
    public_url: str = ""
    # How many server processes `rhi serve` starts when `--workers` is not given; by default
    # one per processor core this process may use (in a container limited by a CPU quota
    # rather than a set of cores, set it to the quota).
    workers: int | None = Field(default=None, ge=1)
    # Email (app/notify/, docs/notifications.md): through GOV.UK Notify when its key is set,
    # else through the SMTP relay when its host is set, else not sent (each message is kept in
    # the outbox as "not sent: no email configured").
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = ""
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    notify_api_key: SecretStr = SecretStr("")
    # None: the client's own (the real GOV.UK Notify API).
    notify_base_url: str | None = None
    # A Notify email template per kind of message (docs/notifications.md: its placeholders).
    notify_template_host_authority: str = ""
    notify_template_record_returned: str = ""
    notify_template_daily_digest: str = ""
    # The bearer token Prometheus sends for /metrics (docs/operations.md); with none set,
    # /metrics answers 404 to everyone.
    metrics_token: SecretStr = SecretStr("")
    # `json` (one JSON object a line, with the request id) or `text`, for `rhi serve`'s logs.
    log_format: Literal["json", "text"] = "json"

    @model_validator(mode="after")
    def _email(self) -> Settings:
        if key := self.notify_api_key.get_secret_value():
            if not _NOTIFY_KEY.search(key):
                raise ConfigurationError("RHI_NOTIFY_API_KEY is not a GOV.UK Notify API key: "
                                         "copy the whole key, which ends with two ids")
            missing = [f"RHI_{name.upper()}" for name in (
                "notify_template_host_authority", "notify_template_record_returned",
                "notify_template_daily_digest") if not getattr(self, name).strip()]
            if missing:
                raise ConfigurationError(
                    "RHI_NOTIFY_API_KEY is set, so every Notify template id is needed: set "
                    + ", ".join(missing))
        if self.smtp_host and not self.smtp_from.strip():
            raise ConfigurationError("RHI_SMTP_HOST is set, so RHI_SMTP_FROM (the address "
                                     "the service's emails come from) is needed too")
        if self.env == "prod" and self.smtp_password.get_secret_value() and \
                not self.smtp_starttls:
            raise ConfigurationError("RHI_SMTP_PASSWORD is never sent in the clear in prod: "
                                     "set RHI_SMTP_STARTTLS=true")
        return self

    @model_validator(mode="after")
    def _metrics(self) -> Settings:
        token = self.metrics_token.get_secret_value()
        if token and (len(token) < 32 or not token.isprintable() or " " in token):
            raise ConfigurationError("RHI_METRICS_TOKEN must be at least 32 printable "
                                     "characters without spaces")
        return self

    @model_validator(mode="after")
    def _feed_database(self) -> Settings:
        if self.feed_database_url and not (
                self.feed_database_url.startswith("postgresql")
                and self.database_url.startswith("postgresql")):
            raise ConfigurationError(
                "RHI_FEED_DATABASE_URL is a PostgreSQL read replica of a PostgreSQL "
                "RHI_DATABASE_URL: leave it empty on SQLite")
        return self

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.env == "prod":
            if min(len(self.secret_key), len(self.pseudonym_key), len(self.audit_key)) < 32:
                raise ConfigurationError(
                    "RHI_ENV=prod needs RHI_SECRET_KEY, RHI_PSEUDONYM_KEY and RHI_AUDIT_KEY, "
                    "each at least 32 characters and not a default"
                )
            if not self.public_url.startswith("https://"):
                raise ConfigurationError(
                    "RHI_ENV=prod needs RHI_PUBLIC_URL, the https:// address people and "
                    "partner systems use (links in answers are built from it)"
                )
        else:
            self.secret_key = self.secret_key or _dev_secret("secret_key")
            self.pseudonym_key = self.pseudonym_key or _dev_secret("pseudonym_key")
            self.audit_key = self.audit_key or _dev_secret("audit_key")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.env == "prod"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with a relative SQLite path anchored at the project root."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(PROJECT_ROOT / url[len(prefix):])
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
