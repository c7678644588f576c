"""`GET /api/v1/standards`: the practice standard set in force, for keys and signed-in people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.accounts.models import API_SCOPES, ROLES
from app.standards import CURRENT, describe

router = APIRouter(prefix="/api/v1", tags=["standards"])

# Any live API key, whatever its scopes, or any signed-in person past the second factor.
AnyCaller = Annotated[Caller, Depends(allow(scopes=API_SCOPES, roles=ROLES))]


@router.get(
    "/standards", operation_id="readStandards",
    summary="The practice standard set in force",
    description="The version of the standard set, and per standard its code, title and "
                "parameters (`practice-standards.md`). Any API key or signed-in user.",
    responses={401: {"description": "No live API key or sign-in"}},
)
def read_standards(_caller: AnyCaller) -> dict[str, Any]:
    return describe(CURRENT)
