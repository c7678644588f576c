"""Coverage per return: the summary and the quarterly report count the register's returns, each
once, with or without a record, judged as the episode feed judges them."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.core.london import london_day, london_midnight
from app.core.types import utcnow
from app.feed.summary import COVERAGE_NAMES, COVERAGE_RATES, coverage_counts
from app.record.models import RegisterEpisode
from app.standards import CURRENT, Result, episode_findings
from tests.builders import make_user, record, sign_in
from tests.feed.conftest import feed_key
from tests.feed.test_episode_feed import HOUR, add_episode

SUMMARY = "/api/v1/feed/summary"
REPORT = "/reports/quarterly"
DUE = timedelta(hours=CURRENT.offer_hours)
TICK = timedelta(microseconds=1)


def counts(db: Session, org: str = "803", date_from: date | None = None,
           date_to: date | None = None) -> dict[str, int]:
    return coverage_counts(db.connection(), org, date_from=date_from, date_to=date_to,
                           now=utcnow())


def varied_returns(db: Session) -> None:
    """Returns in every state the standards tell apart, edges to the microsecond included."""
    now = utcnow()
    back = now - 100 * HOUR
    add_episode(db, returned_at=now - HOUR)  # no offer yet: pending
    add_episode(db, returned_at=now - 80 * HOUR)  # no offer, 72 hours over: not met
    add_episode(db, returned_at=back, offered_at=back + DUE)  # offered on the deadline: met
    add_episode(db, returned_at=back, offered_at=back + DUE + TICK)  # a microsecond late
    add_episode(db, returned_at=back + timedelta(microseconds=999_999),
                offered_at=back + DUE + timedelta(microseconds=999_999))  # met, to the µs
    add_episode(db, returned_at=back, offered_at=back - HOUR)  # offered before the return
    add_episode(db, returned_at=back, offer_outcome="not_offered")
    add_episode(db, returned_at=back, offer_outcome="declined", offered_at=back + HOUR)
    add_episode(db, returned_at=back, offer_outcome="not_achieved")
    add_episode(db, returned_at=back, offer_outcome="completed", offered_at=back + HOUR,
                conducted_at=back + DUE)  # completed on the deadline
    add_episode(db, returned_at=back, offer_outcome="completed", offered_at=back + HOUR,
                conducted_at=back + DUE + TICK)  # completed a microsecond late
    add_episode(db, returned_at=now - 2 * HOUR, offered_at=now - HOUR)
    add_episode(db, returned_at=None)  # still missing


def test_coverage_counts_each_return_as_the_standards_judge_it(db: Session) -> None:
    varied_returns(db)
    now = utcnow()
    returns = [e for e in db.execute(select(RegisterEpisode)).scalars()
               if e.returned_at is not None]
    offers = Counter(episode_findings(e, CURRENT, now)[0].result for e in returns)
    interviews = Counter(episode_findings(e, CURRENT, now)[1].result for e in returns)
    outcomes = Counter(e.offer_outcome for e in returns)

    found = counts(db)

    assert found["returns"] == len(returns) == 12 and found["still_missing"] == 1
    assert found["episodes"] == 13 and found["children"] == 12
    assert (found["offered_within_72h"], found["offer_pending"], found["offer_not_met"]) == (
        offers[Result.MET], offers[Result.PENDING], offers[Result.NOT_MET]) == (7, 1, 4)
    assert found["completed_within_72h"] == interviews[Result.MET] == 1
    assert {name: found[f"outcomes.{name}"] for name in
            ("completed", "declined", "not_achieved", "not_offered")} == {
        "completed": 2, "declined": 1, "not_achieved": 1, "not_offered": 1}
    assert found["outcomes.no_outcome_yet"] == outcomes[None] == 7


def test_sqlite_stores_instants_as_the_text_the_sql_deadline_reads(db: Session) -> None:
    # `PlusHours` moves the whole seconds of this text and keeps its fraction.
    if db.get_bind().dialect.name != "sqlite":
        return
    add_episode(db, returned_at=datetime(2026, 3, 29, 0, 30, 59, 999_999, tzinfo=UTC))
    stored = db.execute(text("SELECT returned_at FROM register_episodes")).scalar_one()
    assert stored == "2026-03-29 00:30:59.999999"


def test_returns_are_counted_in_the_period_of_their_uk_date(db: Session) -> None:
    add_episode(db, returned_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))  # 1 April in UK
    add_episode(db, returned_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    add_episode(db, returned_at=None, started_at=datetime(2026, 4, 2, 9, tzinfo=UTC))
    add_episode(db, returned_at=None, started_at=datetime(2026, 7, 2, 9, tzinfo=UTC))
    q2 = counts(db, date_from=date(2026, 4, 1), date_to=date(2026, 6, 30))
    assert (q2["returns"], q2["still_missing"], q2["episodes"]) == (1, 1, 2)
    q1 = counts(db, date_from=date(2026, 1, 1), date_to=date(2026, 3, 31))
    assert (q1["returns"], q1["still_missing"]) == (1, 0)


def test_another_organisations_returns_are_not_counted(
        client: TestClient, db: Session) -> None:
    for _ in range(7):
        add_episode(db, "802")
    add_episode(db, "802", allocated_org="803")
    assert counts(db, "803")["returns"] == 1
    assert counts(db, "802")["returns"] == 8
    coverage = client.get(SUMMARY, headers=feed_key(db, "803")).json()["coverage"]
    assert coverage["returns"] is None and "returns" in coverage["suppressed"]  # 1: hidden
    theirs = client.get(SUMMARY, headers=feed_key(db, "802")).json()["coverage"]
    assert theirs["returns"] == 8


def test_a_return_notified_twice_is_counted_once(db: Session) -> None:
    first = add_episode(db, local_id="TWICE-2")
    add_episode(db, local_id="TWICE-2", notified_by_org="801", started_at=first.started_at,
                duplicate_of=first.id)
    assert (counts(db, "803")["returns"], counts(db, "803")["children"]) == (1, 1)
    assert counts(db, "801")["returns"] == 0


def test_the_register_counts_an_episode_two_records_cover_once(
        client: TestClient, db: Session) -> None:
    # Six children, each interviewed by 803 and again by 801 for the same episode.
    for i in range(6):
        for org in ("803", "801"):
            record(db, org, child__local_id=f"TWO-RECORDS-{i}")
    db.commit()

    answer = client.get(SUMMARY, params={"from": "2026-03-01", "to": "2026-03-31"},
                        headers=feed_key(db)).json()

    [group] = answer["groups"]
    assert (group["episodes"], group["interviews"], group["children"]) == (12, 12, 6)
    coverage = answer["coverage"]
    assert (coverage["episodes"], coverage["returns"], coverage["children"]) == (6, 6, 6)
    assert coverage["offered_within_72h"] == 6 and coverage["completed_within_72h"] == 6
    assert coverage["outcomes"]["completed"] == 6
    assert coverage["rates"] == {"offered_within_72h": 1.0, "completed_within_72h": 1.0}


def test_the_summary_keeps_its_keys_and_adds_coverage_with_small_numbers_suppressed(
        client: TestClient, db: Session, quarters: None) -> None:
    now = utcnow()
    for _ in range(7):
        add_episode(db, returned_at=now - 80 * HOUR)  # never offered
    add_episode(db, returned_at=now - HOUR)  # pending

    answer = client.get(SUMMARY, params={"group_by": "quarter"}, headers=feed_key(db)).json()

    assert list(answer) == ["from", "to", "group_by", "standard_set", "groups", "coverage"]
    assert answer["groups"][0]["episodes"] == 10  # the records' episodes, as before
    coverage = answer["coverage"]
    assert coverage["returns"] == 17 + 8 and coverage["children"] == 16 + 8
    assert coverage["offer_pending"] is None  # 1
    assert coverage["offered_within_72h"] == 17
    assert coverage["outcomes"] == {"completed": 15, "declined": None, "not_achieved": 0,
                                    "not_offered": 0, "no_outcome_yet": None}
    # One hidden in a set that adds up to `returns`: the next smallest goes too.
    assert coverage["suppressed"] == ["offer_pending", "offer_not_met", "outcomes.declined",
                                      "outcomes.no_outcome_yet"]
    assert coverage["rates"]["offered_within_72h"] == round(17 / 25, 4)


def test_the_coverage_csv_is_one_row_with_c_for_suppressed(
        client: TestClient, db: Session) -> None:
    for _ in range(3):
        add_episode(db)
    answer = client.get(SUMMARY, params={"format": "csv", "table": "coverage",
                                         "from": "2026-01-01"}, headers=feed_key(db))
    assert answer.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(row) == ("from", "to", *COVERAGE_NAMES, *COVERAGE_RATES)
    assert (row["from"], row["to"]) == ("2026-01-01", "")
    assert row["returns"] == "c" and row["still_missing"] == "0"
    assert row["rates.offered_within_72h"] == "c"
    groups = client.get(SUMMARY, params={"format": "csv"}, headers=feed_key(db)).text
    assert "returns" not in groups.splitlines()[0]  # the groups' CSV is as it was
    assert client.get(SUMMARY, params={"format": "csv", "table": "people"},
                      headers=feed_key(db)).status_code == 422


COVERAGE_FIGURE = re.compile(r'data-coverage="([^"]+)">([^<]*)<')


def test_the_report_shows_the_coverage_of_returns_as_the_api_counts_it(
        client: TestClient, db: Session) -> None:
    today = london_day(utcnow())
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    now = utcnow()
    # Returned in this quarter, in the last hours: 8 not offered yet, 6 offered.
    back = max(now - 2 * HOUR, london_midnight(start))
    for _ in range(8):
        add_episode(db, returned_at=back)
    for _ in range(6):
        add_episode(db, returned_at=back, offered_at=now)
    sign_in(client, make_user(db, "analyst"))

    page = client.get(REPORT, params={"period": quarter})

    assert page.status_code == 200
    shown = dict(COVERAGE_FIGURE.findall(page.text))
    api = client.get(SUMMARY, headers=feed_key(db), params={
        "from": start.isoformat(), "to": today.isoformat()}).json()["coverage"]

    def as_shown(name: str) -> str:
        node: Any = api
        for part in name.split("."):
            node = node[part]
        if node is None:
            return "c"
        return f"{round(node * 100)}%" if name.startswith("rates.") else f"{node:,}"

    assert shown and all(text == as_shown(name) for name, text in shown.items())
    assert shown["returns"] == "14" and shown["offered_within_72h"] == "6"
    assert shown["offer_pending"] == "8" and shown["rates.offered_within_72h"] == "43%"
    assert "Coverage of returns" in page.text
    link = f"/reports/quarterly/coverage.csv?period={quarter}"
    assert f'href="{link}"' in page.text
    rows = {row["name"]: row["value"]
            for row in csv.DictReader(io.StringIO(client.get(link).text))}
    assert rows["returns"] == "14" and rows["outcomes.no_outcome_yet"] == "14"
    assert list(rows) == list(COVERAGE_NAMES)
