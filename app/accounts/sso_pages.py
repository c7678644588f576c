"""Signing in with an organisation's own account: off to its OpenID Connect provider, and back
(`app/accounts/sso.py` does the checking).

Between the two, the browser keeps the flow (`state`, `nonce`, the PKCE verifier and where to
go next) in a signed, `HttpOnly` cookie good for ten minutes and used once. `SameSite=Lax`, not
`Strict`: the way back is a navigation from the provider's site, which must carry it.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import service, sso
from app.accounts.deps import (
    OptionalUser,
    client_address,
    session_id_from_cookie,
    set_session_cookie,
    sign,
    unsign,
)
from app.accounts.pages import login_page, safe_next
from app.accounts.refusals import record_refusal
from app.core.db import SessionDep
from app.core.settings import get_settings

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "rhi_sso"
FLOW_SALT = "sso-flow"
FLOW_MAX_AGE = 10 * 60
FLOW_PATH = "/login/sso"
# An OAuth error code the provider sends back (`access_denied`): kept in the audit entry.
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")

def _redirect_uri(request: Request, code: str) -> str:
    """Where the provider sends the browser back: on `RHI_PUBLIC_URL` when set (always in
    prod), never on a Host header a client chose there."""
    base = get_settings().public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/login/sso/{quote(code, safe='')}/callback"


def _flow(request: Request) -> sso.Flow | None:
    kept = unsign(request.cookies.get(FLOW_COOKIE), salt=FLOW_SALT,
                  max_age_seconds=FLOW_MAX_AGE)
    try:
        values = json.loads(kept) if kept else None
        return sso.Flow(**values) if isinstance(values, dict) else None
    except (ValueError, TypeError):
        return None


def _forget_flow(response: Response) -> Response:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax",
                           secure=get_settings().secure_cookies)
    return response


def _refused(request: Request, session: Session, refused: sso.SsoRefused,
             next_path: str) -> Response:
    return _forget_flow(login_page(request, session, status_code=refused.status,
                                   next_path=safe_next(next_path),
                                   errors={"sso": refused.message}))


def _not_offered(request: Request, session: Session, next_path: str) -> Response:
    record_refusal(request, 404)
    return _forget_flow(login_page(request, session, status_code=404,
                                   next_path=safe_next(next_path),
                                   errors={"sso": sso.NOT_OFFERED}))


@router.get("/login/sso/{org_code}")
def start(request: Request, session: SessionDep, _user: OptionalUser, org_code: str,
          next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/") -> Response:
    """Off to the organisation's provider, with `state`, `nonce` and a PKCE challenge."""
    organisation = sso.offered(session, org_code)
    if organisation is None:
        return _not_offered(request, session, next_path)
    try:
        url, flow = sso.begin(organisation, _redirect_uri(request, organisation.code),
                              safe_next(next_path))
    except sso.SsoRefused as refused:
        sso.refuse(session, organisation, refused.reason, refused.message, refused.status,
                   client_address(request))
        return _refused(request, session, refused, next_path)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, sign(json.dumps(asdict(flow)), salt=FLOW_SALT),
                        max_age=FLOW_MAX_AGE, path=FLOW_PATH, httponly=True, samesite="lax",
                        secure=get_settings().secure_cookies)
    return response


@router.get("/login/sso/{org_code}/callback")
def callback(
    request: Request, session: SessionDep, _user: OptionalUser, org_code: str,
    code: Annotated[str, Query(max_length=4000)] = "",
    state: Annotated[str, Query(max_length=500)] = "",
    error: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """Back from the provider: the flow checked, the code exchanged, the ID token and the person
    checked; then a session as a password and TOTP would start, its second factor done."""
    organisation = sso.offered(session, org_code)
    flow = _flow(request)
    if organisation is None:
        return _not_offered(request, session, flow.next if flow else "/")
    address = client_address(request)
    next_path = flow.next if flow else "/"
    if error or not code:
        # Refused whatever the state (some providers leave it off an error): nobody signs in.
        said = {"provider_error": error} if _ERROR_CODE.match(error) else {}
        refused = sso.refuse(session, organisation, "provider_said_no", sso.PROVIDER_SAID_NO,
                             401, address, details=said)
        return _refused(request, session, refused, next_path)
    if flow is None or flow.org != organisation.code or not state or not hmac.compare_digest(
            state.encode(), flow.state.encode()):
        refused = sso.refuse(session, organisation, "state", sso.TRY_AGAIN, 400, address)
        return _refused(request, session, refused, next_path)
    try:
        person = sso.finish(session, organisation, flow, code,
                            _redirect_uri(request, organisation.code), address)
    except sso.SsoRefused as refused:
        return _refused(request, session, refused, flow.next)

    previous = session_id_from_cookie(request)
    if previous is not None:
        service.end_session(session, previous, address)
    session_id, _ = service.start_session(session, person, second_factor_done=True)
    response = RedirectResponse(safe_next(flow.next), status_code=303)
    set_session_cookie(response, session_id)
    return _forget_flow(response)
