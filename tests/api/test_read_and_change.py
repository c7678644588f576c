"""Reading, changing and the versions of a record; who may see it at all."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from tests.builders import bearer, make_document, make_key, make_org, make_user

URL = "/api/v1/interviews"


def submit(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    answer = client.post(URL, json=make_document(**overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    record: dict[str, Any] = answer.json()
    return record


def key_of(db: Session, org: str, kind: str = "local_authority") -> dict[str, str]:
    make_org(db, org, kind=kind)
    return bearer(make_key(db, org=org)[1])


def test_a_record_is_read_with_its_etag_and_the_read_is_audited(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    record = submit(client, auth)

    answer = client.get(f"{URL}/{record['id']}", headers=auth)

    assert answer.status_code == 200
    assert answer.json() == record
    assert answer.headers["etag"].startswith(f'"{record["id"]}-v1-')
    assert answer.headers["cache-control"] == "no-store"
    view = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "interview.view",
                                               col(AuditEntry.target) == record["id"])
                      ).scalar_one()
    assert view.actor.startswith("key:rk_")


def test_an_id_that_does_not_exist_is_404(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get(f"{URL}/3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f", headers=auth)

    assert answer.status_code == 404
    assert answer.json()["type"] == "/problems/not-found"


def test_an_id_that_is_not_a_uuid_is_a_422_problem_naming_the_parameter(
        client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get(f"{URL}/not-a-uuid", headers=auth)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == "/path/interview_id"


def test_another_organisations_record_does_not_exist_for_you(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    record = submit(client, auth)
    stranger = key_of(db, "804")
    url = f"{URL}/{record['id']}"

    answers = {
        "read": client.get(url, headers=stranger),
        "versions": client.get(f"{url}/versions", headers=stranger),
        "change": client.put(url, json=make_document(id=record["id"]), headers={
            **stranger, "If-Match": "*"}),
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 404)
    assert client.get(url, headers=key_of(db, "805")).json() == answers["read"].json()
    assert client.get(URL, headers=stranger).json()["data"] == []


def test_the_same_id_posted_by_another_organisation_changes_nothing(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    document = make_document()
    client.post(URL, json=document, headers=auth)

    answer = client.post(URL, json=document, headers=key_of(db, "804"))

    assert answer.status_code == 409
    assert "Test" not in answer.text


def test_the_childs_responsible_authority_sees_a_record_another_organisation_made(
        client: TestClient, db: Session) -> None:
    provider = key_of(db, "rhi-provider", kind="rhi_provider")
    authority = key_of(db, "803")
    record = submit(client, provider)

    answer = client.get(f"{URL}/{record['id']}", headers=authority)

    assert answer.status_code == 200
    assert answer.json()["recorded_by_org"] == "rhi-provider"
    assert [r["id"] for r in client.get(URL, headers=authority).json()["data"]] == [record["id"]]


def test_a_change_with_the_current_etag_is_a_new_version(
        client: TestClient, auth: dict[str, str]) -> None:
    record = submit(client, auth)
    etag = client.get(f"{URL}/{record['id']}", headers=auth).headers["etag"]
    changed = make_document(id=record["id"], child=record["child"],
                            interview__seraf_score=12)

    answer = client.put(f"{URL}/{record['id']}", json=changed, headers={**auth, "If-Match": etag})

    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    assert answer.json()["interview"]["seraf_score"] == 12
    assert answer.headers["etag"] != etag
    assert answer.headers["etag"].startswith(f'"{record["id"]}-v2-')


def test_a_change_may_leave_the_id_out_of_the_body(
        client: TestClient, auth: dict[str, str]) -> None:
    record = submit(client, auth)
    changed = make_document(child=record["child"], child__gender="male")
    del changed["id"]

    answer = client.put(f"{URL}/{record['id']}", json=changed, headers={**auth, "If-Match": "*"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["child"]["gender"] == "male"


def test_a_stale_etag_is_412_and_changes_nothing(client: TestClient,
                                                 auth: dict[str, str]) -> None:
    record = submit(client, auth)
    url = f"{URL}/{record['id']}"
    stale = client.get(url, headers=auth).headers["etag"]
    first = make_document(id=record["id"], child=record["child"], child__gender="male")
    assert client.put(url, json=first, headers={**auth, "If-Match": stale}).status_code == 200

    second = make_document(id=record["id"], child=record["child"], child__gender="other")
    answer = client.put(url, json=second, headers={**auth, "If-Match": stale})

    assert answer.status_code == 412
    assert answer.json()["type"] == "/problems/stale"
    assert client.get(url, headers=auth).json()["child"]["gender"] == "male"


def test_a_change_without_if_match_is_428(client: TestClient, auth: dict[str, str]) -> None:
    record = submit(client, auth)

    answer = client.put(f"{URL}/{record['id']}", json=make_document(id=record["id"]),
                        headers=auth)

    assert answer.status_code == 428
    assert answer.json()["type"] == "/problems/precondition-required"


def test_a_change_whose_body_names_another_id_is_422(client: TestClient,
                                                     auth: dict[str, str]) -> None:
    record = submit(client, auth)

    answer = client.put(f"{URL}/{record['id']}", json=make_document(),
                        headers={**auth, "If-Match": "*"})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"pointer": "/id", "code": "id_mismatch",
                                        "message": "The id in the body must match the id in "
                                                   "the URL"}]


@pytest.mark.parametrize(("content", "content_type", "status"), [
    (b"{", "application/json", 400),
    (b"{}", "text/plain", 415),
])
def test_a_change_with_a_bad_body_is_refused_like_a_submission(
        client: TestClient, auth: dict[str, str], content: bytes, content_type: str,
        status: int) -> None:
    record = submit(client, auth)

    answer = client.put(f"{URL}/{record['id']}", content=content, headers={
        **auth, "If-Match": "*", "Content-Type": content_type})

    assert answer.status_code == status


def test_versions_list_who_changed_what(client: TestClient, auth: dict[str, str]) -> None:
    record = submit(client, auth)
    url = f"{URL}/{record['id']}"
    changed = make_document(id=record["id"], child=record["child"], child__gender="male",
                            interview__seraf_score=3)
    client.put(url, json=changed, headers={**auth, "If-Match": "*"})

    answer = client.get(f"{url}/versions", headers=auth)

    assert answer.status_code == 200
    versions = answer.json()["data"]
    assert [v["version"] for v in versions] == [1, 2]
    assert {v["status"] for v in versions} == {"submitted"}
    assert all(v["changed_by"].startswith("key:rk_") for v in versions)
    assert all(v["updated_at"].endswith("Z") for v in versions)
    assert versions[1]["changed_pointers"] == ["/child/gender", "/interview/seraf_score"]


def test_a_change_to_an_approved_record_sends_it_back_for_approval(
        client: TestClient, auth: dict[str, str], db: Session) -> None:
    from uuid import UUID

    from app.accounts.caller import Caller
    from app.interviews import service
    from app.record.models import Interview

    record = submit(client, auth, interview__risk_indicators=["sexual_exploitation"])
    interview = db.get(Interview, UUID(record["id"]))
    assert interview is not None
    manager = make_user(db, role="manager", org="803")
    service.approve(db, interview, Caller(label=f"user:{manager.id}", organisation_code="803",
                                          user_id=manager.id), "Checked.", read_record=True)
    db.flush()
    approved = client.get(f"{URL}/{record['id']}", headers=auth)
    assert approved.json()["status"] == "approved"
    oversight = {f["code"]: f["result"] for f in approved.json()["standards"]}
    assert oversight["manager-oversight"] == "met"
    # The change takes away the exploitation that made oversight needed.
    changed = make_document(id=record["id"], interview__risk_indicators=["substance_misuse"])

    answer = client.put(f"{URL}/{record['id']}", json=changed,
                        headers={**auth, "If-Match": approved.headers["etag"]})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["version"], body["approved_at"]) == ("submitted", 2, None)
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "interview.change")
                       ).scalars().one()
    assert entry.details == {"version": 2, "via": "api", "approval_withdrawn": True}
