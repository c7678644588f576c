"""One child, several organisations: what another organisation submits about a child of an
authority never changes the child's identity there, and what validation says never names an
episode of a record the caller cannot see (nor, by its dates, that the case id is in use)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.record.models import Child
from tests.builders import bearer, make_document, make_key, make_org

URL = "/api/v1/interviews"


def key_of(db: Session, org: str, kind: str) -> dict[str, str]:
    make_org(db, org, kind=kind)
    return bearer(make_key(db, org=org)[1])


def child_of(db: Session, local_id: str) -> Child:
    db.expire_all()
    return db.execute(select(Child).where(col(Child.responsible_authority) == "803",
                                          col(Child.local_id) == local_id)).scalar_one()


def test_another_organisation_cannot_change_the_childs_date_of_birth(
        client: TestClient, db: Session) -> None:
    authority = key_of(db, "803", "local_authority")
    stranger = key_of(db, "rhi-elsewhere", "rhi_provider")
    first = client.post(URL, json=make_document(child__local_id="DOB-1",
                                                child__date_of_birth="2011-05-04"),
                        headers=authority)
    assert first.status_code == 201

    other = client.post(URL, json=make_document(
        child__local_id="DOB-1", child__date_of_birth="2012-01-01",
        episodes__0__started_at="2026-02-01T18:00:00Z",
        episodes__0__returned_at="2026-02-02T09:00:00Z"), headers=stranger)

    assert other.status_code == 201, other.text
    assert other.json()["child"]["date_of_birth"] == "2012-01-01"  # its own record says so
    assert child_of(db, "DOB-1").date_of_birth == date(2011, 5, 4)  # the authority's stands
    # The authority itself may correct it.
    corrected = client.post(URL, json=make_document(
        child__local_id="DOB-1", child__date_of_birth="2011-05-14",
        episodes__0__started_at="2026-01-01T18:00:00Z",
        episodes__0__returned_at="2026-01-02T09:00:00Z"), headers=authority)
    assert corrected.status_code == 201, corrected.text
    assert child_of(db, "DOB-1").date_of_birth == date(2011, 5, 14)


def test_a_first_record_from_another_organisation_gives_the_date_of_birth_and_keeps_it(
        client: TestClient, db: Session) -> None:
    make_org(db, "803", kind="local_authority")
    provider = key_of(db, "rhi-provider", "rhi_provider")
    assert client.post(URL, json=make_document(child__local_id="DOB-2",
                                               child__date_of_birth="2012-02-02"),
                       headers=provider).status_code == 201
    assert child_of(db, "DOB-2").date_of_birth == date(2012, 2, 2)

    second = client.post(URL, json=make_document(
        child__local_id="DOB-2", child__date_of_birth="2010-01-01",
        episodes__0__started_at="2026-01-01T18:00:00Z",
        episodes__0__returned_at="2026-01-02T09:00:00Z"), headers=provider)

    assert second.status_code == 201
    assert child_of(db, "DOB-2").date_of_birth == date(2012, 2, 2)


def test_an_overlap_with_an_episode_the_caller_cannot_see_is_never_mentioned(
        client: TestClient, db: Session) -> None:
    provider = key_of(db, "rhi-provider", "rhi_provider")
    stranger = key_of(db, "rhi-elsewhere", "rhi_provider")
    authority = key_of(db, "803", "local_authority")
    held = client.post(URL, json=make_document(
        child__local_id="SEEN-1", episodes__0__started_at="2026-03-01T18:00:00Z",
        episodes__0__returned_at="2026-03-02T09:00:00Z"), headers=provider)
    assert held.status_code == 201
    overlapping = make_document(child__local_id="SEEN-1",
                                episodes__0__started_at="2026-03-01T20:00:00Z",
                                episodes__0__returned_at="2026-03-02T08:00:00Z")

    from_stranger = client.post(URL, json=overlapping, headers=stranger)
    from_authority = client.post(URL, json={**overlapping, "id": make_document()["id"]},
                                 headers=authority)

    # The stranger learns nothing: no overlap, no dates, no sign the case id is in use.
    assert from_stranger.status_code == 201, from_stranger.text
    assert "01 Mar 2026" not in from_stranger.text and "another record" not in from_stranger.text
    # The child's authority sees every record of its child, so it is told.
    assert from_authority.status_code == 422
    [error] = from_authority.json()["errors"]
    assert error["code"] == "overlapping_episodes"
    assert "another record" in error["message"]
