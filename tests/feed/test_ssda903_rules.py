"""The DfE validator's Missing-table rules: each broken once, and a return that keeps them all."""

from __future__ import annotations

from datetime import date

import pytest

from app.feed.ssda903_rules import RULES, CollectionYear, MissingRow, problems


@pytest.fixture(autouse=True)
def organisations() -> None:
    """The rules are pure: this stands in for the feed tests' fixture, so no database starts."""


def collection_year(label: str = "2025-26") -> CollectionYear:
    year = CollectionYear.parse(label)
    assert year is not None
    return year


YEAR = collection_year()


def row(child: str = "C1", born: date | None = date(2012, 5, 14), missing: str = "M",
        start: date | None = date(2025, 6, 2), end: date | None = date(2025, 6, 3)
        ) -> MissingRow:
    return MissingRow(child, born, missing, start, end)


# Per rule: rows that break it, and the row and column it must point at.
FAILING: dict[str, tuple[list[MissingRow], int, str]] = {
    "ssda903_1004": ([row(), row(child="C2", start=None, end=date(2025, 7, 1))], 1, "MIS_START"),
    "ssda903_1005": ([row(end=date(2263, 1, 1))], 0, "MIS_END"),
    "ssda903_1006": ([row(missing="X")], 0, "MISSING"),
    "ssda903_564": ([row(missing="A", start=None, end=date(2025, 6, 3))], 0, "MIS_START"),
    "ssda903_565": ([row(missing="", end=None)], 0, "MISSING"),
    "ssda903_566": ([row(missing="", start=None)], 0, "MISSING"),
    "ssda903_567": ([row(start=date(2025, 6, 5), end=date(2025, 6, 3))], 0, "MIS_END"),
    "ssda903_570": ([row(start=date(2026, 4, 1), end=None)], 0, "MIS_START"),
    "ssda903_571": ([row(start=date(2025, 3, 1), end=date(2025, 3, 31))], 0, "MIS_END"),
    "ssda903_574": ([row(start=date(2025, 6, 1), end=None),
                     row(child="C2", start=date(2025, 6, 1), end=date(2025, 6, 9)),
                     row(start=date(2025, 6, 5), end=date(2025, 6, 6))], 2, "MIS_START"),
    "ssda903_586": ([row(born=date(2025, 6, 2), start=date(2025, 6, 2))], 0, "MIS_START"),
}


def codes(rows: list[MissingRow], year: CollectionYear = YEAR) -> set[tuple[str, str]]:
    return {(error.code, error.pointer) for error in problems(rows, year)}


@pytest.mark.parametrize("code", sorted(FAILING))
def test_each_rule_refuses_the_rows_that_break_it(code: str) -> None:
    rows, index, column = FAILING[code]
    found = [error for error in problems(rows, YEAR) if error.code == code]
    assert [error.pointer for error in found] == [f"/rows/{index}/{column}"]
    broken = rows[index]
    assert found[0].message.startswith(f"Child {broken.child}: ")
    named = broken.start or broken.end
    assert named is not None and f"{named:%d/%m/%Y}" in found[0].message


def test_every_rule_checked_has_a_failing_case() -> None:
    assert set(FAILING) == {code for code, _ in RULES}
    assert len(RULES) == len(set(RULES))


def test_a_return_that_keeps_every_rule_passes() -> None:
    rows = [
        row(),  # 02/06 to 03/06
        row(start=date(2025, 6, 3), end=date(2025, 6, 5)),  # starts the day the last ended
        row(missing="A", start=date(2025, 7, 10), end=date(2025, 7, 10)),  # one day
        row(start=date(2026, 3, 20), end=None),  # still open on 31 March
        row(child="C2", start=date(2025, 3, 25), end=date(2025, 4, 1)),  # began the year before
        row(child="C2", missing="A", start=date(2026, 3, 31), end=date(2026, 3, 31)),
        row(child="C3", born=None, start=date(2024, 12, 1), end=None),  # open all year
        row(child="C4", born=date(2025, 5, 1), start=date(2025, 5, 2), end=None),
    ]
    assert problems(rows, YEAR) == []
    assert problems([], YEAR) == []


def test_a_blank_type_is_refused_for_its_dates_not_as_an_unknown_code() -> None:
    assert codes([row(missing="")]) == {("ssda903_565", "/rows/0/MISSING"),
                                        ("ssda903_566", "/rows/0/MISSING")}
    assert codes([row(missing="", start=None, end=None)]) == {("ssda903_1004",
                                                               "/rows/0/MIS_START")}


def test_a_lower_case_type_is_an_unknown_code() -> None:
    assert codes([row(missing="m")]) == {("ssda903_1006", "/rows/0/MISSING")}
    assert codes([row(missing="a", start=None, end=None)]) == {
        ("ssda903_1006", "/rows/0/MISSING"), ("ssda903_1004", "/rows/0/MIS_START"),
        ("ssda903_564", "/rows/0/MIS_START")}


def test_a_date_the_validator_cannot_read_is_not_compared() -> None:
    # Before 1677 or after 2262 pandas holds no timestamp: the validator reads no date there.
    assert codes([row(born=date(2012, 5, 14), start=date(1600, 1, 1))]) == {
        ("ssda903_1004", "/rows/0/MIS_START")}
    assert codes([row(start=date(1677, 9, 22), end=None, born=None)]) == set()
    assert codes([row(end=date(2262, 4, 11))]) == {("ssda903_571", "/rows/0/MIS_END")}
    assert codes([row(end=date(2262, 4, 12))]) == {("ssda903_1005", "/rows/0/MIS_END")}


def test_the_collection_year_bounds_start_and_end_dates() -> None:
    assert codes([row(start=date(2026, 3, 31), end=date(2026, 4, 1))]) == {
        ("ssda903_571", "/rows/0/MIS_END")}
    assert codes([row(start=date(2026, 3, 31), end=date(2026, 3, 31))]) == set()
    assert codes([row(start=date(2026, 4, 1), end=date(2026, 4, 1))]) == {
        ("ssda903_570", "/rows/0/MIS_START"), ("ssda903_571", "/rows/0/MIS_END")}
    # The same row is right in the year it belongs to.
    assert codes([row(start=date(2026, 4, 1), end=date(2026, 4, 1))],
                 collection_year("2026-27")) == set()


def test_an_episode_may_not_start_on_the_day_of_birth() -> None:
    born = date(2025, 6, 2)
    assert codes([row(born=born, start=born)]) == {("ssda903_586", "/rows/0/MIS_START")}
    assert codes([row(born=born, start=date(2025, 6, 3), end=None)]) == set()
    assert codes([row(born=date(2025, 9, 1))]) == {("ssda903_586", "/rows/0/MIS_START")}


@pytest.mark.parametrize(("spans", "flagged"), [
    # Overlapping: the later-ending episode is the one reported.
    ([("02/06", "04/06"), ("03/06", "09/06")], [1]),
    # Out of order in the file, as the validator sorts them: by end, then start.
    ([("06/06", "08/06"), ("10/06", "10/06"), ("08/06", "10/08")], [2]),
    # An open episode sorts by its start: one after it starts while it is open.
    ([("03/06", "04/06"), ("04/06", None), ("07/06", "09/06")], [2]),
    # An open episode that starts inside a closed one: the closed one sorts after it.
    ([("01/06", "05/06"), ("04/06", None)], [0]),
    # Two open episodes.
    ([("01/06", None), ("05/06", None)], [1]),
    # Back to back, or on the same day, is not an overlap.
    ([("01/06", "05/06"), ("05/06", None)], []),
    ([("05/06", "05/06"), ("05/06", "05/06")], []),
    # The same episode twice is.
    ([("01/06", "05/06"), ("01/06", "05/06")], [1]),
])
def test_overlaps_are_found_as_the_validator_orders_them(
        spans: list[tuple[str, str | None]], flagged: list[int]) -> None:
    def day(text: str) -> date:
        return date(2025, int(text[3:]), int(text[:2]))

    rows = [row(start=day(start), end=day(end) if end else None) for start, end in spans]
    # Another child's episode at the same time is no overlap.
    rows.append(row(child="C9", start=date(2025, 6, 1), end=None))
    found = [error for error in problems(rows, YEAR) if error.code == "ssda903_574"]
    assert [error.pointer for error in found] == [f"/rows/{i}/MIS_START" for i in flagged]


def test_an_overlap_names_both_episodes() -> None:
    [error] = problems([row(start=date(2025, 6, 1), end=None),
                        row(start=date(2025, 6, 5), end=date(2025, 6, 6))], YEAR)
    assert error.message == ("Child C1: the episode from 05/06/2025 starts while the episode "
                             "from 01/06/2025 is still open or overlaps it")


def test_problems_come_row_by_row_in_the_order_of_the_rules() -> None:
    rows = [row(start=date(2025, 6, 1), end=None),
            row(missing="X", start=date(2025, 6, 5), end=date(2025, 6, 4))]
    assert [(error.pointer, error.code) for error in problems(rows, YEAR)] == [
        ("/rows/1/MISSING", "ssda903_1006"), ("/rows/1/MIS_END", "ssda903_567"),
        ("/rows/1/MIS_START", "ssda903_574")]


def test_messages_say_what_is_wrong_in_plain_english() -> None:
    [error] = problems([row(start=date(2025, 5, 2), end=date(2025, 5, 1))], YEAR)
    assert error.message == ("Child C1: the episode from 02/05/2025 ends (01/05/2025) before it "
                             "starts")
    messages = {error.code: error.message
                for error in problems([row(missing="A", start=None, end=date(2025, 5, 1))], YEAR)}
    assert messages == {
        "ssda903_1004": "Child C1: the episode ending 01/05/2025 has no start date",
        "ssda903_564": "Child C1: the episode ending 01/05/2025 is recorded as A but has no start "
                       "date"}


def test_cells_write_dates_as_dd_mm_yyyy_and_blanks_for_unknowns() -> None:
    assert row().cells() == ["C1", "14/05/2012", "M", "02/06/2025", "03/06/2025"]
    assert row(born=None, start=None, end=None).cells() == ["C1", "", "M", "", ""]
    assert row(start=date(205, 6, 2)).cells()[3] == "02/06/0205"


@pytest.mark.parametrize(("label", "expected"), [
    ("2025-26", ("2025-26", date(2025, 4, 1), date(2026, 3, 31))),
    (" 2099-00 ", ("2099-00", date(2099, 4, 1), date(2100, 3, 31))),
    ("2000-01", ("2000-01", date(2000, 4, 1), date(2001, 3, 31))),
    ("2199-00", ("2199-00", date(2199, 4, 1), date(2200, 3, 31))),
    ("2025-27", None), ("1999-00", None), ("2200-01", None), ("2025/26", None),
    ("2025-2026", None), ("", None),
])
def test_a_collection_year_is_yyyy_yy(label: str, expected: tuple[str, date, date] | None
                                      ) -> None:
    year = CollectionYear.parse(label)
    assert ((year.label, year.start, year.end) if year else None) == expected
