"""Issue 13's test of done: a return notified through the API, with no interview, appears on the
co-ordinator's list, in the episode feed, in the SSDA903 export and in the coverage figures,
and is `not_met` once its 72 hours pass, with nothing run in between. Another authority sees
none of it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.record.formats import format_timestamp
from tests.builders import bearer, make_key, make_org, make_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)
RETURNED = [NOW - timedelta(hours=hours) for hours in (90, 100, 110, 120, 130, 140)]
JUST_BACK = NOW - timedelta(hours=2)
# Enough of each that no count is small enough to be suppressed (1 to 5, as published).
JUST_BACK_TOO = [NOW - timedelta(hours=hours) for hours in (3, 4, 5, 6, 7)]


def collection_year(moment: datetime) -> str:
    first = moment.year if moment.month >= 4 else moment.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def notify(client: TestClient, key: dict[str, str], local_id: str,
           returned: datetime) -> dict[str, Any]:
    body = {"id": str(uuid4()), "type": "missing", "reported_by": "police",
            "police_reference": f"TEST-REF-{local_id}",
            "child": {"responsible_authority": "803", "local_id": local_id,
                      "date_of_birth": "2011-05-04", "legal_status": "looked_after"},
            "started_at": format_timestamp(returned - timedelta(hours=20)),
            "returned_at": format_timestamp(returned)}
    answer = client.post("/api/v1/episodes", json=body, headers=key)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_notified_return_with_no_interview_is_counted_everywhere_and_falls_due_alone(
        client: TestClient, db: Session) -> None:
    make_org(db, "803")
    make_org(db, "avon-police", kind="police")
    police = bearer(make_key(db, "avon-police", scopes=("notify",))[1])
    feed = bearer(make_key(db, "803", scopes=("feed",))[1])
    returns = bearer(make_key(db, "803", scopes=("returns",))[1])
    overdue = [notify(client, police, f"TEST-DUE-{n}", returned)
               for n, returned in enumerate(RETURNED)]
    fresh = notify(client, police, "TEST-FRESH", JUST_BACK)
    for n, returned in enumerate(JUST_BACK_TOO):
        notify(client, police, f"TEST-FRESH-{n}", returned)

    # The police's own answer: judged already, no record and no job needed.
    def offer(episode: dict[str, Any]) -> dict[str, Any]:
        return next(f for f in episode["standards"] if f["code"] == "offer-within-72h")
    assert {offer(e)["result"] for e in overdue} == {"not_met"}
    assert offer(fresh)["result"] == "pending"
    assert offer(fresh)["due_at"] == format_timestamp(JUST_BACK + timedelta(hours=72))

    # The co-ordinator's list at the authority.
    sign_in(client, make_user(db, "manager", org="803"))
    listing = client.get("/episodes").text
    assert all(f"TEST-DUE-{n}" in listing for n in range(len(RETURNED)))
    assert "TEST-FRESH" in listing and listing.count("Overdue by") == len(RETURNED)
    client.cookies.clear()

    # The episode feed: every return, once, with the finding; nothing identifying.
    pulled = client.get("/api/v1/feed/episodes", headers=feed)
    assert pulled.status_code == 200
    rows = {row["episode_id"]: row for row in pulled.json()["data"]}
    assert {e["id"] for e in (*overdue, fresh)} <= set(rows)
    assert {rows[e["id"]]["offer_within_72h"] for e in overdue} == {"not_met"}
    assert rows[fresh["id"]]["offer_within_72h"] == "pending"
    assert "TEST-DUE-0" not in pulled.text and "TEST-REF" not in pulled.text

    # The SSDA903 return of the year.
    years = {collection_year(r) for r in (*RETURNED, JUST_BACK)}
    children: set[str] = set()
    for year in years:
        export = client.get("/api/v1/exports/ssda903-missing",
                            params={"collection_year": year}, headers=returns)
        assert export.status_code == 200, export.text
        children |= {row["CHILD"] for row in csv.DictReader(io.StringIO(export.text))}
    assert {f"TEST-DUE-{n}" for n in range(len(RETURNED))} | {"TEST-FRESH"} <= children

    # The coverage figures: each return counted once, the six not offered in time not met.
    summary = client.get("/api/v1/feed/summary", headers=feed, params={
        "from": (NOW - timedelta(days=10)).date().isoformat(),
        "to": NOW.date().isoformat()})
    assert summary.status_code == 200, summary.text
    coverage = summary.json()["coverage"]
    assert coverage["returns"] == len(RETURNED) + 1 + len(JUST_BACK_TOO)
    assert coverage["offer_not_met"] == len(RETURNED)
    assert coverage["offer_pending"] == 1 + len(JUST_BACK_TOO)
    assert coverage["offered_within_72h"] == 0


def test_another_authority_sees_none_of_it(client: TestClient, db: Session) -> None:
    make_org(db, "803")
    make_org(db, "801")
    make_org(db, "avon-police", kind="police")
    police = bearer(make_key(db, "avon-police", scopes=("notify",))[1])
    mine = [notify(client, police, f"TEST-THEIRS-{n}", returned)
            for n, returned in enumerate(RETURNED)]
    feed = bearer(make_key(db, "801", scopes=("feed",))[1])
    returns = bearer(make_key(db, "801", scopes=("returns",))[1])
    notify_801 = bearer(make_key(db, "801", scopes=("notify",))[1])

    pulled = client.get("/api/v1/feed/episodes", headers=feed)
    listed = client.get("/api/v1/episodes", headers=notify_801)
    export = client.get("/api/v1/exports/ssda903-missing", headers=returns,
                        params={"collection_year": collection_year(NOW)})
    summary = client.get("/api/v1/feed/summary", headers=feed, params={
        "from": (NOW - timedelta(days=10)).date().isoformat(), "to": NOW.date().isoformat()})
    sign_in(client, make_user(db, "manager", org="801"))
    page = client.get("/episodes")

    for answer in (pulled, listed, export, page):
        assert answer.status_code == 200
        assert not any(e["id"] in answer.text for e in mine)
        assert "TEST-THEIRS" not in answer.text
    assert summary.json()["coverage"]["returns"] == 0
