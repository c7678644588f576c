"""The summary API and the published board pack agree (issue 16): for the same quarter, every
figure of every table of the pack is the API's, suppressed the same way, read from the API as
an analyst would (each table's `group_by`, `stage_delays=true`, `placed_out_of_area=true`,
the totals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.types import utcnow
from app.feed import board_pack, pages
from tests.feed.conftest import feed_key
from tests.feed.test_board_pack import (  # noqa: F401 - the pack's own datasets
    dataset,
    placed_out_of_area,
)
from tests.feed.test_summary_episodes_and_actions import make_register
from tests.feed.test_summary_groupings import make_records

SUMMARY = "/api/v1/feed/summary"
Q1 = {"from": "2026-01-01", "to": "2026-03-31"}
# The pack's differences between groups: table → the summary's grouping.
DIFFERENCES = {"by-age-band": "age_band", "by-gender": "gender", "by-ethnicity": "ethnicity",
               "by-disability": "disability_or_send", "by-uasc": "uasc",
               "by-placement-type": "placement_type"}
Cells = dict[str, str]


def count(value: int | None) -> str:
    return "c" if value is None else str(value)


def share(numerator: int | None, denominator: int | None) -> str:
    if numerator is None or denominator is None:
        return "c"
    return "z" if denominator == 0 else str(round(numerator / denominator, 4))


def hours(returns: int | None, value: float | None) -> str:
    if returns is None:
        return "c"
    return "z" if value is None else f"{value:.1f}"


def the_pack(db: Session) -> Cells:
    """Every figure of the published pack as its CSVs hold it: `table.row.column`."""
    pack = board_pack.build(db, "803", pages.Quarter(2026, 1), "published", utcnow())
    return {f"{table.name}.{row.key}.{column.name}": cell.value
            for table in pack.tables.values() for row in table.rows
            for column, cell in zip(table.columns, row.cells, strict=True)}


def the_api(get: Callable[..., dict[str, Any]], pack: Cells) -> Cells:
    """The same figures, from the API."""
    out: Cells = {}
    # Stage delays: `coverage.stage_delays`.
    for stage, figures in get(stage_delays="true")["coverage"]["stage_delays"].items():
        out[f"stage-delays.{stage}.returns"] = count(figures["returns"])
        for column in ("median_hours", "p90_hours"):
            out[f"stage-delays.{stage}.{column}"] = hours(figures["returns"], figures[column])
    # The register's episodes: `episode_groups` and `episode_totals`.
    for table, grouping, keys in (("time-of-day", "time_of_day", board_pack.BANDS),
                                  ("day-of-week", "day_of_week", board_pack.DAYS)):
        body = get(group_by=grouping)
        total = body["episode_totals"]["episodes"]
        found = {g["group"][grouping]: g["episodes"] for g in body["episode_groups"]}
        for key, _ in keys:
            episodes = found.get(key, 0)
            out[f"{table}.{key}.episodes"] = count(episodes)
            out[f"{table}.{key}.share"] = share(episodes, total)
        out[f"{table}.all.episodes"], out[f"{table}.all.share"] = count(total), share(total,
                                                                                      total)
    body = get(group_by="repeat_missing")
    totals = body["episode_totals"]
    found_groups = {g["group"]["repeat_missing"]: g for g in body["episode_groups"]}
    for key, flag in (("repeat", True), ("other", False)):
        group = found_groups.get(flag, {"children": 0, "episodes": 0})
        out[f"repeat-missing.{key}.children"] = count(group["children"])
        out[f"repeat-missing.{key}.episodes"] = count(group["episodes"])
        out[f"repeat-missing.{key}.share_of_episodes"] = share(group["episodes"],
                                                               totals["episodes"])
    out["repeat-missing.all.children"] = count(totals["children"])
    out["repeat-missing.all.episodes"] = count(totals["episodes"])
    out["repeat-missing.all.share_of_episodes"] = share(totals["episodes"], totals["episodes"])
    # Places: the records grouped by district (the pack shows the ten with the most).
    for table, grouping, column, name in (
            ("found-districts", "found_district", "episodes", "episodes"),
            ("place-districts", "location_district", "records", "interviews")):
        for group in get(group_by=grouping)["groups"]:
            key = f"{table}.{group['group'][grouping]}.{column}"
            if key in pack:
                out[key] = count(group[name])
    # Declines: declined records by whether a reason is written; all declined records.
    declined = {g["group"]["decline_reason_given"]: g["outcomes"]["declined"]
                for g in get(group_by="decline_reason_given")["groups"]}
    total = get()["groups"][0]["outcomes"]["declined"]
    for key, given in (("reason_given", True), ("no_reason", False)):
        out[f"declined.{key}.records"] = count(declined.get(given, 0))
        out[f"declined.{key}.share"] = share(declined.get(given, 0), total)
    out["declined.declined.records"], out["declined.declined.share"] = count(total), share(
        total, total)
    # Actions: `action_groups` and `action_totals`.
    body = get(group_by="action_status")
    for group in body["action_groups"]:
        status = group["group"]["action_status"]
        out[f"actions-by-status.{status}.actions"] = count(group["actions"])
        out[f"actions-by-status.{status}.with_outcome"] = count(group["with_outcome"])
    for status, _ in board_pack.ACTION_STATES:
        out.setdefault(f"actions-by-status.{status}.actions", "0")
        out.setdefault(f"actions-by-status.{status}.with_outcome", "0")
    out["actions-by-status.all.actions"] = count(body["action_totals"]["actions"])
    out["actions-by-status.all.with_outcome"] = count(body["action_totals"]["with_outcome"])
    kinds = [g["group"]["action_type"] for g in get(group_by="action_type")["action_groups"]]
    for group in get(group_by="action_type")["action_groups"]:
        out[f"actions-by-type.{group['group']['action_type']}.actions"] = count(group["actions"])
    cells = {(g["group"]["action_type"], g["group"]["action_status"]): g["actions"]
             for g in get(group_by="action_type,action_status")["action_groups"]}
    for kind in kinds:
        for status, _ in board_pack.ACTION_STATES:
            out[f"actions-by-type.{kind}.{status}"] = count(cells.get((kind, status), 0))
    # Looked-after children placed out of area (Protect 2): `coverage.placed_out_of_area`.
    placed = get(placed_out_of_area="true")["coverage"]["placed_out_of_area"]
    for figure, by in placed.items():
        for where, value in by.items():
            out[f"out-of-area.{figure}.{where}"] = count(value)
        out[f"out-of-area.{figure}.share_of_returns"] = (
            "z" if figure == "children" else share(by["all"], placed["returns"]["all"]))
    # Differences between groups: the records' groups, and the quarter's records for "all".
    everyone = get()["groups"][0]
    for table, grouping in DIFFERENCES.items():
        rows = [(g["group"][grouping], g) for g in get(group_by=grouping)["groups"]]
        for value, group in [*rows, ("all", everyone)]:
            key = ("not_recorded" if value is None else str(value).lower()
                   if isinstance(value, bool) else value)
            records = group["interviews"]
            for column, figure in (
                    ("records", count(records)), ("episodes", count(group["episodes"])),
                    ("offered_within_72h", count(group["offered_within_72h"])),
                    ("share_offered_within_72h", share(group["offered_within_72h"], records)),
                    ("completed_within_72h", count(group["completed_within_72h"])),
                    ("share_completed_within_72h", share(group["completed_within_72h"],
                                                         records))):
                out[f"{table}.{key}.{column}"] = figure
    return out


@pytest.fixture
def getter(client: TestClient, db: Session) -> Callable[..., dict[str, Any]]:
    headers = feed_key(db)

    def get(**params: str) -> dict[str, Any]:
        response = client.get(SUMMARY, params={**Q1, **params}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return get


def test_a_quarter_of_many_records_and_episodes(
        db: Session, getter: Callable[..., dict[str, Any]]) -> None:
    make_records(db)
    make_register(db)
    pack = the_pack(db)
    api = the_api(getter, pack)
    assert api == pack
    # Not all hidden, not none: the comparison is worth something.
    assert 20 < sum(value == "c" for value in pack.values()) < len(pack) // 2


def test_a_quarter_of_small_numbers(
        db: Session, getter: Callable[..., dict[str, Any]], dataset: None) -> None:  # noqa: F811
    pack = the_pack(db)
    assert the_api(getter, pack) == pack


def test_the_protect_2_figures_are_the_packs(
        client: TestClient, db: Session, placed_out_of_area: None) -> None:  # noqa: F811
    pack = board_pack.build(db, "803", pages.Quarter(2025, 4), "published", utcnow())
    table = pack.tables["out-of-area"]
    expected = {f"{row.key}.{column.name}": cell.value for row in table.rows
                for column, cell in zip(table.columns, row.cells, strict=True)
                if column.name != "share_of_returns"}
    response = client.get(SUMMARY, params={"from": "2025-10-01", "to": "2025-12-31",
                                           "placed_out_of_area": "true"},
                          headers=feed_key(db))
    assert response.status_code == 200, response.text
    placed = response.json()["coverage"]["placed_out_of_area"]
    assert {f"{figure}.{where}": count(value) for figure, by in placed.items()
            for where, value in by.items()} == expected
    # The quarter has returns of children placed out of area in both directions.
    assert placed["returns"]["all"] is None or placed["returns"]["all"] > 0
    assert any(value != "0" for value in expected.values())

    csv = client.get(SUMMARY, params={"from": "2025-10-01", "to": "2025-12-31",
                                      "placed_out_of_area": "true", "format": "csv",
                                      "table": "coverage"}, headers=feed_key(db))
    header, row = csv.text.splitlines()
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert {name.removeprefix("placed_out_of_area."): cell for name, cell in cells.items()
            if name.startswith("placed_out_of_area.")} == expected
