"""Who may pull the feed, summaries and exports: a scoped API key, or a signed-in person whose
role allows it.

A request carrying `Authorization: Bearer` is judged on its key alone (401 when the key is not
live, 403 when it lacks the scope); without one, on the browser session (401 when there is
none, 403 for a role that may not). Nobody reaches these routes any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from app.accounts.api_keys import BearerUnauthorized, authenticate_key, bearer_scheme
from app.accounts.deps import OptionalUser, client_address
from app.accounts.models import API_SCOPES, ROLES
from app.core.db import SessionDep
from app.core.errors import Forbidden


@dataclass(frozen=True, slots=True)
class Caller:
    """A key or a person, within one organisation, as the audit log names them."""

    label: str  # "key:rk_ab12cd34" or "user:12"
    organisation_code: str
    address: str | None


def allowing(scope: str, *roles: str) -> Callable[..., Caller]:
    """A dependency admitting a key with `scope`, or a session of one of `roles`."""
    if scope not in API_SCOPES or not roles or set(roles) - set(ROLES):
        raise ValueError(f"allowing() needs a scope of {API_SCOPES} and roles of {ROLES}")
    allowed = frozenset(roles)

    def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        session: SessionDep,
        user: OptionalUser,
    ) -> Caller:
        # A sync dependency: FastAPI runs it in the thread pool, off the event loop.
        address = client_address(request)
        if credentials is not None and credentials.credentials.strip():
            key, organisation_code = authenticate_key(session, credentials.credentials.strip())
            if scope not in key.scopes:
                raise Forbidden(f"This API key does not have the `{scope}` scope")
            return Caller(f"key:{key.id}", organisation_code, address)
        if user is None or user.second_factor_pending:
            raise BearerUnauthorized(f"Send an API key with the `{scope}` scope as "
                                     "`Authorization: Bearer <key>`, or sign in",
                                     invalid_token=False)
        if user.role not in allowed:
            raise Forbidden("Your role does not allow this")
        return Caller(f"user:{user.user_id}", user.organisation_code, address)

    caller.__name__ = f"caller_{scope}_{'_'.join(sorted(allowed))}"
    return caller


FeedCaller = Annotated[Caller, Depends(allowing("feed", "analyst"))]
SummaryCaller = Annotated[Caller, Depends(allowing("feed", "analyst", "manager"))]
ReturnsCaller = Annotated[Caller, Depends(allowing("returns", "manager"))]
