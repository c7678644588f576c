"""`GET /api/v1/standards`: the practice standard set in force, for keys and signed-in people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from app.accounts.api_keys import ApiRoute, BearerUnauthorized, authenticate_key, bearer_scheme
from app.accounts.deps import OptionalUser
from app.core.db import SessionDep
from app.standards import CURRENT, describe

router = APIRouter(prefix="/api/v1", tags=["standards"], route_class=ApiRoute)


def any_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session: SessionDep,
    user: OptionalUser,
) -> str:
    """Any live API key, whatever its scopes, or a signed-in person past the second factor."""
    if credentials is not None and credentials.credentials.strip():
        key, _ = authenticate_key(session, credentials.credentials.strip())
        return f"key:{key.id}"
    if user is None or user.second_factor_pending:
        raise BearerUnauthorized("Send an API key as `Authorization: Bearer <key>`, or sign in",
                                 invalid_token=False)
    return f"user:{user.user_id}"


@router.get(
    "/standards", operation_id="readStandards",
    summary="The practice standard set in force",
    description="The version of the standard set, and per standard its code, title and "
                "parameters (`practice-standards.md`). Any API key or signed-in user.",
    responses={401: {"description": "No live API key or sign-in"}},
)
def read_standards(_caller: Annotated[str, Depends(any_caller)]) -> dict[str, Any]:
    return describe(CURRENT)
