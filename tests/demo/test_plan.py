"""The demo's plan, before anything is written: the same day gives the same two years, and
they look like a real authority's (who goes missing how often, ages, placements, when)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app.core.london import LONDON, london_day
from app.demo import cast
from app.demo.plan import Plan, make_plan
from app.feed.pages import Quarter

NOW = datetime(2026, 12, 4, 20, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan(NOW)


def test_the_same_day_gives_the_same_plan(plan: Plan) -> None:
    again = make_plan(NOW)

    assert again.children == plan.children
    assert again.episodes == plan.episodes
    assert again.records == plan.records


def test_another_day_gives_the_years_up_to_that_day() -> None:
    today = NOW + timedelta(days=100)
    later = make_plan(today, years=1, episodes_a_year=60)

    starts = [e.started_at for e in later.episodes]
    assert today - timedelta(days=366) < min(starts) < today - timedelta(days=300)
    assert today - timedelta(days=60) < max(starts) < today


def test_two_years_of_a_mid_sized_authority_up_to_today(plan: Plan) -> None:
    starts = [e.started_at for e in plan.episodes]

    assert min(starts) < NOW - timedelta(days=700)
    assert max(starts) > NOW - timedelta(days=7)
    assert all(step.at <= plan.now for _, step in plan.steps())
    bristol = [e for e in plan.episodes if e.child.responsible_authority == "801"]
    assert 2 * 300 <= len(bristol) <= 2 * 500  # some 300 to 500 a year


def test_most_children_go_missing_once_a_minority_often_and_a_few_very_often(
        plan: Plan) -> None:
    per_child = Counter(e.child.local_id for e in plan.episodes)
    children = len(per_child)

    assert sum(1 for n in per_child.values() if n == 1) > children / 2
    assert 0.1 < sum(1 for n in per_child.values() if n >= 3) / children < 0.35
    assert 5 <= sum(1 for n in per_child.values() if n >= 10) < children / 10


def test_ages_are_mostly_12_to_17(plan: Plan) -> None:
    ages = [e.child.age_on(london_day(e.started_at)) for e in plan.episodes]

    assert sum(1 for age in ages if 12 <= age <= 17) > 0.85 * len(ages)
    assert all(age < 18 for e, age in zip(plan.episodes, ages, strict=True)
               if e.child.legal_status != "care_leaver")


def test_children_are_placed_out_of_area_both_ways(plan: Plan) -> None:
    away = {c.placement_authority for c in plan.children
            if c.responsible_authority in cast.COMMISSIONERS and c.out_of_area}
    here = {c.responsible_authority for c in plan.children
            if c.placement_authority in cast.COMMISSIONERS and c.out_of_area}

    assert away >= set(cast.NEIGHBOURS)  # ours, placed with the neighbours
    assert here >= set(cast.NEIGHBOURS)  # the neighbours', placed here
    assert set(Counter(c.legal_status for c in plan.children)) == {
        "looked_after", "child_in_need", "child_protection_plan", "care_leaver",
        "early_help", "none"}


def test_episodes_start_mostly_in_the_evening_and_more_at_weekends(plan: Plan) -> None:
    local = [e.started_at.astimezone(LONDON) for e in plan.episodes]
    evening = sum(1 for moment in local if moment.hour >= 16)
    weekend = sum(1 for moment in local if moment.weekday() >= 5)

    assert evening > 0.5 * len(local)
    assert weekend / 2 > (len(local) - weekend) / 5  # a weekend day beats a weekday


@pytest.mark.parametrize("today", [datetime(2027, 1, 2, 9, tzinfo=UTC),
                                   datetime(2027, 5, 20, 16, tzinfo=UTC),
                                   datetime(2027, 9, 30, 23, tzinfo=UTC)])
def test_the_last_complete_quarter_has_enough_of_everything_to_publish(
        today: datetime) -> None:
    """Each headline count of the quarterly report is at least 6 (1 to 5 is suppressed),
    whatever day the demo is made: here as the plan has them, for Bristol's analyst and the
    return service's manager (tests/demo/test_seed.py reads the report itself)."""
    plan = make_plan(today)
    quarter = Quarter.containing(london_day(plan.now)).previous
    counts: dict[str, Counter[str]] = {"801": Counter(), cast.PROVIDER: Counter()}
    for record in plan.records:
        made = next(s.at for s in record.steps if s.kind in ("create", "submit"))
        if made > plan.now or not quarter.start <= london_day(record.returned_at) <= \
                quarter.end:
            continue
        for organisation in {record.child.responsible_authority, cast.PROVIDER} & set(counts):
            count = counts[organisation]
            count.update(("records", record.facts.outcome))
            count["out_of_area"] += record.child.out_of_area
            facts = record.facts
            count["offered_within_72h"] += bool(
                facts.offered_at and facts.offered_at <= record.returned_at + timedelta(hours=72))
            count["completed_within_72h"] += bool(
                facts.conducted_at and
                facts.conducted_at <= record.returned_at + timedelta(hours=72))
    for organisation, count in counts.items():
        small = {name: n for name, n in count.items() if n < 6}
        assert len(count) == 8 and not small, (organisation, quarter.label, small)
