"""The summary: counts per group from SQL, suppressed for publication, as JSON and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.db import sqlite_reader
from app.feed.models import SUMMARY_INDEX, FeedRow
from app.feed.service import narrow, visible
from app.feed.summary import COUNT_NAMES, RATES
from tests.builders import record
from tests.feed.conftest import feed_key
from tests.feed.test_formats import CSE, _let_deadline_pass

SUMMARY = "/api/v1/feed/summary"
def groups(client: TestClient, db: Session, **params: str) -> list[dict[str, Any]]:
    answer = client.get(SUMMARY, params=params, headers=feed_key(db))
    assert answer.status_code == 200, answer.text
    result: list[dict[str, Any]] = answer.json()["groups"]
    return result


def test_counts_per_quarter_with_small_numbers_suppressed(
        client: TestClient, db: Session, quarters: None) -> None:
    first, second = groups(client, db, group_by="quarter")
    assert first["group"] == {"quarter": "2026-Q1"}
    assert (first["episodes"], first["children"], first["interviews"]) == (10, 9, 10)
    assert first["out_of_area"] == 10
    # 2 declined is hidden; 10 - 0 - 0 - completed would give it away, so completed goes too.
    assert first["outcomes"] == {"completed": None, "declined": None, "not_achieved": 0,
                                 "not_offered": 0}
    assert first["suppressed"][:2] == ["outcomes.completed", "outcomes.declined"]
    assert first["offered_within_72h"] == 10 and first["completed_within_72h"] == 8
    assert first["rates"] == {"offered_within_72h": 1.0, "completed_within_72h": 0.8}
    offer = first["standards"]["offer-within-72h"]
    assert offer == {"applicable": 10, "met": 10, "not_met": 0, "pending": 0, "share_met": 1.0}
    assert first["standards"]["attempts-recorded"]["applicable"] is None  # 2 declined
    assert first["standards"]["attempts-recorded"]["share_met"] is None
    assert first["push_factors"]["family_conflict"] == 8
    assert first["push_factors"]["bullying"] == 0
    assert first["pull_factors"]["peer_pressure"] == 8
    assert first["action_types"]["follow_up_support"] == 10
    assert second["group"] == {"quarter": "2026-Q2"}
    assert second["interviews"] == 7 and second["out_of_area"] == 0
    # The quarters add up to the total without them (15 completed): with Q1's 8 hidden, Q2's 7
    # would give it away, so it is hidden too (across the groups, as a table's rows are).
    assert second["outcomes"]["completed"] is None
    assert second["suppressed"] == ["outcomes.completed"]


def test_groups_combine_and_dates_select_the_period(
        client: TestClient, db: Session, quarters: None) -> None:
    found = groups(client, db, group_by="month,out_of_area,responsible_authority")
    assert [g["group"] for g in found] == [
        {"month": "2026-02", "out_of_area": True, "responsible_authority": "803"},
        {"month": "2026-03", "out_of_area": True, "responsible_authority": "803"},
        {"month": "2026-04", "out_of_area": False, "responsible_authority": "803"},
    ]
    # February's 1 is hidden; March's 9 with it, since the months of the out-of-area records
    # add up to their 10 (April's 7 is the only record not out of area: nothing to hide).
    assert [g["interviews"] for g in found] == [None, None, 7]
    april = groups(client, db, **{"from": "2026-04-01", "to": "2026-04-30"})
    assert len(april) == 1 and april[0]["group"] == {} and april[0]["interviews"] == 7
    assert groups(client, db, **{"from": "2026-03-01", "to": "2026-03-31",
                                 "group_by": "age_band,gender,legal_status"})[0]["group"] == {
        "age_band": "13_to_15", "gender": "female", "legal_status": "looked_after"}
    assert groups(client, db, **{"to": "2026-01-31"}) == []


def test_csv_has_a_column_per_count_with_c_for_suppressed(
        client: TestClient, db: Session, quarters: None) -> None:
    answer = client.get(SUMMARY, params={"group_by": "quarter", "format": "csv"},
                        headers=feed_key(db))
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == ("quarter", *COUNT_NAMES, *RATES)
    first = rows[0]
    assert first["quarter"] == "2026-Q1"
    assert first["outcomes.declined"] == "c" and first["outcomes.completed"] == "c"
    assert first["outcomes.not_offered"] == "0" and first["interviews"] == "10"
    assert first["standards.attempts-recorded.share_met"] == "c"
    assert rows[1]["standards.attempts-recorded.share_met"] == "z"  # none applicable
    assert first["rates.completed_within_72h"] == "0.8"


def test_a_pending_finding_past_its_deadline_counts_as_not_met(
        client: TestClient, db: Session) -> None:
    made = [record(db, **CSE) for _ in range(12)]
    db.commit()
    oversight = groups(client, db)[0]["standards"]["manager-oversight"]
    assert oversight == {"applicable": 12, "met": 0, "not_met": 0, "pending": 12,
                         "share_met": 0.0}
    for interview in made[:6]:
        _let_deadline_pass(db, interview, "manager-oversight")
    oversight = groups(client, db)[0]["standards"]["manager-oversight"]
    assert oversight == {"applicable": 12, "met": 0, "not_met": 6, "pending": 6,
                         "share_met": 0.0}


@pytest.mark.parametrize("params", [
    {"group_by": "postcode"},
    {"group_by": "quarter,quarter"},
    {"from": "2026-13-01"},
    {"from": "1 April 2026"},
    {"to": "9999-12-31"},
    {"from": "2026-04-01", "to": "2026-03-01"},
    {"format": "xlsx"},
])
def test_summary_parameters_are_checked(client: TestClient, db: Session,
                                        params: dict[str, str]) -> None:
    answer = client.get(SUMMARY, params=params, headers=feed_key(db))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_summaries_are_audited(client: TestClient, db: Session, quarters: None) -> None:
    client.get(SUMMARY, params={"group_by": "quarter", "from": "2026-01-01"},
               headers=feed_key(db))
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.summary")
                       ).scalar_one()
    assert entry.details == {"date_from": "2026-01-01", "date_to": None,
                             "group_by": ["quarter"], "format": "json", "groups": 2}


def test_on_sqlite_every_grouping_is_counted_from_the_narrow_index(db: Session) -> None:
    # Without the hint SQLite's planner scans the 5 KB rows for any grouping but quarter first.
    if db.get_bind().dialect.name != "sqlite":
        return
    reader = sqlite_reader(db.get_bind().engine.url)
    query = narrow(select(col(FeedRow.period_month), func.count(),
                          func.count(func.distinct(FeedRow.child_key)))
                   .where(visible("803")).group_by(col(FeedRow.period_month)))
    compiled = query.compile(dialect=reader.dialect, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert f"COVERING INDEX {SUMMARY_INDEX}" in plan
