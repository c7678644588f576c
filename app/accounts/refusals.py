"""Every refused request is audited: who (the key, the person, or nobody), from where, what
they asked for, and the answer (401, 403, 404, 409, 422 and the like). A run of refusals is how
someone probing for records they may not see shows up in the log.

Written in the request's own database session (the error has rolled its work back), the one
its route's dependencies opened; a request that reached no route (a path the service does not
have) is left to the server's access log. A failure to write is logged and never turns a
refusal into a 500.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.audit import service as audit

logger = logging.getLogger(__name__)

REFUSED = frozenset({400, 401, 403, 404, 409, 412, 422, 428})


def record_refusal(request: Request, status: int) -> None:
    if status not in REFUSED:
        return
    caller = getattr(request.state, "caller", None) or getattr(request.state, "user", None)
    if not isinstance(caller, Caller):
        caller = None
    session = getattr(request.state, "db_session", None)
    if not isinstance(session, Session):
        return
    try:
        audit.record(session, actor=caller.label if caller else "anonymous",
                     organisation=caller.organisation_code if caller else None,
                     action="request.refused", target=request.url.path[:200],
                     details={"status": status, "method": request.method},
                     address=(request.client.host if request.client else None))
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.exception("Could not audit a refused request to %s", request.url.path)
