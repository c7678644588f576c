"""Deadlines: working days in England and Wales, and elapsed hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.standards.calendar import (
    add_hours,
    add_working_days,
    bank_holidays,
    is_working_day,
    london_date,
    working_day_after,
)

from .builders import end_of_london_day, london

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("instant", "n", "due"),
    [
        pytest.param(london(2026, 12, 23, 10), 3, end_of_london_day(2026, 12, 30),
                     id="spec-example-wed-23-dec-plus-3"),
        pytest.param(london(2026, 12, 24, 14), 3, end_of_london_day(2026, 12, 31),
                     id="thu-24-dec-plus-3-skips-christmas-and-substitute-boxing-day"),
        pytest.param(london(2026, 12, 24, 14), 5, end_of_london_day(2027, 1, 5),
                     id="thu-24-dec-plus-5-skips-new-years-day"),
        pytest.param(london(2026, 4, 2, 9), 1, end_of_london_day(2026, 4, 7),
                     id="easter-good-friday-and-easter-monday"),
        pytest.param(london(2026, 3, 7, 9), 1, end_of_london_day(2026, 3, 9),
                     id="saturday-plus-1-is-monday"),
        pytest.param(london(2026, 3, 6, 23, 59), 1, end_of_london_day(2026, 3, 9),
                     id="friday-late-evening-plus-1-is-monday"),
        pytest.param(london(2026, 3, 4, 9), 0, end_of_london_day(2026, 3, 4),
                     id="zero-is-the-end-of-the-same-day"),
        pytest.param(london(2022, 9, 16, 12), 1, end_of_london_day(2022, 9, 20),
                     id="one-off-state-funeral-2022"),
        pytest.param(london(2027, 12, 24, 12), 1, end_of_london_day(2027, 12, 29),
                     id="2027-substitutes-for-christmas-and-boxing-day"),
    ],
)
def test_add_working_days(instant, n, due):
    assert add_working_days(instant, n) == due


def test_the_spec_example_in_full():
    due = add_working_days(datetime(2026, 12, 23, 12, tzinfo=UTC), 3)
    assert due == datetime(2026, 12, 30, 23, 59, 59, 999999, tzinfo=LONDON)
    assert due.tzinfo is UTC


def test_the_local_date_decides_where_counting_starts():
    # 23:30 UTC on Thursday 4 June 2026 is 00:30 BST on Friday 5 June.
    late_thursday_utc = datetime(2026, 6, 4, 23, 30, tzinfo=UTC)
    assert add_working_days(late_thursday_utc, 1) == end_of_london_day(2026, 6, 8)


def test_a_summer_deadline_ends_at_midnight_bst():
    assert add_working_days(london(2026, 7, 1, 9), 1) == datetime(
        2026, 7, 2, 22, 59, 59, 999999, tzinfo=UTC
    )


def test_bank_holidays_include_substitute_days():
    assert {date(2026, 12, 25), date(2026, 12, 28)} <= bank_holidays(2026)
    assert date(2026, 12, 26) in bank_holidays(2026)  # a Saturday: no working day is lost
    assert not is_working_day(date(2026, 12, 28))
    assert is_working_day(date(2026, 12, 29))


def test_working_day_after_refuses_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        working_day_after(date(2026, 3, 4), -1)


def test_add_hours_is_elapsed_time_across_the_autumn_clock_change():
    returned = london(2026, 10, 24, 12)  # BST
    assert add_hours(returned, 72) == london(2026, 10, 27, 11)  # GMT


def test_add_hours_is_elapsed_time_across_the_spring_clock_change():
    returned = london(2026, 3, 28, 12)  # GMT; clocks go forward on Sunday 29 March
    assert add_hours(returned, 72) == london(2026, 3, 31, 13)  # BST


def test_add_hours_is_elapsed_time_even_for_a_london_aware_instant():
    returned = datetime(2026, 10, 24, 12, tzinfo=LONDON)
    assert add_hours(returned, 72) - returned == timedelta(hours=72)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), LONDON])))
def test_london_date_agrees_with_zoneinfo(instant):
    assert london_date(instant) == instant.astimezone(LONDON).date()


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                    timezones=st.just(UTC)),
       st.integers(min_value=0, max_value=10))
def test_a_working_day_deadline_is_the_end_of_a_working_day_after_the_start(instant, n):
    due = add_working_days(instant, n)
    local = due.astimezone(LONDON)
    assert (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 999999)
    assert due > instant
    if n:
        assert is_working_day(local.date())
        days = (local.date() - london_date(instant)).days
        working = sum(is_working_day(london_date(instant) + timedelta(days=d))
                      for d in range(1, days + 1))
        assert working == n
