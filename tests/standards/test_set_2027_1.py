"""Standard set 2027.1: what changed from 2026.1, one worked example per outcome.

Every form of exploitation gets one response (`exploitation-response`, replacing
`cse-risk-assessed`) and a manager's oversight; recipients follow the child's status and risk;
independence is worked out from the role and involvement; the child's views on sharing are
recorded; the follow-up plan's actions have outcomes by their due dates. Deadlines run over
England's bank holidays and the clock changes like 2026.1's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.standards import evaluate
from app.standards.params import SET_2026_1, SET_2027_1

from .builders import (
    CONDUCTED_AT,
    SUBMITTED_AT,
    assert_finding,
    end_of_london_day,
    finding_for,
    london,
    make_action,
    make_facts,
    make_sharing,
    typed_document,
)

LONG_AFTER = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE_DUE = london(2026, 3, 9, 9)
RESPONSE_DUE = end_of_london_day(2026, 3, 11)  # 5 working days after Wednesday 4 March 2026
SHARING_DUE = RESPONSE_DUE  # 5 working days after the interview, the reference time
OVERSIGHT_DUE = end_of_london_day(2026, 3, 12)  # 5 working days after Thursday 5 March 2026

# Wednesday 23 December 2026: Thu 24 (1); Fri 25 Christmas; Mon 28 substitute Boxing Day;
# Tue 29 (2), Wed 30 (3), Thu 31 (4); Fri 1 January 2027 New Year's Day; Mon 4 (5).
CHRISTMAS_INTERVIEW = london(2026, 12, 23, 15)
CHRISTMAS_DUE = end_of_london_day(2027, 1, 4)
# Thursday 26 March 2026, before the clocks go forward on Sunday 29: Fri 27 (1), Mon 30 (2),
# Tue 31 (3), Wed 1 April (4), Thu 2 (5), ending at 23:59:59 British Summer Time.
SPRING_INTERVIEW = london(2026, 3, 26, 15)
SPRING_DUE = end_of_london_day(2026, 4, 2)


def check(code: str, as_of: datetime = LONG_AFTER, **facts: Any):
    """The 2027.1 finding of one standard for `typed_document(**document)`."""
    document = facts.pop("document", None)
    return finding_for(code, make_facts(document, **facts), as_of, SET_2027_1)


def expect(finding: Any, result: str, due_at: datetime | None, *fragments: str,
           evidence_at: object = ...) -> None:
    kwargs = {} if evidence_at is ... else {"evidence_at": evidence_at}
    assert_finding(finding, result, due_at, *fragments, version="2027.1", **kwargs)


def ce(**overrides: Any):
    """A completed interview of a looked-after child where criminal exploitation was found."""
    return typed_document(**{"risk_indicators": ("criminal_exploitation",), **overrides})


FRIDAY = london(2026, 3, 6, 10)


def full_response(at: datetime = FRIDAY) -> tuple[Any, ...]:
    return (make_action("strategy_discussion", at),
            make_action("exploitation_risk_assessment", at + timedelta(hours=1)),
            make_action("police_intelligence", at + timedelta(hours=2)),
            make_action("nrm_decision", at + timedelta(hours=3)))


class TestExploitationResponse:
    @pytest.mark.parametrize(
        ("document", "as_of", "result", "due_at", "fragments"),
        [
            pytest.param(ce(), LONG_AFTER, "not_met", RESPONSE_DUE,
                         ("Exploitation recorded (criminal exploitation)",
                          "No strategy discussion recorded", "no police intelligence submission",
                          "no National Referral Mechanism decision recorded",
                          "within 5 working days of the interview on Wednesday 4 March 2026"),
                         id="criminal-exploitation-with-nothing-done-not-met"),
            pytest.param(ce(), BEFORE_DUE, "pending", RESPONSE_DUE,
                         ("No strategy discussion recorded yet",
                          "by the end of Wednesday 11 March 2026"),
                         id="criminal-exploitation-before-its-deadline-pending"),
            pytest.param(ce(actions=full_response()), LONG_AFTER, "met", RESPONSE_DUE,
                         ("Strategy discussion on Friday 6 March 2026",
                          "risk assessment (SERAF) on Friday 6 March 2026",
                          "NRM decision on Friday 6 March 2026"),
                         id="every-part-in-time-met"),
            pytest.param(ce(actions=full_response()[:3]), LONG_AFTER, "not_met", RESPONSE_DUE,
                         ("no National Referral Mechanism decision recorded",),
                         id="criminal-exploitation-without-an-nrm-decision-not-met"),
            pytest.param(typed_document(risk_indicators=("sexual_exploitation",),
                                        actions=full_response()[:3]),
                         LONG_AFTER, "met", RESPONSE_DUE, ("sexual exploitation",),
                         id="sexual-exploitation-needs-no-nrm-decision-met"),
            pytest.param(ce(actions=(*full_response()[:3],
                                     make_action("nrm_referral", london(2026, 3, 12, 9)))),
                         LONG_AFTER, "not_met", RESPONSE_DUE,
                         ("NRM decision on Thursday 12 March 2026, after the deadline",),
                         id="one-part-late-not-met"),
            pytest.param(ce(seraf_score=14, actions=(
                make_action("strategy_meeting", london(2026, 3, 5, 10)),
                make_action("police_intelligence", london(2026, 3, 5, 11)),
                make_action("nrm_referral", london(2026, 3, 5, 12)))),
                         LONG_AFTER, "not_met", RESPONSE_DUE,
                         ("no risk assessment by the social worker (SERAF) recorded",),
                         id="a-score-typed-by-the-interviewer-is-not-an-assessment-not-met"),
            pytest.param(typed_document(risk_indicators=("financial_exploitation",
                                                         "radicalisation")),
                         LONG_AFTER, "not_met", RESPONSE_DUE,
                         ("financial exploitation and radicalisation",),
                         id="every-form-counts-financial-and-radicalisation-not-met"),
            pytest.param(typed_document(risk_indicators=("self_harm",)), LONG_AFTER,
                         "not_applicable", None, ("No form of exploitation recorded",),
                         id="no-exploitation-not-applicable"),
            pytest.param(ce(conducted_at=CHRISTMAS_INTERVIEW, returned_at=london(2026, 12, 22, 9),
                            offered_at=london(2026, 12, 22, 12)),
                         london(2027, 1, 4, 23, 59), "pending", CHRISTMAS_DUE,
                         ("by the end of Monday 4 January 2027",),
                         id="deadline-over-christmas-and-new-year-pending"),
            pytest.param(ce(conducted_at=SPRING_INTERVIEW, returned_at=london(2026, 3, 25, 9),
                            offered_at=london(2026, 3, 25, 12)),
                         SPRING_DUE + timedelta(microseconds=1), "not_met", SPRING_DUE,
                         ("by the end of Thursday 2 April 2026",),
                         id="deadline-across-the-spring-clock-change-not-met"),
            pytest.param(ce(conducted_at=None, actions=()), LONG_AFTER, "pending", None,
                         ("whose time is not recorded yet",),
                         id="no-interview-time-yet-pending-without-a-deadline"),
        ],
    )
    def test_worked_examples(self, document, as_of, result, due_at, fragments):
        expect(check("exploitation-response", as_of, document=document), result, due_at,
               *fragments)

    def test_the_clock_change_deadline_is_the_end_of_the_day_in_summer_time(self):
        assert SPRING_DUE == datetime(2026, 4, 2, 22, 59, 59, 999999, tzinfo=UTC)

    def test_set_2026_1_still_sees_only_sexual_exploitation(self):
        facts = make_facts(ce())
        old = {f.code: f for f in evaluate(facts, SET_2026_1, as_of=LONG_AFTER)}
        assert old["cse-risk-assessed"].result == "not_applicable"
        assert old["manager-oversight"].result == "not_applicable"
        assert "exploitation-response" not in old


class TestManagerOversight:
    @pytest.mark.parametrize(
        ("document", "facts", "as_of", "result", "due_at", "fragments"),
        [
            pytest.param(ce(), {}, LONG_AFTER, "not_met", OVERSIGHT_DUE,
                         ("Exploitation is recorded (criminal exploitation)",
                          "not approved by a manager"), id="criminal-exploitation-not-met"),
            pytest.param(typed_document(risk_indicators=("county_lines",)),
                         {"approved_at": london(2026, 3, 10, 9)}, LONG_AFTER, "met",
                         OVERSIGHT_DUE, ("county lines", "approved by a manager on Tuesday"),
                         id="county-lines-approved-in-time-met"),
            pytest.param(ce(), {"submitted_at": None}, LONG_AFTER, "pending", None,
                         ("not submitted yet",), id="not-submitted-pending"),
            pytest.param(typed_document(seraf_score=14), {}, LONG_AFTER, "not_applicable", None,
                         ("No form of exploitation recorded",),
                         id="a-typed-score-alone-is-not-applicable"),
        ],
    )
    def test_worked_examples(self, document, facts, as_of, result, due_at, fragments):
        expect(check("manager-oversight", as_of, document=document, **facts), result, due_at,
               *fragments)


EVERYONE_LOOKED_AFTER = (make_sharing("missing_coordinator"), make_sharing("social_worker"),
                         make_sharing("iro"))


class TestReportShared:
    @pytest.mark.parametrize(
        ("document", "as_of", "result", "fragments"),
        [
            pytest.param(typed_document(sharing=EVERYONE_LOOKED_AFTER), LONG_AFTER, "met",
                         ("Shared with the missing co-ordinator, the social worker and the IRO",),
                         id="looked-after-everyone-met"),
            pytest.param(typed_document(), LONG_AFTER, "not_met",
                         ("Not shared with the missing co-ordinator",),
                         id="the-coordinator-is-needed-for-every-child-not-met"),
            pytest.param(typed_document(legal_status="care_leaver", sharing=(
                make_sharing("missing_coordinator"), make_sharing("social_worker"))),
                         LONG_AFTER, "not_met", ("Not shared with the personal adviser",),
                         id="a-care-leaver-needs-a-personal-adviser-not-met"),
            pytest.param(typed_document(legal_status="care_leaver", sharing=(
                make_sharing("missing_coordinator"), make_sharing("personal_adviser"))),
                         LONG_AFTER, "met",
                         ("the missing co-ordinator and the personal adviser",),
                         id="a-care-leaver-with-their-personal-adviser-met"),
            pytest.param(typed_document(placement_authority="801",
                                        sharing=EVERYONE_LOOKED_AFTER),
                         LONG_AFTER, "not_met",
                         ("Not shared with the host authority and the placement provider",),
                         id="out-of-area-needs-the-host-and-the-provider-not-met"),
            pytest.param(typed_document(placement_authority="801", sharing=(
                *EVERYONE_LOOKED_AFTER, make_sharing("host_authority"),
                make_sharing("placement_provider"))), LONG_AFTER, "met",
                         ("the host authority and the placement provider",),
                         id="out-of-area-with-the-host-and-the-provider-met"),
            pytest.param(typed_document(risk_indicators=("criminal_exploitation",),
                                        sharing=EVERYONE_LOOKED_AFTER),
                         LONG_AFTER, "not_met", ("Not shared with the police",),
                         id="exploitation-needs-the-police-not-met"),
            pytest.param(typed_document(legal_status="none", sharing=()), BEFORE_DUE,
                         "pending", ("Not yet shared with the missing co-ordinator",),
                         id="a-child-with-no-status-still-needs-the-coordinator-pending"),
            pytest.param(typed_document(sharing=(
                make_sharing("missing_coordinator"),
                make_sharing("social_worker", london(2026, 3, 12, 9)),
                make_sharing("iro"))), LONG_AFTER, "not_met",
                         ("Shared with the social worker on Thursday 12 March 2026, 1 day late",),
                         id="one-recipient-late-not-met"),
        ],
    )
    def test_worked_examples(self, document, as_of, result, fragments):
        expect(check("report-shared", as_of, document=document), result, SHARING_DUE,
               *fragments)

    def test_over_christmas_the_deadline_is_the_fifth_working_day(self):
        document = typed_document(
            conducted_at=CHRISTMAS_INTERVIEW, returned_at=london(2026, 12, 22, 9),
            offered_at=london(2026, 12, 22, 12),
            sharing=(make_sharing("missing_coordinator", london(2027, 1, 4, 16)),
                     make_sharing("social_worker", london(2026, 12, 24, 10)),
                     make_sharing("iro", london(2026, 12, 29, 10))))
        expect(check("report-shared", document=document), "met", CHRISTMAS_DUE,
               "by Monday 4 January 2027")


class TestIndependentInterviewer:
    @pytest.mark.parametrize(
        ("fields", "result", "fragments"),
        [
            pytest.param({"interviewer_relationship": "none"}, "met",
                         ("no part in the child's care, placement or case and is trained",),
                         id="independent-worker-with-no-involvement-met"),
            pytest.param({"interviewer_role": "residential_staff",
                          "interviewer_independent": True, "interviewer_relationship": "none"},
                         "not_met", ("is the child's residential worker",),
                         id="a-residential-worker-ticked-independent-not-met"),
            pytest.param({"interviewer_relationship": "case_worker"}, "not_met",
                         ("works on the child's case, so is not independent",),
                         id="involved-with-the-case-not-met"),
            pytest.param({}, "not_met", ("has no involvement with the child recorded",),
                         id="involvement-not-recorded-not-met"),
            pytest.param({"interviewer_role": "carer", "child_chose_interviewer": True},
                         "met", ("The child chose the interviewer",),
                         id="the-child-chose-their-carer-met"),
            pytest.param({"interviewer_role": "police", "child_chose_interviewer": True,
                          "interviewer_relationship": "none"}, "not_met",
                         ("never counts as the return interview",),
                         id="a-police-prevention-interview-never-counts-not-met"),
            pytest.param({"interviewer_relationship": "none", "interviewer_trained": None},
                         "not_met", ("is not recorded as trained",),
                         id="training-not-recorded-not-met"),
        ],
    )
    def test_worked_examples(self, fields, result, fragments):
        expect(check("independent-interviewer", document=typed_document(**fields)), result,
               None, *fragments)


class TestSharingExplained:
    VIEWS: dict[str, Any] = {"views_on_sharing": "agrees", "lawful_basis": "public_task"}

    @pytest.mark.parametrize(
        ("fields", "result", "fragments"),
        [
            pytest.param(VIEWS, "met", ("their views and the lawful basis are recorded",),
                         id="explained-with-views-and-basis-met"),
            pytest.param({}, "not_met", ("The child's views on sharing are not recorded",
                                         "the lawful basis for sharing is not recorded"),
                         id="views-and-basis-missing-not-met"),
            pytest.param({"views_on_sharing": "objects", "lawful_basis": "public_task",
                          "shared_against_wishes": True,
                          "shared_against_wishes_reason": "Risk of serious harm",
                          "child_told_of_sharing": True}, "met",
                         ("why it is shared against their wishes and that they were told",),
                         id="shared-against-wishes-with-reason-and-told-met"),
            pytest.param({"views_on_sharing": "objects", "lawful_basis": "public_task",
                          "shared_against_wishes": True, "child_told_of_sharing": False},
                         "not_met", ("with no reason recorded", "the child was not told"),
                         id="shared-against-wishes-without-reason-or-telling-not-met"),
            pytest.param({"views_on_sharing": "objects", "lawful_basis": "public_task"},
                         "not_met", ("whether it is shared against their wishes is not "
                                     "recorded",),
                         id="the-child-objects-and-the-decision-is-missing-not-met"),
            pytest.param({**VIEWS, "information_sharing_explained": False}, "not_met",
                         ("sharing was not explained",), id="not-explained-not-met"),
        ],
    )
    def test_worked_examples(self, fields, result, fragments):
        expect(check("sharing-explained", document=typed_document(**fields)), result, None,
               *fragments)


class TestRepeatMissingReviewed:
    def test_a_risk_management_meeting_now_counts_as_the_review(self):
        from .test_repeat_missing import THREE_IN_30_DAYS
        meeting = make_action("risk_management_meeting", london(2026, 3, 10, 10))
        facts = make_facts(typed_document(actions=(meeting,)), other_episodes=THREE_IN_30_DAYS)
        new = finding_for("repeat-missing-reviewed", facts, LONG_AFTER, SET_2027_1)
        old = finding_for("repeat-missing-reviewed", facts, LONG_AFTER)
        expect(new, "met", RESPONSE_DUE, "Risk management meeting recorded on Tuesday 10 March")
        assert_finding(old, "not_met", RESPONSE_DUE, "no strategy meeting recorded")


def plan(*actions: Any):
    return typed_document(actions=actions)


DUE = london(2026, 3, 9, 17)  # Monday 9 March 2026, 5pm


class TestActionsFollowedThrough:
    @pytest.mark.parametrize(
        ("document", "as_of", "result", "due_at", "fragments"),
        [
            pytest.param(typed_document(actions=(make_action("mash_referral", CONDUCTED_AT),)),
                         LONG_AFTER, "not_applicable", None, ("No action in the follow-up plan",),
                         id="no-due-dates-not-applicable"),
            pytest.param(plan(make_action("safety_plan", None, status="planned", due_at=DUE,
                                          owner="Social worker")),
                         BEFORE_DUE, "pending", DUE, ("Safety plan not done yet",
                                                      "the next due on Monday 9 March 2026"),
                         id="planned-and-not-yet-due-pending"),
            pytest.param(plan(make_action("safety_plan", None, status="planned", due_at=DUE)),
                         DUE + timedelta(seconds=1), "not_met", DUE,
                         ("Safety plan past its due date with no outcome",),
                         id="planned-and-past-due-not-met"),
            pytest.param(plan(make_action("safety_plan", london(2026, 3, 9, 12), status="done",
                                          due_at=DUE, outcome="Agreed with the child")),
                         LONG_AFTER, "met", None, ("Every planned action has an outcome",),
                         id="done-by-its-due-date-met"),
            pytest.param(plan(make_action("safety_plan", london(2026, 3, 10, 12), status="done",
                                          due_at=DUE)),
                         LONG_AFTER, "not_met", DUE, ("Safety plan done after its due date",),
                         id="done-after-its-due-date-not-met"),
            pytest.param(plan(make_action("health_referral", None, status="not_done", due_at=DUE,
                                          outcome="The child's GP saw them the same day")),
                         LONG_AFTER, "met", None, ("Every planned action has an outcome",),
                         id="not-done-with-why-is-an-outcome-met"),
            pytest.param(plan(make_action("follow_up_support", None, status="planned",
                                          due_at=london(2026, 3, 30, 9))),
                         london(2026, 3, 30, 8, 59), "pending", london(2026, 3, 30, 9),
                         ("the next due on Monday 30 March 2026",),
                         id="due-the-morning-after-the-clocks-go-forward-pending"),
            pytest.param(plan(make_action("follow_up_support", None, status="planned",
                                          due_at=london(2026, 3, 30, 9))),
                         london(2026, 3, 30, 9, 1), "not_met", london(2026, 3, 30, 9),
                         ("past its due date",),
                         id="an-hour-counted-in-summer-time-not-met"),
        ],
    )
    def test_worked_examples(self, document, as_of, result, due_at, fragments):
        expect(check("actions-followed-through", as_of, document=document), result, due_at,
               *fragments)

    def test_an_approved_record_with_a_plan_past_due_is_not_met(self):
        facts = make_facts(plan(make_action("safety_plan", None, status="planned", due_at=DUE)),
                           approved_at=SUBMITTED_AT, status="approved")
        finding = finding_for("actions-followed-through", facts, LONG_AFTER, SET_2027_1)
        assert finding.result == "not_met"
