"""The builders of test data: organisations, people, API keys, interview documents and records;
signing in through the real login form; and reading a page's CSRF token and template. All of it
is synthetic: no real person's details.

Builders used by one test package only stay beside its tests (the typed documents of the pure
standards are in `tests/standards/builders.py`; driving the form is `tests/interviews/helpers.py`).
"""

from __future__ import annotations

import copy
import re
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.accounts.caller import Caller
from app.accounts.models import ApiKey, Organisation, User
from app.core.errors import FieldError
from app.interviews import forms, rejected, service
from app.interviews.submissions import create_from_api
from app.record.models import Interview
from tests.totp import fresh_code

PASSWORD = "correct horse battery staple"

DELETE: Any = object()
"""An override's value that removes the field: `make_document(child__given_name=DELETE)`."""


# --- organisations, people and keys --------------------------------------------------------

def make_org(db: Session, code: str = "803", kind: str = "local_authority",
             name: str | None = None) -> Organisation:
    """The organisation `code`, made when it does not exist yet.

    Committed (a savepoint in the test's transaction): a request that fails rolls back its own
    work, not the organisations it works with.
    """
    organisation = accounts.get_organisation(db, code) or accounts.create_organisation(
        db, code, name or f"Test Organisation {code}", kind)
    db.commit()
    return organisation


def make_user(db: Session, role: str = "interviewer", **overrides: Any) -> User:
    """A user whose password is `PASSWORD`; override `email`, `name`, `org` (a code) or
    `password`. The organisation is made when it does not exist yet."""
    values: dict[str, Any] = {"email": f"{role}-{uuid4().hex[:8]}@example.test",
                              "name": f"Test {role.replace('_', ' ').title()}", "org": "803",
                              "password": PASSWORD}
    unknown = set(overrides) - set(values)
    if unknown:
        raise TypeError(f"make_user() has no field {sorted(unknown)}")
    values.update(overrides)
    make_org(db, values["org"])
    return accounts.create_user(db, values["email"], values["name"], values["org"], role,
                                values["password"])


def make_key(db: Session, org: str = "803", scopes: tuple[str, ...] = ("submit",),
             **changes: Any) -> tuple[ApiKey, str]:
    """A key of `org` (made when missing) and its plaintext; `changes` set columns afterwards
    (`revoked_at`...).

    Committed (a savepoint in the test's transaction), as an admin's key would be: a request
    that fails rolls back its own work, not the key.
    """
    make_org(db, org)
    key, plaintext = create_api_key(db, org, f"Test key {uuid4().hex[:6]}", list(scopes))
    for name, value in changes.items():
        setattr(key, name, value)
    db.commit()
    return key, plaintext


def bearer(plaintext: str) -> dict[str, str]:
    """The headers of a request made with the key."""
    return {"Authorization": f"Bearer {plaintext}"}


# --- interview documents and records -------------------------------------------------------

def make_document(**overrides: Any) -> dict[str, Any]:
    """A complete, valid document, as JSON: a completed interview of a looked-after child of
    803, placed by 803, returned on 2 March 2026.

    Overrides name a path with `__` (`child__gender="male"`, `episodes__0__type="away"`) or a
    whole part (`actions=[]`); the value `DELETE` removes the field.
    """
    doc: dict[str, Any] = {
        "id": str(uuid4()),
        "child": {"local_id": f"TEST-{uuid4().hex[:8]}", "given_name": "Test",
                  "family_name": "Child", "date_of_birth": "2011-05-04", "gender": "female",
                  "legal_status": "looked_after", "responsible_authority": "803",
                  "placement_authority": "803"},
        "episodes": [{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                      "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                      "found_postcode": "BS16 1QY"}],
        "offer": {"outcome": "completed", "offered_at": "2026-03-02T12:00:00Z"},
        "interview": {"conducted_at": "2026-03-03T10:00:00Z", "mode": "in_person",
                      "interviewer_role": "independent_rhi_worker",
                      "interviewer_independent": True, "push_factors": ["family_conflict"],
                      "pull_factors": ["peer_pressure"], "risk_indicators": [],
                      "child_account": "A synthetic account for testing.",
                      "information_sharing_explained": True},
        "actions": [{"type": "follow_up_support", "at": "2026-03-04T10:00:00Z"}],
        "sharing": [{"with": "social_worker", "at": "2026-03-04T10:00:00Z"}],
    }
    for path, value in overrides.items():
        *parents, last = path.split("__")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[index]
        else:
            node[index] = value
    return copy.deepcopy(doc)


def actor(org: str = "803") -> Caller:
    """The caller `record` acts as: a partner system's API key of `org`."""
    return Caller(label="key:rk_testtest", organisation_code=org)


def record(db: Session, org: str = "803", **overrides: Any) -> Interview:
    """A submitted record of `make_document(**overrides)`, made through the service as the API
    makes one, by `actor(org)`. The organisations it names are made when missing."""
    document = make_document(**overrides)
    child = document.get("child") or {}
    for code in dict.fromkeys((org, child.get("responsible_authority"),
                               child.get("placement_authority"))):
        if isinstance(code, str):
            make_org(db, code)
    interview, created = create_from_api(db, actor(org), document)
    assert created
    return interview


# --- signing in ----------------------------------------------------------------------------

def save_draft(db: Session, draft: Interview, caller: Caller,
               document: dict[str, Any]) -> list[FieldError]:
    """Type a document into a draft's sections, as the form would post them; the errors."""
    values = forms.values_from_document(document)
    errors: list[FieldError] = []
    for section in forms.SECTIONS:
        errors += service.save_section(db, draft, caller, section,
                                       rejected.as_form(values)).errors
    return errors


def sign_in(client: TestClient, user: User) -> str:
    """Sign in through the real login form, and the second factor when the role needs one;
    returns the CSRF token of the new session."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login form carries a CSRF token"
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": token.group(1)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    if location.startswith("/login/two-factor"):
        pass_second_factor(client, user.email, location)
    return csrf_of(client.get("/", follow_redirects=True).text)


_SECRETS: dict[str, str] = {}  # email -> TOTP secret, as the person's authenticator app holds it


def pass_second_factor(client: TestClient, email: str, location: str) -> list[str]:
    """Enrol (first time) or enter a TOTP code as an authenticator app would; returns any
    recovery codes shown."""
    page = client.get(location)
    assert page.status_code == 200, page.text
    enrolling = re.search(r'data-secret="([A-Z2-7]+)"', page.text)
    if enrolling:
        _SECRETS[email] = enrolling.group(1)
    secret = _SECRETS.get(email)
    assert secret, "an enrolled user has a TOTP secret"
    data = {"code": fresh_code(secret), "csrf_token": csrf_of(page.text),
            "next": "/"}
    if enrolling:
        token = re.search(r'name="enrol_token" value="([^"]+)"', page.text)
        assert token
        data["enrol_token"] = token.group(1)
    answer = client.post("/login/two-factor", data=data, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text
    return re.findall(r"<li><code>([0-9a-f-]+)</code></li>", answer.text)


def csrf_of(html: str) -> str:
    """The session's CSRF token, as every page carries it."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "pages carry the session's CSRF token"
    return found.group(1)


def template_of(answer: Response) -> str | None:
    """The name of the Jinja template the answer was rendered from (Starlette's TestClient
    records it), or None for an answer that rendered none (a redirect, JSON): tells a partial
    from a whole page when their text could be mistaken for each other."""
    template = getattr(answer, "template", None)
    return None if template is None else str(template.name)
