"""API keys: made, shown once, stored as a hash, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.api_keys import (
    LAST_USED_INTERVAL,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from app.accounts.deps import allow
from app.accounts.models import ApiKey
from app.core.errors import BadRequest, NotFound
from app.core.types import utcnow
from tests.builders import bearer, make_document, make_key, make_org

URL = "/api/v1/interviews"


def test_a_key_reads_rhi_id_secret_and_only_its_hash_is_stored(db: Session) -> None:
    make_org(db, "803")

    key, plaintext = create_api_key(db, "803", "Case system", ["submit", "feed"])

    match = re.fullmatch(r"rhi_(rk_[a-z0-9]{8})_([A-Za-z0-9_-]{43})", plaintext)
    assert match and match.group(1) == key.id
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert match.group(2) not in repr(key.model_dump())
    assert key.scopes == ["submit", "feed"]
    assert key.expires_at is not None
    assert key.expires_at - key.created_at == timedelta(days=365)


@pytest.mark.parametrize(("org", "scopes", "days", "message"), [
    ("999", ["submit"], 365, "No organisation"),
    ("803", [], 365, "at least one scope"),
    ("803", ["submit", "admin"], 365, "not admin"),
    ("803", ["submit"], 0, "Expiry"),
])
def test_a_key_needs_a_known_organisation_known_scopes_and_a_sane_expiry(
        db: Session, org: str, scopes: list[str], days: int, message: str) -> None:
    make_org(db, "803")

    with pytest.raises((BadRequest, NotFound), match=message):
        create_api_key(db, org, "Case system", scopes, expires_days=days)


def test_keys_are_listed_with_their_organisation_and_revoked_by_id(db: Session) -> None:
    key, _ = make_key(db, org="803")

    revoke_api_key(db, key.id)

    listed = {entry.key.id: entry for entry in list_api_keys(db)}
    assert listed[key.id].organisation_code == "803"
    assert listed[key.id].key.revoked_at is not None
    with pytest.raises(NotFound):
        revoke_api_key(db, "rk_nothere")


def test_allow_refuses_a_scope_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="everything"):
        allow(scopes=("everything",))


def assert_unauthorized(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith('Bearer realm="rhi"')
    assert answer.json()["type"] == "/problems/unauthorized"


def test_no_key_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    answer = client.get(URL)

    assert_unauthorized(answer)
    assert "error=" not in answer.headers["www-authenticate"]


@pytest.mark.parametrize("header", [
    "Bearer rhi_rk_abcdefgh_" + "A" * 43,  # well formed, unknown
    "Bearer not-a-key",
    "Basic dXNlcjpwYXNz",
    "Bearer",
])
def test_an_unknown_or_malformed_key_is_401(client: TestClient, db: Session,
                                            header: str) -> None:
    make_key(db)

    assert_unauthorized(client.get(URL, headers={"Authorization": header}))


def test_a_known_id_with_the_wrong_secret_is_401(client: TestClient, db: Session) -> None:
    key, plaintext = make_key(db)
    forged = f"rhi_{key.id}_" + "B" * 43

    answer = client.get(URL, headers=bearer(forged))

    assert_unauthorized(answer)
    assert answer.json()["detail"] == "The API key is not valid"


def test_an_expired_key_is_401(client: TestClient, db: Session) -> None:
    _, plaintext = make_key(db, expires_at=utcnow() - timedelta(seconds=1))

    answer = client.get(URL, headers=bearer(plaintext))

    assert_unauthorized(answer)
    assert "expired" in answer.json()["detail"]


def test_a_revoked_key_is_401(client: TestClient, db: Session) -> None:
    key, plaintext = make_key(db)
    revoke_api_key(db, key.id)
    db.commit()

    answer = client.get(URL, headers=bearer(plaintext))

    assert_unauthorized(answer)
    assert "revoked" in answer.json()["detail"]


@pytest.mark.parametrize("scopes", [("feed",), ("returns",), ("feed", "returns")])
def test_a_key_without_the_submit_scope_is_403_on_every_route(
        client: TestClient, db: Session, scopes: tuple[str, ...]) -> None:
    _, plaintext = make_key(db, scopes=scopes)
    headers = bearer(plaintext)
    some_id = "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f"

    answers = [
        client.post(URL, json=make_document(), headers=headers),
        client.get(URL, headers=headers),
        client.get(f"{URL}/{some_id}", headers=headers),
        client.put(f"{URL}/{some_id}", json=make_document(), headers={
            **headers, "If-Match": "*"}),
        client.get(f"{URL}/{some_id}/versions", headers=headers),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    assert {a.json()["type"] for a in answers} == {"/problems/forbidden"}


def test_last_used_at_is_recorded_at_most_once_a_minute(client: TestClient,
                                                        db: Session) -> None:
    key, plaintext = make_key(db)

    client.get(URL, headers=bearer(plaintext))
    db.refresh(key)
    first = key.last_used_at
    client.get(URL, headers=bearer(plaintext))
    db.refresh(key)

    assert first is not None
    assert key.last_used_at == first
    key.last_used_at = first - LAST_USED_INTERVAL
    db.commit()
    client.get(URL, headers=bearer(plaintext))
    db.refresh(key)
    assert key.last_used_at is not None and key.last_used_at > first


def test_a_key_row_never_holds_the_plaintext(db: Session) -> None:
    key, plaintext = make_key(db)

    stored = db.get(ApiKey, key.id)

    assert stored is not None
    assert plaintext not in " ".join(str(v) for v in stored.model_dump().values())
