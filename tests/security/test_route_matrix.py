"""Who may call what: every route of the app, for every kind of caller and record.

`MATRIX` has one row per (method, path) of `create_app()` (static files and the API docs aside).
Columns are the callers: a signed-in person of each role (signed in once, through the real login
form), an API key of each scope, and nobody. Every caller belongs to organisation `mx-own`.

For a route about one record, the row's status is what the caller gets for each record the
row `sees`: by default one of their own organisation and one their organisation is the child's
responsible authority for; the host authority's pages see only the record of another's child
placed in the callers' area. For any other record (of an unrelated organisation, of a child
placed in a third area, or, on every other route, the record the callers' organisation hosts)
a caller who would succeed gets 404 (the record does not exist for them: never 403), and a
caller refused anyway gets the same refusal, so a refusal says nothing about the record either.

Statuses, as `api.md` says: success as listed (2xx, or 303 for a page that redirects);
`login` = 303 to /login (a page, nobody signed in); 401 (an API call without a live key or
session); 403 (a role or key scope that may not); 404; 405 (a method the path does not serve).

Every answer must also carry `Cache-Control: no-store`, `nosniff`, the Referrer-Policy and the
CSP's `frame-ancestors 'none'`; must not hold an id, name, case id, free text or postcode of a
record the row does not see; never the child's account of the hosted record; and, for
analysts, admins and feed keys, nothing identifying of any record. Rows that list records must
list the ones they see.

A route without a row fails `test_every_route_has_a_row`: add the row when adding the route.

At the time of writing: 2,640 cases (route, caller, record) over 100 (method, path) rows;
`test_every_route_has_a_row` prints the current number (see it with `pytest -rA`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.routing import Mount

from app.accounts import deps
from app.accounts.pages import LOGIN_CSRF_COOKIE, LOGIN_CSRF_SALT
from app.audit.models import AuditEntry
from app.interviews import forms
from app.main import create_app
from tests.builders import PASSWORD, make_document
from tests.security.world import CALLERS, OWN, RECORDS, STATES, World, build_world

# Analysts see pseudonymised and aggregate data only; admins no interview content.
NO_IDENTIFYING_DATA = frozenset({"analyst", "admin", "key:feed"})
IGNORED_PATHS = frozenset({"/api/v1/openapi.json"})
NOT_ALLOWED = ("DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")

Send = Callable[[World, str, Any], dict[str, Any]]


# The records a route may show: the callers' organisation's own and its children's (`visible_to`).
VISIBLE = frozenset({"own", "responsible"})
# The host authority's pages show only the record of another's child placed in its area.
HOSTED = frozenset({"hosted"})


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    record: str | None  # "draft" or "submitted": the state of the record the route is about
    expect: dict[str, str]  # caller -> status token
    send: Send | None = None
    lists: frozenset[str] = frozenset()  # callers shown a list of every record the row sees
    sees: frozenset[str] = VISIBLE  # the kinds of record (world.RECORDS) it may show

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def row(method: str, path: str, record: str | None, statuses: str,
        send: Send | None = None, *, lists: str = "", sees: frozenset[str] = VISIBLE) -> Row:
    tokens = statuses.split()
    assert len(tokens) == len(CALLERS), f"{method} {path}: one status per caller"
    return Row(method, path, record, dict(zip(CALLERS, tokens, strict=True)), send,
               frozenset(lists.split()), sees)


def refused_methods(path: str, methods: tuple[str, ...]) -> list[Row]:
    """Methods a path does not serve: 405 for everyone, before anyone is asked who they are."""
    return [row(m, path, "submitted" if "{" in path else None, " ".join(["405"] * 10))
            for m in methods]


# --- how each row's request is made --------------------------------------------------------


def form(**fields: str) -> Send:
    """A form post carrying the caller's CSRF token (nobody's, for a key or nobody)."""
    def send(world: World, caller: str, record: Any) -> dict[str, Any]:
        return {"data": {"csrf_token": world.callers[caller].csrf_token, **fields}}
    return send


def section_form(world: World, caller: str, record: Any) -> dict[str, Any]:
    values = forms.values_from_document(record.document)
    fields = {k: v for k, v in values.items() if k.startswith("child-")}
    return {"data": {"csrf_token": world.callers[caller].csrf_token, **fields}}


def login_form(world: World, caller: str, record: Any) -> dict[str, Any]:
    # The login form's double-submit pair, as GET /login would have set it.
    token = "matrix-login-form-token"
    return {"data": {"csrf_token": token, "email": world.login_email, "password": PASSWORD},
            "cookies": {LOGIN_CSRF_COOKIE: deps.sign(token, salt=LOGIN_CSRF_SALT)}}


def query(**params: str) -> Send:
    def send(world: World, caller: str, record: Any) -> dict[str, Any]:
        return {"params": params}
    return send


def new_document(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"json": make_document(child__responsible_authority=OWN,
                                  child__placement_authority=OWN)}


def changed_document(world: World, caller: str, record: Any) -> dict[str, Any]:
    document = {**record.document, "interview": {**record.document["interview"],
                                                 "child_account": "Changed in the matrix."}}
    return {"json": document, "headers": {"If-Match": record.etag}}


def new_episode(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"json": {"id": str(uuid4()), "type": "missing",
                     "started_at": "2026-02-01T18:00:00Z",
                     "child": {"responsible_authority": OWN, "local_id": "MX-NOTIFIED"}}}


def episode_form(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"data": {"csrf_token": world.callers[caller].csrf_token, "id": str(uuid4()),
                     "type": "away", "child-responsible_authority": OWN,
                     "child-local_id": "MX-WEB", "started_at-day": "1",
                     "started_at-month": "2", "started_at-year": "2026",
                     "started_at-time": "18:00"}}


def own_key(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"data": {"csrf_token": world.callers[caller].csrf_token}}


def allocation(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"data": {"csrf_token": world.callers[caller].csrf_token,
                     "user_id": str(world.people["manager"])}}


def episode_change(world: World, caller: str, record: Any) -> dict[str, Any]:
    return {"json": {"police_risk_grade": "high"}, "headers": {"If-Match": "*"}}


# --- the matrix ----------------------------------------------------------------------------
# Columns: interviewer placement_team manager analyst admin | key:submit key:feed key:returns |
# anonymous. Records: see the module docstring.

PAGE_OF_RECORD_ROLES = "200 200 200 403 403  login login login login  login"
ADMINS_ONLY_PAGE = "403 403 403 403 200  login login login login  login"
POST_OF_RECORD_ROLES = "303 303 303 403 403  login login login login  login"
MANAGERS_ONLY_POST = "403 403 303 403 403  login login login login  login"
MANAGERS_ONLY_PAGE = "403 403 200 403 403  login login login login  login"
SUBMIT_SCOPE = "401 401 401 401 401  200 403 403 403  401"
NOTIFY_SCOPE = "401 401 401 401 401  403 403 403 200  401"

MATRIX: list[Row] = [
    row("GET", "/healthz", None, "200 200 200 200 200  200 200 200 200  200"),
    row("GET", "/readyz", None, "200 200 200 200 200  200 200 200 200  200"),
    # Prometheus's, with the bearer token of RHI_METRICS_TOKEN only: no session or key opens it.
    row("GET", "/metrics", None, "404 404 404 404 404  404 404 404 404  404"),
    # The API's documentation: public, like the OpenAPI document it shows.
    row("GET", "/api/docs", None, "200 200 200 200 200  200 200 200 200  200"),
    # Signing in and out: public, so a stranger can sign in and anyone can leave.
    row("GET", "/login", None, "303 303 303 303 303  200 200 200 200  200"),
    row("POST", "/login", None, "303 303 303 303 303  303 303 303 303  303", login_form),
    row("POST", "/logout", None, "303 303 303 303 303  303 303 303 303  303", form()),
    # "Stay signed in" before the session times out: a person's session only, never a key's.
    row("POST", "/session/keep-alive", None, "204 204 204 204 204  401 401 401 401  401", form()),
    # The second factor: done already for these sessions, so it sends them on.
    row("GET", "/login/two-factor", None, "303 303 303 303 303  login login login login  login"),
    row("POST", "/login/two-factor", None, "303 303 303 303 303  login login login login  login",
        form(code="000000")),
    # Signing in through the organisation's own provider: mx-own has none, so there is nothing
    # to start or come back to (the sign-in page says so), for anyone.
    row("GET", "/login/sso/{org_code}", None, "404 404 404 404 404  404 404 404 404  404"),
    row("GET", "/login/sso/{org_code}/callback", None,
        "404 404 404 404 404  404 404 404 404  404", query(code="matrix-code", state="matrix")),
    # Pages. The analyst's home sends them to the reports; the admin's holds no records.
    row("GET", "/", None, "200 200 200 303 200  login login login login  login",
        lists="interviewer placement_team manager"),
    row("GET", "/audit", None, "403 403 200 403 200  login login login login  login"),
    # Administration of the organisation's people: admins only.
    row("GET", "/admin/people", None, ADMINS_ONLY_PAGE),
    row("GET", "/admin/people/new", None, ADMINS_ONLY_PAGE),
    row("POST", "/admin/people/new", None, "403 403 403 403 200  login login login login  login",
        form(email="invited@matrix.example.test", name="Invited", role="analyst")),
    row("GET", "/admin/people/{user_id}", None, ADMINS_ONLY_PAGE),
    row("POST", "/admin/people/{user_id}/{action}", None,
        "403 403 403 403 303  login login login login  login", form()),
    # The organisation's API keys, and the partnership's organisations: admins only.
    row("GET", "/admin/api-keys", None, ADMINS_ONLY_PAGE),
    row("GET", "/admin/api-keys/new", None, ADMINS_ONLY_PAGE),
    row("POST", "/admin/api-keys/new", None, ADMINS_ONLY_PAGE,
        form(name="Matrix key", scopes="feed", expires_days="30")),
    row("POST", "/admin/api-keys/{key_id}/revoke", None,
        "403 403 403 403 303  login login login login  login", own_key),
    row("GET", "/admin/organisations", None, ADMINS_ONLY_PAGE),
    row("GET", "/admin/organisations/new", None, ADMINS_ONLY_PAGE),
    row("POST", "/admin/organisations/new", None,
        "403 403 403 403 303  login login login login  login",
        form(code="mx-new", name="Matrix new", kind="other")),
    row("POST", "/admin/organisations/own", None,
        "403 403 403 403 303  login login login login  login", form(name="Matrix renamed")),
    # The start page finds a child the service knows, by name or case id, among what the
    # organisation may see ("child" is in every record's family name).
    row("GET", "/interviews/new", None, PAGE_OF_RECORD_ROLES, query(q="child")),
    row("POST", "/interviews/new", None, POST_OF_RECORD_ROLES, form()),
    row("GET", "/interviews/{interview_id}", "submitted", PAGE_OF_RECORD_ROLES),
    row("GET", "/interviews/{interview_id}/check", "draft", PAGE_OF_RECORD_ROLES),
    # What changed in a version (version 1 of the matrix's submitted record).
    row("GET", "/interviews/{interview_id}/versions/{number}", "submitted", PAGE_OF_RECORD_ROLES),
    # A report per recipient (the police's here): exactly who may see the record page.
    row("GET", "/interviews/{interview_id}/report/{recipient}", "submitted",
        PAGE_OF_RECORD_ROLES),
    row("GET", "/interviews/{interview_id}/{slug}", "draft", PAGE_OF_RECORD_ROLES),
    row("POST", "/interviews/{interview_id}/{slug}", "draft", POST_OF_RECORD_ROLES,
        section_form),
    row("POST", "/interviews/{interview_id}/submit", "draft", POST_OF_RECORD_ROLES, form()),
    # Discarding a draft never submitted, with a reason.
    row("GET", "/interviews/{interview_id}/discard", "draft", PAGE_OF_RECORD_ROLES),
    row("POST", "/interviews/{interview_id}/discard", "draft", POST_OF_RECORD_ROLES,
        form(reason="Started twice in the matrix")),
    # A manager's decision: an oversight note either way, and to approve, their word that they
    # read the record and the child's account.
    row("POST", "/interviews/{interview_id}/approve", "submitted", MANAGERS_ONLY_POST,
        form(oversight_note="Checked in the matrix", read_record="yes")),
    row("POST", "/interviews/{interview_id}/return", "submitted", MANAGERS_ONLY_POST,
        form(comment="Please add the police reference")),
    # The host authority's restricted view: people who read records, of the records of
    # another authority's children placed in their area, and of no other.
    row("GET", "/placed-in-our-area", None, PAGE_OF_RECORD_ROLES,
        lists="interviewer placement_team manager", sees=HOSTED),
    row("GET", "/placed-in-our-area/{interview_id}", "submitted", PAGE_OF_RECORD_ROLES,
        sees=HOSTED),
    # The interviews API: keys with the submit scope only; sessions do not count here.
    row("POST", "/api/v1/interviews", None, "401 401 401 401 401  201 403 403 403  401",
        new_document),
    row("GET", "/api/v1/interviews", None, SUBMIT_SCOPE, lists="key:submit"),
    row("GET", "/api/v1/interviews/{interview_id}", "submitted", SUBMIT_SCOPE),
    row("PUT", "/api/v1/interviews/{interview_id}", "submitted", SUBMIT_SCOPE,
        changed_document),
    row("GET", "/api/v1/interviews/{interview_id}/versions", "submitted", SUBMIT_SCOPE),
    *refused_methods("/api/v1/interviews",
                     ("DELETE", "HEAD", "OPTIONS", "PATCH", "PUT", "TRACE")),
    *refused_methods("/api/v1/interviews/{interview_id}",
                     ("DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "TRACE")),
    *refused_methods("/api/v1/interviews/{interview_id}/versions", ("HEAD", *NOT_ALLOWED)),
    # The episode register on the web: managers co-ordinate; people who interview see an
    # episode, their own list, and start the interview from it.
    row("GET", "/episodes", None, MANAGERS_ONLY_PAGE),
    row("GET", "/episodes/mine", None, PAGE_OF_RECORD_ROLES),
    row("GET", "/episodes/new", None, MANAGERS_ONLY_PAGE),
    row("POST", "/episodes/new", None, MANAGERS_ONLY_POST, episode_form),
    row("GET", "/episodes/{episode_id}", "submitted", PAGE_OF_RECORD_ROLES),
    row("POST", "/episodes/{episode_id}", "submitted", MANAGERS_ONLY_POST,
        form(police_risk_grade="high", version="1")),
    row("POST", "/episodes/{episode_id}/allocate", "submitted", MANAGERS_ONLY_POST,
        allocation),
    row("POST", "/episodes/{episode_id}/start", "submitted", POST_OF_RECORD_ROLES, form()),
    # The child's identity: the responsible authority's manager decides differences (a
    # difference is named by a record or notification id: none here, so a decision is 404).
    row("GET", "/children/differences", None, MANAGERS_ONLY_PAGE),
    row("POST", "/children/differences/{source}/{source_id}/{decision}", None,
        "403 403 404 403 403  login login login login  login", form()),
    # Finding a child by name or case id ("child" is in every record's family name), and the
    # child's history: people who interview, among what their organisation may see.
    row("GET", "/search", None, PAGE_OF_RECORD_ROLES, query(q="child")),
    row("GET", "/children/{child_id}", "submitted", PAGE_OF_RECORD_ROLES),
    # A new record for a child the service knows, the child section filled in from what the
    # organisation may see: another authority's child does not exist for it (404).
    row("POST", "/children/{child_id}/start", "submitted", POST_OF_RECORD_ROLES, form()),
    # The episode register's API: keys with the notify scope (police, children's services).
    row("POST", "/api/v1/episodes", None, "401 401 401 401 401  403 403 403 201  401",
        new_episode),
    row("GET", "/api/v1/episodes", None, NOTIFY_SCOPE, lists="key:notify"),
    row("GET", "/api/v1/episodes/{episode_id}", "submitted", NOTIFY_SCOPE),
    row("PATCH", "/api/v1/episodes/{episode_id}", "submitted", NOTIFY_SCOPE, episode_change),
    *refused_methods("/api/v1/episodes", ("DELETE", "HEAD", "OPTIONS", "PATCH", "PUT", "TRACE")),
    *refused_methods("/api/v1/episodes/{episode_id}",
                     ("DELETE", "HEAD", "OPTIONS", "POST", "PUT", "TRACE")),
    # The standard set in force: public knowledge, but only to those the service knows.
    row("GET", "/api/v1/standards", None, "200 200 200 200 200  200 200 200 200  401"),
    # The analyst feed, summaries, the board report and the SSDA903 return: pseudonymised or
    # aggregate, so analysts may; keys with the feed (or returns) scope, or a session.
    row("GET", "/api/v1/feed/interviews", None, "403 403 403 200 403  403 200 403 403  401",
        lists="analyst key:feed"),
    row("GET", "/api/v1/feed/episodes", None, "403 403 403 200 403  403 200 403 403  401",
        lists="analyst key:feed"),
    row("GET", "/api/v1/feed/summary", None, "403 403 200 200 403  403 200 403 403  401",
        query(**{"from": "2026-01-01", "to": "2026-12-31", "group_by": "found_district"})),
    row("GET", "/api/v1/exports/ssda903-missing", None,
        "403 403 200 403 403  403 403 200 403  401",
        query(collection_year="2025-26")),
    row("GET", "/reports/quarterly", None, "403 403 200 200 403  login login login login  login"),
    row("GET", "/reports/quarterly/{chart}.csv", None,
        "403 403 200 200 403  login login login login  login"),
    # The board pack as a PDF for board papers: the report's people, its own figures.
    row("GET", "/reports/quarterly.pdf", None,
        "403 403 200 200 403  login login login login  login", query(mode="own")),
]

ROWS = {r.key: r for r in MATRIX}
assert len(ROWS) == len(MATRIX), "one row per (method, path)"


@dataclass(frozen=True)
class Case:
    row: Row
    caller: str
    record: str | None  # own, responsible, unrelated; None for a route about no record

    @property
    def id(self) -> str:
        return f"{self.row.method} {self.row.path} | {self.caller}" + (
            f" | {self.record}" if self.record else "")

    @property
    def expected(self) -> str:
        token = self.row.expect[self.caller]
        if self.record is not None and self.record not in self.row.sees and _succeeds(token):
            return "404"
        return token


def _succeeds(token: str) -> bool:
    return token.isdigit() and 200 <= int(token) < 400


CASES = [Case(r, caller, record)
         for r in MATRIX for caller in CALLERS
         for record in (RECORDS if r.record else (None,))]


# --- the tests -----------------------------------------------------------------------------


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, static files and API docs aside."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount) or context.path in IGNORED_PATHS:
            continue
        assert isinstance(route, APIRoute), f"{context.path}: a route the matrix cannot read"
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # answered as GET is
        found |= {(method, str(context.path)) for method in methods}
    return found


def test_every_route_has_a_row() -> None:
    served = app_routes(create_app())

    missing = sorted(served - set(ROWS))
    stale = sorted(set(ROWS) - served)

    assert not missing, "new route without a matrix row: " + ", ".join(
        f"{m} {p}" for m, p in missing)
    assert not stale, "matrix row for a route that no longer exists: " + ", ".join(
        f"{m} {p}" for m, p in stale)
    print(f"route matrix: {len(CASES)} cases (route, caller, record) "  # noqa: T201 - the report
          f"over {len(MATRIX)} rows and {len(CALLERS)} callers")


@pytest.fixture(scope="module")
def world(migrated_engine: Engine) -> Iterator[World]:
    # /healthz and /readyz ask the service's own database (`get_engine()`), migrated here; every
    # other route is given the world's.
    with build_world(create_app()) as built:
        yield built


def _url(case: Case, world: World) -> tuple[str, Any]:
    record = world.records[(case.record, case.row.record)] if case.record and \
        case.row.record else None
    path = case.row.path
    if record is not None:
        path = path.replace("{interview_id}", str(record.id))
        path = path.replace("{episode_id}", str(record.episode_id))
        path = path.replace("{child_id}", str(record.child_id))
    path = path.replace("{slug}", forms.SECTIONS[0].slug).replace("{chart}", "headline")
    path = path.replace("{user_id}", str(world.people["own"])).replace("{action}",
                                                                        "end-sessions")
    path = path.replace("{key_id}", world.key_ids["key:feed"]).replace("{org_code}", OWN)
    path = path.replace("{number}", "1").replace("{recipient}", "police")
    path = path.replace("{source}", "record").replace("{source_id}", str(uuid4())).replace(
        "{decision}", "accepted")
    return path, record


# Reads audited when they succeed: every page or answer showing a record's content, a list of
# records, or the feed, summaries, reports and exports (not /audit: admins read the log itself).
AUDITED_READS = frozenset({
    "/", "/interviews/{interview_id}", "/interviews/{interview_id}/check",
    "/interviews/{interview_id}/{slug}", "/interviews/{interview_id}/versions/{number}",
    "/interviews/{interview_id}/report/{recipient}",
    "/api/v1/interviews", "/api/v1/interviews/{interview_id}",
    "/api/v1/interviews/{interview_id}/versions", "/api/v1/feed/interviews",
    "/api/v1/feed/episodes",
    "/api/v1/episodes", "/api/v1/episodes/{episode_id}", "/episodes", "/episodes/mine",
    "/episodes/{episode_id}", "/children/differences", "/search", "/interviews/new",
    "/children/{child_id}",
    "/api/v1/feed/summary", "/api/v1/exports/ssda903-missing", "/reports/quarterly",
    "/reports/quarterly/{chart}.csv", "/reports/quarterly.pdf", "/audit",
    "/placed-in-our-area", "/placed-in-our-area/{interview_id}",
})
REFUSALS = {"login": 401, "401": 401, "403": 403, "404": 404, "409": 409, "422": 422}
# Routes that answer a caller without their token exactly as a path the service does not have,
# which is left to the request log (route `unmatched`): no audit entry either.
AS_IF_ABSENT = frozenset({("GET", "/metrics")})


def _audited(world: World, after: int) -> list[AuditEntry]:
    return list(world.session().execute(
        select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id))
    ).scalars())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_route_matrix(world: World, case: Case) -> None:
    path, record = _url(case, world)
    request = case.row.send(world, case.caller, record) if case.row.send else {}
    cookies = request.pop("cookies", {})

    with world.case(case.caller) as client:
        last = world.session().execute(select(func.max(AuditEntry.id))).scalar() or 0
        for name, value in cookies.items():
            client.cookies.set(name, value)
        answer = client.request(case.row.method, path, **request)
        written = _audited(world, last)

    # Each refusal, and each read of what the service holds, is in the audit log.
    refused = [e.details.get("status") for e in written if e.action == "request.refused"]
    if case.row.key in AS_IF_ABSENT:
        assert refused == [], [(e.action, e.details) for e in written]
    elif case.expected in REFUSALS:
        assert refused == [REFUSALS[case.expected]], (case.expected, [
            (e.action, e.details) for e in written])
    elif case.row.method == "GET" and case.row.path in AUDITED_READS and _succeeds(
            case.expected) and case.expected != "303" and not (
            case.row.path == "/" and case.caller == "admin"):
        reads = [e for e in written if e.action != "request.refused" and e.actor != "anonymous"]
        assert reads, f"a read not audited: {[(e.action, e.details) for e in written]}"
    expected = case.expected
    where = answer.headers.get("location", "")
    if expected == "login":
        assert (answer.status_code, where.split("?")[0]) == (303, "/login"), answer.text[:500]
    else:
        assert answer.status_code == int(expected), answer.text[:500]
        if answer.status_code == 303:
            assert not where.startswith("/login?next="), "a signed-in caller sent to sign in"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    body = answer.text
    for kind in sorted(set(RECORDS) - case.row.sees):
        unseen = [str(world.records[(kind, state)].id) for state in STATES]
        unseen += [str(world.records[(kind, "submitted")].episode_id)]
        unseen += world.records[(kind, "submitted")].identifying()
        assert not [s for s in unseen if s in body], f"the {kind} record shows through"
    hosted = world.records[("hosted", "submitted")].document["interview"]["child_account"]
    assert hosted not in body, "the child's account shows to the host authority"
    if case.caller in NO_IDENTIFYING_DATA and _succeeds(expected):
        shown = [s for r in world.records.values() for s in r.identifying() if s in body]
        assert not shown, f"{case.caller} sees identifying data"
    if case.caller in case.row.lists:
        for kind in sorted(case.row.sees):
            shown = world.records[(kind, "submitted")]
            wanted = shown.episode_id if "/episodes" in case.row.path else shown.id
            assert str(wanted) in body, f"{kind} not listed"


MISSING_ID = "00000000-0000-4000-8000-000000000000"
SESSION_CLOCK = re.compile(r'(?<=<meta name="rhi-session-ends-in" content=")\d+')
RECORD_ROWS = [r for r in MATRIX if r.record and "405" not in r.expect.values()
               and any(_succeeds(t) for t in r.expect.values())]


def _as_missing(world: World, matrix_row: Row, kind: str, recipient: str = "police"
                ) -> list[tuple[int, str]]:
    """What the row's first successful caller gets for the `kind` record, and for ids never
    used, with the ids and the session's clock taken out."""
    caller = next(c for c, t in matrix_row.expect.items() if _succeeds(t))
    record = world.records[(kind, matrix_row.record or "")]
    answers = []
    for interview_id in (str(record.id), MISSING_ID):
        request = matrix_row.send(world, caller, record) if matrix_row.send else {}
        request.pop("cookies", None)
        with world.case(caller) as client:
            episode_id = str(record.episode_id) if interview_id == str(record.id) else MISSING_ID
            child_id = str(record.child_id) if interview_id == str(record.id) else "987654321"
            path = matrix_row.path.replace("{interview_id}", interview_id).replace(
                "{episode_id}", episode_id).replace("{child_id}", child_id)
            path = path.replace("{slug}", forms.SECTIONS[0].slug).replace("{number}", "1")
            path = path.replace("{recipient}", recipient)
            answer = client.request(matrix_row.method, path, **request)
        text = SESSION_CLOCK.sub("<clock>", answer.text.replace(interview_id, "<id>").replace(
            episode_id, "<id>"))
        answers.append((answer.status_code, text))
    return answers


@pytest.mark.parametrize("matrix_row", RECORD_ROWS,
                         ids=[f"{r.method} {r.path}" for r in RECORD_ROWS])
def test_another_organisations_record_answers_exactly_as_a_missing_one(
        world: World, matrix_row: Row) -> None:
    answers = _as_missing(world, matrix_row, "unrelated")

    assert answers[0] == answers[1]
    assert answers[0][0] == 404


HOST_ROWS = [r for r in RECORD_ROWS if r.sees == HOSTED]
OTHER_RECORD_ROWS = [r for r in RECORD_ROWS if r.sees != HOSTED]


@pytest.mark.parametrize("matrix_row", OTHER_RECORD_ROWS,
                         ids=[f"{r.method} {r.path}" for r in OTHER_RECORD_ROWS])
def test_a_record_the_host_authority_sees_restricted_is_missing_on_every_other_route(
        world: World, matrix_row: Row) -> None:
    recipients = ("police", "host_authority") if "{recipient}" in matrix_row.path else ("",)
    for recipient in recipients:
        answers = _as_missing(world, matrix_row, "hosted", recipient)

        assert answers[0] == answers[1]
        assert answers[0][0] == 404


@pytest.mark.parametrize("kind", ["own", "responsible", "unrelated", "elsewhere"])
@pytest.mark.parametrize("matrix_row", HOST_ROWS,
                         ids=[f"{r.method} {r.path}" for r in HOST_ROWS])
def test_the_host_authoritys_view_of_any_other_record_is_missing(
        world: World, matrix_row: Row, kind: str) -> None:
    """Neither a record the callers' organisation sees whole (it has its own pages), nor one of
    a child placed in a third area (the third authority is nobody to this record)."""
    answers = _as_missing(world, matrix_row, kind)

    assert answers[0] == answers[1]
    assert answers[0][0] == 404


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_organisations_person_answers_exactly_as_a_missing_one(
        world: World, method: str) -> None:
    answers = []
    for user_id in (world.people["unrelated"], 987654321):
        path = f"/admin/people/{user_id}" + ("/disable" if method == "POST" else "")
        request = form()(world, "admin", None) if method == "POST" else {}
        with world.case("admin") as client:
            answer = client.request(method, path, **request)
        text = SESSION_CLOCK.sub("<clock>", answer.text)
        answers.append((answer.status_code, text))

    assert answers[0] == answers[1]
    assert answers[0][0] == 404


SUMMARY_CALLERS = [caller for caller, token in ROWS[("GET", "/api/v1/feed/summary")].expect.items()
                   if token == "200"]


@pytest.mark.parametrize("caller", SUMMARY_CALLERS)
def test_the_summarys_groupings_count_only_what_the_callers_organisation_may_see(
        world: World, caller: str) -> None:
    """Grouped by where each child was found, the caller sees the districts of its own record
    and of the child it is responsible for (BS16, BS1), never the unrelated one's (GL1); every
    other grouping of the board pack answers for them too, with nothing of the unrelated
    record in it."""
    from app.feed.api import GROUPINGS

    with world.case(caller) as client:
        found = client.get("/api/v1/feed/summary", params={"group_by": "found_district"})
        assert found.status_code == 200
        assert {g["group"]["found_district"] for g in found.json()["groups"]} == {"BS16", "BS1"}
        for name in GROUPINGS:
            answer = client.get("/api/v1/feed/summary", params={
                "group_by": name, "stage_delays": "true", "placed_out_of_area": "true"})
            assert answer.status_code == 200, (name, answer.text)
            assert "GL1" not in answer.text, name
            assert not [s for s in world.records[("unrelated", "submitted")].identifying()
                        if s in answer.text], name
