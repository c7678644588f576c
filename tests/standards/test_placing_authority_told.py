"""`placing-authority-told` (set 2027.1): a child placed out of area, the findings reach the
placing (responsible) authority without delay, within 1 working day of the reference time
(`report-shared`'s). One worked example per outcome, the deadline over bank holidays and the
clock change, and set 2026.1 untouched.

The default record (`typed_document`): interview on Wednesday 4 March 2026 at 15:00 (GMT), so
the deadline is the end of Thursday 5 March 2026.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.standards import describe, evaluate
from app.standards.params import SET_2026_1, SET_2027_1

from .builders import (
    SUBMITTED_AT,
    assert_finding,
    end_of_london_day,
    finding_for,
    london,
    make_attempt,
    make_facts,
    make_offer,
    make_sharing,
    typed_document,
)

CODE = "placing-authority-told"
LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)
DUE = end_of_london_day(2026, 3, 5)  # 1 working day after Wednesday 4 March 2026
RULE = ("the standard is sharing with the placing authority within 1 working day of the "
        "interview on Wednesday 4 March 2026, by the end of Thursday 5 March 2026")
PLACED_AWAY = {"placement_authority": "801"}  # 803's child, living in 801's area


def away(*sharing: Any, **fields: Any) -> Any:
    """A completed interview of 803's looked-after child placed in 801's area."""
    return typed_document(**{**PLACED_AWAY, **fields}, sharing=sharing)


def check(document: Any, as_of: datetime = LONG_AFTER, **facts: Any) -> Any:
    return finding_for(CODE, make_facts(document, **facts), as_of, SET_2027_1)


# A declined interview: the reference time is the last attempt, Friday 6 March 2026 at 11:00,
# so the deadline is the end of Monday 9 March 2026 (the weekend does not count).
DECLINED = {"outcome": "declined", "interview": None, "decline_reason": "Did not want to",
            "attempts": (make_attempt(london(2026, 3, 5, 10)),
                         make_attempt(london(2026, 3, 6, 11)))}

# Thursday 24 December 2026: Friday 25 is Christmas Day, Monday 28 the substitute Boxing Day,
# so 1 working day later is Tuesday 29 December 2026.
CHRISTMAS = {"conducted_at": london(2026, 12, 24, 15), "returned_at": london(2026, 12, 23, 9),
             "offered_at": london(2026, 12, 23, 12)}
CHRISTMAS_DUE = end_of_london_day(2026, 12, 29)
# Thursday 2 April 2026: Good Friday (3) and Easter Monday (6) are bank holidays, so the deadline
# is the end of Tuesday 7 April 2026, in British Summer Time (22:59:59.999999 UTC).
EASTER = {"conducted_at": london(2026, 4, 2, 15), "returned_at": london(2026, 4, 1, 9),
          "offered_at": london(2026, 4, 1, 12)}
EASTER_DUE = end_of_london_day(2026, 4, 7)


@pytest.mark.parametrize(
    ("document", "facts", "as_of", "result", "due_at", "evidence_at", "fragments"),
    [
        pytest.param(typed_document(), {}, LONG_AFTER, "not_applicable", None, None,
                     ("Applies to a child placed out of area only",),
                     id="placed-in-its-own-area-not-applicable"),
        pytest.param(typed_document(placement_authority=None), {}, LONG_AFTER,
                     "not_applicable", None, None, ("no placement authority other than",),
                     id="no-placement-authority-recorded-not-applicable"),
        pytest.param(away(), {"status": "draft", "submitted_at": None}, LONG_AFTER,
                     "not_applicable", None, None, ("nothing is sent from a draft",),
                     id="a-draft-not-applicable"),
        pytest.param(away(make_sharing("missing_coordinator", london(2026, 3, 4, 17))), {},
                     LONG_AFTER, "met", DUE, london(2026, 3, 4, 17),
                     ("Shared with the placing authority (the missing co-ordinator) on "
                      "Wednesday 4 March 2026", RULE),
                     id="the-coordinator-the-same-day-met"),
        pytest.param(away(make_sharing("responsible_authority", DUE)), {}, LONG_AFTER, "met",
                     DUE, DUE, ("(the responsible authority) on Thursday 5 March 2026",),
                     id="the-responsible-authority-at-the-last-moment-met"),
        pytest.param(away(make_sharing("social_worker", london(2026, 3, 4, 16)),
                          make_sharing("missing_coordinator", london(2026, 3, 6, 9)),
                          make_sharing("responsible_authority", london(2026, 3, 9, 9))),
                     {}, LONG_AFTER, "not_met", DUE, london(2026, 3, 6, 9),
                     ("Shared with the placing authority (the missing co-ordinator) on Friday "
                      "6 March 2026, 1 day late",),
                     id="the-earliest-entry-a-day-late-not-met"),
        pytest.param(away(), {}, london(2026, 3, 5, 16), "pending", DUE, None,
                     ("Not shared with the placing authority yet", RULE),
                     id="not-shared-before-the-deadline-pending"),
        pytest.param(away(), {}, DUE, "pending", DUE, None, ("yet",),
                     id="not-shared-at-the-deadline-itself-pending"),
        pytest.param(away(), {}, DUE + timedelta(microseconds=1), "not_met", DUE, None,
                     ("Not shared with the placing authority, and the deadline has passed",),
                     id="not-shared-after-the-deadline-not-met"),
        pytest.param(away(make_sharing("host_authority", london(2026, 3, 4, 17)),
                          make_sharing("placement_provider", london(2026, 3, 4, 17))),
                     {}, LONG_AFTER, "not_met", DUE, None,
                     ("Not shared with the placing authority",),
                     id="the-host-authority-is-not-the-placing-authority-not-met"),
        pytest.param(away(make_sharing("missing_coordinator", SUBMITTED_AT)),
                     {"status": "returned"}, LONG_AFTER, "met", DUE, SUBMITTED_AT, (),
                     id="a-record-sent-back-to-its-interviewer-is-still-judged-met"),
        pytest.param(away(make_sharing("missing_coordinator", london(2026, 3, 9, 16)),
                          **DECLINED), {}, LONG_AFTER, "met", end_of_london_day(2026, 3, 9),
                     london(2026, 3, 9, 16),
                     ("within 1 working day of the last attempt on Friday 6 March 2026, by the "
                      "end of Monday 9 March 2026",),
                     id="declined-counted-from-the-last-attempt-over-a-weekend-met"),
        pytest.param(away(offer=make_offer(outcome="not_offered", offered_at=None)), {},
                     LONG_AFTER, "not_applicable", None, None,
                     ("Nothing has been offered, attempted or conducted yet",),
                     id="nothing-to-count-from-not-applicable"),
        pytest.param(away(make_sharing("missing_coordinator", london(2026, 12, 29, 10)),
                          **CHRISTMAS), {}, LONG_AFTER, "met", CHRISTMAS_DUE,
                     london(2026, 12, 29, 10), ("by the end of Tuesday 29 December 2026",),
                     id="over-christmas-and-boxing-day-met"),
        pytest.param(away(**CHRISTMAS), {}, london(2026, 12, 28, 12), "pending", CHRISTMAS_DUE,
                     None, ("Not shared with the placing authority yet",),
                     id="on-the-boxing-day-bank-holiday-still-pending"),
        pytest.param(away(make_sharing("missing_coordinator", london(2026, 12, 30, 9)),
                          **CHRISTMAS), {}, LONG_AFTER, "not_met", CHRISTMAS_DUE,
                     london(2026, 12, 30, 9), ("Wednesday 30 December 2026, 1 day late",),
                     id="the-day-after-christmas-deadline-not-met"),
        pytest.param(away(**EASTER), {}, EASTER_DUE + timedelta(microseconds=1), "not_met",
                     EASTER_DUE, None, ("by the end of Tuesday 7 April 2026",),
                     id="over-easter-in-summer-time-not-met"),
    ],
)
def test_worked_examples(document: Any, facts: dict[str, Any], as_of: datetime, result: str,
                         due_at: datetime | None, evidence_at: datetime | None,
                         fragments: tuple[str, ...]) -> None:
    assert_finding(check(document, as_of, **facts), result, due_at, *fragments,
                   evidence_at=evidence_at, version="2027.1")


def test_the_easter_deadline_is_the_end_of_the_day_in_summer_time() -> None:
    assert EASTER_DUE == datetime(2026, 4, 7, 22, 59, 59, 999999, tzinfo=UTC)


def test_the_number_of_working_days_is_a_setting_of_the_set() -> None:
    slower = replace(SET_2027_1, version="2027.9", placing_authority_days=3)
    finding = finding_for(CODE, make_facts(away()), LONG_AFTER, slower)
    assert finding.due_at == end_of_london_day(2026, 3, 9)  # Thu 5, Fri 6, Mon 9
    assert "within 3 working days of the interview" in finding.detail


def test_it_is_the_last_standard_of_2027_1_and_not_one_of_2026_1() -> None:
    facts = make_facts(away())
    assert [f.code for f in evaluate(facts, SET_2027_1, as_of=LONG_AFTER)][-1] == CODE
    assert CODE not in {f.code for f in evaluate(facts, SET_2026_1, as_of=LONG_AFTER)}


def test_the_standard_set_publishes_it_with_its_parameters() -> None:
    [published] = [s for s in describe(SET_2027_1)["standards"] if s["code"] == CODE]
    assert published["title"].startswith("When the child is placed out of area")
    assert published["parameters"] == {
        "placing_authority_days": 1,
        "placing_authority_recipients": ["missing_coordinator", "responsible_authority"]}
