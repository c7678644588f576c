"""The episode feed: one pseudonymised row per episode of the register, judged against the
72-hour standards with or without a record, in the interview feed's formats and paging."""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.db import make_engine, upgrade_database
from app.core.types import utcnow
from app.feed import episodes
from app.feed.episodes import COLUMNS, EpisodeFilters, FeedEpisodePage
from app.feed.record import feed_timestamp
from app.interviews.storage import child_row
from app.record.formats import format_timestamp
from app.record.models import RegisterEpisode
from tests.builders import make_user, record, sign_in
from tests.feed.conftest import feed_key

EPISODES = "/api/v1/feed/episodes"
INTERVIEWS = "/api/v1/feed/interviews"
HOUR = timedelta(hours=1)


def add_episode(db: Session, authority: str = "803", local_id: str | None = None,
                **fields: Any) -> RegisterEpisode:
    """A register episode of a child of `authority`, inserted as a notification would leave it
    (no record): notified by the authority, started two days before it returned 3 hours ago.
    `fields` set any column (`returned_at=None` for a child still missing)."""
    now = utcnow()
    returned = fields.pop("returned_at", now - 3 * HOUR)
    values: dict[str, Any] = {
        "id": uuid4(), "responsible_authority": authority, "notified_by_org": authority,
        "source": "notification", "type": "missing",
        "started_at": (returned or now) - 48 * HOUR, "returned_at": returned,
        "reported_by": "police", "police_risk_grade": "medium", "notified_at": now,
        "legal_status": "looked_after", "placement_authority": authority,
        "created_at": now, "updated_at": now, **fields}
    values["child_id"] = child_row(db, authority, local_id or f"EP-{uuid4().hex[:8]}",
                                   date(2011, 5, 4), values["notified_by_org"])
    episode = RegisterEpisode(**values)
    db.add(episode)
    db.commit()
    return episode


def pull(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every row of the JSON feed, following `next`."""
    answer = client.get(EPISODES, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    rows: list[dict[str, Any]] = page["data"]
    while page["next"]:
        page = client.get(page["next"], headers=headers).json()
        rows += page["data"]
    return rows


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["episode_id"]: row for row in rows}


def test_a_notified_return_with_no_interview_is_pending_until_its_72_hours_end(
        client: TestClient, db: Session) -> None:
    now = utcnow()
    recent = add_episode(db, returned_at=now - 3 * HOUR)
    overdue = add_episode(db, returned_at=now - 80 * HOUR)

    rows = by_id(pull(client, feed_key(db)))

    fresh, late = rows[str(recent.id)], rows[str(overdue.id)]
    assert fresh["state"] == late["state"] == "returned"
    assert fresh["offer_within_72h"] == fresh["interview_within_72h"] == "pending"
    assert fresh["offer_due_at"] == feed_timestamp(now - 3 * HOUR + 72 * HOUR)
    assert late["offer_within_72h"] == late["interview_within_72h"] == "not_met"
    assert late["offer_outcome"] is None and late["offered_at"] is None


def test_a_child_still_missing_is_missing_with_no_clock_running(
        client: TestClient, db: Session) -> None:
    missing = add_episode(db, returned_at=None)
    row = by_id(pull(client, feed_key(db)))[str(missing.id)]
    assert row["state"] == "missing"
    assert row["offer_within_72h"] == row["interview_within_72h"] == "not_applicable"
    assert row["offer_due_at"] is None and row["returned_at"] is None


def test_a_record_covering_an_episode_gives_it_its_offer_and_outcome(
        client: TestClient, db: Session) -> None:
    notified = add_episode(db, local_id="COVERED-1",
                           started_at=datetime(2026, 3, 1, 18, tzinfo=UTC),
                           returned_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    rows = by_id(pull(client, feed_key(db)))
    assert rows[str(notified.id)]["offer_within_72h"] == "not_met"  # long past, no offer

    record(db, child__local_id="COVERED-1", sharing=[], offer__outcome="declined",
           offer__decline_reason="Did not want to talk.",
           offer__attempts=[{"at": "2026-03-02T12:00:00Z", "method": "phone"}],
           interview=None)
    db.commit()

    rows = by_id(pull(client, feed_key(db)))
    assert list(rows) == [str(notified.id)]  # the record covers it: no second episode
    row = rows[str(notified.id)]
    assert (row["state"], row["offer_outcome"]) == ("declined", "declined")
    assert row["offered_at"] == "2026-03-02T12:00:00.000000Z"
    assert row["offer_within_72h"] == "met"
    assert row["interview_within_72h"] == "not_applicable"


def test_a_submitted_record_registers_its_episode_with_its_findings(
        client: TestClient, db: Session) -> None:
    record(db)
    db.commit()
    [row] = pull(client, feed_key(db))
    assert row["state"] == "shared" and row["offer_outcome"] == "completed"
    assert (row["started_at"], row["returned_at"]) == ("2026-03-01T18:00:00.000000Z",
                                                       "2026-03-02T09:00:00.000000Z")
    assert (row["offer_within_72h"], row["interview_within_72h"]) == ("met", "met")
    assert row["conducted_at"] == "2026-03-03T10:00:00.000000Z"
    assert row["offer_due_at"] == "2026-03-05T09:00:00.000000Z"


def test_the_child_key_is_the_interview_feeds_so_the_feeds_join(
        client: TestClient, db: Session) -> None:
    record(db, child__local_id="JOIN-1")
    add_episode(db, local_id="JOIN-1", started_at=utcnow() - 10 * HOUR)
    add_episode(db, local_id="SOMEONE-ELSE")
    db.commit()
    headers = feed_key(db)

    [interview] = client.get(INTERVIEWS, headers=headers).json()["data"]
    keys = [row["child_key"] for row in pull(client, headers)]

    assert interview["child_key"] and keys.count(interview["child_key"]) == 2
    assert len(set(keys)) == 2


def test_every_format_has_the_same_columns_in_the_same_order(
        client: TestClient, db: Session) -> None:
    for _ in range(3):
        add_episode(db)
    headers = feed_key(db)

    page = client.get(EPISODES, headers=headers).json()
    FeedEpisodePage.model_validate(page)  # the OpenAPI schema of the answer
    lines = client.get(EPISODES, params={"format": "ndjson"}, headers=headers)
    text = client.get(EPISODES, params={"format": "csv"}, headers=headers)

    assert lines.headers["content-type"] == "application/x-ndjson"
    ndjson = [orjson.loads(line) for line in lines.text.splitlines()]
    assert [list(row) for row in page["data"]] == [list(COLUMNS)] * 3
    assert ndjson == page["data"]
    assert text.headers["content-type"].startswith("text/csv")
    assert 'filename="rhi-episodes.csv"' in text.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert tuple(rows[0]) == COLUMNS
    assert [row["episode_id"] for row in rows] == [row["episode_id"] for row in page["data"]]
    assert rows[0]["out_of_area"] == "false" and rows[0]["found_at"] == ""


def test_a_csv_cell_that_would_run_as_a_formula_is_made_text(
        client: TestClient, db: Session) -> None:
    # Stored before any rule refused such values: the writer still neutralises them.
    add_episode(db, police_risk_grade='=HYPERLINK("x")',
                reported_by="@SUM(A1)", placement_authority="+44", legal_status="-1+2")

    answer = client.get(EPISODES, params={"format": "csv"}, headers=feed_key(db))

    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["police_risk_grade"] == '\'=HYPERLINK("x")'
    assert row["reported_by"] == "'@SUM(A1)"
    assert row["placement_authority"] == "'+44" and row["out_of_area"] == "true"
    assert row["legal_status"] == "'-1+2"


def test_paging_serves_every_episode_once_in_order_of_change(
        client: TestClient, db: Session) -> None:
    start = utcnow() - 5 * HOUR
    made = [add_episode(db, updated_at=start + timedelta(microseconds=i // 2))  # ties
            for i in range(7)]
    headers = feed_key(db)

    first = client.get(EPISODES, params={"limit": 3}, headers=headers).json()
    rows = pull(client, headers, limit=3)

    assert len(first["data"]) == 3 and first["next"]
    assert sorted(row["episode_id"] for row in rows) == sorted(str(e.id) for e in made)
    assert len(rows) == 7
    keys = [(row["updated_at"], UUID(row["episode_id"])) for row in rows]
    assert keys == sorted(keys)
    assert client.get(EPISODES, params={"limit": 7}, headers=headers).json()["next"] is None
    bad = client.get(EPISODES, params={"cursor": "not-a-cursor"}, headers=headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"


def test_updated_since_brings_changes_and_returns_whose_72_hours_ended_since(
        client: TestClient, db: Session) -> None:
    now = utcnow()
    old = add_episode(db, returned_at=now - 200 * HOUR, updated_at=now - 200 * HOUR)
    changed = add_episode(db, returned_at=now - 200 * HOUR, updated_at=now - HOUR)
    # Notified 75 hours ago and untouched since: its offer turned `not_met` 3 hours ago.
    lapsed = add_episode(db, returned_at=now - 75 * HOUR, updated_at=now - 75 * HOUR)
    headers = feed_key(db)

    since = format_timestamp(now - 10 * HOUR)
    rows = by_id(pull(client, headers, updated_since=since))

    assert set(rows) == {str(changed.id), str(lapsed.id)}
    assert rows[str(lapsed.id)]["offer_within_72h"] == "not_met"
    assert str(old.id) in by_id(pull(client, headers))
    later = pull(client, headers, updated_since=format_timestamp(now - 2 * HOUR))
    assert [row["episode_id"] for row in later] == [str(changed.id)]
    assert client.get(EPISODES, params={"updated_since": "yesterday"},
                      headers=headers).status_code == 422


def test_returned_from_and_to_select_returns_by_uk_date(
        client: TestClient, db: Session) -> None:
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time).
    april = add_episode(db, returned_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    add_episode(db, returned_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    add_episode(db, returned_at=None)
    rows = pull(client, feed_key(db), returned_from="2026-04-01", returned_to="2026-04-30")
    assert [row["episode_id"] for row in rows] == [str(april.id)]


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_tag(
        client: TestClient, db: Session, fmt: str) -> None:
    episode = add_episode(db)
    headers = feed_key(db)
    params = {"format": fmt}

    etag = client.get(EPISODES, params=params, headers=headers).headers["etag"]
    again = client.get(EPISODES, params=params, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag

    episode.offered_at, episode.updated_at = utcnow(), utcnow()
    db.commit()
    changed = client.get(EPISODES, params=params, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    if fmt != "json":  # a page's tag is its body's; a stream's names its filters too
        assert client.get(EPISODES, params={**params, "updated_since": "2026-01-01"},
                          headers=headers).headers["etag"] != changed.headers["etag"]


def test_the_streams_tag_changes_when_a_72_hour_deadline_passes(db: Session) -> None:
    now = utcnow()
    add_episode(db, returned_at=now - 71 * HOUR)
    filters = EpisodeFilters()

    before = episodes.fingerprint(db, "803", filters, now)
    after = episodes.fingerprint(db, "803", filters, now + 2 * HOUR)  # the 72 hours ended

    assert (before.count, before.last_updated_at) == (after.count, after.last_updated_at)
    assert before.passed_deadline is None and after.passed_deadline is not None
    assert before.etag("x") != after.etag("x")


def test_an_organisation_sees_only_episodes_visible_to_it(
        client: TestClient, db: Session) -> None:
    own = add_episode(db, "803")
    unrelated = add_episode(db, "802")
    allocated = add_episode(db, "802", allocated_org="803")
    notified = add_episode(db, "802", notified_by_org="803")

    seen = {row["episode_id"] for row in pull(client, feed_key(db, "803"))}
    theirs = {row["episode_id"] for row in pull(client, feed_key(db, "802"))}

    assert seen == {str(own.id), str(allocated.id), str(notified.id)}
    assert str(unrelated.id) not in client.get(
        EPISODES, params={"format": "csv"}, headers=feed_key(db, "803")).text
    assert theirs == {str(unrelated.id), str(allocated.id), str(notified.id)}


def test_a_second_notification_of_an_episode_is_served_once(
        client: TestClient, db: Session) -> None:
    first = add_episode(db, "803", local_id="TWICE-1")
    again = add_episode(db, "803", local_id="TWICE-1", notified_by_org="801",
                        started_at=first.started_at, duplicate_of=first.id)

    rows = pull(client, feed_key(db, "803"))

    assert [row["episode_id"] for row in rows] == [str(first.id)]
    for fmt in ("ndjson", "csv"):
        assert str(again.id) not in client.get(EPISODES, params={"format": fmt},
                                               headers=feed_key(db, "803")).text
    assert pull(client, feed_key(db, "801")) == []  # its own row is the duplicate


def test_nothing_identifying_reaches_any_format(client: TestClient, db: Session) -> None:
    secrets = ("LOCAL-7QX9Z", "POLREF-55501", "POLREF-66602", "Zephyrine", "Quillfeather",
               "2010-02-17", "ACCOUNT-Marmalade")
    record(db, child__local_id=secrets[0], child__given_name=secrets[3],
           child__family_name=secrets[4], child__date_of_birth=secrets[5],
           episodes__0__police_reference=secrets[1], interview__child_account=secrets[6])
    add_episode(db, local_id=secrets[0], police_reference=secrets[2],
                started_at=utcnow() - 30 * HOUR)
    db.commit()
    headers = feed_key(db)

    rows = pull(client, headers)
    assert len(rows) == 2 and all(row["child_key"] for row in rows)
    for fmt in ("json", "ndjson", "csv"):
        body = client.get(EPISODES, params={"format": fmt}, headers=headers).text
        assert not [secret for secret in secrets if secret in body], fmt
        assert "police_reference" not in body and "local_id" not in body


def test_every_pull_is_audited(client: TestClient, db: Session) -> None:
    add_episode(db)
    add_episode(db)
    headers = feed_key(db)
    tag = client.get(EPISODES, params={"format": "csv"}, headers=headers).headers["etag"]
    client.get(EPISODES, params={"format": "csv"}, headers={**headers, "If-None-Match": tag})
    client.get(EPISODES, params={"updated_since": "2026-01-01"}, headers=headers)

    entries = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.episodes")
                         .order_by(col(AuditEntry.id))).scalars().all()
    assert [entry.details for entry in entries] == [
        {"filters": {}, "format": "csv", "count": 2},
        {"filters": {}, "format": "csv", "count": 0, "not_modified": True},
        {"filters": {"updated_since": "2026-01-01T00:00:00Z"}, "format": "json", "count": 2,
         "page": False},
    ]


@pytest.mark.parametrize(("role", "status"), [
    ("analyst", 200), ("manager", 403), ("interviewer", 403), ("admin", 403)])
def test_an_analyst_may_pull_the_episode_feed_and_other_roles_may_not(
        client: TestClient, db: Session, role: str, status: int) -> None:
    sign_in(client, make_user(db, role))
    assert client.get(EPISODES).status_code == status


@pytest.mark.parametrize("scopes", [("submit",), ("returns",), ("notify",)])
def test_a_key_without_the_feed_scope_is_refused(
        client: TestClient, db: Session, scopes: tuple[str, ...]) -> None:
    assert client.get(EPISODES, headers=feed_key(db, scopes=scopes)).status_code == 403
    assert client.get(EPISODES).status_code == 401


def test_a_stream_reads_on_its_own_connection_and_lets_writers_carry_on(
        migrated_engine: Engine) -> None:
    if migrated_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock is what this is about")
    path = f"{tempfile.mkdtemp(prefix='rhi-episode-stream-')}/feed.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            for _ in range(5):
                record(session)
            session.commit()
        with Session(engine) as session:
            chunks = episodes.stream(session, "803", EpisodeFilters(), "ndjson", utcnow(),
                                     batch_size=2)
            first = next(chunks)  # the stream is open, part read
            writer = sqlite3.connect(path, timeout=0.5, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")  # "database is locked" if the stream held it
            writer.execute("UPDATE organisations SET name = name")
            writer.execute("COMMIT")
            writer.close()
            rest = b"".join(chunks)
    finally:
        engine.dispose()
    rows = [orjson.loads(line) for line in (first + rest).splitlines()]
    assert len({row["episode_id"] for row in rows}) == len(rows) == 5
