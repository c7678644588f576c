"""Properties of evaluate over arbitrary valid-shaped records, drafts included: any field may be
missing, any code may appear, and instants cluster around clock changes and bank holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from app.record import codes
from app.record.document import (
    Action,
    Attempt,
    Child,
    Episode,
    InterviewContent,
    InterviewDocument,
    Offer,
    Sharing,
)
from app.standards import Finding, RecordFacts, StandardSet, evaluate
from app.standards.judging import reference_of
from app.standards.params import SET_2026_1, SET_2027_1

CODES = [
    "offer-within-72h", "interview-within-72h", "independent-interviewer", "attempts-recorded",
    "core-content", "child-voice", "sharing-explained", "harm-followed-up", "cse-risk-assessed",
    "report-within-3wd", "report-shared", "manager-oversight", "repeat-missing-reviewed",
]


def _last_sunday_0100_utc(year: int, month: int) -> datetime:
    day = datetime(year, month, 31, 1, tzinfo=UTC)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# UK clocks change at 01:00 UTC on the last Sundays of March and October.
CLOCK_CHANGES = [_last_sunday_0100_utc(y, m) for y in range(2020, 2031) for m in (3, 10)]
CHRISTMASES = [datetime(y, 12, 24, 12, tzinfo=UTC) for y in range(2020, 2031)]

instants = st.one_of(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                 timezones=st.just(UTC)),
    st.builds(lambda base, minutes: base + timedelta(minutes=minutes),
              st.sampled_from(CLOCK_CHANGES + CHRISTMASES),
              st.integers(min_value=-4 * 24 * 60, max_value=4 * 24 * 60)),
)


def maybe(strategy):
    return st.none() | strategy


def code(table):
    return st.sampled_from(sorted(table))


def code_lists(table):
    return st.lists(code(table), unique=True, max_size=4).map(tuple)


texts = maybe(st.sampled_from(["", "   ", "Something recorded", "x" * 50]))
booleans = maybe(st.booleans())
authorities = maybe(st.sampled_from(["803", "801", "avon-police"]))

children = st.builds(
    Child, local_id=maybe(st.just("C1")), given_name=texts, family_name=texts,
    gender=maybe(code(codes.GENDER)), ethnicity=maybe(code(codes.ETHNICITY)),
    legal_status=maybe(code(codes.LEGAL_STATUS)), responsible_authority=authorities,
    placement_authority=authorities,
)
episodes = st.builds(
    Episode, type=maybe(code(codes.EPISODE_TYPE)), started_at=maybe(instants),
    returned_at=maybe(instants), reported_to_police=booleans,
    police_risk_grade=maybe(code(codes.POLICE_RISK_GRADE)),
)
attempts = st.builds(Attempt, at=maybe(instants), method=maybe(code(codes.ATTEMPT_METHOD)),
                     result=texts)
offers = st.builds(
    Offer, outcome=maybe(code(codes.OFFER_OUTCOME)), offered_at=maybe(instants),
    not_offered_reason=texts, decline_reason=texts,
    attempts=st.lists(attempts, max_size=3).map(tuple), carer_information=texts,
)
interviews = st.builds(
    InterviewContent, conducted_at=maybe(instants), mode=maybe(code(codes.MODE)),
    location_type=maybe(code(codes.LOCATION_TYPE)),
    interviewer_role=maybe(code(codes.INTERVIEWER_ROLE)),
    interviewer_independent=booleans, interviewer_trained=booleans,
    child_chose_interviewer=booleans, push_factors=code_lists(codes.PUSH_FACTORS),
    pull_factors=code_lists(codes.PULL_FACTORS), where_stayed=texts, with_whom=texts,
    harm_disclosed=maybe(code(codes.HARM_DISCLOSED)),
    risk_indicators=code_lists(codes.RISK_INDICATORS), child_account=texts,
    read_back_to_child=booleans, information_sharing_explained=booleans,
    consent_to_share=maybe(code(codes.CONSENT_TO_SHARE)),
    seraf_score=maybe(st.integers(min_value=0, max_value=99)),
    interviewer_relationship=maybe(code(codes.INTERVIEWER_RELATIONSHIP)),
    views_on_sharing=maybe(code(codes.VIEWS_ON_SHARING)),
    lawful_basis=maybe(code(codes.LAWFUL_BASIS)), shared_against_wishes=booleans,
    shared_against_wishes_reason=texts, child_told_of_sharing=booleans,
)
actions = st.builds(Action, type=maybe(code(codes.ACTION_TYPE)), at=maybe(instants), notes=texts,
                    due_at=maybe(instants), status=maybe(code(codes.ACTION_STATUS)),
                    outcome=texts)
sharings = st.builds(Sharing, with_=maybe(code(codes.SHARING_WITH)), at=maybe(instants))
documents = st.builds(
    InterviewDocument, id=st.uuids(), child=children,
    episodes=st.lists(episodes, max_size=3).map(tuple), offer=offers,
    interview=maybe(interviews), actions=st.lists(actions, max_size=4).map(tuple),
    sharing=st.lists(sharings, max_size=4).map(tuple),
)
record_facts = st.builds(
    RecordFacts, document=documents,
    status=st.sampled_from(["draft", "submitted", "returned", "approved"]),
    submitted_at=maybe(instants), approved_at=maybe(instants),
    other_episodes=st.lists(episodes, max_size=5).map(tuple),
)

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


def assert_the_set_in_order(findings: list[Finding], params: StandardSet) -> None:
    assert [f.code for f in findings] == list(params.codes)
    assert all(f.set_version == params.version for f in findings)


def assert_no_pending_is_overdue(findings: list[Finding], as_of: datetime) -> None:
    for finding in findings:
        if finding.result == "pending":
            assert finding.due_at is None or finding.due_at >= as_of, finding


def assert_dated_evidence_is_judged_against_the_deadline(findings: list[Finding]) -> None:
    for finding in findings:
        if finding.due_at is not None and finding.evidence_at is not None:
            expected = "met" if finding.evidence_at <= finding.due_at else "not_met"
            assert finding.result == expected, finding


def assert_well_formed(findings: list[Finding]) -> None:
    for finding in findings:
        assert finding.result in {"met", "not_met", "not_applicable", "pending"}
        assert finding.detail.endswith(".") and len(finding.detail) > 10
        assert not finding.detail[0].islower()
        if finding.result == "not_applicable":
            assert finding.due_at is None and finding.evidence_at is None
        for instant in (finding.due_at, finding.evidence_at):
            assert instant is None or instant.utcoffset() == timedelta(0)
        assert finding.to_json()["result"] == finding.result.value


# One test for several properties: generating records is the slow part, so each is used fully.
@PROPERTY_SETTINGS
@given(record_facts, instants, st.sampled_from([SET_2026_1, SET_2027_1]))
def test_evaluate_keeps_its_promises_for_any_record(facts, as_of, params):
    findings = evaluate(facts, params, as_of=as_of)  # never raises
    assert_the_set_in_order(findings, params)
    assert list(params.codes[:8]) == CODES[:8]
    assert_no_pending_is_overdue(findings, as_of)
    assert_dated_evidence_is_judged_against_the_deadline(findings)
    assert_well_formed(findings)


# Only the episodes, the offer and the interview time decide the return and the reference time.
timed_documents = st.builds(
    InterviewDocument, id=st.just(UUID(int=1)),
    episodes=st.lists(st.builds(Episode, returned_at=maybe(instants)), max_size=3).map(tuple),
    offer=offers, interview=maybe(st.builds(InterviewContent, conducted_at=maybe(instants))),
)


@PROPERTY_SETTINGS
@given(timed_documents)
def test_the_checks_read_return_and_reference_time_as_the_document_defines_them(document):
    reference = reference_of(document)
    assert (reference[1] if reference else None) == document.reference_time
