"""A record's life leaves a trail in the audit log: who, when, from where, what, and which record
(by id); never the child's name, words or postcode (security.md, "Audit")."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from tests.builders import bearer, make_document, make_key, make_user, sign_in


def entries_after(db: Session, last_id: int) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).where(col(AuditEntry.id) > last_id)
                           .order_by(col(AuditEntry.id))).scalars())


def last_entry_id(db: Session) -> int:
    found = db.execute(select(col(AuditEntry.id)).order_by(col(AuditEntry.id).desc())
                       .limit(1)).scalar_one_or_none()
    return found or 0


def test_the_web_form_from_sign_in_to_approval_is_audited(client: TestClient,
                                                          db: Session) -> None:
    interviewer = make_user(db, role="interviewer", org="803")
    manager = make_user(db, role="manager", org="803")
    document = make_document(child__given_name="Zebedee", child__family_name="Quorn",
                             interview__child_account="Words only the record may hold.")
    _, key = make_key(db, org="803")
    created = client.post("/api/v1/interviews", json=document, headers=bearer(key))
    assert created.status_code == 201
    record = document["id"]
    start = last_entry_id(db)

    csrf = sign_in(client, interviewer)
    draft = client.post("/interviews/new", data={"csrf_token": csrf}, follow_redirects=False)
    draft_id = draft.headers["location"].split("/")[2]
    client.cookies.clear()
    csrf = sign_in(client, manager)
    assert client.get(f"/interviews/{record}").status_code == 200
    approved = client.post(f"/interviews/{record}/approve", data={
        "csrf_token": csrf, "oversight_note": "Checked.", "read_record": "yes"},
                           follow_redirects=False)
    assert approved.status_code == 303

    trail = [(e.action, e.actor, e.target, e.organisation) for e in entries_after(db, start)
             if not e.action.startswith("second_factor")]  # its own tests say what it writes
    assert trail == [
        ("sign_in", f"user:{interviewer.id}", f"user:{interviewer.id}", "803"),
        ("interview.list", f"user:{interviewer.id}", None, "803"),  # home, after signing in
        ("interview.create", f"user:{interviewer.id}", draft_id, "803"),
        ("sign_in", f"user:{manager.id}", f"user:{manager.id}", "803"),
        ("interview.list", f"user:{manager.id}", None, "803"),
        ("interview.view", f"user:{manager.id}", record, "803"),
        ("interview.approve", f"user:{manager.id}", record, "803"),
    ]
    views = [e for e in entries_after(db, start) if e.action == "interview.view"]
    assert views[0].address == "testclient"
    assert_no_identifying_data(db, document)


def test_the_api_from_submission_to_change_and_listing_is_audited(client: TestClient,
                                                                  db: Session) -> None:
    api_key, plaintext = make_key(db, org="803")
    document = make_document(child__given_name="Ysolde", child__family_name="Pellinore")
    start = last_entry_id(db)

    created = client.post("/api/v1/interviews", json=document, headers=bearer(plaintext))
    read = client.get(f"/api/v1/interviews/{document['id']}", headers=bearer(plaintext))
    changed = {**document, "interview": {**document["interview"], "child_account": "Changed."}}
    client.put(f"/api/v1/interviews/{document['id']}", json=changed,
               headers={**bearer(plaintext), "If-Match": read.headers["etag"]})
    client.get("/api/v1/interviews", headers=bearer(plaintext))

    assert created.status_code == 201
    actor = f"key:{api_key.id}"
    trail = [(e.action, e.actor, e.target, e.details.get("version"))
             for e in entries_after(db, start)]
    assert trail == [
        ("interview.create", actor, document["id"], 1),
        ("interview.view", actor, document["id"], 1),
        ("interview.change", actor, document["id"], 2),
        ("interview.list", actor, None, None),
    ]
    assert_no_identifying_data(db, document)


def test_a_feed_pull_is_audited_with_its_filters_and_count(client: TestClient,
                                                            db: Session) -> None:
    _, submit_key = make_key(db, org="803")
    feed_key, plaintext = make_key(db, org="803", scopes=("feed",))
    document = make_document(child__given_name="Xanthe", child__family_name="Oakenshield")
    assert client.post("/api/v1/interviews", json=document,
                       headers=bearer(submit_key)).status_code == 201
    start = last_entry_id(db)

    pulled = client.get("/api/v1/feed/interviews", params={"responsible_authority": "803"},
                        headers=bearer(plaintext))

    assert pulled.status_code == 200
    [entry] = entries_after(db, start)
    assert (entry.action, entry.actor, entry.organisation) == (
        "feed.pull", f"key:{feed_key.id}", "803")
    assert document["id"] in [r["interview_id"] for r in pulled.json()["data"]]
    assert entry.details["count"] == len(pulled.json()["data"])
    assert "803" in orjson.dumps(entry.details["filters"]).decode()
    assert_no_identifying_data(db, document)


def test_each_entry_carries_the_hash_of_the_one_before(client: TestClient, db: Session) -> None:
    first, second = make_user(db), make_user(db)
    start = last_entry_id(db)

    sign_in(client, first)
    client.cookies.clear()
    sign_in(client, second)

    written = entries_after(db, start)
    assert [e.action for e in written].count("sign_in") == 2
    for before, after in zip(written, written[1:], strict=False):
        assert after.prev_hash == before.hash


def assert_no_identifying_data(db: Session, document: dict[str, object]) -> None:
    child = document["child"]
    assert isinstance(child, dict)
    interview = document["interview"]
    assert isinstance(interview, dict)
    episodes = document["episodes"]
    assert isinstance(episodes, list)
    logged = orjson.dumps([e.model_dump(mode="json") for e in entries_after(db, 0)]).decode()
    for secret in (child["given_name"], child["family_name"], child["local_id"],
                   child["date_of_birth"], interview["child_account"],
                   episodes[0]["found_postcode"]):
        assert str(secret) not in logged
