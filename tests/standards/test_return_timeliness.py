"""offer-within-72h and interview-within-72h: the two standards counted from the return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .builders import (
    RETURNED_AT,
    assert_finding,
    finding_for,
    london,
    make_episode,
    make_facts,
    typed_document,
)

DUE = RETURNED_AT + timedelta(hours=72)  # Thursday 5 March 2026 18:00 (GMT, so UTC too)
BEFORE_DUE = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
AFTER_DUE = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("document", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(typed_document(), LONG_AFTER, "met", DUE,
                     ("Offered 16 hours after return", "within 72 hours"), id="offered-16h-met"),
        pytest.param(typed_document(offered_at=DUE), LONG_AFTER, "met", DUE,
                     ("Offered 72 hours after return",), id="offered-exactly-at-72h-met"),
        pytest.param(typed_document(offered_at=RETURNED_AT - timedelta(hours=2)), LONG_AFTER,
                     "met", DUE, ("2 hours before the latest return",),
                     id="offered-before-return-met"),
        pytest.param(typed_document(offered_at=RETURNED_AT + timedelta(hours=80)), LONG_AFTER,
                     "not_met", DUE,
                     ("Offered 80 hours after return; the standard is within 72 hours of return.",),
                     id="offered-80h-not-met"),
        pytest.param(typed_document(offered_at=DUE + timedelta(seconds=1)), LONG_AFTER,
                     "not_met", DUE, ("72 hours 1 minute",), id="one-second-late-not-met"),
        pytest.param(typed_document(outcome="not_offered", offered_at=None, interview=None,
                                   not_offered_reason="Moved out of the country"),
                     BEFORE_DUE, "not_met", DUE, ("not offered", "72 hours"),
                     id="not-offered-not-met-even-before-deadline"),
        pytest.param(typed_document(outcome=None, offered_at=None, interview=None), BEFORE_DUE,
                     "pending", DUE, ("No offer recorded yet", "18:00 UK time on Thursday 5 March"),
                     id="no-offer-before-deadline-pending"),
        pytest.param(typed_document(outcome=None, offered_at=None, interview=None), DUE,
                     "pending", DUE, ("No offer recorded yet",), id="no-offer-at-deadline-pending"),
        pytest.param(typed_document(outcome=None, offered_at=None, interview=None),
                     DUE + timedelta(microseconds=1), "not_met", DUE,
                     ("No offer recorded by 18:00 UK time on Thursday 5 March 2026", "72 hours"),
                     id="no-offer-just-after-deadline-not-met"),
        pytest.param(typed_document(returned_at=None), LONG_AFTER, "not_applicable", None,
                     ("still missing", "72-hour"), id="still-missing-not-applicable"),
        pytest.param(typed_document(episodes=()), LONG_AFTER, "not_applicable", None,
                     ("No missing episode",), id="no-episode-yet-not-applicable"),
        pytest.param(typed_document(episodes=(make_episode(), make_episode(returned_at=None))),
                     LONG_AFTER, "not_applicable", None, ("still missing",),
                     id="one-of-two-episodes-open-not-applicable"),
    ],
)
def test_offer_within_72h(document, as_of, result, due_at, fragments):
    finding = finding_for("offer-within-72h", make_facts(document), as_of)
    assert_finding(finding, result, due_at, *fragments)


def test_offer_is_counted_from_the_latest_return_of_several_episodes():
    later_return = RETURNED_AT + timedelta(days=1)
    document = typed_document(episodes=(
        make_episode(started_at=RETURNED_AT - timedelta(days=3),
                     returned_at=RETURNED_AT - timedelta(days=2)),
        make_episode(started_at=RETURNED_AT - timedelta(hours=5), returned_at=later_return),
    ))
    finding = finding_for("offer-within-72h", make_facts(document), LONG_AFTER)
    assert finding.due_at == later_return + timedelta(hours=72)


@pytest.mark.parametrize(
    ("document", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(typed_document(), LONG_AFTER, "met", DUE,
                     ("Interview held 45 hours after return", "within 72 hours"),
                     id="held-45h-met"),
        pytest.param(typed_document(conducted_at=RETURNED_AT + timedelta(hours=72, minutes=30)),
                     LONG_AFTER, "not_met", DUE, ("72 hours 30 minutes after return",),
                     id="held-72h30-not-met"),
        pytest.param(typed_document(outcome="not_offered", offered_at=None, interview=None),
                     BEFORE_DUE, "not_met", DUE, ("Not offered, so no interview took place",),
                     id="not-offered-not-met"),
        pytest.param(typed_document(conducted_at=None), BEFORE_DUE, "pending", DUE,
                     ("No interview time recorded yet", "18:00 UK time on Thursday 5 March 2026"),
                     id="completed-draft-without-time-pending"),
        pytest.param(typed_document(interview=None), AFTER_DUE, "not_met", DUE,
                     ("No interview time recorded by 18:00 UK time",),
                     id="completed-without-content-after-deadline-not-met"),
        pytest.param(typed_document(outcome="declined", interview=None), LONG_AFTER,
                     "not_applicable", None, ("the outcome is declined",),
                     id="declined-not-applicable"),
        pytest.param(typed_document(outcome=None), LONG_AFTER, "not_applicable", None,
                     ("no outcome is recorded yet",), id="no-outcome-yet-not-applicable"),
        pytest.param(typed_document(returned_at=None), LONG_AFTER, "not_applicable", None,
                     ("still missing",), id="still-missing-not-applicable"),
    ],
)
def test_interview_within_72h(document, as_of, result, due_at, fragments):
    finding = finding_for("interview-within-72h", make_facts(document), as_of)
    assert_finding(finding, result, due_at, *fragments)


class TestClockChangeInsideTheWindow:
    """Clocks go back at 02:00 BST on Sunday 25 October 2026. 72 hours are elapsed hours, so a
    return at 12:00 BST on Saturday is due at 11:00 GMT on Tuesday, not at 12:00 wall-clock."""

    returned = london(2026, 10, 24, 12, 0)  # Saturday 24 October 2026, 12:00 BST (11:00 UTC)
    due = london(2026, 10, 27, 11, 0)  # Tuesday 27 October 2026, 11:00 GMT

    def facts(self, offered_at: datetime):
        return make_facts(typed_document(
            started_at=self.returned - timedelta(hours=10), returned_at=self.returned,
            offered_at=offered_at, conducted_at=offered_at,
        ))

    def test_the_deadline_is_72_elapsed_hours_after_the_return(self):
        assert self.due - self.returned == timedelta(hours=72)
        assert self.due == datetime(2026, 10, 27, 11, 0, tzinfo=UTC)

    def test_an_offer_at_10_59_local_time_is_met(self):
        finding = finding_for("offer-within-72h", self.facts(london(2026, 10, 27, 10, 59)),
                              as_of=london(2026, 11, 30))
        assert_finding(finding, "met", self.due, "71 hours 59 minutes after return")

    def test_an_offer_at_11_30_local_time_is_not_met(self):
        finding = finding_for("offer-within-72h", self.facts(london(2026, 10, 27, 11, 30)),
                              as_of=london(2026, 11, 30))
        assert_finding(finding, "not_met", self.due, "72 hours 30 minutes after return")

    def test_with_no_offer_it_is_pending_until_11_00_gmt(self):
        facts = self.facts(None)
        pending = finding_for("offer-within-72h", facts, as_of=london(2026, 10, 27, 10, 59))
        assert_finding(pending, "pending", self.due, "11:00 UK time on Tuesday 27 October 2026")
        overdue = finding_for("offer-within-72h", facts, as_of=london(2026, 10, 27, 11, 1))
        assert_finding(overdue, "not_met", self.due)

    def test_the_interview_deadline_ignores_the_clock_change_too(self):
        finding = finding_for("interview-within-72h", self.facts(london(2026, 10, 27, 11, 30)),
                              as_of=london(2026, 11, 30))
        assert_finding(finding, "not_met", self.due)


class TestChildStillMissing:
    """An interview whose episodes have no return yet is not_applicable on the standards counted
    from the return; the others keep their own starting points (see `checks.py`)."""

    facts = make_facts(
        typed_document(returned_at=None, outcome="completed", offered_at=None, conducted_at=None,
                      sharing=()),
        status="draft", submitted_at=None,
    )

    @pytest.mark.parametrize("code", ["offer-within-72h", "interview-within-72h"])
    def test_timeliness_standards_are_not_applicable(self, code):
        finding = finding_for(code, self.facts, as_of=LONG_AFTER)
        assert_finding(finding, "not_applicable", None, "still missing")

    @pytest.mark.parametrize("code", ["report-within-3wd", "report-shared"])
    def test_standards_counted_from_the_reference_time_wait_for_one(self, code):
        finding = finding_for(code, self.facts, as_of=LONG_AFTER)
        assert_finding(finding, "not_applicable", None, "Nothing has been offered")
