"""Single sign-on: an organisation's people sign in through its own OpenID Connect provider
(councils run Microsoft Entra ID and the like), with authlib's client.

The authorization code flow with PKCE, `state` and `nonce`. The provider is found by discovery
(`{issuer}/.well-known/openid-configuration`, kept for an hour, its keys with it). The ID token
must be signed by one of the provider's keys with an asymmetric algorithm, name the configured
issuer, hold this service's client id in `aud`, not have expired, and carry the nonce sent. Its
email claim must belong to an active person of that same organisation: nobody is made here
(an administrator invites people), and one organisation's provider never signs in another's
people. The provider's own multi-factor authentication stands in for TOTP: the organisation
answers for it (`docs/security.md`).

The client secret is never stored: the organisation names an environment variable
(`RHI_SSO_SECRET_...`) that holds it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import (
    SIGN_IN_THROTTLED,
    address_throttled,
    get_organisation,
    get_user_by_email,
    record_sign_in,
)
from app.audit import service as audit
from app.core.errors import BadRequest, NotFound
from app.core.settings import get_settings
from app.core.text import UNSAFE_CHARACTERS
from app.core.types import utcnow

logger = logging.getLogger(__name__)

SCOPE: Final = "openid email profile"
SECRET_ENV_PREFIX: Final = "RHI_SSO_SECRET_"  # noqa: S105 - the start of a name
# Asymmetric signatures only: never `none`, and never HMAC keyed with the client secret.
ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                     "ES512")
PROVIDER_TIMEOUT: Final = 10.0  # seconds for each request to the provider
DISCOVERY_TTL: Final = 3600.0  # seconds a provider's configuration and keys are kept
LEEWAY: Final = 60  # seconds of clock difference allowed on exp and iat
LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})

_SECRET_ENV = re.compile(rf"^{SECRET_ENV_PREFIX}[A-Z0-9_]{{1,80}}$")
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
_CLAIM = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")

# What the page says. A person's refusals share one message whatever the reason, so it never
# tells whether an address has an account, or where.
TRY_AGAIN = ("Your sign-in with your organisation's account was not finished in time, or was "
             "started in another window: start again")
PROVIDER_SAID_NO = ("Your organisation's account did not sign you in: start again, or ask "
                    "your service administrator")
ANSWER_REFUSED = ("Your organisation's sign-in service sent an answer that cannot be accepted: "
                  "start again, or ask your service administrator")
PERSON_REFUSED = ("You could not be signed in with your organisation's account: ask your "
                  "service administrator to check that you have an account here")
UNREACHABLE = ("Your organisation's sign-in service cannot be reached at the moment: try "
               "again later")
MISCONFIGURED = ("Signing in with your organisation's account is not working at the moment: "
                 "ask your service administrator")
NOT_OFFERED = ("Your organisation does not sign you in with its own account here: sign in "
               "with your email address and password")


class SsoRefused(Exception):
    """A sign-in through the provider refused: `reason` for the audit log, `message` for the
    person, `status` for the page."""

    def __init__(self, reason: str, message: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status


# --- configuration ---------------------------------------------------------------------------


def default_secret_env(code: str) -> str:
    """`RHI_SSO_SECRET_` and the organisation's code in capitals, `-` as `_`."""
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", code.upper())


def _check_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    try:
        parts = urlsplit(issuer)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    loopback = get_settings().env != "prod" and parts is not None and \
        parts.scheme == "http" and host in LOOPBACK
    if (parts is None or not host or len(issuer) > 500 or UNSAFE_CHARACTERS.search(issuer)
            or any(c.isspace() for c in issuer) or parts.query or parts.fragment
            or not (parts.scheme == "https" or loopback)):
        raise BadRequest("Enter the provider's issuer URL, an https:// address without a query "
                         "(like https://login.microsoftonline.com/<tenant id>/v2.0)")
    return issuer


def configure(session: Session, code: str, *, issuer: str, client_id: str,
              secret_env: str | None = None, email_claim: str = "email",
              required: bool = False, actor: str = "cli") -> Organisation:
    """Set the organisation's OpenID Connect provider (audited as `organisation.sso_set`)."""
    organisation = get_organisation(session, code.strip())
    if organisation is None:
        raise NotFound(f"No organisation has the code {code!r}")
    issuer = _check_issuer(issuer)
    client_id = client_id.strip()
    if not _CLIENT_ID.match(client_id):
        raise BadRequest("Enter the client id the provider gave this service (1 to 200 "
                         "printable characters, no spaces)")
    secret_env = (secret_env or default_secret_env(organisation.code)).strip()
    if not _SECRET_ENV.match(secret_env):
        raise BadRequest(f"The secret's environment variable must be named {SECRET_ENV_PREFIX}"
                         "and capitals, digits or _ (like "
                         f"{default_secret_env(organisation.code)})")
    email_claim = email_claim.strip()
    if not _CLAIM.match(email_claim):
        raise BadRequest("Enter the name of the ID token's claim holding the email address "
                         "(like email or preferred_username)")
    organisation.sso_issuer, organisation.sso_client_id = issuer, client_id
    organisation.sso_secret_env, organisation.sso_email_claim = secret_env, email_claim
    organisation.sso_required = required
    audit.record(session, actor=actor, action="organisation.sso_set",
                 organisation=organisation.code, target=organisation.code,
                 details={"issuer": issuer, "client_id": client_id, "secret_env": secret_env,
                          "email_claim": email_claim, "required": required})
    session.flush()
    return organisation


def clear(session: Session, code: str, *, actor: str = "cli") -> Organisation:
    """Back to passwords and TOTP for the organisation's people (`organisation.sso_clear`)."""
    organisation = get_organisation(session, code.strip())
    if organisation is None:
        raise NotFound(f"No organisation has the code {code!r}")
    organisation.sso_issuer = organisation.sso_client_id = organisation.sso_secret_env = None
    organisation.sso_email_claim, organisation.sso_required = "email", False
    audit.record(session, actor=actor, action="organisation.sso_clear",
                 organisation=organisation.code, target=organisation.code)
    session.flush()
    return organisation


def offered(session: Session, code: str) -> Organisation | None:
    """The organisation with this code when its people may sign in through a provider."""
    if not code or len(code) > 64 or UNSAFE_CHARACTERS.search(code):
        return None
    organisation = get_organisation(session, code)
    return organisation if organisation is not None and organisation.has_sso else None


# --- the provider ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    # How the client secret is sent to the token endpoint: HTTP Basic where the provider
    # takes it, else in the form.
    client_auth: str


_providers: dict[str, tuple[float, Provider]] = {}
_keys: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def forget_providers() -> None:
    """Drop every provider's configuration and keys kept (found again at the next sign-in)."""
    with _lock:
        _providers.clear()
        _keys.clear()


def _get_json(url: str) -> dict[str, Any]:
    try:
        answer = httpx2.get(url, timeout=PROVIDER_TIMEOUT, follow_redirects=False)
        answer.raise_for_status()
        body = answer.json()
    except (httpx2.HTTPError, ValueError) as failure:
        logger.warning("Single sign-on: %s did not answer usefully: %s", url, failure)
        raise SsoRefused("provider_unreachable", UNREACHABLE, 502) from failure
    if not isinstance(body, dict):
        raise SsoRefused("provider_unreachable", UNREACHABLE, 502)
    return body


def provider(issuer: str) -> Provider:
    """The provider's configuration, by discovery; kept for DISCOVERY_TTL."""
    now = time.monotonic()
    with _lock:
        kept = _providers.get(issuer)
    if kept is not None and now - kept[0] < DISCOVERY_TTL:
        return kept[1]
    found = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    endpoints = [found.get(name) for name in
                 ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    offered_algorithms = found.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in ALGORITHMS if isinstance(offered_algorithms, list)
                       and a in offered_algorithms)
    auth_methods = found.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    client_auth = next((m for m in ("client_secret_basic", "client_secret_post")
                        if isinstance(auth_methods, list) and m in auth_methods), None)
    # Its endpoints on the issuer's scheme: https, but for a provider on this machine outside
    # prod (`_check_issuer`).
    scheme = issuer.split("://", 1)[0] + "://"
    # OpenID Connect Discovery 1.0, 4.3: the issuer named must be the one asked.
    if found.get("issuer") != issuer or not all(
            isinstance(e, str) and e.startswith(scheme) for e in endpoints) \
            or not algorithms or client_auth is None:
        logger.error("Single sign-on: the configuration of %s does not fit (issuer %r)",
                     issuer, found.get("issuer"))
        raise SsoRefused("provider_misconfigured", MISCONFIGURED, 502)
    authorization, token, jwks = cast(list[str], endpoints)
    made = Provider(issuer, authorization, token, jwks, algorithms, client_auth)
    with _lock:
        _providers[issuer] = (now, made)
    return made


def _key_set(found: Provider, *, again: bool = False) -> KeySet:
    now = time.monotonic()
    with _lock:
        kept = _keys.get(found.jwks_uri)
    if again or kept is None or now - kept[0] >= DISCOVERY_TTL:
        kept = (now, _get_json(found.jwks_uri))
        with _lock:
            _keys[found.jwks_uri] = kept
    try:
        return KeySet.import_key_set(cast(Any, kept[1]))
    except (JoseError, ValueError, TypeError, KeyError) as failure:
        raise SsoRefused("provider_misconfigured", MISCONFIGURED, 502) from failure


def _client(organisation: Organisation, found: Provider, redirect_uri: str,
            secret: str | None = None) -> Any:
    return OAuth2Client(client_id=organisation.sso_client_id, client_secret=secret,
                        token_endpoint_auth_method=found.client_auth, scope=SCOPE,
                        redirect_uri=redirect_uri, code_challenge_method="S256",
                        timeout=PROVIDER_TIMEOUT)


# --- the flow --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """What the browser keeps (signed, for a few minutes) between leaving for the provider and
    coming back: checked on the way back, and used once."""

    org: str
    state: str
    nonce: str
    verifier: str
    next: str


def begin(organisation: Organisation, redirect_uri: str, next_path: str) -> tuple[str, Flow]:
    """The provider's address to send the browser to, and the flow to keep."""
    found = provider(cast(str, organisation.sso_issuer))
    flow = Flow(org=organisation.code, state=secrets.token_urlsafe(32),
                nonce=secrets.token_urlsafe(32), verifier=secrets.token_urlsafe(48),
                next=next_path)
    with _client(organisation, found, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            found.authorization_endpoint, state=flow.state, nonce=flow.nonce,
            code_verifier=flow.verifier)
    return cast(str, url), flow


# The provider's faults, not the person's: audited, but not counted against the address.
PROVIDER_FAULTS: Final = frozenset({"provider_unreachable", "provider_misconfigured"})


def refuse(session: Session, organisation: Organisation | None, reason: str, message: str,
           status: int, address: str | None, *, user: User | None = None,
           details: dict[str, str] | None = None) -> SsoRefused:
    """Audit a refused sign-in and give the refusal to raise: `sign_in_failed` (counted
    against the address like a wrong password), or `sso_unavailable` for the provider's
    faults."""
    action = "sso_unavailable" if reason in PROVIDER_FAULTS else "sign_in_failed"
    audit.record(session, actor="anonymous", action=action,
                 organisation=organisation.code if organisation else None,
                 target=f"user:{user.id}" if user else None,
                 details={"reason": reason, "via": "sso", **(details or {})}, address=address)
    return SsoRefused(reason, message, status)


def _secret(organisation: Organisation) -> str:
    name = organisation.sso_secret_env or ""
    secret = os.environ.get(name, "") if _SECRET_ENV.match(name) else ""
    if not secret:
        logger.error("Single sign-on for %s: %s is not set", organisation.code, name)
        raise SsoRefused("provider_misconfigured", MISCONFIGURED, 502)
    return secret


def _id_token(organisation: Organisation, found: Provider, flow: Flow, code: str,
              redirect_uri: str) -> dict[str, Any]:
    """Exchange the code for tokens and return the ID token's claims once they pass."""
    try:
        with _client(organisation, found, redirect_uri, _secret(organisation)) as client:
            token = client.fetch_token(found.token_endpoint, grant_type="authorization_code",
                                       code=code, code_verifier=flow.verifier)
    except OAuthError as refused:
        logger.info("Single sign-on for %s: the provider refused the code: %s",
                    organisation.code, refused)
        raise SsoRefused("code_refused", ANSWER_REFUSED, 401) from refused
    except (httpx2.HTTPError, ValueError) as failure:
        logger.warning("Single sign-on for %s: token endpoint: %s", organisation.code, failure)
        raise SsoRefused("provider_unreachable", UNREACHABLE, 502) from failure
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise SsoRefused("no_id_token", ANSWER_REFUSED, 401)
    try:
        try:
            decoded = jwt.decode(id_token, _key_set(found), algorithms=list(found.algorithms))
        except InvalidKeyIdError:  # the provider has turned to a new key since
            decoded = jwt.decode(id_token, _key_set(found, again=True),
                                 algorithms=list(found.algorithms))
        claims = CodeIDToken(
            decoded.claims, decoded.header,
            {"iss": {"essential": True, "value": found.issuer},
             "aud": {"essential": True, "value": organisation.sso_client_id}},
            {"nonce": flow.nonce, "client_id": organisation.sso_client_id,
             "access_token": token.get("access_token")})
        claims.validate(leeway=LEEWAY)
    except ExpiredTokenError as refused:
        raise SsoRefused("expired_token", ANSWER_REFUSED, 401) from refused
    except ClaimError as refused:
        claim = getattr(refused, "claim", "") or str(refused)
        reason = {"aud": "wrong_audience", "azp": "wrong_audience", "iss": "wrong_issuer",
                  "nonce": "wrong_nonce"}.get(claim, "invalid_token")
        raise SsoRefused(reason, ANSWER_REFUSED, 401) from refused
    except (JoseError, ValueError, TypeError) as refused:
        raise SsoRefused("invalid_token", ANSWER_REFUSED, 401) from refused
    return dict(claims)


def finish(session: Session, organisation: Organisation, flow: Flow, code: str,
           redirect_uri: str, address: str | None) -> User:
    """The person the provider signed in, once everything checks; or `SsoRefused`, audited.

    Call it with a flow whose `state` matched the answer's. No write happens before the
    provider has answered: a GET holds no write lock while it waits."""
    if address and address_throttled(session, address):
        raise refuse(session, None, "throttled", SIGN_IN_THROTTLED, 429, address)
    try:
        claims = _id_token(organisation, provider(cast(str, organisation.sso_issuer)), flow,
                           code, redirect_uri)
    except SsoRefused as refused:
        raise refuse(session, organisation, refused.reason, refused.message, refused.status,
                     address) from refused
    email = claims.get(organisation.sso_email_claim)
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") is False:
        raise refuse(session, organisation, "no_email", PERSON_REFUSED, 401, address)
    user = get_user_by_email(session, email) if len(email) <= 320 else None
    reason = None
    if user is None:
        reason = "unknown_account"
    elif user.organisation_id != organisation.id:
        reason = "other_organisation"
    elif not user.active:
        reason = "inactive"
    elif user.locked_until is not None and user.locked_until > utcnow():
        reason = "locked"
    if reason is not None or user is None:
        # Another organisation's person is not named in this organisation's audit entries.
        raise refuse(session, organisation, reason or "unknown_account", PERSON_REFUSED, 401,
                     address, user=user if reason != "other_organisation" else None)
    record_sign_in(session, user, address, via="sso")
    return user
