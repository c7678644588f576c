"""harm-followed-up, cse-risk-assessed and manager-oversight: the response to risk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .builders import (
    CONDUCTED_AT,
    SUBMITTED_AT,
    assert_finding,
    end_of_london_day,
    finding_for,
    london,
    make_action,
    make_facts,
    typed_document,
)

LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)
HARM_DUE = end_of_london_day(2026, 3, 5)  # 1 working day after Wednesday 4 March 2026
SERAF_DUE = end_of_london_day(2026, 3, 11)  # 5 working days after Wednesday 4 March 2026
OVERSIGHT_DUE = end_of_london_day(2026, 3, 12)  # 5 working days after Thursday 5 March 2026


def _harmed(**overrides):
    return typed_document(**{"harm_disclosed": "yes", **overrides})


MASH_NEXT_DAY = make_action("mash_referral", london(2026, 3, 5, 11))


@pytest.mark.parametrize(
    ("document", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(_harmed(actions=(MASH_NEXT_DAY,)), LONG_AFTER, "met", HARM_DUE,
                     ("Harm was disclosed", "MASH referral on Thursday 5 March 2026",
                      "within 1 working day of the interview on Wednesday 4 March 2026"),
                     id="harm-and-referral-next-day-met"),
        pytest.param(typed_document(risk_indicators=("county_lines", "weapons"),
                                   actions=(make_action("police_intelligence", CONDUCTED_AT),)),
                     LONG_AFTER, "met", HARM_DUE, ("2 risk indicators recorded",),
                     id="risk-indicators-without-harm-met"),
        pytest.param(_harmed(actions=(make_action("social_care_referral",
                                                  london(2026, 3, 4, 9)),)),
                     LONG_AFTER, "met", HARM_DUE, ("Social care referral on Wednesday 4 March",),
                     id="referral-made-before-the-interview-met"),
        pytest.param(_harmed(actions=(make_action("strategy_meeting", london(2026, 3, 9, 10)),)),
                     LONG_AFTER, "not_met", HARM_DUE,
                     ("Strategy meeting on Monday 9 March 2026, 4 days late",
                      "by the end of Thursday 5 March 2026"), id="action-four-days-late-not-met"),
        pytest.param(_harmed(actions=(make_action("follow_up_support", CONDUCTED_AT),
                                      make_action("education_referral", CONDUCTED_AT))),
                     LONG_AFTER, "not_met", HARM_DUE,
                     ("no safeguarding action recorded, and the deadline has passed",),
                     id="only-non-safeguarding-actions-not-met"),
        pytest.param(_harmed(actions=(make_action("mash_referral", None),)),
                     london(2026, 3, 5, 9), "pending", HARM_DUE,
                     ("no safeguarding action recorded yet", "1 working day"),
                     id="undated-action-ignored-pending"),
        pytest.param(_harmed(), london(2026, 3, 5, 23, 59), "pending", HARM_DUE,
                     ("by the end of Thursday 5 March 2026",), id="no-action-same-day-pending"),
        pytest.param(_harmed(), london(2026, 3, 6, 0, 0), "not_met", HARM_DUE,
                     ("deadline has passed",), id="no-action-next-day-not-met"),
        pytest.param(_harmed(conducted_at=None), LONG_AFTER, "pending", None,
                     ("whose time is not recorded yet",), id="draft-without-time-pending"),
        pytest.param(typed_document(), LONG_AFTER, "not_applicable", None,
                     ("No harm disclosed and no risk indicator recorded",),
                     id="no-harm-no-risk-not-applicable"),
        pytest.param(typed_document(outcome="declined", interview=None), LONG_AFTER,
                     "not_applicable", None, ("completed interviews only",),
                     id="declined-not-applicable"),
    ],
)
def test_harm_followed_up(document, as_of, result, due_at, fragments):
    finding = finding_for("harm-followed-up", make_facts(document), as_of)
    assert_finding(finding, result, due_at, *fragments)


def _cse(**overrides):
    return typed_document(**{"risk_indicators": ("sexual_exploitation",), **overrides})


@pytest.mark.parametrize(
    ("document", "as_of", "result", "due_at", "evidence_at", "fragments"),
    [
        pytest.param(_cse(actions=(make_action("seraf_assessment", london(2026, 3, 10, 14)),)),
                     LONG_AFTER, "met", SERAF_DUE, london(2026, 3, 10, 14),
                     ("CSE indicator recorded (sexual exploitation)",
                      "SERAF assessment recorded on Tuesday 10 March 2026",
                      "within 5 working days of the interview on Wednesday 4 March 2026"),
                     id="assessment-within-5wd-met"),
        pytest.param(_cse(risk_indicators=("online_exploitation",), seraf_score=12), LONG_AFTER,
                     "met", SERAF_DUE, CONDUCTED_AT,
                     ("online exploitation", "SERAF score 12 recorded with the interview"),
                     id="score-counts-at-the-interview-met"),
        pytest.param(_cse(actions=(make_action("seraf_assessment", london(2026, 3, 12, 9)),)),
                     LONG_AFTER, "not_met", SERAF_DUE, london(2026, 3, 12, 9),
                     ("Thursday 12 March 2026, 1 day late",), id="assessment-late-not-met"),
        pytest.param(_cse(), london(2026, 3, 9, 12), "pending", SERAF_DUE, None,
                     ("no SERAF assessment or score recorded yet",
                      "by the end of Wednesday 11 March 2026"), id="nothing-yet-pending"),
        pytest.param(_cse(), london(2026, 3, 12, 0, 0), "not_met", SERAF_DUE, None,
                     ("no SERAF assessment or score recorded, and the deadline has passed",),
                     id="nothing-after-5wd-not-met"),
        pytest.param(_cse(conducted_at=None), LONG_AFTER, "pending", None, None,
                     ("whose time is not recorded yet",), id="draft-without-interview-time"),
        pytest.param(typed_document(risk_indicators=("criminal_exploitation",)), LONG_AFTER,
                     "not_applicable", None, None, ("No CSE indicator",),
                     id="criminal-exploitation-alone-not-applicable"),
    ],
)
def test_cse_risk_assessed(document, as_of, result, due_at, evidence_at, fragments):
    finding = finding_for("cse-risk-assessed", make_facts(document), as_of)
    assert_finding(finding, result, due_at, *fragments, evidence_at=evidence_at)


@pytest.mark.parametrize(
    ("facts", "as_of", "result", "due_at", "fragments"),
    [
        pytest.param(make_facts(_cse(), status="approved", approved_at=london(2026, 3, 10, 16)),
                     LONG_AFTER, "met", OVERSIGHT_DUE,
                     ("A CSE indicator is recorded", "approved by a manager on Tuesday 10 March",
                      "within 5 working days of submission on Thursday 5 March 2026"),
                     id="approved-in-time-met"),
        pytest.param(make_facts(typed_document(seraf_score=6)), london(2026, 3, 6), "pending",
                     OVERSIGHT_DUE, ("The SERAF category is 2", "not approved by a manager yet"),
                     id="seraf-category-2-without-cse-pending"),
        pytest.param(make_facts(_cse(), approved_at=london(2026, 3, 16, 9)), LONG_AFTER,
                     "not_met", OVERSIGHT_DUE, ("Monday 16 March 2026, 4 days late",),
                     id="approved-late-not-met"),
        pytest.param(make_facts(_cse()), london(2026, 3, 13, 0, 0), "not_met", OVERSIGHT_DUE,
                     ("not approved by a manager, and the deadline has passed",),
                     id="unapproved-after-5wd-not-met"),
        pytest.param(make_facts(_cse(), status="draft", submitted_at=None), LONG_AFTER,
                     "pending", None, ("not submitted yet", "within 5 working days of submission"),
                     id="draft-pending-without-deadline"),
        pytest.param(make_facts(typed_document(seraf_score=5)), LONG_AFTER, "not_applicable",
                     None, ("No CSE indicator and no SERAF category of 2 or more",),
                     id="seraf-category-1-not-applicable"),
        pytest.param(make_facts(typed_document(risk_indicators=("county_lines",))), LONG_AFTER,
                     "not_applicable", None, ("No CSE indicator",),
                     id="other-exploitation-not-applicable"),
    ],
)
def test_manager_oversight(facts, as_of, result, due_at, fragments):
    finding = finding_for("manager-oversight", facts, as_of)
    assert_finding(finding, result, due_at, *fragments)


class TestCseIndicatorWithoutSeraf:
    """A CSE indicator and no SERAF: the assessment and the oversight wait, then fall due."""

    document = _cse()

    def test_assessment_is_pending_within_5_working_days(self):
        finding = finding_for("cse-risk-assessed", make_facts(self.document),
                              as_of=SERAF_DUE - timedelta(hours=1))
        assert_finding(finding, "pending", SERAF_DUE)

    def test_assessment_is_not_met_after_5_working_days(self):
        finding = finding_for("cse-risk-assessed", make_facts(self.document),
                              as_of=SERAF_DUE + timedelta(microseconds=1))
        assert_finding(finding, "not_met", SERAF_DUE)

    def test_oversight_is_pending_before_submission(self):
        draft = make_facts(self.document, status="draft", submitted_at=None)
        assert_finding(finding_for("manager-oversight", draft, LONG_AFTER), "pending", None)

    def test_oversight_is_pending_after_submission_until_its_deadline(self):
        finding = finding_for("manager-oversight", make_facts(self.document),
                              as_of=SUBMITTED_AT + timedelta(days=1))
        assert_finding(finding, "pending", OVERSIGHT_DUE)

    def test_oversight_is_not_met_when_no_manager_approves_in_time(self):
        finding = finding_for("manager-oversight", make_facts(self.document),
                              as_of=OVERSIGHT_DUE + timedelta(seconds=1))
        assert_finding(finding, "not_met", OVERSIGHT_DUE)

    def test_oversight_is_met_when_a_manager_approves_in_time(self):
        approved = make_facts(self.document, status="approved", approved_at=OVERSIGHT_DUE)
        finding = finding_for("manager-oversight", approved, LONG_AFTER)
        assert_finding(finding, "met", OVERSIGHT_DUE, evidence_at=OVERSIGHT_DUE)
