"""The co-ordinator's work on the web: record an episode and its return, see the returns waiting
for an offer with the time left, allocate, and the interviewer starts the interview from it."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.core.london import LONDON
from app.core.types import utcnow
from app.episodes import service
from app.record.models import Child, Episode, Interview, RegisterEpisode
from tests.builders import make_org, make_user, sign_in
from tests.interviews.helpers import error_summary


def when(hours_ago: float) -> dict[str, str]:
    local = (utcnow() - timedelta(hours=hours_ago)).astimezone(LONDON)
    return {"day": str(local.day), "month": str(local.month), "year": str(local.year),
            "time": local.strftime("%H:%M")}


def form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, **fields}


def episode_form(csrf: str, local_id: str, *, missing_hours: float,
                 returned_hours: float | None = None) -> dict[str, str]:
    data = form(csrf, id=str(uuid4()), type="missing", reported_by="police",
                police_risk_grade="medium", **{"child-responsible_authority": "803",
                                               "child-local_id": local_id})
    data.update({f"started_at-{k}": v for k, v in when(missing_hours).items()})
    if returned_hours is not None:
        data.update({f"returned_at-{k}": v for k, v in when(returned_hours).items()})
    return data


def notified(db: Session, local_id: str, *, returned_hours: float | None,
             org: str = "803") -> UUID:
    make_org(db, "803")
    make_org(db, org)
    body = {"id": str(uuid4()), "type": "missing",
            "child": {"responsible_authority": "803", "local_id": local_id},
            "started_at": (utcnow() - timedelta(hours=100)).isoformat()}
    if returned_hours is not None:
        body["returned_at"] = (utcnow() - timedelta(hours=returned_hours)).isoformat()
    episode, _ = service.notify(db, Caller.system(org), body)
    db.commit()
    return episode.id


def test_a_coordinator_records_an_episode_and_its_return(client: TestClient,
                                                         db: Session) -> None:
    csrf = sign_in(client, make_user(db, "manager"))

    made = client.post("/episodes/new", data=episode_form(csrf, "TEST-WEB-1", missing_hours=30),
                       follow_redirects=False)
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "TEST-WEB-1" in page.text and "Missing" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    back = client.post(made.headers["location"].split("?")[0], data=form(
        csrf, version=version.group(1), reported_by="police", police_risk_grade="medium",
        **{f"returned_at-{k}": v for k, v in when(2).items()}), follow_redirects=False)

    assert back.status_code == 303
    listing = client.get("/episodes")
    assert "TEST-WEB-1" in listing.text
    assert re.search(r"(69|70) hours left", listing.text)


def test_bad_input_on_the_form_is_shown_beside_each_field_and_kept(
        client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "manager"))
    data = episode_form(csrf, "=1+2", missing_hours=5, returned_hours=8)
    data["started_at-day"] = "31"
    data["started_at-month"] = "2"

    answer = client.post("/episodes/new", data=data)

    assert answer.status_code == 422
    summary = error_summary(answer.text)
    assert any("case id" in s.lower() or "identifier" in s.lower() for s in summary), summary
    assert any("went missing" in s.lower() for s in summary), summary
    assert 'value="=1+2"' in answer.text  # kept as typed
    assert db.execute(select(RegisterEpisode).join(Child, col(Child.id) == col(
        RegisterEpisode.child_id)).where(col(Child.local_id) == "=1+2")).first() is None


def test_the_return_waiting_longest_comes_first_with_its_time_left(
        client: TestClient, db: Session) -> None:
    notified(db, "TEST-LATER", returned_hours=10)
    notified(db, "TEST-OVERDUE", returned_hours=80)
    notified(db, "TEST-AWAY", returned_hours=None)
    csrf = sign_in(client, make_user(db, "manager"))
    assert csrf

    page = client.get("/episodes").text

    waiting = page.split("Still missing")[0]
    assert waiting.index("TEST-OVERDUE") < waiting.index("TEST-LATER")
    assert "Overdue by 8 hours" in waiting
    assert "TEST-AWAY" not in waiting and "TEST-AWAY" in page.split("Still missing")[1]


def test_an_allocated_interviewer_sees_it_and_starts_the_interview_filled_in(
        client: TestClient, db: Session) -> None:
    episode_id = notified(db, "TEST-ALLOC", returned_hours=3)
    interviewer = make_user(db, "interviewer", name="Test Allocated Interviewer")
    manager = make_user(db, "manager")
    csrf = sign_in(client, manager)

    allocated = client.post(f"/episodes/{episode_id}/allocate",
                            data=form(csrf, user_id=str(interviewer.id)),
                            follow_redirects=False)
    assert allocated.status_code == 303
    assert "Test Allocated Interviewer" in client.get("/episodes").text
    client.cookies.clear()
    csrf = sign_in(client, interviewer)
    mine = client.get("/episodes/mine")
    assert "TEST-ALLOC" in mine.text
    started = client.post(f"/episodes/{episode_id}/start", data=form(csrf),
                          follow_redirects=False)

    assert started.status_code == 303
    draft_id = UUID(started.headers["location"].split("/")[2])
    draft = db.get(Interview, draft_id)
    assert draft is not None
    db.refresh(draft)
    assert draft.document["child"]["local_id"] == "TEST-ALLOC"
    assert len(draft.document["episodes"]) == 1
    linked = db.execute(select(col(Episode.register_id)).where(
        col(Episode.interview_id) == draft_id)).scalar_one()
    assert linked == episode_id


def test_allocating_to_someone_of_another_organisation_is_refused(
        client: TestClient, db: Session) -> None:
    episode_id = notified(db, "TEST-NOBODY", returned_hours=3)
    stranger = make_user(db, "interviewer", org="801")
    csrf = sign_in(client, make_user(db, "manager"))

    answer = client.post(f"/episodes/{episode_id}/allocate",
                         data=form(csrf, user_id=str(stranger.id)))

    assert answer.status_code == 422
    assert "Choose a person from the list" in answer.text
    assert db.get(RegisterEpisode, episode_id).allocated_user_id is None  # type: ignore[union-attr]


def test_another_authoritys_episode_is_not_there(client: TestClient, db: Session) -> None:
    make_org(db, "801")
    episode_id = notified(db, "TEST-ELSEWHERE", returned_hours=3)
    csrf = sign_in(client, make_user(db, "manager", org="801"))

    page = client.get(f"/episodes/{episode_id}")
    listing = client.get("/episodes")
    start = client.post(f"/episodes/{episode_id}/start", data=form(csrf))

    assert page.status_code == start.status_code == 404
    assert "TEST-ELSEWHERE" not in listing.text


def test_a_provider_allocated_the_episode_allocates_it_to_its_own_interviewer(
        client: TestClient, db: Session) -> None:
    make_org(db, "avon-rhi", kind="rhi_provider")
    episode_id = notified(db, "TEST-PROVIDER", returned_hours=3)
    authority = make_user(db, "manager")
    csrf = sign_in(client, authority)
    client.post(f"/episodes/{episode_id}/allocate", data=form(csrf, organisation="avon-rhi"))
    client.cookies.clear()
    worker = make_user(db, "interviewer", org="avon-rhi", name="Test Provider Worker")
    csrf = sign_in(client, make_user(db, "manager", org="avon-rhi"))

    listed = client.get("/episodes").text
    answer = client.post(f"/episodes/{episode_id}/allocate",
                         data=form(csrf, user_id=str(worker.id)), follow_redirects=False)

    assert "TEST-PROVIDER" in listed
    assert answer.status_code == 303
    db.expire_all()
    episode = db.get(RegisterEpisode, episode_id)
    assert episode is not None
    assert (episode.allocated_org, episode.allocated_user_id) == ("avon-rhi", worker.id)
