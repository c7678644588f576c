"""The administrator's pages for their organisation's API keys (the partner systems that submit
interviews, notify episodes, pull the feed or the SSDA903 return): the list with last use,
making a key (its scopes and expiry; the key is shown once), and revoking one. Audited as
`api_key.create` and `api_key.revoke` with the administrator as the actor. Another
organisation's key does not exist here.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.api_keys import MAX_EXPIRES_DAYS, create_api_key, list_api_keys, revoke_api_key
from app.accounts.caller import Caller
from app.accounts.deps import allow, page_context
from app.accounts.models import API_SCOPES, ApiKey
from app.core.db import SessionDep
from app.core.errors import BadRequest, NotFound
from app.core.templating import templates
from app.core.text import UNSAFE_CHARACTERS, digits
from app.core.types import utcnow

router = APIRouter(include_in_schema=False)
KEY_ID = re.compile(r"^rk_[a-z0-9]{8}$")

Admin = Annotated[Caller, Depends(allow(roles=("admin",)))]
SCOPE_NAMES = {
    "submit": "Submit: send, change and read the organisation's interview records",
    "notify": "Notify: tell the service of missing episodes and returns",
    "feed": "Feed: the pseudonymised feed and summaries, for analysts",
    "returns": "Returns: the SSDA903 missing return",
}
assert set(SCOPE_NAMES) == set(API_SCOPES), "every scope has a description"  # noqa: S101  # nosec B101


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template,
                                      page_context(request, scope_names=SCOPE_NAMES,
                                                   **context), status_code=status)


def state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "Revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "Expired"
    return "Active"


@router.get("/admin/api-keys", response_class=HTMLResponse)
def keys(request: Request, db: SessionDep, user: Admin) -> Response:
    listed = list_api_keys(db, user.organisation_id)
    now = utcnow()
    return _page(request, "admin/keys.html", keys=[(k.key, state(k.key, now)) for k in listed],
                 done=request.query_params.get("done"))


@router.get("/admin/api-keys/new", response_class=HTMLResponse)
def new_key_form(request: Request, user: Admin) -> Response:
    return _page(request, "admin/key_new.html", values={"expires_days": "365"}, errors={},
                 error_list=[])


@router.post("/admin/api-keys/new", response_class=HTMLResponse)
async def new_key(request: Request, db: SessionDep, user: Admin) -> Response:
    form = await request.form()
    name = form.get("name")
    name = name if isinstance(name, str) else ""
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    days_text = form.get("expires_days")
    days_text = days_text.strip() if isinstance(days_text, str) else ""
    errors: dict[str, str] = {}
    if not name.strip() or len(name.strip()) > 200 or UNSAFE_CHARACTERS.search(name):
        errors["name"] = ("Enter what the key is for, in 1 to 200 characters, without control "
                          "or text-direction characters")
    if not scopes or set(scopes) - set(API_SCOPES):
        errors["scopes"] = "Choose what the key may do"
    if not (digits(days_text) and len(days_text) <= 4 and
            1 <= int(days_text) <= MAX_EXPIRES_DAYS):
        errors["expires_days"] = f"Enter a number of days from 1 to {MAX_EXPIRES_DAYS}"
    if not errors:
        try:
            key, plaintext = create_api_key(db, user.organisation_code, name, scopes,
                                            int(days_text), actor=user.label)
        except BadRequest as refusal:
            errors["name"] = refusal.detail
        else:
            return _page(request, "admin/key_created.html", key=key, plaintext=plaintext)
    return _page(request, "admin/key_new.html", status=422,
                 values={"name": name, "scopes": scopes, "expires_days": days_text},
                 errors=errors,
                 error_list=[{"text": text, "href": f"#{field}"}
                             for field, text in errors.items()])


@router.post("/admin/api-keys/{key_id}/revoke")
def revoke(key_id: str, db: SessionDep, user: Admin) -> Response:
    if not KEY_ID.match(key_id):  # never a NUL or anything else to PostgreSQL: not a key
        raise NotFound(f"No API key has the id {key_id[:40]!r}")
    key = revoke_api_key(db, key_id, actor=user.label,
                         organisation_id=user.organisation_id)
    return RedirectResponse(f"/admin/api-keys?done={key.id}", status_code=303)
