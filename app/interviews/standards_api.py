"""`GET /api/v1/standards`: the practice standard set in force, for keys and signed-in people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.accounts.models import API_SCOPES, ROLES
from app.core.errors import FieldError, ValidationFailed
from app.standards import CURRENT, SETS, describe

router = APIRouter(prefix="/api/v1", tags=["standards"])

# Any live API key, whatever its scopes, or any signed-in person past the second factor.
AnyCaller = Annotated[Caller, Depends(allow(scopes=API_SCOPES, roles=ROLES))]


@router.get(
    "/standards", operation_id="readStandards",
    summary="The practice standard set in force, or an earlier one",
    description="The version of the standard set, and per standard its code, title and "
                "parameters (`practice-standards.md`), with every version published "
                "(`versions`). A finding names the set it was made under (`set_version`): read "
                "that set with `?version=`. Any API key or signed-in user.",
    responses={401: {"description": "No live API key or sign-in"},
               422: {"description": "No standard set has this version",
                     "content": {"application/problem+json": {}}}},
)
def read_standards(
    _caller: AnyCaller,
    version: Annotated[str | None, Query(
        description="A published version (`2026.1`); the set in force when absent",
        max_length=16)] = None,
) -> dict[str, Any]:
    if version is None:
        chosen = CURRENT
    elif version in SETS:
        chosen = SETS[version]
    else:
        raise ValidationFailed(
            [FieldError("/query/version", "unknown_code",
                        f"No standard set has this version; use one of: {', '.join(SETS)}")],
            title="The request is not valid")
    return {**describe(chosen), "in_force": chosen is CURRENT, "versions": list(SETS)}
