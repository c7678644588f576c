"""report-within-3wd and report-shared: the record is submitted and reaches who must know, counted
in England and Wales working days from the reference time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .builders import (
    OFFERED_AT,
    assert_finding,
    end_of_london_day,
    finding_for,
    london,
    make_attempt,
    make_facts,
    make_sharing,
    typed_document,
)

LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)
REPORT_DUE = end_of_london_day(2026, 3, 9)  # 3 working days after Wednesday 4 March 2026
SHARING_DUE = end_of_london_day(2026, 3, 11)  # 5 working days after Wednesday 4 March 2026
NOTHING_YET = {"outcome": None, "offered_at": None, "interview": None}


@pytest.mark.parametrize(
    ("facts", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(make_facts(), LONG_AFTER, "met", REPORT_DUE,
                     ("Submitted on Thursday 5 March 2026",
                      "within 3 working days of the interview on Wednesday 4 March 2026",
                      "by the end of Monday 9 March 2026"), id="submitted-next-day-met"),
        pytest.param(make_facts(submitted_at=REPORT_DUE), LONG_AFTER, "met", REPORT_DUE, (),
                     id="submitted-at-the-last-microsecond-met"),
        pytest.param(make_facts(submitted_at=london(2026, 3, 10, 9)), LONG_AFTER, "not_met",
                     REPORT_DUE, ("Submitted on Tuesday 10 March 2026, 1 day late",),
                     id="submitted-a-day-late-not-met"),
        pytest.param(make_facts(status="draft", submitted_at=None), london(2026, 3, 6, 12),
                     "pending", REPORT_DUE, ("Not submitted yet", "3 working days"),
                     id="draft-before-deadline-pending"),
        pytest.param(make_facts(status="draft", submitted_at=None), london(2026, 3, 10, 0, 0),
                     "not_met", REPORT_DUE, ("Not submitted, and the deadline has passed",),
                     id="draft-after-deadline-not-met"),
        pytest.param(make_facts(typed_document(outcome="declined", interview=None,
                                              attempts=(make_attempt(OFFERED_AT),))),
                     LONG_AFTER, "met", end_of_london_day(2026, 3, 6),
                     ("of the last attempt on Tuesday 3 March 2026",),
                     id="declined-counts-from-the-last-attempt"),
        pytest.param(make_facts(typed_document(outcome="declined", interview=None,
                                              attempts=(make_attempt(OFFERED_AT),)),
                                submitted_at=london(2026, 3, 7, 10)),
                     LONG_AFTER, "not_met", end_of_london_day(2026, 3, 6),
                     ("Saturday 7 March 2026, 1 day late",),
                     id="saturday-after-a-friday-deadline-not-met"),
        pytest.param(make_facts(typed_document(outcome=None, interview=None), status="draft",
                                submitted_at=None),
                     london(2026, 3, 4), "pending", end_of_london_day(2026, 3, 6),
                     ("of the offer on Tuesday 3 March 2026",), id="only-an-offer-yet-pending"),
        pytest.param(make_facts(typed_document(**NOTHING_YET), status="draft", submitted_at=None),
                     LONG_AFTER, "not_applicable", None,
                     ("Nothing has been offered, attempted or conducted yet",),
                     id="no-reference-time-not-applicable"),
        pytest.param(make_facts(typed_document(conducted_at=london(2026, 6, 3, 10)),
                                submitted_at=None),
                     london(2026, 6, 4), "pending", datetime(2026, 6, 8, 22, 59, 59, 999999,
                                                             tzinfo=UTC),
                     ("by the end of Monday 8 June 2026",), id="summer-deadline-is-bst-midnight"),
        pytest.param(make_facts(typed_document(conducted_at=datetime(2026, 6, 3, 23, 30,
                                                                    tzinfo=UTC)),
                                submitted_at=None),
                     london(2026, 6, 4, 9), "pending", end_of_london_day(2026, 6, 9),
                     ("interview on Thursday 4 June 2026",),
                     id="counted-from-the-london-date-not-the-utc-date"),
    ],
)
def test_report_within_3wd(facts, as_of, result, due_at, fragments):
    finding = finding_for("report-within-3wd", facts, as_of)
    assert_finding(finding, result, due_at, *fragments)


IN_TIME = london(2026, 3, 5, 14)
LATE = london(2026, 3, 12, 9)


@pytest.mark.parametrize(
    ("document", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(typed_document(), LONG_AFTER, "met", SHARING_DUE,
                     ("Shared with the social worker and the IRO by Thursday 5 March 2026",
                      "within 5 working days of the interview on Wednesday 4 March 2026",
                      "by the end of Wednesday 11 March 2026"), id="looked-after-both-met"),
        pytest.param(typed_document(legal_status="child_in_need",
                                   sharing=(make_sharing("social_worker", IN_TIME),)),
                     LONG_AFTER, "met", SHARING_DUE, ("Shared with the social worker by",),
                     id="child-in-need-social-worker-only-met"),
        pytest.param(typed_document(legal_status="care_leaver", placement_authority="801",
                                   sharing=(make_sharing("social_worker", IN_TIME),
                                            make_sharing("responsible_authority", IN_TIME))),
                     LONG_AFTER, "met", SHARING_DUE,
                     ("the social worker and the responsible authority",),
                     id="out-of-area-care-leaver-met"),
        pytest.param(typed_document(sharing=(make_sharing("social_worker", IN_TIME),
                                            make_sharing("police", IN_TIME))),
                     london(2026, 3, 9), "pending", SHARING_DUE,
                     ("Not yet shared with the IRO",
                      "sharing with the social worker and the IRO within 5 working days"),
                     id="iro-missing-before-deadline-pending"),
        pytest.param(typed_document(sharing=(make_sharing("social_worker", IN_TIME),)),
                     london(2026, 3, 12), "not_met", SHARING_DUE, ("Not shared with the IRO",),
                     id="iro-missing-after-deadline-not-met"),
        pytest.param(typed_document(sharing=(make_sharing("social_worker", IN_TIME),
                                            make_sharing("iro", LATE))),
                     LONG_AFTER, "not_met", SHARING_DUE,
                     ("Shared with the IRO on Thursday 12 March 2026, 1 day late",),
                     id="iro-late-not-met"),
        pytest.param(typed_document(sharing=(make_sharing("iro", LATE),)),
                     london(2026, 3, 10), "not_met", SHARING_DUE,
                     ("1 day late", "not shared with the social worker"),
                     id="a-late-share-is-not-met-even-before-the-deadline"),
        pytest.param(typed_document(sharing=(make_sharing("social_worker", IN_TIME),
                                            make_sharing("iro", None))),
                     london(2026, 3, 12), "not_met", SHARING_DUE, ("Not shared with the IRO",),
                     id="undated-share-ignored"),
        pytest.param(typed_document(legal_status="none", placement_authority="801", sharing=()),
                     london(2026, 3, 12), "not_met", SHARING_DUE,
                     ("Not shared with the responsible authority",),
                     id="placed-out-of-area-needs-the-responsible-authority"),
        pytest.param(typed_document(legal_status="early_help", sharing=()), LONG_AFTER,
                     "not_applicable", None,
                     ("No one must be sent the findings", "early help"),
                     id="early-help-in-area-not-applicable"),
        pytest.param(typed_document(legal_status=None, placement_authority=None, sharing=()),
                     LONG_AFTER, "not_applicable", None, ("not recorded",),
                     id="draft-without-legal-status-not-applicable"),
        pytest.param(typed_document(**NOTHING_YET), LONG_AFTER, "not_applicable", None,
                     ("Nothing has been offered",), id="no-reference-time-not-applicable"),
    ],
)
def test_report_shared(document, as_of, result, due_at, fragments):
    finding = finding_for("report-shared", make_facts(document), as_of)
    assert_finding(finding, result, due_at, *fragments)


class TestReturnOnTheThursdayBeforeChristmas2026:
    """Return and interview on Thursday 24 December 2026. Friday 25 is Christmas Day, Monday 28
    the substitute Boxing Day, Friday 1 January 2027 New Year's Day."""

    returned = london(2026, 12, 24, 9)
    conducted = london(2026, 12, 24, 14)
    report_due = end_of_london_day(2026, 12, 31)  # Tue 29 (1), Wed 30 (2), Thu 31 (3)
    sharing_due = end_of_london_day(2027, 1, 5)  # ... Thu 31 (3), Mon 4 (4), Tue 5 (5)

    def facts(self, **overrides):
        document = typed_document(started_at=london(2026, 12, 23, 20), returned_at=self.returned,
                                 offered_at=self.returned + timedelta(hours=1),
                                 conducted_at=self.conducted, sharing=())
        return make_facts(document, **overrides)

    def test_the_report_is_due_at_the_end_of_thursday_31_december(self):
        finding = finding_for("report-within-3wd", self.facts(submitted_at=None),
                              as_of=london(2026, 12, 30, 12))
        assert finding.due_at == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        assert_finding(finding, "pending", self.report_due,
                       "by the end of Thursday 31 December 2026")

    def test_submitting_on_new_years_eve_is_in_time(self):
        finding = finding_for("report-within-3wd",
                              self.facts(submitted_at=london(2026, 12, 31, 16)), as_of=LONG_AFTER)
        assert_finding(finding, "met", self.report_due)

    def test_submitting_after_the_new_year_is_late(self):
        finding = finding_for("report-within-3wd",
                              self.facts(submitted_at=london(2027, 1, 4, 9)),
                              as_of=london(2027, 2, 1))
        assert_finding(finding, "not_met", self.report_due,
                       "Submitted on Monday 4 January 2027, 4 days late")

    def test_the_findings_must_be_shared_by_tuesday_5_january(self):
        finding = finding_for("report-shared", self.facts(), as_of=london(2027, 1, 4, 17))
        assert_finding(finding, "pending", self.sharing_due, "by the end of Tuesday 5 January 2027")

    def test_the_offer_deadline_is_in_elapsed_hours_and_ignores_bank_holidays(self):
        finding = finding_for("offer-within-72h", self.facts(), as_of=LONG_AFTER)
        assert_finding(finding, "met", london(2026, 12, 27, 9), "Offered 1 hour after return")


def test_the_spec_example_interview_on_wednesday_23_december_2026_is_due_on_the_30th():
    document = typed_document(started_at=london(2026, 12, 22, 8),
                             returned_at=london(2026, 12, 22, 20),
                             offered_at=london(2026, 12, 23, 9),
                             conducted_at=london(2026, 12, 23, 11))
    finding = finding_for("report-within-3wd", make_facts(document, submitted_at=None),
                          as_of=london(2026, 12, 24))
    assert_finding(finding, "pending", end_of_london_day(2026, 12, 30),
                   "interview on Wednesday 23 December 2026",
                   "by the end of Wednesday 30 December 2026")
