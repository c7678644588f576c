"""repeat-missing-reviewed: three episodes starting within 30 days, the latest covered by this
interview, lead to a strategy meeting within 5 working days of the reference time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .builders import (
    STARTED_AT,
    assert_finding,
    end_of_london_day,
    finding_for,
    london,
    make_action,
    make_episode,
    make_facts,
    typed_document,
)

LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)
MEETING_DUE = end_of_london_day(2026, 3, 11)  # 5 working days after Wednesday 4 March 2026
MEETING = make_action("strategy_meeting", london(2026, 3, 10, 10))


def earlier(days: float):
    """An episode of the same child on another record, starting `days` before this one's."""
    start = STARTED_AT - timedelta(days=days)
    return make_episode(started_at=start, returned_at=start + timedelta(hours=8))


THREE_IN_30_DAYS = (earlier(10), earlier(20))


@pytest.mark.parametrize(
    ("document", "others", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(typed_document(actions=(MEETING,)), THREE_IN_30_DAYS, LONG_AFTER, "met",
                     MEETING_DUE,
                     ("3 episodes started within 30 days (Monday 9 February 2026 to Sunday 1 "
                      "March 2026)", "strategy meeting recorded on Tuesday 10 March 2026",
                      "within 5 working days of the interview on Wednesday 4 March 2026"),
                     id="three-across-records-with-meeting-met"),
        pytest.param(typed_document(), THREE_IN_30_DAYS, london(2026, 3, 6), "pending",
                     MEETING_DUE, ("no strategy meeting recorded yet",),
                     id="three-across-records-no-meeting-yet-pending"),
        pytest.param(typed_document(), THREE_IN_30_DAYS, london(2026, 3, 12), "not_met",
                     MEETING_DUE, ("no strategy meeting recorded, and the deadline has passed",),
                     id="three-across-records-no-meeting-not-met"),
        pytest.param(typed_document(actions=(make_action("strategy_meeting",
                                                        london(2026, 3, 13, 9)),)),
                     THREE_IN_30_DAYS, LONG_AFTER, "not_met", MEETING_DUE,
                     ("Friday 13 March 2026, 2 days late",), id="meeting-late-not-met"),
        pytest.param(typed_document(actions=(MEETING,)), (earlier(15), earlier(30)), LONG_AFTER,
                     "met", MEETING_DUE, ("3 episodes started within 30 days",),
                     id="exactly-30-days-apart-applies"),
        pytest.param(typed_document(actions=(MEETING,)), (earlier(15), earlier(30 - 1 / 1440)),
                     LONG_AFTER, "met", MEETING_DUE, (), id="one-minute-inside-30-days-applies"),
        pytest.param(typed_document(), (earlier(15), earlier(30.001)), LONG_AFTER,
                     "not_applicable", None,
                     ("At most 2 episodes of this child started within 30 days",),
                     id="just-over-30-days-not-applicable"),
        pytest.param(typed_document(), (earlier(10),), LONG_AFTER, "not_applicable", None,
                     ("2 episodes of this child recorded",
                      "the standard applies from 3 episodes within 30 days"),
                     id="two-in-30-days-not-applicable"),
        pytest.param(typed_document(), (earlier(0), earlier(10)), LONG_AFTER, "not_applicable",
                     None, ("2 episodes of this child recorded",),
                     id="the-same-episode-on-two-records-counts-once"),
        pytest.param(typed_document(), (earlier(10), earlier(-5)), LONG_AFTER, "not_applicable",
                     None, ("At most 2 episodes",),
                     id="latest-of-the-three-not-covered-by-this-interview"),
        pytest.param(typed_document(episodes=(earlier(12), earlier(6), make_episode())), (),
                     london(2026, 3, 5), "pending", MEETING_DUE, (),
                     id="three-episodes-on-this-one-record-applies"),
        pytest.param(typed_document(outcome=None, offered_at=None, interview=None),
                     THREE_IN_30_DAYS, LONG_AFTER, "not_applicable", None,
                     ("3 episodes started within 30 days", "nothing has been offered"),
                     id="no-reference-time-not-applicable"),
        pytest.param(typed_document(started_at=None), THREE_IN_30_DAYS, LONG_AFTER,
                     "not_applicable", None, ("No episode start time",),
                     id="draft-without-start-time-not-applicable"),
    ],
)
def test_repeat_missing_reviewed(document, others, as_of, result, due_at, fragments):
    facts = make_facts(document, other_episodes=others)
    finding = finding_for("repeat-missing-reviewed", facts, as_of)
    assert_finding(finding, result, due_at, *fragments)


def test_three_episodes_in_30_days_across_records_make_the_standard_apply():
    facts = make_facts(typed_document(), other_episodes=THREE_IN_30_DAYS)
    finding = finding_for("repeat-missing-reviewed", facts, LONG_AFTER)
    assert finding.result != "not_applicable"


def test_two_episodes_in_30_days_do_not():
    facts = make_facts(typed_document(), other_episodes=THREE_IN_30_DAYS[:1])
    finding = finding_for("repeat-missing-reviewed", facts, LONG_AFTER)
    assert finding.result == "not_applicable"
