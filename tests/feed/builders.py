"""Test data for the feed: organisations, records, keys and signed-in people. All synthetic."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.interviews.submissions import create_from_api
from app.record.models import Interview
from tests.api.builders import DELETE, bearer, make_document, make_key, make_org
from tests.builders import make_user, sign_in

__all__ = ["DELETE", "feed_key", "make_document", "record", "signed_in"]

ORGS = ("803", "801", "802")


def orgs(db: Session) -> None:
    for code in ORGS:
        make_org(db, code)


def actor(org: str = "803") -> Caller:
    return Caller(label="key:rk_testtest", organisation_code=org)


def record(db: Session, org: str = "803", **overrides: Any) -> Interview:
    """A submitted record made through the service, as the API makes one."""
    orgs(db)
    interview, created = create_from_api(db, actor(org), make_document(**overrides))
    assert created
    return interview


def feed_key(db: Session, org: str = "803", scopes: tuple[str, ...] = ("feed",)
             ) -> dict[str, str]:
    _, plaintext = make_key(db, org, scopes)
    return bearer(plaintext)


def signed_in(client: TestClient, db: Session, role: str, org: str = "803") -> str:
    """Sign a new person of `role` in on the client; returns the session's CSRF token."""
    orgs(db)
    user = make_user(db, role, org=org)
    db.commit()
    return sign_in(client, user)
