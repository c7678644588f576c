"""evaluate, the standard set and how findings travel."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.standards import CURRENT, Finding, RecordFacts, Result, describe, evaluate
from app.standards.checks import CHECKS
from app.standards.params import SET_2026_1, SET_2027_1, STANDARDS, set_for

from .builders import RETURNED_AT, make_facts, typed_document

CODES = [
    "offer-within-72h", "interview-within-72h", "independent-interviewer", "attempts-recorded",
    "core-content", "child-voice", "sharing-explained", "harm-followed-up", "cse-risk-assessed",
    "report-within-3wd", "report-shared", "manager-oversight", "repeat-missing-reviewed",
]
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


CODES_2027_1 = [
    "offer-within-72h", "interview-within-72h", "independent-interviewer", "attempts-recorded",
    "core-content", "child-voice", "sharing-explained", "harm-followed-up",
    "exploitation-response", "report-within-3wd", "report-shared", "manager-oversight",
    "repeat-missing-reviewed", "actions-followed-through", "placing-authority-told",
]


def test_evaluate_returns_the_thirteen_standards_of_2026_1_in_the_spec_order():
    findings = evaluate(make_facts(), SET_2026_1, as_of=AS_OF)
    assert [f.code for f in findings] == CODES
    assert {f.set_version for f in findings} == {"2026.1"}


def test_set_2027_1_replaces_cse_risk_assessed_and_adds_the_plan_and_the_placing_authority():
    findings = evaluate(make_facts(), SET_2027_1, as_of=AS_OF)
    assert [f.code for f in findings] == CODES_2027_1
    assert {f.set_version for f in findings} == {"2027.1"}
    assert CURRENT is SET_2027_1
    assert [s["code"] for s in describe(SET_2027_1)["standards"]] == CODES_2027_1
    assert [s["code"] for s in describe(SET_2026_1)["standards"]] == CODES


def test_a_record_is_judged_under_its_own_set_and_a_draft_under_the_set_in_force():
    assert set_for("2026.1") is SET_2026_1
    assert set_for("2027.1") is SET_2027_1
    assert set_for(None) is CURRENT


def test_the_default_record_meets_every_standard_that_applies_to_it():
    results = {f.code: f.result for f in evaluate(make_facts(), SET_2026_1, as_of=AS_OF)}
    assert {code for code, result in results.items() if result == "met"} == {
        "offer-within-72h", "interview-within-72h", "independent-interviewer", "core-content",
        "child-voice", "sharing-explained", "report-within-3wd", "report-shared",
    }
    assert set(results.values()) == {"met", "not_applicable"}


def test_the_registry_and_the_published_metadata_agree():
    # Standards added by later sets come after 2026.1's, so the feed's letters keep their places.
    every = CODES + ["exploitation-response", "actions-followed-through",
                     "placing-authority-told"]
    assert [code for code, _ in CHECKS] == [info.code for info in STANDARDS] == every


def test_evaluate_is_pure():
    facts = make_facts()
    assert evaluate(facts, as_of=AS_OF) == evaluate(facts, as_of=AS_OF)


def test_as_of_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        evaluate(make_facts(), as_of=datetime(2026, 6, 1))


def test_findings_record_the_version_and_parameters_they_were_made_under():
    stricter = dataclasses.replace(SET_2026_1, version="2026.9", offer_hours=48)
    facts = make_facts(typed_document(offered_at=RETURNED_AT + timedelta(hours=60)))
    old, new = (next(f for f in evaluate(facts, params, as_of=AS_OF)
                     if f.code == "offer-within-72h") for params in (SET_2026_1, stricter))
    assert (old.result, old.set_version, old.due_at) == (
        "met", "2026.1", RETURNED_AT + timedelta(hours=72))
    assert (new.result, new.set_version, new.due_at) == (
        "not_met", "2026.9", RETURNED_AT + timedelta(hours=48))
    assert "the standard is within 48 hours of return" in new.detail


def test_sets_that_share_a_version_are_still_told_apart():
    # Wording and deadlines are cached; the caches must not mix up two sets of one version.
    other = dataclasses.replace(CURRENT, report_working_days=1)
    facts = make_facts(submitted_at=None)
    due = {params.report_working_days: next(
        f.due_at for f in evaluate(facts, params, as_of=AS_OF) if f.code == "report-within-3wd")
        for params in (CURRENT, other)}
    assert due[3] - due[1] == timedelta(days=4)  # Wed 4 Mar: Thu 5 (1) ... Mon 9 (3)


def test_a_finding_serialises_with_utc_z_timestamps():
    finding = Finding("report-within-3wd", "2026.1", Result.PENDING,
                      datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None,
                      "Not submitted yet.")
    assert finding.to_json() == {
        "code": "report-within-3wd",
        "set_version": "2026.1",
        "result": "pending",
        "due_at": "2026-12-31T23:59:59.999999Z",
        "evidence_at": None,
        "detail": "Not submitted yet.",
    }


def test_every_finding_of_a_record_serialises_to_json():
    for finding in evaluate(make_facts(), as_of=AS_OF):
        data = json.loads(json.dumps(finding.to_json()))
        assert data["result"] in {"met", "not_met", "not_applicable", "pending"}
        for key in ("due_at", "evidence_at"):
            assert data[key] is None or data[key].endswith("Z")


def test_summer_timestamps_are_converted_to_utc_in_json():
    facts = make_facts(typed_document(conducted_at=datetime(2026, 6, 3, 10, tzinfo=UTC)),
                       submitted_at=None)
    report = next(f for f in evaluate(facts, as_of=datetime(2026, 6, 4, tzinfo=UTC))
                  if f.code == "report-within-3wd")
    assert report.to_json()["due_at"] == "2026-06-08T22:59:59.999999Z"


def test_findings_and_facts_are_immutable():
    finding = evaluate(make_facts(), as_of=AS_OF)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.result = Result.NOT_MET  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_facts().status = "approved"  # type: ignore[misc]


def test_record_facts_default_to_a_fresh_draft():
    facts = RecordFacts(typed_document())
    assert (facts.status, facts.submitted_at, facts.approved_at, facts.other_episodes) == (
        "draft", None, None, ())


class TestDescribe:
    described = describe(SET_2026_1)

    def test_it_publishes_the_version_and_thirteen_standards(self):
        assert self.described["version"] == "2026.1"
        assert [s["code"] for s in self.described["standards"]] == CODES
        assert all(s["title"] for s in self.described["standards"])

    def test_it_gives_each_standard_the_values_of_its_parameters(self):
        by_code = {s["code"]: s["parameters"] for s in self.described["standards"]}
        assert by_code["offer-within-72h"] == {"offer_hours": 72}
        assert by_code["report-within-3wd"] == {"report_working_days": 3}
        assert by_code["attempts-recorded"] == {"not_achieved_attempts": 2}
        assert by_code["report-shared"] == {
            "sharing_working_days": 5,
            "social_worker_statuses": ["care_leaver", "child_in_need", "child_protection_plan",
                                       "looked_after"],
            "iro_statuses": ["looked_after"],
        }
        assert by_code["manager-oversight"] == {
            "oversight_working_days": 5, "oversight_seraf_category": 2}
        assert by_code["repeat-missing-reviewed"] == {
            "repeat_episodes": 3, "repeat_window_days": 30, "strategy_meeting_working_days": 5}
        assert by_code["core-content"] == {}

    def test_every_parameter_2026_1_reads_is_published_by_some_standard(self):
        published = {name for s in self.described["standards"] for name in s["parameters"]}
        assert published == {
            "offer_hours", "interview_hours", "not_achieved_attempts",
            "harm_follow_up_working_days", "seraf_working_days", "report_working_days",
            "sharing_working_days", "social_worker_statuses", "iro_statuses",
            "oversight_working_days", "oversight_seraf_category", "repeat_episodes",
            "repeat_window_days", "strategy_meeting_working_days"}

    def test_every_parameter_2027_1_reads_is_published_by_some_standard(self):
        published = {name for s in describe(SET_2027_1)["standards"] for name in s["parameters"]}
        unread = {"version", "codes", "seraf_working_days", "oversight_seraf_category",
                  "recipients_by_status_and_risk", "independence_from_role",
                  "views_on_sharing_needed"}
        assert published == {f.name for f in dataclasses.fields(SET_2027_1)} - unread
        by_code = {s["code"]: s["parameters"] for s in describe(SET_2027_1)["standards"]}
        assert by_code["exploitation-response"]["risk_tool"] == "SERAF"
        assert by_code["report-shared"]["personal_adviser_statuses"] == ["care_leaver"]

    def test_it_is_json(self):
        assert json.loads(json.dumps(self.described)) == self.described
