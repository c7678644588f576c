"""The summary's other tables of the board pack (issue 16): the register's episodes by the time
and day they started and by the repeat-missing group, the records' actions by type and status,
and the stage delays; each against figures worked out here from what the test made."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.core.london import LONDON
from app.core.types import utcnow
from tests.builders import record
from tests.feed.conftest import feed_key
from tests.feed.test_board_pack import notified

SUMMARY = "/api/v1/feed/summary"
Q1 = {"from": "2026-01-01", "to": "2026-03-31"}
BANDS = ("night", "morning", "afternoon", "evening")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Episode:
    """An episode the test made, as it knows it (hours after the return; None: not reached)."""

    child: str
    started: datetime
    returned: datetime | None
    told: float | None = None
    offered: float | None = None
    interviewed: float | None = None
    shared: float | None = None


@dataclass(frozen=True)
class Made:
    episodes: list[Episode]
    actions: list[tuple[str, str, bool]]  # (type, status at the time of the summary, outcome)


def notify(db: Session, child: str, start: str, hours_away: float | None,
           told: float) -> Episode:
    started = at(start)
    back = None if hours_away is None else started + timedelta(hours=hours_away)
    told_at = (back or started) + timedelta(hours=told)
    notified(db, child, moment(started), back=moment(back) if back else None,
             told=moment(told_at))
    return Episode(child, started, back, told if back else None)


def interviewed(db: Session, child: str, start: str, hours: tuple[float, float, float],
                actions: list[dict[str, Any]]) -> Episode:
    """A record of one episode of 6 hours, offered, interviewed and shared `hours` after the
    return (a record registers its episode; nobody notified it)."""
    started = at(start)
    back = started + timedelta(hours=6)
    offer, interview, share = hours
    record(db, child__local_id=child, episodes=[{
        "type": "missing", "started_at": moment(started), "returned_at": moment(back),
        "reported_to_police": True}],
        offer__offered_at=moment(back + timedelta(hours=offer)),
        interview__conducted_at=moment(back + timedelta(hours=interview)),
        sharing=[{"with": "social_worker", "at": moment(back + timedelta(hours=share))}],
        actions=actions)
    return Episode(child, started, back, None, offer, interview, share)


@pytest.fixture
def made(db: Session) -> Made:
    return make_register(db)


def make_register(db: Session) -> Made:
    """2026-Q1 (UK time is UTC): 6 children once each on Monday night; 2 children missing
    four Saturday evenings each (the repeat group); 7 children on Tuesday afternoon; one
    child still missing since Wednesday morning; and 6 records of Thursday afternoons with
    their follow-up actions."""
    episodes = [notify(db, f"NIGHT-{i}", "2026-01-05T02:00:00", 6, told=i + 1)
                for i in range(6)]
    episodes += [notify(db, f"REPEAT-{i}", f"2026-01-{day}T20:00:00", 10, told=1)
                 for i in range(2) for day in (10, 17, 24, 31)]
    episodes += [notify(db, f"TUESDAY-{i}", "2026-01-13T14:00:00", 4, told=10)
                 for i in range(7)]
    episodes.append(notify(db, "STILL-MISSING", "2026-03-11T09:00:00", None, told=1))
    actions: list[tuple[str, str, bool]] = []
    for i in range(6):
        started = at(f"2026-02-{5 + 7 * (i % 3):02d}T{12 + i // 3}:00:00")  # Thursdays
        back = started + timedelta(hours=6)
        todo = [{"type": "safety_plan", "status": "planned", "due_at": "2099-01-01T10:00:00Z"},
                {"type": "safety_plan", "status": "planned",
                 "due_at": moment(back + timedelta(days=2))},
                {"type": "follow_up_support", "status": "done",
                 "at": moment(back + timedelta(hours=12)), "outcome": "Seen twice."}]
        if i == 0:  # one more overdue, and one action of another type
            todo += [{"type": "safety_plan", "status": "planned",
                      "due_at": moment(back + timedelta(days=3))},
                     {"type": "other", "status": "done", "notes": "A home visit.",
                      "at": moment(back + timedelta(hours=13))}]
        episodes.append(interviewed(db, f"THURSDAY-{i}", moment(started),
                                    (1 + i, 20 + 2 * i, 40 + 10 * i), todo))
        actions += [(action["type"], status_now(action), "outcome" in action) for action in todo]
    # Another authority's child, the same quarter: never 803's.
    notified(db, "THEIRS", "2026-01-05T02:00:00Z", back="2026-01-05T04:00:00Z",
             told="2026-01-05T05:00:00Z", org="801")
    db.commit()
    return Made(episodes, actions)


def status_now(action: dict[str, Any]) -> str:
    """Where an action stands now: a planned one past its due date is overdue."""
    if action["status"] == "planned" and at(action["due_at"].rstrip("Z")) < utcnow():
        return "overdue"
    return str(action["status"])


def summary(client: TestClient, db: Session, **params: str) -> dict[str, Any]:
    response = client.get(SUMMARY, params={**Q1, **params}, headers=feed_key(db))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def episode_groups(client: TestClient, db: Session, group_by: str
                   ) -> dict[Any, dict[str, Any]]:
    body = summary(client, db, group_by=group_by)
    return {tuple(group["group"].values()) if "," in group_by else
            group["group"][group_by]: group for group in body["episode_groups"]}


def band(started: datetime) -> str:
    return BANDS[started.astimezone(LONDON).hour // 6]


def day(started: datetime) -> str:
    return DAYS[started.astimezone(LONDON).weekday()]


# --- the register's episodes ----------------------------------------------------------------------


def test_episodes_by_the_band_of_the_day_they_started(
        client: TestClient, db: Session, made: Made) -> None:
    expected = Counter(band(episode.started) for episode in made.episodes)
    assert expected == {"night": 6, "evening": 8, "afternoon": 13, "morning": 1}
    found = episode_groups(client, db, "time_of_day")
    assert list(found) == ["night", "morning", "afternoon", "evening"]  # the day's order
    # The morning's 1 is hidden, so the smallest other band (night, 6) is hidden too: the
    # bands add up to the quarter's 28 episodes.
    assert {key: group["episodes"] for key, group in found.items()} == {
        "night": None, "morning": None, "afternoon": 13, "evening": 8}
    assert found["afternoon"]["rates"] == {"share_of_episodes": round(13 / 28, 4)}
    assert found["night"]["rates"] == {"share_of_episodes": None}
    children = {key: len({e.child for e in made.episodes if band(e.started) == key})
                for key in expected}
    assert found["afternoon"]["children"] == children["afternoon"] == 13
    assert found["evening"]["children"] is None  # 2 children
    totals = summary(client, db, group_by="time_of_day")["episode_totals"]
    assert totals == {"episodes": 28, "children": 22, "suppressed": []}


def test_episodes_by_the_day_of_the_week_they_started(
        client: TestClient, db: Session, made: Made) -> None:
    expected = Counter(day(episode.started) for episode in made.episodes)
    assert expected == {"monday": 6, "saturday": 8, "tuesday": 7, "thursday": 6, "wednesday": 1}
    found = episode_groups(client, db, "day_of_week")
    # Wednesday's 1 hides the smallest other: Monday and Thursday hold 6, Monday comes first.
    assert {key: group["episodes"] for key, group in found.items()} == {
        "monday": None, "tuesday": 7, "wednesday": None, "thursday": 6, "saturday": 8}


def test_the_children_missing_repeatedly_and_their_episodes(
        client: TestClient, db: Session, made: Made) -> None:
    per_child = Counter(episode.child for episode in made.episodes)
    repeat = {child for child, n in per_child.items() if n >= 3}
    assert repeat == {"REPEAT-0", "REPEAT-1"}
    found = episode_groups(client, db, "repeat_missing")
    assert list(found) == [True, False]
    # 2 children are hidden, so the other 20 are too (22 children); the episodes, 8 and 20,
    # are shown.
    assert [(found[key]["children"], found[key]["episodes"]) for key in (True, False)] == [
        (None, sum(per_child[c] for c in repeat)), (None, len(made.episodes) - 8)]
    assert found[True]["rates"] == {"share_of_episodes": round(8 / 28, 4)}


def test_episode_groupings_combine(client: TestClient, db: Session, made: Made) -> None:
    found = episode_groups(client, db, "repeat_missing,time_of_day")
    expected = Counter((episode.child.startswith("REPEAT"), band(episode.started))
                       for episode in made.episodes)
    assert set(found) == set(expected)
    for key, group in found.items():
        assert group["episodes"] in (expected[key], None), key
    assert found[(False, "afternoon")]["episodes"] == 13


# --- the records' actions -------------------------------------------------------------------------


def action_groups(client: TestClient, db: Session, group_by: str
                  ) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    body = summary(client, db, group_by=group_by)
    assert "episode_groups" not in body
    return ({tuple(group["group"].values()): group for group in body["action_groups"]},
            body["action_totals"])


def test_actions_by_where_they_stand(client: TestClient, db: Session, made: Made) -> None:
    states = Counter(status for _, status, _ in made.actions)
    outcomes = Counter(status for _, status, outcome in made.actions if outcome)
    assert states == {"planned": 6, "overdue": 7, "done": 7}
    found, totals = action_groups(client, db, "action_status")
    assert {key: (group["actions"], group["with_outcome"]) for key, group in found.items()} == {
        ("planned",): (6, 0), ("overdue",): (7, 0), ("done",): (7, outcomes["done"])}
    assert totals == {"actions": 20, "with_outcome": 6, "suppressed": []}


def test_actions_by_type_with_small_numbers_suppressed_as_in_the_board_pack(
        client: TestClient, db: Session, made: Made) -> None:
    types = Counter(kind for kind, _, _ in made.actions)
    assert types == {"safety_plan": 13, "follow_up_support": 6, "other": 1}
    found, _ = action_groups(client, db, "action_type")
    # The one `other` action is hidden, so the smallest other type is too (20 actions).
    assert {key: group["actions"] for key, group in found.items()} == {
        ("safety_plan",): 13, ("follow_up_support",): None, ("other",): None}
    assert "with_outcome" not in found[("safety_plan",)]  # counted per status only
    cells, _ = action_groups(client, db, "action_type,action_status")
    both = Counter((kind, status) for kind, status, _ in made.actions)
    assert set(cells) == set(both)
    assert {key: group["actions"] for key, group in cells.items()} == {
        ("safety_plan", "planned"): 6, ("safety_plan", "overdue"): 7,
        ("follow_up_support", "done"): None, ("other", "done"): None}


# --- stage delays ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """PERCENTILE.INC, from the standard library."""
    if share == 0.5:
        return statistics.median(values)
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def test_stage_delays_are_the_registers_returns_hours_to_each_stage(
        client: TestClient, db: Session, made: Made) -> None:
    body = summary(client, db, stage_delays="true")
    delays = body["coverage"]["stage_delays"]
    for stage in ("told", "offered", "interviewed", "shared"):
        hours = [float(getattr(e, stage)) for e in made.episodes
                 if e.returned and getattr(e, stage) is not None]
        figures = delays["notified" if stage == "told" else stage]
        assert figures == {"returns": len(hours),
                           "median_hours": round(percentile(hours, 0.5), 1),
                           "p90_hours": round(percentile(hours, 0.9), 1)}, stage
    assert delays["notified"]["returns"] == 21 and delays["offered"]["median_hours"] == 3.5
    assert "stage_delays" not in summary(client, db)["coverage"]


def test_a_stage_reached_by_few_returns_shows_no_hours(
        client: TestClient, db: Session) -> None:
    notify(db, "ONE", "2026-01-05T02:00:00", 6, told=2)
    db.commit()
    delays = summary(client, db, stage_delays="true")["coverage"]
    assert delays["stage_delays"]["notified"] == {"returns": None, "median_hours": None,
                                                  "p90_hours": None}
    assert delays["stage_delays"]["offered"] == {"returns": 0, "median_hours": None,
                                                 "p90_hours": None}
    assert "stage_delays.notified.returns" in delays["suppressed"]
    rows = list(csv.DictReader(io.StringIO(client.get(SUMMARY, params={
        **Q1, "stage_delays": "true", "format": "csv", "table": "coverage"},
        headers=feed_key(db)).text)))
    assert [rows[0][f"stage_delays.{stage}.median_hours"] for stage in ("notified", "offered")
            ] == ["c", "z"]


# --- as CSV, and what is refused -----------------------------------------------------------------


def test_each_table_as_csv(client: TestClient, db: Session, made: Made) -> None:
    def table(**params: str) -> list[dict[str, str]]:
        response = client.get(SUMMARY, params={**Q1, "format": "csv", **params},
                              headers=feed_key(db))
        assert response.status_code == 200, response.text
        return list(csv.DictReader(io.StringIO(response.text)))

    assert table(group_by="day_of_week", table="episode_groups") == [
        {"day_of_week": key, "episodes": episodes, "children": children,
         "rates.share_of_episodes": share}
        for key, episodes, children, share in (
            ("monday", "c", "6", "c"), ("tuesday", "7", "7", str(round(7 / 28, 4))),
            ("wednesday", "c", "c", "c"), ("thursday", "6", "6", str(round(6 / 28, 4))),
            ("saturday", "8", "c", str(round(8 / 28, 4))))]
    assert table(group_by="repeat_missing", table="episode_totals") == [
        {"from": "2026-01-01", "to": "2026-03-31", "episodes": "28", "children": "22"}]
    assert table(group_by="action_status", table="action_groups")[1] == {
        "action_status": "overdue", "actions": "7", "with_outcome": "0"}
    assert table(group_by="action_type", table="action_totals") == [
        {"from": "2026-01-01", "to": "2026-03-31", "actions": "20", "with_outcome": "6"}]


@pytest.mark.parametrize(("params", "pointer"), [
    ({"format": "csv", "table": "episode_groups"}, "/query/table"),
    ({"format": "csv", "table": "action_totals", "group_by": "time_of_day"}, "/query/table"),
    ({"table": "everything"}, "/query/table"),
    ({"stage_delays": "maybe"}, "/query/stage_delays"),
])
def test_a_table_without_its_grouping_is_a_problem(
        client: TestClient, db: Session, params: dict[str, str], pointer: str) -> None:
    response = client.get(SUMMARY, params=params, headers=feed_key(db))
    assert response.status_code == 422
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]


def test_another_authoritys_episodes_are_never_counted(
        client: TestClient, db: Session, made: Made) -> None:
    theirs = client.get(SUMMARY, params={**Q1, "group_by": "time_of_day"},
                        headers=feed_key(db, "801")).json()
    assert [group["group"] for group in theirs["episode_groups"]] == [{"time_of_day": "night"}]
    assert theirs["episode_totals"]["episodes"] is None  # their one episode: a small number


def test_the_audit_log_says_which_tables_were_read(
        client: TestClient, db: Session, made: Made) -> None:
    summary(client, db, group_by="time_of_day", stage_delays="true")
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "feed.summary")
                       ).scalar_one()
    assert entry.details == {"date_from": "2026-01-01", "date_to": "2026-03-31",
                             "group_by": ["time_of_day"], "format": "json", "groups": 1,
                             "episode_groups": 4, "stage_delays": True}
