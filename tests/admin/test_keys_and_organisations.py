"""An administrator makes, lists and revokes their organisation's API keys on the web, and keeps
the partnership's list of organisations: audited, and another organisation's keys do not exist
for them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import ApiKey, Organisation, User
from app.audit.models import AuditEntry
from tests.builders import bearer, make_key, make_org, make_user, sign_in


@pytest.fixture
def admin(client: TestClient, db: Session) -> tuple[User, str]:
    make_org(db, "803")
    user = make_user(db, "admin", org="803", email="kay.admin@example.org")
    return user, sign_in(client, user)


def post(client: TestClient, url: str, csrf: str, **fields: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def audited(db: Session, action: str) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).where(col(AuditEntry.action) == action))
                .scalars())


def test_a_key_made_on_the_web_is_shown_once_and_works_with_its_scopes_only(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    user, csrf = admin

    made = post(client, "/admin/api-keys/new", csrf, name="Police missing person unit",
                scopes=["notify"], expires_days="30")

    assert made.status_code == 200
    plaintext = re.search(r'id="api-key"[^>]*>(rhi_rk_[^<]+)<', made.text)
    assert plaintext
    key = plaintext.group(1)
    assert client.get("/api/v1/episodes", headers=bearer(key)).status_code == 200
    assert client.get("/api/v1/interviews", headers=bearer(key)).status_code == 403
    listing = client.get("/admin/api-keys").text
    assert "Police missing person unit" in listing and key not in listing
    entry = audited(db, "api_key.create")[-1]
    assert entry.actor == user_label(user)


def user_label(user: User) -> str:
    return f"user:{user.id}"


def test_a_revoked_key_stops_working_at_once(client: TestClient, db: Session,
                                             admin: tuple[User, str]) -> None:
    user, csrf = admin
    key, plaintext = make_key(db, "803", scopes=("submit",))

    answer = post(client, f"/admin/api-keys/{key.id}/revoke", csrf)

    assert answer.status_code == 303
    assert client.get("/api/v1/interviews", headers=bearer(plaintext)).status_code == 401
    assert "Revoked" in client.get("/admin/api-keys").text
    assert audited(db, "api_key.revoke")[-1].actor == user_label(user)


def test_another_organisations_keys_are_not_there(client: TestClient, db: Session,
                                                  admin: tuple[User, str]) -> None:
    _, csrf = admin
    theirs, plaintext = make_key(db, "801", scopes=("feed",))
    theirs.name = "Their feed key"
    db.commit()

    listing = client.get("/admin/api-keys").text
    revoke = post(client, f"/admin/api-keys/{theirs.id}/revoke", csrf)
    missing = post(client, "/admin/api-keys/rk_nothere/revoke", csrf)

    assert "Their feed key" not in listing and theirs.id not in listing
    assert revoke.status_code == missing.status_code == 404
    db.refresh(theirs)
    assert theirs.revoked_at is None


def test_a_key_needs_a_purpose_a_scope_and_a_sensible_expiry(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin

    answer = post(client, "/admin/api-keys/new", csrf, name="", scopes=["everything"],
                  expires_days="９９")

    assert answer.status_code == 422
    for message in ("Enter what the key is for", "Choose what the key may do",
                    "Enter a number of days from 1 to 3650"):
        assert message in answer.text
    assert db.execute(select(ApiKey)).first() is None


def test_an_administrator_adds_an_organisation_and_renames_their_own(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin

    added = post(client, "/admin/organisations/new", csrf, code="new-provider",
                 name="A New Provider (synthetic)", kind="rhi_provider")
    renamed = post(client, "/admin/organisations/own", csrf, name="Renamed Council")
    clash = post(client, "/admin/organisations/new", csrf, code="new-provider",
                 name="Again", kind="rhi_provider")
    bad = post(client, "/admin/organisations/new", csrf, code="=cmd", name="\u202eevil",
               kind="")

    assert added.status_code == renamed.status_code == 303
    names = dict(db.execute(select(col(Organisation.code), col(Organisation.name))).all())
    assert names["new-provider"] == "A New Provider (synthetic)"
    assert names["803"] == "Renamed Council"
    assert clash.status_code == 422 and "already has this code" in clash.text
    assert bad.status_code == 422 and "Choose what kind" in bad.text
    assert [e.target for e in audited(db, "organisation.create")] == ["new-provider"]
    assert audited(db, "organisation.rename")[-1].details["to"] == "Renamed Council"


def test_only_administrators_reach_these_pages(client: TestClient, db: Session) -> None:
    make_org(db, "803")
    sign_in(client, make_user(db, "manager", org="803"))

    for url in ("/admin/api-keys", "/admin/api-keys/new", "/admin/organisations",
                "/admin/organisations/new"):
        assert client.get(url).status_code == 403, url
