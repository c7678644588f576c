"""The audit log search page: managers and admins read their organisation's entries.

There is only a GET route: nobody can change or remove an entry through the service. Each
search is itself written to the log, so who looked at the log is on the record too. The log
names people by their sign-in (`user:12`) and records by their id, never a child; the page reads
each entry as a sentence with names (`app/admin/audit_words.py`), only where the reader may see
them, and keeps the entry as written in a "technical record" for investigators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow, page_context
from app.accounts.models import User
from app.admin import audit_words
from app.audit import service
from app.core.db import SessionDep
from app.core.london import london_midnight
from app.core.templating import templates
from app.core.text import UNSAFE_CHARACTERS, digits

router = APIRouter(include_in_schema=False)

AUDIT_ROLES = ("manager", "admin")
AuditReader = Annotated[Caller, Depends(allow(roles=AUDIT_ROLES))]

MAX_FILTER_LENGTH = 200
TEXT_FILTERS = ("actor", "action", "target")
DATE_FILTERS = (("from", "The first day"), ("to", "The last day"))


@dataclass(frozen=True)
class Filters:
    values: dict[str, str]  # as typed, to put back in the form
    query: service.AuditQuery
    before: int | None
    errors: dict[str, str]


def _day(values: dict[str, str], name: str, label: str, errors: dict[str, str]) -> date | None:
    parts = [values.get(f"{name}-{p}", "") for p in ("day", "month", "year")]
    if not any(parts):
        return None
    day, month, year = parts
    try:
        if not (digits(day) and digits(month) and digits(year) and len(year) == 4):
            raise ValueError
        return date(int(year), int(month), int(day))
    except ValueError:
        errors[name] = f"{label} must be a real date, like 27 3 2026"
        return None


def read_filters(request: Request) -> Filters:
    """The filters from the query string; bad ones come back as messages, not errors."""
    names = [*TEXT_FILTERS, *(f"{n}-{p}" for n, _ in DATE_FILTERS
                             for p in ("day", "month", "year"))]
    # Control characters match nothing in the log (and PostgreSQL refuses NUL): left out.
    values = {n: UNSAFE_CHARACTERS.sub("", request.query_params.get(n, "")).strip()
              [:MAX_FILTER_LENGTH] for n in names}
    errors: dict[str, str] = {}
    since = _day(values, "from", DATE_FILTERS[0][1], errors)
    until = _day(values, "to", DATE_FILTERS[1][1], errors)
    if since and until and until < since:
        errors["to"] = "The last day must be the same as or after the first day"
    before_text = request.query_params.get("before", "")
    before = int(before_text) if digits(before_text) and len(before_text) < 19 else None
    query = service.AuditQuery(
        actor=values["actor"] or None, action=values["action"] or None,
        target=values["target"] or None,
        since=london_midnight(since) if since else None,
        until=london_midnight(until + timedelta(days=1)) if until else None,
    )
    return Filters(values, query, before, errors)


def _actor_filter(db: SessionDep, actor: str | None, organisation_id: int | None
                  ) -> str | None:
    """An email address stands for that person's `user:N` label."""
    if actor is None or "@" not in actor:
        return actor
    user_id = db.execute(select(col(User.id)).where(
        col(User.email) == actor.lower(), col(User.organisation_id) == organisation_id)
    ).scalar_one_or_none()
    return f"user:{user_id}" if user_id is not None else actor


@router.get("/audit", response_class=HTMLResponse)
def audit_search(request: Request, db: SessionDep, user: AuditReader) -> Response:
    """Search the organisation's audit entries, newest first, 50 a page."""
    filters = read_filters(request)
    organisation_id = user.organisation_id
    page = service.AuditPage(entries=[], older_than=None)
    if not filters.errors:
        query = service.AuditQuery(
            actor=_actor_filter(db, filters.query.actor, organisation_id),
            action=filters.query.action, target=filters.query.target,
            since=filters.query.since, until=filters.query.until)
        page = service.search(db, query, organisation=user.organisation_code,
                              before=filters.before)
        service.record(db, actor=user.label, organisation=user.organisation_code,
                       action="audit.search", address=user.address,
                       details={k: v for k, v in filters.values.items() if v})
    kept = {k: v for k, v in filters.values.items() if v}
    older_url = (f"/audit?{urlencode({**kept, 'before': page.older_than})}"
                 if page.older_than is not None else None)
    newest_url = f"/audit?{urlencode(kept)}" if filters.before is not None else None
    lookup = audit_words.look_up(db, page.entries, user)
    rows = [audit_words.describe(entry, lookup) for entry in page.entries]
    context = page_context(
        request, values=filters.values, errors=filters.errors,
        error_list=[{"text": text, "href": f"#{name}-day"} for name, text in
                    filters.errors.items()],
        rows=rows,
        older_url=older_url, newest_url=newest_url, date_filters=DATE_FILTERS,
    )
    return templates.TemplateResponse(request, "admin/audit.html", context,
                                      status_code=422 if filters.errors else 200)
