"""Keyset paging: every record once, and a record changed mid-pull again in its new version."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from app.core.types import utcnow
from app.feed import projection
from app.feed.models import FeedRow
from app.feed.service import Position, _after, _ordered, visible
from app.interviews import submissions
from app.record.models import Interview
from tests.builders import actor, make_document, record
from tests.feed.conftest import feed_key

FEED = "/api/v1/feed/interviews"


def many_records(db: Session, count: int) -> list[str]:
    """`count` submitted records, fast: one made through the service, the rest copied from it
    straight into the table (with ties on `updated_at`), then projected in bulk."""
    template = record(db)
    start = utcnow() - timedelta(hours=1)
    rows: list[dict[str, Any]] = []
    for i in range(count - 1):
        new_id = uuid4()
        document = {**template.document, "id": str(new_id),
                    "child": {**template.document["child"], "local_id": f"BULK-{i:05d}"}}
        rows.append({"id": new_id, "status": "submitted", "version": 1,
                     "recorded_by_org": "803", "responsible_authority": "803",
                     "document": document, "document_hash": "0" * 64,
                     "findings": template.findings, "created_at": start,
                     "updated_at": start + timedelta(microseconds=i // 3),  # ties, by design
                     "submitted_at": start})
    db.execute(insert(Interview), rows)
    assert projection.rebuild(db) == count - 1  # the template's row is already current
    db.commit()
    return [str(template.id), *(str(row["id"]) for row in rows)]


def test_paging_through_the_feed_while_records_change_loses_nothing(
        client: TestClient, db: Session) -> None:
    ids = many_records(db, 2500)
    headers = feed_key(db)
    first = client.get(FEED, params={"limit": 1000}, headers=headers)
    assert first.status_code == 200
    page = first.json()
    served = [(r["interview_id"], r["version"]) for r in page["data"]]
    assert len(served) == 1000 and page["next"]
    already_seen, not_yet_seen = served[10][0], ids[-1]
    assert not_yet_seen not in {i for i, _ in served}
    for changed in (already_seen, not_yet_seen):
        submissions.update_from_api(db, actor(), UUID(changed), make_document(id=changed), "*")
    db.commit()

    url = page["next"]
    while url:
        page = client.get(url, headers=headers).json()
        served += [(r["interview_id"], r["version"]) for r in page["data"]]
        url = page["next"]

    assert {i for i, _ in served} == set(ids)
    assert len(served) == 2501  # the record changed after it was served comes once more
    latest = dict(served)  # later entries win: the feed is in order of change
    assert latest[already_seen] == 2 and latest[not_yet_seen] == 2
    assert served.count((not_yet_seen, 1)) == 0
    assert served[-2:] == [(already_seen, 2), (not_yet_seen, 2)]


def test_the_last_page_has_no_next_link_and_pages_hold_the_limit(
        client: TestClient, db: Session) -> None:
    for _ in range(3):
        record(db)
    db.commit()
    headers = feed_key(db)
    first = client.get(FEED, params={"limit": 2}, headers=headers).json()
    assert len(first["data"]) == 2
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["limit"] == ["2"] and query["cursor"]
    second = client.get(first["next"], headers=headers).json()
    assert len(second["data"]) == 1 and second["next"] is None


def test_limits_and_cursors_are_checked(client: TestClient, db: Session) -> None:
    headers = feed_key(db)
    for limit in (0, 10_001, "many"):
        assert client.get(FEED, params={"limit": limit}, headers=headers).status_code == 422
    for cursor in ("not-a-cursor", "e30", "W1siMjAyNiJdXQ", "x" * 300):
        answer = client.get(FEED, params={"cursor": cursor}, headers=headers)
        assert answer.status_code in (400, 422), cursor
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(FEED, params={"limit": 10_000}, headers=headers).status_code == 200


def test_a_page_after_the_cursor_seeks_the_keyset_index(db: Session) -> None:
    if db.get_bind().dialect.name != "sqlite":
        return
    query = _ordered(select(col(FeedRow.json_line)).where(
        visible("803"), _after(Position(utcnow(), uuid4())))).limit(1000)
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_feed_rows_updated_at_interview_id" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order
