"""Small builders for test data. All of it is synthetic: no real person's details."""

from __future__ import annotations

import copy
import re
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import Organisation, User
from tests.totp import fresh_code

PASSWORD = "correct horse battery staple"


def make_org(db: Session, code: str = "803", name: str = "Test Council A",
             kind: str = "local_authority") -> Organisation:
    existing = accounts.get_organisation(db, code)
    return existing or accounts.create_organisation(db, code, name, kind)


def make_person(db: Session, role: str = "interviewer", org: str = "803",
                email: str | None = None, name: str = "Test Person") -> User:
    make_org(db, org, name=f"Test Organisation {org}")
    return accounts.create_user(db, email or f"{role}-{uuid4().hex[:8]}@example.test", name,
                                org, role, PASSWORD)


def sign_in(client: TestClient, user: User) -> str:
    """Sign in through the real login form; returns the CSRF token of the new session."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login form carries a CSRF token"
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": token.group(1)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    if location.startswith("/login/two-factor"):
        pass_second_factor(client, user.email, location)
    return csrf_of(client.get("/").text)


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
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "pages carry the session's CSRF token"
    return found.group(1)


def make_document(**overrides: Any) -> dict[str, Any]:
    """A complete, valid interview document (a completed interview) with synthetic details."""
    doc: dict[str, Any] = {
        "id": str(uuid4()),
        "child": {
            "local_id": f"TEST-{uuid4().hex[:6]}", "given_name": "Alex", "family_name": "Testchild",
            "date_of_birth": "2011-05-04", "gender": "female", "ethnicity": "wbri",
            "legal_status": "looked_after", "responsible_authority": "803",
            "placement_authority": "801",
        },
        "episodes": [{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                      "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                      "found_postcode": "BS16 1QY"}],
        "offer": {"outcome": "completed", "offered_at": "2026-03-02T12:00:00Z"},
        "interview": {
            "conducted_at": "2026-03-03T10:00:00Z", "mode": "in_person",
            "interviewer_role": "independent_rhi_worker", "interviewer_independent": True,
            "interviewer_trained": True, "push_factors": ["family_conflict"],
            "pull_factors": ["peer_pressure"], "where_stayed": "A friend's flat",
            "with_whom": "Friends", "harm_disclosed": "no", "risk_indicators": [],
            "child_account": "Synthetic account for testing.", "read_back_to_child": True,
            "information_sharing_explained": True, "consent_to_share": "yes",
        },
        "actions": [],
        "sharing": [{"with": "social_worker", "at": "2026-03-04T10:00:00Z"},
                    {"with": "iro", "at": "2026-03-04T10:00:00Z"},
                    {"with": "responsible_authority", "at": "2026-03-04T10:00:00Z"}],
    }
    for path, value in overrides.items():
        node = doc
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return copy.deepcopy(doc)


def make_user(db: Session, role: str = "interviewer", **overrides: Any) -> User:
    """A user whose password is `PASSWORD`; override `email`, `name`, `org` (a code) or
    `password`. The organisation is created when it does not exist yet."""
    values: dict[str, Any] = {"email": f"{role}-{uuid4().hex[:8]}@example.test",
                              "name": f"Test {role.replace('_', ' ').title()}", "org": "803",
                              "password": PASSWORD}
    unknown = set(overrides) - set(values)
    if unknown:
        raise TypeError(f"make_user() has no field {sorted(unknown)}")
    values.update(overrides)
    make_org(db, values["org"], name=f"Test Organisation {values['org']}")
    return accounts.create_user(db, values["email"], values["name"], values["org"], role,
                                values["password"])
