"""The summary's record groupings of the board pack (issue 16): each new `group_by` against
figures worked out here from the rows the test makes, a record counted once per value of a
list, and the groups of a grouping suppressed together, as the pack's tables are."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import record
from tests.feed.conftest import feed_key

SUMMARY = "/api/v1/feed/summary"
Q1 = {"from": "2026-01-01", "to": "2026-03-31"}


@dataclass(frozen=True)
class Made:
    """One record the dataset makes, as the test knows it."""

    child: str
    found: tuple[str | None, ...]  # each episode's found postcode
    ethnicity: str | None = None
    disability_or_send: str | None = None
    uasc: bool | None = None
    placement_type: str | None = None
    push: tuple[str, ...] = ()
    pull: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    outcome: str = "completed"
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def kinds() -> list[Made]:
    """29 records of 2026-Q1: W (White British, 7 records of 6 children), B (Black African,
    two episodes each), M (nothing recorded, two episodes each found in BS7), X (one White
    Irish), D (declined, a reason written) and N (declined, none)."""
    w = {"ethnicity": "wbri", "disability_or_send": "yes", "uasc": False,
             "placement_type": "foster_care", "push": ("family_conflict", "placement_unhappy"),
             "pull": ("peer_pressure",), "risk": ("missing_with_peers",),
             "places": ("BS1 4DJ", "BS1 5TR"), "extra": {"child__gender": "male"}}
    b = {"ethnicity": "bafr", "disability_or_send": "no", "uasc": True,
             "placement_type": "childrens_home", "push": ("family_conflict",),
             "risk": ("missing_with_peers", "county_lines"), "places": ("BS2 0JA",)}
    return [
        *(Made(f"W-{max(i - 1, 0)}", ("BS16 1QY",), **w) for i in range(7)),
        *(Made(f"B-{i}", ("BS16 2AB", "BS5 1AA"), **b) for i in range(7)),
        *(Made(f"M-{i}", ("BS7 8AA", "BS7 9BB")) for i in range(6)),
        Made("X-0", (None,), ethnicity="wiri", push=("bullying",)),
        *(Made(f"D-{i}", (None,), outcome="declined", reason="Did not want to.")
          for i in range(2)),
        *(Made(f"N-{i}", (None,), outcome="declined") for i in range(6)),
    ]


def make(db: Session, made: Made, day: int, org: str = "803", month: int = 2) -> None:
    """The record of `made`, its episodes a day apart from `day` of `month` 2026."""
    start = datetime(2026, month, day, 10, tzinfo=UTC)
    episodes = []
    for number, postcode in enumerate(made.found):
        begun = start + timedelta(days=number)
        episodes.append({"type": "missing", "started_at": f"{begun:%Y-%m-%dT%H:%M:%SZ}",
                         "returned_at": f"{begun + timedelta(hours=8):%Y-%m-%dT%H:%M:%SZ}",
                         "reported_to_police": True,
                         **({"found_postcode": postcode} if postcode else {})})
    back = start + timedelta(days=len(made.found) - 1, hours=8)
    child = {name: getattr(made, name) for name in (
        "ethnicity", "disability_or_send", "uasc", "placement_type")
        if getattr(made, name) is not None}
    overrides: dict[str, Any] = {
        "child__local_id": made.child, "child__responsible_authority": org,
        "child__placement_authority": org, **{f"child__{k}": v for k, v in child.items()},
        "episodes": episodes, **made.extra}
    offered = f"{back + timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}"
    if made.outcome == "declined":
        overrides["offer"] = {"outcome": "declined", "offered_at": offered,
                              "attempts": [{"at": offered, "method": "phone"}],
                              **({"decline_reason": made.reason} if made.reason else {})}
        overrides["interview"] = None
    else:
        overrides["offer__offered_at"] = offered
        overrides["interview__conducted_at"] = f"{back + timedelta(hours=24):%Y-%m-%dT%H:%M:%SZ}"
        overrides["interview__push_factors"] = list(made.push)
        overrides["interview__pull_factors"] = list(made.pull)
        overrides["interview__risk_indicators"] = list(made.risk)
        overrides["interview__locations"] = [
            {"description": f"A place {i}", "postcode": postcode}
            for i, postcode in enumerate(made.places)]
    record(db, org, **overrides)


@pytest.fixture
def made(db: Session) -> list[Made]:
    return make_records(db)


def make_records(db: Session) -> list[Made]:
    """The 29 records of `kinds()` in February 2026 (a child's two records a day apart), and
    two that are never counted: one in April, and another authority's in February."""
    records = kinds()
    for number, item in enumerate(records):
        make(db, item, day=1 + number % 27)
    make(db, Made("LATER", ("BS16 1QY",), ethnicity="wbri", push=("bullying",)), day=10,
         month=4)
    make(db, Made("THEIRS", ("GL1 2EH",), ethnicity="wbri", push=("bullying",),
                  places=("GL1 1AA",)), day=3, org="801")
    db.commit()
    return records


def district(postcode: str | None) -> str | None:
    return postcode.split()[0] if postcode else None


def counted(records: Iterable[Made], values: Callable[[Made], Iterable[Any]]
            ) -> dict[Any, dict[str, int]]:
    """Worked out here: per value, the records holding it (once each), their children and
    their episodes, and how many were completed."""
    out: dict[Any, dict[str, Any]] = {}
    for item in records:
        for value in set(values(item)):
            group = out.setdefault(value, {"interviews": 0, "episodes": 0, "children": set(),
                                           "completed": 0, "declined": 0})
            group["interviews"] += 1
            group["episodes"] += len(item.found)
            group["children"].add(item.child)
            group["completed"] += item.outcome == "completed"
            group["declined"] += item.outcome == "declined"
    return {value: {**group, "children": len(group["children"])} for value, group in out.items()}


def answer(client: TestClient, db: Session, group_by: str) -> dict[Any, dict[str, Any]]:
    response = client.get(SUMMARY, params={**Q1, "group_by": group_by}, headers=feed_key(db))
    assert response.status_code == 200, response.text
    return {group["group"][group_by]: group for group in response.json()["groups"]}


def figures(group: dict[str, Any]) -> dict[str, Any]:
    return {"interviews": group["interviews"], "episodes": group["episodes"],
            "children": group["children"], "completed": group["outcomes"]["completed"],
            "declined": group["outcomes"]["declined"]}


def shown_or_small(expected: dict[Any, dict[str, int]], found: dict[Any, dict[str, Any]]
                   ) -> None:
    """The same groups, and every count published as worked out here; none from 1 to 5."""
    assert set(found) == set(expected)
    for value, group in found.items():
        for name, count in figures(group).items():
            want = expected[value][name]
            assert count in (want, None), (value, name)
            if 1 <= want <= 5:
                assert count is None, (value, name)


# --- lists: a record once per value --------------------------------------------------------------


@pytest.mark.parametrize(("group_by", "values"), [
    ("push_factor", lambda item: item.push),
    ("pull_factor", lambda item: item.pull),
    ("risk_indicator", lambda item: item.risk),
    ("location_district", lambda item: (district(p) for p in item.places)),
])
def test_a_list_counts_a_record_once_for_each_value_it_holds(
        client: TestClient, db: Session, made: list[Made], group_by: str,
        values: Callable[[Made], Iterable[Any]]) -> None:
    expected = counted(made, values)
    found = answer(client, db, group_by)
    shown_or_small(expected, found)
    assert None not in found  # a record holding none is in no group


def test_lists_worked_out_by_hand(client: TestClient, db: Session, made: list[Made]) -> None:
    push = answer(client, db, "push_factor")
    # W's 7 records (6 children: one twice, 7 episodes) and B's 7 (7 children, 14 episodes).
    assert figures(push["family_conflict"]) == {
        "interviews": 14, "episodes": 21, "children": 13, "completed": 14, "declined": 0}
    assert push["placement_unhappy"]["interviews"] == 7
    assert push["bullying"]["interviews"] is None  # X alone: 1 (April's and 801's never)
    # Once per record, however many places it names there: W names two places in BS1.
    places = answer(client, db, "location_district")
    assert {value: group["interviews"] for value, group in places.items()} == {
        "BS1": 7, "BS2": 7}


def test_found_district_counts_each_records_episodes_found_there(
        client: TestClient, db: Session, made: list[Made]) -> None:
    found = answer(client, db, "found_district")
    expected: dict[str, dict[str, Any]] = {}
    for item in made:
        for postcode in item.found:
            if postcode:
                group = expected.setdefault(district(postcode) or "", {
                    "episodes": 0, "records": set()})
                group["episodes"] += 1
                group["records"].add(id(item))
    assert {value: (group["interviews"], group["episodes"]) for value, group in found.items()} == {
        value: (len(group["records"]), group["episodes"]) for value, group in expected.items()}
    # M's 6 records each have both episodes in BS7: 6 records, 12 episodes.
    assert (found["BS7"]["interviews"], found["BS7"]["episodes"]) == (6, 12)
    assert "GL1" not in found  # another authority's child


# --- groupings of one value: the groups add up to the total ---------------------------------------


@pytest.mark.parametrize(("group_by", "attribute"), [
    ("ethnicity", "ethnicity"), ("disability_or_send", "disability_or_send"),
    ("uasc", "uasc"), ("placement_type", "placement_type"),
])
def test_the_differences_between_groups_of_children(
        client: TestClient, db: Session, made: list[Made], group_by: str,
        attribute: str) -> None:
    expected = counted(made, lambda item: (getattr(item, attribute),))
    shown_or_small(expected, answer(client, db, group_by))


def test_a_hidden_group_hides_the_next_smallest_as_the_total_would_give_it_away(
        client: TestClient, db: Session, made: list[Made]) -> None:
    found = answer(client, db, "ethnicity")
    # Records: White Irish 1 is hidden; 29 - 7 - 14 would give it away, so the smallest other
    # is hidden too: White British and Black African both hold 7, and White British comes
    # first in the codes, as in the board pack.
    assert {value: group["interviews"] for value, group in found.items()} == {
        "wbri": None, "bafr": 7, "wiri": None, None: 14}
    # Each count on its own: completed within 72 hours are 7, 7, 1 and 6 (M): M's 6 goes.
    assert {value: group["completed_within_72h"] for value, group in found.items()} == {
        "wbri": 7, "bafr": 7, "wiri": None, None: None}
    assert "interviews" in found["wbri"]["suppressed"]
    # Nothing small among the disabilities: nothing hidden.
    assert [group["interviews"] for group in answer(client, db, "disability_or_send").values()
            ] == [7, 7, 15]


def test_declines_with_and_without_a_reason(
        client: TestClient, db: Session, made: list[Made]) -> None:
    found = answer(client, db, "decline_reason_given")
    assert set(found) == {True, False}  # declined records only
    # 2 with a reason, hidden, so the 6 without are hidden too (8 declined in all).
    assert [(found[given]["outcomes"]["declined"], found[given]["interviews"])
            for given in (True, False)] == [(None, None), (None, None)]
    total = answer(client, db, "quarter")["2026-Q1"]
    assert total["interviews"] == 29 and total["outcomes"]["declined"] == 8


def test_a_csv_row_per_value(client: TestClient, db: Session, made: list[Made]) -> None:
    response = client.get(SUMMARY, params={**Q1, "group_by": "found_district",
                                           "format": "csv"}, headers=feed_key(db))
    rows = {row["found_district"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert {key: (row["interviews"], row["episodes"]) for key, row in rows.items()} == {
        "BS16": ("14", "14"), "BS5": ("7", "7"), "BS7": ("6", "12")}


# --- what is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(("group_by", "code"), [
    ("postcode", "unknown_code"), ("push_factors", "unknown_code"),
    ("hour_of_day", "unknown_code"), ("found_district,found_district", "duplicate_code"),
    ("quarter,time_of_day", "mixed_groupings"), ("action_type,push_factor", "mixed_groupings"),
    ("day_of_week,action_status", "mixed_groupings"),
])
def test_an_unknown_or_mixed_grouping_is_a_problem_naming_group_by(
        client: TestClient, db: Session, group_by: str, code: str) -> None:
    response = client.get(SUMMARY, params={"group_by": group_by}, headers=feed_key(db))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/query/group_by", code)
