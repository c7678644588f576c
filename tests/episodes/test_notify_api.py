"""Partner systems notify missing episodes and returns: `POST /api/v1/episodes` and
`PATCH /api/v1/episodes/{id}` with a `notify` key, safe to retry, changes only with If-Match;
a notified return with no interview is counted and judged by the 72-hour standards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.interviews import storage
from app.interviews.submissions import update_from_api
from app.record.formats import format_timestamp
from app.record.models import Child, Episode, RegisterEpisode
from tests.builders import actor, bearer, make_key, make_org, record

NOW = datetime.now(UTC).replace(microsecond=0)


def key(db: Session, org: str = "803", scopes: tuple[str, ...] = ("notify",)) -> dict[str, str]:
    return bearer(make_key(db, org, scopes=scopes)[1])


def notification(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid4()),
        "child": {"responsible_authority": "803", "local_id": f"TEST-{uuid4().hex[:8]}",
                  "date_of_birth": "2011-05-04", "legal_status": "looked_after"},
        "type": "missing",
        "started_at": format_timestamp(NOW - timedelta(days=2)),
        "reported_by": "police",
        "police_reference": "TEST-MP-0001",
        "police_risk_grade": "medium",
    }
    body.update(changes)
    return body


def test_a_missing_notification_is_registered_and_a_retry_changes_nothing(
        client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()

    first = client.post("/api/v1/episodes", json=body, headers=headers)
    again = client.post("/api/v1/episodes", json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/api/v1/episodes/{body['id']}"
    assert first.json()["state"] == "missing"
    assert first.json()["notified_by_org"] == "803"
    assert first.json()["notified_at"] is not None
    assert again.status_code == 200
    assert again.headers["etag"] == first.headers["etag"]
    assert db.execute(select(RegisterEpisode).where(
        col(RegisterEpisode.id) == UUID(body["id"]))).scalars().all()


def test_the_same_id_with_another_body_is_a_conflict(client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    client.post("/api/v1/episodes", json=body, headers=headers)

    answer = client.post("/api/v1/episodes", json={**body, "type": "away"}, headers=headers)

    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_same_episode_notified_twice_by_one_organisation_names_the_first(
        client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    client.post("/api/v1/episodes", json=body, headers=headers)

    answer = client.post("/api/v1/episodes", json={**body, "id": str(uuid4())},
                         headers=headers)

    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "already_registered"
    assert body["id"] in answer.json()["detail"]


def test_a_return_notified_later_makes_the_offer_due_within_72_hours(
        client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    made = client.post("/api/v1/episodes", json=body, headers=headers)
    returned = NOW - timedelta(hours=5)

    answer = client.patch(f"/api/v1/episodes/{body['id']}",
                          json={"returned_at": format_timestamp(returned)},
                          headers={**headers, "If-Match": made.headers["etag"]})

    assert answer.status_code == 200, answer.text
    episode = answer.json()
    assert episode["state"] == "returned"
    assert episode["version"] == 2
    offer = next(f for f in episode["standards"] if f["code"] == "offer-within-72h")
    assert offer["result"] == "pending"
    assert offer["due_at"] == format_timestamp(returned + timedelta(hours=72))


def test_a_return_with_no_offer_is_not_met_once_72_hours_pass_with_no_record(
        client: TestClient, db: Session) -> None:
    body = notification(started_at=format_timestamp(NOW - timedelta(days=6)),
                        returned_at=format_timestamp(NOW - timedelta(days=4)))

    episode = client.post("/api/v1/episodes", json=body, headers=key(db)).json()

    offer = next(f for f in episode["standards"] if f["code"] == "offer-within-72h")
    assert (episode["state"], offer["result"]) == ("returned", "not_met")


def test_a_change_needs_the_current_version(client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    made = client.post("/api/v1/episodes", json=body, headers=headers)
    url = f"/api/v1/episodes/{body['id']}"
    change = {"police_risk_grade": "high"}

    without = client.patch(url, json=change, headers=headers)
    client.patch(url, json=change, headers={**headers, "If-Match": made.headers["etag"]})
    stale = client.patch(url, json={"police_risk_grade": "low"},
                         headers={**headers, "If-Match": made.headers["etag"]})

    assert without.status_code == 428
    assert stale.status_code == 412
    assert client.get(url, headers=headers).json()["police_risk_grade"] == "high"


def test_an_empty_type_in_a_change_is_a_field_error_not_a_500(
        client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    made = client.post("/api/v1/episodes", json=body, headers=headers)
    url = f"/api/v1/episodes/{body['id']}"
    for empty in ("", None):
        answer = client.patch(url, json={"type": empty},
                              headers={**headers, "If-Match": made.headers["etag"]})
        assert answer.status_code == 422, answer.text
        assert "/type" in answer.text
    assert client.get(url, headers=headers).json()["type"] == body["type"]


def test_bad_notifications_are_refused_field_by_field(client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification(type="lost", started_at="yesterday",
                        child={"responsible_authority": "nowhere-99", "local_id": "=1+2",
                               "date_of_birth": "2011-02-31"},
                        unexpected=True)

    answer = client.post("/api/v1/episodes", json=body, headers=headers)

    assert answer.status_code == 422
    found = {(e["pointer"], e["code"]) for e in answer.json()["errors"]}
    assert found >= {("/type", "unknown_code"), ("/started_at", "invalid_timestamp"),
                     ("/child/responsible_authority", "unknown_organisation"),
                     ("/child/local_id", "formula_start"),
                     ("/child/date_of_birth", "invalid_date"),
                     ("/unexpected", "unknown_field")}


def test_a_return_before_the_start_or_before_being_found_is_refused(
        client: TestClient, db: Session) -> None:
    started = NOW - timedelta(days=2)
    body = notification(started_at=format_timestamp(started),
                        found_at=format_timestamp(started + timedelta(hours=5)),
                        returned_at=format_timestamp(started + timedelta(hours=1)))

    answer = client.post("/api/v1/episodes", json=body, headers=key(db))

    assert answer.status_code == 422
    assert {(e["pointer"], e["code"]) for e in answer.json()["errors"]} == {
        ("/returned_at", "before_found")}


def test_the_child_and_start_cannot_be_changed(client: TestClient, db: Session) -> None:
    headers = key(db)
    body = notification()
    made = client.post("/api/v1/episodes", json=body, headers=headers)

    answer = client.patch(f"/api/v1/episodes/{body['id']}",
                          json={"started_at": format_timestamp(NOW), "type": None},
                          headers={**headers, "If-Match": made.headers["etag"]})

    assert answer.status_code == 422
    assert {(e["pointer"], e["code"]) for e in answer.json()["errors"]} == {
        ("/started_at", "unknown_field"), ("/type", "required")}


def test_an_interview_for_the_notified_episode_completes_it_without_a_second_episode(
        client: TestClient, db: Session) -> None:
    body = notification(returned_at=format_timestamp(NOW - timedelta(days=1)))
    client.post("/api/v1/episodes", json=body, headers=key(db))
    started, returned = body["started_at"], body["returned_at"]

    interview = record(
        db, child__local_id=body["child"]["local_id"], episodes__0__started_at=started,
        episodes__0__returned_at=returned,
        offer={"outcome": "completed", "offered_at": format_timestamp(NOW - timedelta(hours=20))},
        interview__conducted_at=format_timestamp(NOW - timedelta(hours=10)),
        actions=[], sharing=[{"with": "social_worker",
                              "at": format_timestamp(NOW - timedelta(hours=9))}])

    episode = client.get(f"/api/v1/episodes/{body['id']}", headers=key(db)).json()
    assert episode["state"] == "shared"
    assert episode["offer"]["outcome"] == "completed"
    assert [f["result"] for f in episode["standards"]] == ["met", "met"]
    linked = db.execute(select(col(Episode.register_id)).where(
        col(Episode.interview_id) == interview.id)).scalar_one()
    assert str(linked) == body["id"]
    child = db.execute(select(col(Child.id)).where(
        col(Child.local_id) == body["child"]["local_id"])).scalar_one()
    assert db.execute(select(col(RegisterEpisode.id)).where(
        col(RegisterEpisode.child_id) == child)).scalars().all() == [linked]


def test_a_record_of_an_episode_nobody_notified_registers_it(db: Session) -> None:
    interview = record(db)

    registered = db.execute(
        select(RegisterEpisode).join(Episode, col(Episode.register_id) == col(
            RegisterEpisode.id)).where(col(Episode.interview_id) == interview.id)).scalar_one()

    assert (registered.source, registered.offer_outcome, registered.notified_by_org) == (
        "record", "completed", "803")


def test_a_record_whose_start_is_corrected_leaves_no_stale_episode(db: Session) -> None:
    interview = record(db)
    document = {**interview.document,
                "episodes": [{**interview.document["episodes"][0],
                              "started_at": "2026-03-01T20:00:00Z"}]}
    update_from_api(db, actor(), interview.id, document, storage.etag(interview))
    db.flush()

    starts = db.execute(select(col(RegisterEpisode.started_at)).where(
        col(RegisterEpisode.child_id) == interview.child_id)).scalars().all()
    assert [format_timestamp(s) for s in starts] == ["2026-03-01T20:00:00Z"]


# --- one child, several organisations --------------------------------------------------------


def test_another_organisations_notification_of_the_same_episode_learns_nothing_of_the_first(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    authority, police = key(db, "803"), key(db, "801")
    first = notification(police_reference="TEST-SECRET-REF", police_risk_grade="high",
                         found_at=format_timestamp(NOW - timedelta(days=1)))
    client.post("/api/v1/episodes", json=first, headers=authority)
    second = notification(id=str(uuid4()), child={**first["child"],
                                                  "date_of_birth": "2009-01-01"},
                          started_at=first["started_at"], police_reference="TEST-OWN-REF",
                          returned_at=format_timestamp(NOW - timedelta(hours=2)))

    answer = client.post("/api/v1/episodes", json=second, headers=police)

    assert answer.status_code == 201
    assert "TEST-SECRET-REF" not in answer.text and first["id"] not in answer.text
    assert answer.json()["state"] == "returned"
    assert "duplicate_of" not in answer.json()
    assert client.get(f"/api/v1/episodes/{first['id']}", headers=police).status_code == 404
    # The authority sees one episode, returned (the second notifier knew of the return), and
    # the duplicate for what it is; the child's date of birth stays the authority's.
    seen = client.get(f"/api/v1/episodes/{first['id']}", headers=authority).json()
    assert seen["returned_at"] == second["returned_at"]
    assert seen["police_reference"] == "TEST-SECRET-REF"
    duplicate = client.get(f"/api/v1/episodes/{second['id']}", headers=authority).json()
    assert duplicate["duplicate_of"] == first["id"]
    born = db.execute(select(col(Child.date_of_birth)).where(
        col(Child.local_id) == first["child"]["local_id"])).scalar_one()
    assert born.isoformat() == "2011-05-04"


def test_an_organisation_cannot_read_list_or_change_another_authoritys_episode(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    body = notification()
    made = client.post("/api/v1/episodes", json=body, headers=key(db, "803"))
    stranger = key(db, "801")
    url = f"/api/v1/episodes/{body['id']}"

    read = client.get(url, headers=stranger)
    missing = client.get(f"/api/v1/episodes/{uuid4()}", headers=stranger)
    change = client.patch(url, json={"returned_at": format_timestamp(NOW)},
                          headers={**stranger, "If-Match": made.headers["etag"]})
    listed = client.get("/api/v1/episodes", headers=stranger)

    assert read.status_code == change.status_code == 404
    assert read.json()["detail"] == missing.json()["detail"]
    assert body["id"] not in listed.text and body["child"]["local_id"] not in listed.text


def test_a_submit_key_cannot_notify(client: TestClient, db: Session) -> None:
    answer = client.post("/api/v1/episodes", json=notification(),
                         headers=key(db, scopes=("submit",)))

    assert answer.status_code == 403


def test_a_notified_child_of_another_authority_keeps_the_authoritys_date_of_birth(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    authority_record = record(db, child__date_of_birth="2011-05-04")
    local_id = authority_record.document["child"]["local_id"]
    body = notification(child={"responsible_authority": "803", "local_id": local_id,
                               "date_of_birth": "2008-08-08"},
                        started_at=format_timestamp(NOW - timedelta(days=1)))

    answer = client.post("/api/v1/episodes", json=body, headers=key(db, "801"))

    assert answer.status_code == 201
    born = db.execute(select(col(Child.date_of_birth)).where(
        col(Child.local_id) == local_id)).scalar_one()
    assert born.isoformat() == "2011-05-04"
    assert "2011-05-04" not in answer.text


def test_a_providers_findings_do_not_count_the_authoritys_other_episodes(db: Session) -> None:
    make_org(db, "801")
    first = record(db, episodes__0__started_at="2026-02-10T18:00:00Z",
                   episodes__0__returned_at="2026-02-11T09:00:00Z")
    local_id = first.document["child"]["local_id"]
    record(db, child__local_id=local_id, episodes__0__started_at="2026-02-20T18:00:00Z",
           episodes__0__returned_at="2026-02-21T09:00:00Z")

    theirs = record(db, "801", child__local_id=local_id)
    ours = record(db, "803", child__local_id=local_id,
                  episodes__0__started_at="2026-02-25T18:00:00Z",
                  episodes__0__returned_at="2026-02-26T09:00:00Z")

    def repeat(interview: Any) -> str:
        return next(f["result"] for f in interview.findings
                    if f["code"] == "repeat-missing-reviewed")

    # Three episodes in 30 days: the authority's own record counts them all; the provider's
    # record sees one episode, its own, and nothing of the authority's.
    assert repeat(theirs) == "not_applicable"
    assert repeat(ours) != "not_applicable"
