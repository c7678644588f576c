"""GET /api/v1/interviews: the organisation's records, paged by keyset with an opaque cursor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.types import utcnow
from app.record.formats import format_timestamp
from app.record.models import Interview
from tests.builders import bearer, make_document, make_key

URL = "/api/v1/interviews"


def submit_many(client: TestClient, headers: dict[str, str], count: int) -> list[str]:
    ids = []
    for _ in range(count):
        document = make_document()
        assert client.post(URL, json=document, headers=headers).status_code == 201
        ids.append(document["id"])
    return ids


def pages(client: TestClient, headers: dict[str, str], url: str) -> list[list[dict[str, Any]]]:
    found = []
    next_url: str | None = url
    while next_url:
        answer = client.get(next_url, headers=headers)
        assert answer.status_code == 200, answer.text
        found.append(answer.json()["data"])
        next_url = answer.json()["next"]
    return found


def test_three_pages_hold_every_record_once_in_change_order(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    ids = submit_many(client, auth, 7)
    # Two records changed at the same instant: the id breaks the tie.
    same = utcnow() - timedelta(hours=1)
    for interview_id in ids[:2]:
        interview = db.get(Interview, UUID(interview_id))
        assert interview is not None
        interview.updated_at = same
    db.commit()

    found = pages(client, auth, f"{URL}?limit=3")

    assert [len(page) for page in found] == [3, 3, 1]
    listed = [record["id"] for page in found for record in page]
    assert sorted(listed) == sorted(ids)
    assert listed[:2] == sorted(ids[:2])
    stamps = [(r["updated_at"], r["id"]) for page in found for r in page]
    assert stamps == sorted(stamps)


def test_the_next_url_keeps_the_filter_and_the_limit(client: TestClient,
                                                     auth: dict[str, str]) -> None:
    submit_many(client, auth, 3)

    answer = client.get(f"{URL}?limit=2&updated_since=2026-01-01T00:00:00Z", headers=auth)

    next_url = answer.json()["next"]
    assert next_url.startswith("http://testserver/api/v1/interviews?")
    assert "limit=2" in next_url and "updated_since=2026-01-01T00%3A00%3A00Z" in next_url
    assert client.get(next_url, headers=auth).json()["next"] is None


def test_a_record_changed_while_paging_comes_again_later(
        client: TestClient, auth: dict[str, str]) -> None:
    ids = submit_many(client, auth, 3)
    first = client.get(f"{URL}?limit=2", headers=auth).json()
    changed_id = first["data"][0]["id"]
    record = first["data"][0]
    changed = make_document(id=changed_id, child=record["child"], child__gender="male")
    assert client.put(f"{URL}/{changed_id}", json=changed,
                      headers={**auth, "If-Match": "*"}).status_code == 200

    rest = pages(client, auth, first["next"])

    later = [(r["id"], r["version"]) for page in rest for r in page]
    assert later == [(ids[2], 1), (changed_id, 2)]


def test_updated_since_leaves_out_older_changes(client: TestClient, auth: dict[str, str],
                                                db: Session) -> None:
    old, new = submit_many(client, auth, 2)
    interview = db.get(Interview, UUID(old))
    assert interview is not None
    interview.updated_at = utcnow() - timedelta(days=2)
    db.commit()
    since = format_timestamp(utcnow() - timedelta(days=1))

    answer = client.get(URL, params={"updated_since": since}, headers=auth)

    assert [r["id"] for r in answer.json()["data"]] == [new]


def test_an_empty_list_has_no_next_page(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get(URL, headers=auth).json() == {"data": [], "next": None}


def test_the_default_page_is_100_records(client: TestClient, auth: dict[str, str],
                                         db: Session) -> None:
    from app.accounts.caller import Caller
    from app.interviews import submissions

    key, _ = make_key(db, org="803")
    actor = Caller(label=f"key:{key.id}", organisation_code="803", api_key_id=key.id)
    for _ in range(101):
        submissions.create_from_api(db, actor, make_document())
    db.commit()

    answer = client.get(URL, headers=auth).json()

    assert len(answer["data"]) == 100
    assert answer["next"] is not None


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten"])
def test_a_limit_outside_1_to_1000_is_a_422_problem(client: TestClient, auth: dict[str, str],
                                                     limit: str) -> None:
    answer = client.get(URL, params={"limit": limit}, headers=auth)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == "/query/limit"


def test_an_updated_since_that_is_not_a_time_is_a_422_problem(
        client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get(URL, params={"updated_since": "last week"}, headers=auth)

    assert answer.status_code == 422
    assert answer.json()["errors"][0] == {
        "pointer": "/query/updated_since", "code": "invalid_timestamp",
        "message": "updated_since must be a date and time, like 2026-03-01T18:30:00Z"}


@pytest.mark.parametrize("cursor", [
    "garbage!", "A" * 300, "bm90IGpzb24", "W10", "WyJ4IiwgInkiXQ", "WzEsMl0",
    "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiM2YyYjhjMWUtNWQ0YS00ZTBiLTljM2YtMmExYjBjOWQ4ZTdmIl0",
])
def test_a_cursor_this_api_did_not_make_is_a_400_problem_naming_it(
        client: TestClient, auth: dict[str, str], cursor: str) -> None:
    answer = client.get(URL, params={"cursor": cursor}, headers=auth)

    assert answer.status_code == 400, cursor
    problem = answer.json()
    assert problem["type"] == "/problems/invalid-cursor"
    assert problem["errors"][0]["pointer"] == "/query/cursor"


def test_a_page_read_is_audited_with_the_ids_it_showed(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    ids = submit_many(client, auth, 2)

    client.get(URL, headers=auth)

    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "interview.list")
                       ).scalar_one()
    assert entry.details["count"] == 2
    assert sorted(entry.details["ids"]) == sorted(ids)


def test_keys_of_other_organisations_list_nothing_of_yours(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    submit_many(client, auth, 2)
    _, other = make_key(db, org="804")

    assert client.get(URL, headers=bearer(other)).json()["data"] == []
