"""Small-number suppression on crafted counts: 1-5 hidden, 0 shown, secondary suppression."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.feed.suppression import CountSet, is_small, shown, suppress

OUTCOMES = CountSet("interviews", ("completed", "declined", "not_achieved", "not_offered"))


def test_counts_from_1_to_5_are_hidden_and_zero_and_6_are_shown() -> None:
    published = suppress({"a": 0, "b": 1, "c": 5, "d": 6, "e": 250})
    assert published.values == {"a": 0, "b": None, "c": None, "d": 6, "e": 250}
    assert published.suppressed == ("b", "c")


def test_one_hidden_count_in_a_set_hides_the_next_smallest_too() -> None:
    counts = {"interviews": 40, "completed": 25, "declined": 3, "not_achieved": 0,
              "not_offered": 12}
    published = suppress(counts, [OUTCOMES])
    # 40 - 25 - 0 - 12 would give the 3 away: the next smallest non-zero count goes too.
    assert published.values == {"interviews": 40, "completed": 25, "declined": None,
                                 "not_achieved": 0, "not_offered": None}
    assert published.suppressed == ("declined", "not_offered")


def test_two_hidden_counts_in_a_set_need_no_more() -> None:
    counts = {"interviews": 30, "completed": 22, "declined": 4, "not_achieved": 4,
              "not_offered": 0}
    published = suppress(counts, [OUTCOMES])
    assert published.suppressed == ("declined", "not_achieved")
    assert published.values["completed"] == 22


def test_a_hidden_total_hides_a_part_rather_than_let_the_parts_add_up_to_it() -> None:
    # "total" is hidden on its own (say by another rule); the parts would give it away.
    counts = {"total": 4, "x": 0, "y": 4}
    assert suppress(counts, [CountSet("total", ("x", "y"))]).suppressed == ("total", "y")
    nested = {"all": 20, "offered": 14, "not_offered": 6, "completed": 9, "declined": 5}
    published = suppress(nested, [CountSet("all", ("offered", "not_offered")),
                                  CountSet("offered", ("completed", "declined"))])
    # declined (5) is hidden, so completed goes; nothing in the first set is hidden.
    assert published.suppressed == ("completed", "declined")


def test_a_set_whose_total_is_hidden_with_its_only_part_is_left_alone() -> None:
    published = suppress({"interviews": 3, "completed": 3, "declined": 0, "not_achieved": 0,
                          "not_offered": 0}, [OUTCOMES])
    assert published.suppressed == ("interviews", "completed")
    assert published.values["declined"] == 0


def test_rates_are_null_when_either_count_is_hidden_or_nothing_divides() -> None:
    published = suppress({"met": 4, "applicable": 20, "offered": 12, "none": 0, "all": 9})
    assert published.rate("met", "applicable") is None
    assert published.rate("offered", "met") is None
    assert published.rate("offered", "applicable") == 0.6
    assert published.rate("all", "none") is None
    assert published.rate("none", "applicable") == 0.0


def test_csv_shows_a_hidden_count_as_c() -> None:
    assert [shown(v) for v in (None, 0, 7)] == ["c", "0", "7"]


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=6))
def test_no_hidden_count_can_be_worked_out_from_a_shown_total(parts: list[int]) -> None:
    names = tuple(f"p{i}" for i in range(len(parts)))
    counts = {"total": sum(parts), **dict(zip(names, parts, strict=True))}
    published = suppress(counts, [CountSet("total", names)])
    hidden = set(published.suppressed)
    assert all(name in hidden for name, count in counts.items() if is_small(count))
    assert all(published.values[name] == count for name, count in counts.items()
               if name not in hidden)
    members = {"total", *names}
    # Never exactly one unknown in the equation total = sum(parts).
    assert len(hidden & members) != 1
