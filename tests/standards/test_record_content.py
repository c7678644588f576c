"""The standards about what the record holds: no deadline, so never pending. A draft that lacks
something is not_met, which is how the form shows the interviewer what is missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .builders import (
    OFFERED_AT,
    assert_finding,
    finding_for,
    london,
    make_attempt,
    make_facts,
    typed_document,
)

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
# A draft just after return: nothing can be pending on these standards, however early it is.
EARLY = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
CODES = ["independent-interviewer", "attempts-recorded", "core-content", "child-voice",
         "sharing-explained"]


@pytest.mark.parametrize(
    ("document", "result", "fragments"),
    [
        pytest.param(typed_document(), "met", ("independent of the child's care and trained",),
                     id="independent-and-trained-met"),
        pytest.param(typed_document(interviewer_independent=False, interviewer_trained=False,
                                   child_chose_interviewer=True),
                     "met", ("The child chose the interviewer",), id="child-chose-met"),
        pytest.param(typed_document(interviewer_independent=False),
                     "not_met", ("is not independent of the child's care",
                                 "unless the child chose them"), id="not-independent-not-met"),
        pytest.param(typed_document(interviewer_trained=None),
                     "not_met", ("is not recorded as trained",), id="training-unknown-not-met"),
        pytest.param(typed_document(interview=None), "not_met",
                     ("is not recorded as independent and is not recorded as trained",),
                     id="no-content-yet-not-met"),
        pytest.param(typed_document(outcome="declined", interview=None), "not_applicable",
                     ("Applies to completed interviews only; the outcome is declined",),
                     id="declined-not-applicable"),
    ],
)
def test_independent_interviewer(document, result, fragments):
    finding = finding_for("independent-interviewer", make_facts(document), AS_OF)
    assert_finding(finding, result, None, *fragments, evidence_at=None)


def _declined(**overrides):
    fields = {"outcome": "declined", "interview": None, "decline_reason": "I'm fine, leave me be",
              "attempts": (make_attempt(OFFERED_AT),), "carer_information": "Foster carer knew"}
    return typed_document(**{**fields, **overrides})


def _not_achieved(**overrides):
    fields = {"outcome": "not_achieved", "interview": None,
              "attempts": (make_attempt(london(2026, 3, 3, 10)),
                           make_attempt(london(2026, 3, 4, 16))),
              "carer_information": "Mother says he is staying with friends"}
    return typed_document(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("document", "result", "fragments"),
    [
        pytest.param(_declined(), "met", ("Declined", "the child's reason is recorded",
                                          "1 attempt recorded", "what carers know is recorded"),
                     id="declined-with-reason-attempt-and-carers-met"),
        pytest.param(_declined(decline_reason="   "), "not_met",
                     ("the child's reason is not recorded", "at least 1 attempt"),
                     id="declined-blank-reason-not-met"),
        pytest.param(_declined(attempts=()), "not_met", ("0 attempts recorded",),
                     id="declined-without-attempt-not-met"),
        pytest.param(_declined(carer_information=None), "not_met",
                     ("what carers know is not recorded",), id="declined-without-carers-not-met"),
        pytest.param(_not_achieved(), "met", ("Not achieved", "2 attempts on 2 different days"),
                     id="not-achieved-two-days-met"),
        pytest.param(_not_achieved(attempts=(make_attempt(london(2026, 3, 3, 10)),
                                             make_attempt(london(2026, 3, 3, 17)))),
                     "not_met", ("2 attempts on 1 day", "at least 2 attempts on different days"),
                     id="not-achieved-same-day-not-met"),
        pytest.param(_not_achieved(attempts=(make_attempt(london(2026, 6, 1, 23, 30)),
                                             make_attempt(london(2026, 6, 2, 0, 30)))),
                     "met", ("2 attempts on 2 different days",),
                     id="not-achieved-london-days-differ-though-utc-day-is-the-same"),
        pytest.param(_not_achieved(attempts=(make_attempt(None), make_attempt(None))),
                     "not_met", ("2 attempts with no date",), id="not-achieved-undated-not-met"),
        pytest.param(_not_achieved(carer_information=""), "not_met",
                     ("what carers know is not recorded",), id="not-achieved-no-carers-not-met"),
        pytest.param(typed_document(), "not_applicable",
                     ("declined or not achieved interviews only; the outcome is completed",),
                     id="completed-not-applicable"),
    ],
)
def test_attempts_recorded(document, result, fragments):
    finding = finding_for("attempts-recorded", make_facts(document), AS_OF)
    assert_finding(finding, result, None, *fragments)


def test_the_london_days_case_really_shares_one_utc_date():
    # 23:30 on the 1st and 00:30 on the 2nd, BST, are 22:30 and 23:30 UTC on 1 June.
    assert london(2026, 6, 1, 23, 30).date() == london(2026, 6, 2, 0, 30).date()


@pytest.mark.parametrize(
    ("document", "result", "fragments"),
    [
        pytest.param(typed_document(), "met", ("all recorded",), id="everything-recorded-met"),
        pytest.param(typed_document(harm_disclosed="not_known"), "met", ("all recorded",),
                     id="harm-not-known-is-an-answer-met"),
        pytest.param(typed_document(push_factors=("none_identified",)), "met", (),
                     id="none-identified-is-an-answer-met"),
        pytest.param(typed_document(push_factors=()), "not_met", ("Not recorded: push factors",),
                     id="no-push-factors-not-met"),
        pytest.param(typed_document(pull_factors=()), "not_met", ("Not recorded: pull factors",),
                     id="no-pull-factors-not-met"),
        pytest.param(typed_document(where_stayed="  "), "not_met",
                     ("Not recorded: where the child stayed",), id="blank-where-stayed-not-met"),
        pytest.param(typed_document(with_whom=None), "not_met", ("Not recorded: with whom",),
                     id="no-with-whom-not-met"),
        pytest.param(typed_document(harm_disclosed=None, with_whom=None), "not_met",
                     ("Not recorded: with whom and whether they were harmed",),
                     id="two-missing-not-met"),
        pytest.param(typed_document(interview=None), "not_met",
                     ("push factors, pull factors, where the child stayed, with whom and "
                      "whether they were harmed",), id="no-content-not-met"),
        pytest.param(typed_document(outcome="not_achieved", interview=None), "not_applicable",
                     ("the outcome is not achieved",), id="not-achieved-not-applicable"),
    ],
)
def test_core_content(document, result, fragments):
    finding = finding_for("core-content", make_facts(document), AS_OF)
    assert_finding(finding, result, None, *fragments)


@pytest.mark.parametrize(
    ("document", "result", "fragments"),
    [
        pytest.param(typed_document(), "met", ("recorded and was read back to them",),
                     id="account-read-back-met"),
        pytest.param(typed_document(child_account=None), "not_met",
                     ("The child's account is not recorded", "read back to them"),
                     id="no-account-not-met"),
        pytest.param(typed_document(read_back_to_child=False), "not_met",
                     ("it was not read back to them",), id="not-read-back-not-met"),
        pytest.param(typed_document(read_back_to_child=None), "not_met",
                     ("reading back is not recorded",), id="read-back-unknown-not-met"),
        pytest.param(typed_document(outcome="not_offered", interview=None), "not_applicable",
                     ("the outcome is not offered",), id="not-offered-not-applicable"),
    ],
)
def test_child_voice(document, result, fragments):
    finding = finding_for("child-voice", make_facts(document), AS_OF)
    assert_finding(finding, result, None, *fragments)


@pytest.mark.parametrize(
    ("document", "result", "fragments"),
    [
        pytest.param(typed_document(), "met", ("told what will be shared, with whom and why",),
                     id="explained-met"),
        pytest.param(typed_document(information_sharing_explained=False), "not_met",
                     ("was not explained",), id="not-explained-not-met"),
        pytest.param(typed_document(information_sharing_explained=None), "not_met",
                     ("Not recorded whether",), id="unknown-not-met"),
        pytest.param(typed_document(outcome="declined"), "not_applicable",
                     ("the outcome is declined",), id="declined-not-applicable"),
    ],
)
def test_sharing_explained(document, result, fragments):
    finding = finding_for("sharing-explained", make_facts(document), AS_OF)
    assert_finding(finding, result, None, *fragments)


@pytest.mark.parametrize("code", CODES)
def test_a_bare_draft_is_not_met_rather_than_pending(code):
    draft = make_facts(typed_document(interview=None, outcome="completed"), status="draft",
                       submitted_at=None)
    finding = finding_for(code, draft, EARLY)
    expected = "not_applicable" if code == "attempts-recorded" else "not_met"
    assert_finding(finding, expected, None)
