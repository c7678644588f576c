"""Who may reach the feed, the summary, the report and the SSDA903 export; and analysts and
feed keys never reach anything identifying."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import actor, make_document, make_user, record, sign_in
from tests.feed.conftest import feed_key

FEED = "/api/v1/feed/interviews"
SUMMARY = "/api/v1/feed/summary"
REPORT = "/reports/quarterly?period=2026-Q1"
RETURN = "/api/v1/exports/ssda903-missing?collection_year=2025-26"


def test_without_a_key_or_sign_in_the_feed_answers_401_with_a_challenge(
        client: TestClient) -> None:
    for url in (FEED, SUMMARY, RETURN):
        answer = client.get(url)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_key_answers_401(client: TestClient) -> None:
    answer = client.get(FEED, headers={"Authorization": "Bearer rhi_rk_nothere_" + "x" * 43})
    assert answer.status_code == 401


@pytest.mark.parametrize(("scopes", "url", "status"), [
    (("feed",), FEED, 200),
    (("feed",), SUMMARY, 200),
    (("feed",), RETURN, 403),
    (("submit",), FEED, 403),
    (("submit",), SUMMARY, 403),
    (("returns",), FEED, 403),
    (("returns",), RETURN, 200),
])
def test_a_key_reaches_only_what_its_scopes_allow(
        client: TestClient, db: Session, scopes: tuple[str, ...], url: str, status: int) -> None:
    assert client.get(url, headers=feed_key(db, scopes=scopes)).status_code == status


@pytest.mark.parametrize(("role", "allowed"), [
    ("analyst", {FEED, SUMMARY, REPORT}),
    ("manager", {SUMMARY, REPORT, RETURN}),
    ("interviewer", set()),
    ("placement_team", set()),
    ("admin", set()),
])
def test_a_session_reaches_only_what_its_role_allows(
        client: TestClient, db: Session, role: str, allowed: set[str]) -> None:
    sign_in(client, make_user(db, role))
    for url in (FEED, SUMMARY, REPORT, RETURN):
        answer = client.get(url)
        assert answer.status_code == (200 if url in allowed else 403), (role, url)


def test_an_analyst_is_refused_every_identifying_page(client: TestClient, db: Session) -> None:
    interview = record(db)
    db.commit()
    token = sign_in(client, make_user(db, "analyst"))
    for url in (f"/interviews/{interview.id}", "/interviews/new",
                f"/interviews/{interview.id}/check", f"/interviews/{interview.id}/child"):
        assert client.get(url).status_code == 403, url
    assert client.post("/interviews/new", data={"csrf_token": token}).status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/reports/quarterly"


def test_a_feed_key_is_refused_every_identifying_api_route(
        client: TestClient, db: Session) -> None:
    interview = record(db)
    db.commit()
    headers = feed_key(db)
    for method, url in (("GET", f"/api/v1/interviews/{interview.id}"),
                        ("GET", f"/api/v1/interviews/{interview.id}/versions"),
                        ("GET", "/api/v1/interviews"),
                        ("POST", "/api/v1/interviews"),
                        ("PUT", f"/api/v1/interviews/{interview.id}")):
        answer = client.request(method, url, headers={**headers, "If-Match": "*"},
                                json=make_document())
        assert answer.status_code == 403, (method, url)


def test_an_analyst_session_is_refused_the_identifying_api(
        client: TestClient, db: Session) -> None:
    interview = record(db)
    db.commit()
    sign_in(client, make_user(db, "analyst"))
    assert client.get(f"/api/v1/interviews/{interview.id}").status_code in (401, 403)


def test_the_feed_holds_only_records_visible_to_the_caller(
        client: TestClient, db: Session) -> None:
    mine = record(db, org="803")  # recorded by 803, of a child 803 is responsible for
    placed_here = record(db, org="802", child__responsible_authority="803",
                         child__placement_authority="802")  # 803's child, recorded by 802
    theirs = record(db, org="802", child__responsible_authority="802",
                    child__placement_authority="802")
    db.commit()
    seen = {r["interview_id"] for r in client.get(FEED, headers=feed_key(db)).json()["data"]}
    assert seen == {str(mine.id), str(placed_here.id)}
    seen_by_802 = {r["interview_id"] for r in
                   client.get(FEED, headers=feed_key(db, "802")).json()["data"]}
    assert seen_by_802 == {str(placed_here.id), str(theirs.id)}
    summary = client.get(SUMMARY, headers=feed_key(db, "801")).json()
    assert summary["groups"] == []


def test_drafts_are_never_in_the_feed(client: TestClient, db: Session) -> None:
    from app.interviews.service import start_draft

    start_draft(db, actor())
    db.commit()
    assert client.get(FEED, headers=feed_key(db)).json()["data"] == []
