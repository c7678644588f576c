"""Two app servers on two ports, one database, one interviewer's requests spread between them
as a load balancer without sticky sessions would spread them (docs/deployment.md).

Each server is its own `rhi serve --workers 1` process, started with the same secrets and the
same public address, as every server behind one load balancer must be. What a person would
notice is asserted: the session works on both; every autosaved answer is in the submitted
record; the record is submitted once; the analyst feed, paged through `next` links answered
by alternate servers, has every record once and no page twice; a partner system's retry sent
to the other server at the same moment is stored once; and the audit chain verifies after it
all. No timings.

SQLite always; PostgreSQL too when the tests run on it. Each on a scratch database of its own.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.settings import PROJECT_ROOT, get_settings
from app.interviews.forms import values_from_document
from app.record.models import Interview, InterviewVersion
from tests.browser.support import hidden_field, whole_interview
from tests.durability import server as real
from tests.durability.scratch import RHI, environment, scratch_database
from tests.totp import fresh_code

pytestmark = pytest.mark.slow

KINDS = ["sqlite", "postgresql"] if get_settings().sqlalchemy_url.startswith(
    "postgresql") else ["sqlite"]

ORG = "803"
EMAIL = "two.servers@example.org"
PASSWORD = "correct horse battery staple"
# What must be the same on every server behind one load balancer (docs/deployment.md).
SHARED = {"RHI_SECRET_KEY": "two-servers-secret-" + "s" * 32,
          "RHI_PSEUDONYM_KEY": "two-servers-pseudonym-" + "p" * 32,
          "RHI_AUDIT_KEY": "two-servers-audit-" + "a" * 32,
          "RHI_PUBLIC_URL": "http://rhi.invalid"}
PARTNER_RECORDS = 4
FEED_PAGE = 2


@dataclass
class Deployment:
    url: str
    env: dict[str, str]
    servers: tuple[real.Server, real.Server]
    partner_key: str
    feed_key: str

    @property
    def bases(self) -> tuple[str, str]:
        return self.servers[0].base_url, self.servers[1].base_url


def _rhi(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `rhi`; its last line of output when it is a key, else ""."""
    done = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [RHI, *args], input=stdin, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1] if args[0] == "api-keys" else ""


def _launch(env: dict[str, str], log: Path) -> real.Server:
    port = real.free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            [RHI, "serve", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    return real.Server(f"http://127.0.0.1:{port}", process, log)


@pytest.fixture(scope="module", params=KINDS)
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("two-servers")
    with scratch_database("rhi_two", kind=request.param) as url:
        env = {**environment(url), **SHARED}
        # Through the command line with the servers' own keys: an audit entry keyed with
        # another RHI_AUDIT_KEY would not verify.
        for args, stdin in (
                (("orgs", "create", "--code", ORG, "--name", "South Gloucestershire Council",
                  "--kind", "local_authority"), None),
                (("orgs", "create", "--code", "801", "--name", "Bristol City Council",
                  "--kind", "local_authority"), None),
                (("users", "create", "--email", EMAIL, "--name", "Tess Two", "--org", ORG,
                  "--role", "interviewer"), PASSWORD + "\n")):
            assert _rhi(env, *args, stdin=stdin) == ""
        partner_key = _rhi(env, "api-keys", "create", "--org", ORG, "--name", "Case system",
                           "--scope", "submit")
        feed_key = _rhi(env, "api-keys", "create", "--org", ORG, "--name", "Analysts",
                        "--scope", "feed")
        servers = (_launch(env, logs / "a.log"), _launch(env, logs / "b.log"))
        try:
            for server in servers:
                real.ready(server)
            yield Deployment(url, env, servers, partner_key, feed_key)
        finally:
            for server in servers:
                server.stop()
        for server in servers:
            assert "Traceback" not in server.log_text(), server.log_text()[-3000:]


class Browser:
    """One person's browser behind a load balancer with no sticky sessions: one cookie jar,
    each request sent to whichever server `to` names."""

    def __init__(self, deployment: Deployment) -> None:
        self.a, self.b = deployment.bases
        self.client = httpx.Client(timeout=60, follow_redirects=False)
        self.csrf = ""

    def get(self, base: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(base + path, **kwargs)

    def post(self, base: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(base + path, **kwargs)

    def autosave(self, base: str, interview_id: str, slug: str,
                 fields: dict[str, Any]) -> httpx.Response:
        """A section's fields as htmx posts them while the person types."""
        return self.post(base, f"/interviews/{interview_id}/{slug}", data=fields,
                         headers={"HX-Request": "true", "X-CSRF-Token": self.csrf})


def sections() -> dict[str, dict[str, Any]]:
    """Every section of a complete interview, as the form posts it: the browser tests' own
    (`whole_interview`), for this test's child and interviewer."""
    typed = whole_interview("Robin", "Twosite")
    typed["child"]["child-local_id"] = "TWO-0001"
    typed["child"]["child-responsible_authority"] = ORG
    typed["interview"]["interview-child_account"] = "Went to a friend's after an argument."
    typed["actions"]["actions-0-owner"] = "Tess Two"
    return typed


def sign_in(browser: Browser, base: str) -> None:
    """The password, then the second factor (enrolling it: the first sign-in), all on `base`."""
    login = browser.get(base, "/login")
    answer = browser.post(base, "/login", data={
        "email": EMAIL, "password": PASSWORD, "csrf_token": hidden_field(login.text, "csrf_token"),
        "next": "/"})
    assert answer.status_code == 303, answer.text[:2000]
    location = answer.headers["location"]
    assert location.startswith("/login/two-factor"), location
    form = browser.get(base, location).text
    secret = re.search(r'data-secret="([A-Z2-7]+)"', form)
    assert secret, "no authenticator secret to enrol"
    enrolled = browser.post(base, "/login/two-factor", data={
        "csrf_token": hidden_field(form, "csrf_token"), "next": hidden_field(form, "next"),
        "enrol_token": hidden_field(form, "enrol_token"), "code": fresh_code(secret.group(1))})
    assert enrolled.status_code == 200, enrolled.text[:2000]  # the recovery codes
    home = browser.get(base, "/", follow_redirects=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', home.text)
    assert home.status_code == 200 and token, home.text[:2000]
    browser.csrf = token.group(1)


def _stored(deployment: Deployment, interview_id: UUID) -> tuple[Interview, list[str], int]:
    """The record, its versions' statuses, and how many times its submission was audited."""
    engine = create_engine(deployment.url)
    try:
        with Session(engine) as session:
            interview = session.get(Interview, interview_id)
            assert interview is not None
            versions = list(session.execute(
                select(col(InterviewVersion.status)).where(
                    col(InterviewVersion.interview_id) == interview_id)).scalars())
            submits = session.execute(select(func.count()).select_from(AuditEntry).where(
                col(AuditEntry.action) == "interview.submit",
                col(AuditEntry.target) == str(interview_id))).scalar_one()
            session.expunge(interview)
            return interview, versions, submits
    finally:
        engine.dispose()


def _path(link: str) -> str:
    """A link's path and query: the load balancer, not the link, picks the server."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_one_person_and_partner_systems_spread_over_two_servers(
        deployment: Deployment) -> None:
    a, b = deployment.bases
    browser = Browser(deployment)
    typed = sections()
    try:
        # Signed in on A; the session is good on B.
        sign_in(browser, a)
        assert browser.get(b, "/").status_code == 200

        started = browser.post(b, "/interviews/new", data={"csrf_token": browser.csrf})
        assert started.status_code == 303, started.text[:2000]
        interview_id = started.headers["location"].rsplit("/", 2)[1]

        # Open and autosave on B, continue on A; one section opened on A and saved on B, and
        # a field typed again on A after its first save on B.
        plan = {"child": (b, b), "episodes": (b, b), "offer": (a, b),
                "interview": (a, a), "voice": (a, a), "actions": (b, a)}
        for slug, (opened_on, saved_on) in plan.items():
            page = browser.get(opened_on, f"/interviews/{interview_id}/{slug}")
            assert page.status_code == 200, (slug, page.status_code, page.text[:1000])
            fields = typed[slug]
            if slug == "interview":  # first half on B, then the whole section on A
                half = dict(list(fields.items())[: len(fields) // 2])
                saved = browser.autosave(b, interview_id, slug, half)
                assert saved.status_code == 200, (slug, saved.text[:2000])
                fields = {**fields, "interview-feelings_now": "Tired, and glad to be back"}
                typed[slug] = fields
            saved = browser.autosave(saved_on, interview_id, slug, fields)
            assert saved.status_code == 200, (slug, saved.text[:2000])
            assert "Saved at" in saved.text, saved.text[:2000]

        check = browser.get(a, f"/interviews/{interview_id}/check")
        assert check.status_code == 200
        submitted = browser.post(b, f"/interviews/{interview_id}/submit",
                                 data={"csrf_token": browser.csrf})
        assert submitted.status_code == 303, submitted.text[:3000]
        assert submitted.headers["location"].endswith("?submitted=1")
        # A second tap of the button, answered by the other server, submits nothing more.
        again = browser.post(a, f"/interviews/{interview_id}/submit",
                             data={"csrf_token": browser.csrf})
        assert again.status_code == 303
        assert not again.headers["location"].endswith("?submitted=1")
        assert browser.get(a, f"/interviews/{interview_id}").status_code == 200
    finally:
        browser.client.close()

    interview, versions, submits = _stored(deployment, UUID(interview_id))
    assert interview.status == "submitted"
    assert versions.count("submitted") == 1
    assert submits == 1
    stored = values_from_document(interview.document)
    lost = {name: (value, stored.get(name)) for fields in typed.values()
            for name, value in fields.items()
            if not name.endswith("-count") and stored.get(name) != value
            and not (value == [] and stored.get(name) in (None, []))}
    assert lost == {}

    # A partner system: a few records through either server, and one retried at the same
    # moment through the other (the document's `id` is its idempotency key: docs/api.md).
    partner = [httpx.Client(base_url=base, timeout=60, headers={
        "Authorization": f"Bearer {deployment.partner_key}"}) for base in (a, b)]
    try:
        documents = [real.interview(ORG) for _ in range(PARTNER_RECORDS)]
        for client, document in zip(cycle(partner), documents, strict=False):
            answer = client.post("/api/v1/interviews", json=document)
            assert answer.status_code == 201, answer.text
        retried = real.interview(ORG)
        barrier = threading.Barrier(2, timeout=60)
        answers: list[httpx.Response] = []

        def send(client: httpx.Client) -> None:
            barrier.wait()
            answers.append(client.post("/api/v1/interviews", json=retried))

        twins = [threading.Thread(target=send, args=(client,)) for client in partner]
        for twin in twins:
            twin.start()
        for twin in twins:
            twin.join(timeout=120)
    finally:
        for client in partner:
            client.close()
    assert sorted(answer.status_code for answer in answers) == [200, 201], [
        answer.text for answer in answers]
    assert answers[0].json() == answers[1].json()
    engine = create_engine(deployment.url)
    try:
        with Session(engine) as session:
            retried_id = UUID(retried["id"])
            assert session.execute(select(func.count()).select_from(Interview).where(
                col(Interview.id) == retried_id)).scalar_one() == 1
            assert session.execute(select(func.count()).select_from(InterviewVersion).where(
                col(InterviewVersion.interview_id) == retried_id)).scalar_one() == 1
            everything = {str(i) for i in session.execute(select(col(Interview.id))).scalars()}
    finally:
        engine.dispose()
    expected = {interview_id, retried["id"], *(d["id"] for d in documents)}
    assert everything == expected

    # The analyst feed, its pages answered by A and B in turn through the `next` links.
    feed = {base: httpx.Client(base_url=base, timeout=60, headers={
        "Authorization": f"Bearer {deployment.feed_key}"}) for base in (a, b)}
    pages: list[list[str]] = []
    try:
        path: str | None = f"/api/v1/feed/interviews?limit={FEED_PAGE}"
        servers = cycle((a, b))
        while path is not None and len(pages) <= len(expected):
            answer = feed[next(servers)].get(path)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            pages.append([line["interview_id"] for line in body["data"]])
            path = _path(body["next"]) if body.get("next") else None
            if path is not None:
                assert body["next"].startswith(SHARED["RHI_PUBLIC_URL"]), body["next"]
    finally:
        for client in feed.values():
            client.close()
    assert path is None, "the walk did not end"
    pulled = [ident for page in pages for ident in page]
    assert len(pulled) == len(set(pulled)), pages  # no record (and so no page) twice
    assert set(pulled) == expected  # none skipped
    assert len([page for page in pages if page]) >= 3  # both servers answered pages

    verified = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [RHI, "audit", "verify"], env=deployment.env, cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
