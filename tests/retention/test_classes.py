"""Retention classes (issue 14, item 6; security.md, "Retention"): a looked-after child's record
(or a care leaver's) is kept to the 75th birthday; an exploitation record is never deleted
automatically, but waits for a records manager's decision (`rhi retention decide`) once its
period has ended; every other record is `standard`. A legal hold wins over all of them.

The test child (`tests.builders.make_document`): born 4 May 2011, away 1 to 2 March 2026, so the
standard period ends on the 25th birthday (4 May 2036) and the looked-after one on the 75th
(4 May 2086).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.cli import main
from app.core.errors import BadRequest, NotFound
from app.interviews import submissions
from app.record.codes import EXPLOITATION_INDICATORS
from app.record.models import Child, Episode, Interview, InterviewVersion, RegisterEpisode
from app.retention import cli
from app.retention import service as retention
from app.retention.models import RetentionDecision
from tests.builders import make_document, make_org

STANDARD_END = date(2036, 5, 4)  # the 25th birthday
LOOKED_AFTER_END = date(2086, 5, 4)  # the 75th birthday
LAST_EPISODE = date(2026, 3, 2)


def moment(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_record(db: Session, legal_status: str = "none", risks: list[str] | None = None,
                **overrides: Any) -> Interview:
    make_org(db, "803")
    interview, created = submissions.create_from_api(
        db, Caller.system("803"), make_document(
            child__legal_status=legal_status, interview__risk_indicators=risks or [],
            **overrides))
    assert created
    db.commit()
    return interview


def decision_of(db: Session, interview_id: UUID) -> retention.Decision:
    [found] = retention.decisions(db, interview_id=interview_id)
    return found


def decide(db: Session, interview_id: UUID, on: date, keep_until: date | None = None
           ) -> retention.Decided:
    decided = retention.decide(db, interview_id, keep_until_day=keep_until,
                               reason="Reviewed with the exploitation lead",
                               decided_by="Records Manager (synthetic)", at=moment(on))
    db.commit()
    return decided


def still_there(db: Session, interview_id: UUID) -> bool:
    return db.get(Interview, interview_id) is not None


# --- the periods ---------------------------------------------------------------------------


def test_a_looked_after_child_is_kept_to_the_75th_birthday() -> None:
    assert retention.keep_until(date(2011, 5, 4), LAST_EPISODE, looked_after=True) == (
        LOOKED_AFTER_END, "looked_after_birthday")


def test_without_a_date_of_birth_a_looked_after_record_is_kept_75_years() -> None:
    assert retention.keep_until(None, LAST_EPISODE, looked_after=True) == (
        date(2101, 3, 2), "looked_after_birthday")


def test_a_looked_after_period_is_never_shorter_than_the_standard_one() -> None:
    rule = retention.RetentionRule(looked_after_age_years=20)

    assert retention.keep_until(date(2011, 5, 4), LAST_EPISODE, rule, looked_after=True) == (
        STANDARD_END, "birthday")


# --- worked examples, one per class and outcome --------------------------------------------


@dataclass(frozen=True)
class Example:
    name: str
    legal_status: str
    risks: tuple[str, ...]
    today: date
    retention_class: str
    keep_until: date
    outcome: str  # what the purge does on `today`
    legal_hold: bool = False


EXAMPLES = [
    Example("standard record, the day after its 25th birthday: deleted",
            "none", (), date(2036, 5, 5), "standard", STANDARD_END, "delete"),
    Example("standard record on its last day: kept",
            "child_in_need", (), STANDARD_END, "standard", STANDARD_END, "running"),
    Example("looked-after child now aged 30: kept",
            "looked_after", (), date(2041, 6, 1), "looked_after", LOOKED_AFTER_END, "running"),
    Example("looked-after child the day after the 75th birthday: deleted",
            "looked_after", (), date(2086, 5, 5), "looked_after", LOOKED_AFTER_END, "delete"),
    Example("care leaver (was looked after) aged 30: kept",
            "care_leaver", (), date(2041, 6, 1), "looked_after", LOOKED_AFTER_END, "running"),
    Example("child protection plan, a substance misuse indicator: standard",
            "child_protection_plan", ("substance_misuse",), date(2036, 5, 5), "standard",
            STANDARD_END, "delete"),
    Example("exploitation record within its period: kept",
            "none", ("county_lines",), date(2030, 1, 1), "exploitation", STANDARD_END,
            "running"),
    Example("exploitation record past its period: waits for a decision",
            "none", ("criminal_exploitation",), date(2036, 5, 5), "exploitation", STANDARD_END,
            "waiting"),
    Example("looked-after exploitation record: the looked-after period, then a decision",
            "looked_after", ("trafficking",), date(2086, 5, 5), "exploitation",
            LOOKED_AFTER_END, "waiting"),
    Example("looked-after exploitation record aged 30: kept",
            "looked_after", ("sexual_exploitation",), date(2041, 6, 1), "exploitation",
            LOOKED_AFTER_END, "running"),
    Example("standard record under legal hold: kept",
            "none", (), date(2040, 1, 1), "standard", STANDARD_END, "held", legal_hold=True),
    Example("exploitation record under legal hold: kept, no decision asked for",
            "none", ("online_exploitation",), date(2040, 1, 1), "exploitation", STANDARD_END,
            "held", legal_hold=True),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_each_record_has_a_class_and_an_outcome(db: Session, example: Example) -> None:
    record = make_record(db, example.legal_status, list(example.risks))
    if example.legal_hold:
        db.execute(update(Interview).where(col(Interview.id) == record.id).values(
            legal_hold=True))

    found = decision_of(db, record.id)
    plan = retention.plan(db, example.today)

    assert found.retention_class == example.retention_class
    assert found.keep_until == example.keep_until
    assert found.outcome(example.today) == example.outcome
    listed = {"delete": plan.due, "held": plan.held, "waiting": plan.waiting,
              "deferred": plan.deferred}
    for outcome, decisions in listed.items():
        assert (record.id in [d.interview_id for d in decisions]) == (
            outcome == example.outcome), outcome


@pytest.mark.parametrize("code", sorted(EXPLOITATION_INDICATORS))
def test_every_form_of_exploitation_makes_the_class(db: Session, code: str) -> None:
    record = make_record(db, risks=[code])

    assert decision_of(db, record.id).retention_class == "exploitation"


def test_an_exploitation_indicator_on_an_earlier_version_only_still_counts(
        db: Session) -> None:
    record = make_record(db, risks=["county_lines"])
    corrected = make_document(id=str(record.id), child__legal_status="none",
                              interview__risk_indicators=[])
    corrected["child"] = record.document["child"]
    submissions.update_from_api(db, Caller.system("803"), record.id, corrected, "*")
    db.commit()
    current = db.get(Interview, record.id)
    assert current is not None
    assert not current.document["interview"].get("risk_indicators")
    assert db.execute(select(func.count()).select_from(InterviewVersion).where(
        col(InterviewVersion.interview_id) == record.id)).scalar_one() == 2

    found = decision_of(db, record.id)

    assert found.retention_class == "exploitation"
    assert found.outcome(date(2036, 5, 5)) == "waiting"


def test_a_looked_after_status_on_an_earlier_version_only_still_counts(db: Session) -> None:
    record = make_record(db, "looked_after")
    changed = make_document(id=str(record.id), interview__risk_indicators=[])
    changed["child"] = {**record.document["child"], "legal_status": "child_in_need"}
    submissions.update_from_api(db, Caller.system("803"), record.id, changed, "*")
    db.commit()

    assert decision_of(db, record.id).retention_class == "looked_after"


def test_a_register_episode_the_record_covers_notified_as_looked_after_counts(
        db: Session) -> None:
    record = make_record(db)
    db.execute(update(RegisterEpisode).where(col(RegisterEpisode.id).in_(
        select(col(Episode.register_id)).where(col(Episode.interview_id) == record.id)))
        .values(legal_status="looked_after"))

    found = decision_of(db, record.id)

    assert (found.retention_class, found.keep_until) == ("looked_after", LOOKED_AFTER_END)


# --- a records manager's decision ----------------------------------------------------------


def test_an_exploitation_record_goes_only_after_a_destroy_decision(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    record_id = make_record(db, risks=["criminal_exploitation"]).id

    cli.purge(db, dry_run=False, today=date(2040, 1, 1))
    assert still_there(db, record_id)
    printed = capsys.readouterr().out
    assert (f"waiting for a records manager's decision: {record_id} (recorded by 803) "
            f"[exploitation]: the child's 25th birthday has passed; retention ended 2036-05-04"
            in printed)
    assert f"rhi retention decide {record_id} --destroy|--keep-until" in printed
    assert "1 waiting for a records manager's decision" in printed

    decide(db, record_id, date(2040, 1, 2))
    cli.purge(db, dry_run=False, today=date(2040, 1, 3))

    assert not still_there(db, record_id)
    assert (f"deleted {record_id} (recorded by 803) [exploitation]: the child's 25th birthday "
            f"has passed; kept until 2036-05-04; a records manager decided on 2040-01-02 to "
            f"destroy it" in capsys.readouterr().out)
    assert db.execute(select(func.count()).select_from(RetentionDecision).where(
        col(RetentionDecision.interview_id) == record_id)).scalar_one() == 0
    [entry] = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "interview.delete",
        col(AuditEntry.target) == str(record_id))).scalars()
    assert entry.details["class"] == "exploitation"
    assert entry.details["decided_on"] == "2040-01-02"


def test_keep_until_defers_it_to_that_day_then_it_waits_again(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record(db, risks=["county_lines"])
    decide(db, record.id, date(2036, 5, 10), keep_until=date(2037, 1, 1))

    outcomes = {day: decision_of(db, record.id).outcome(day)
                for day in (date(2036, 6, 1), date(2037, 1, 1), date(2037, 1, 2))}

    assert outcomes == {date(2036, 6, 1): "deferred", date(2037, 1, 1): "deferred",
                        date(2037, 1, 2): "waiting"}
    cli.purge(db, dry_run=True, today=date(2036, 6, 1))
    assert (f"kept {record.id} (recorded by 803) [exploitation]: a records manager decided on "
            f"2036-05-10 to keep it until 2037-01-01 (retention ended 2036-05-04)"
            in capsys.readouterr().out)
    cli.purge(db, dry_run=False, today=date(2037, 1, 2))
    assert still_there(db, record.id)
    assert ("the records manager's decision kept it until 2037-01-01"
            in capsys.readouterr().out)


def test_a_later_decision_replaces_an_earlier_one(db: Session) -> None:
    record = make_record(db, risks=["trafficking"])
    decide(db, record.id, date(2036, 5, 10), keep_until=date(2040, 1, 1))
    decide(db, record.id, date(2036, 6, 1))

    assert decision_of(db, record.id).outcome(date(2036, 6, 2)) == "delete"


def test_a_decision_on_an_earlier_period_does_not_count(db: Session) -> None:
    # Destroy was decided when the period ended; then a new episode lengthened it.
    record = make_record(db, risks=["trafficking"])
    db.add(RetentionDecision(interview_id=record.id, decision="destroy", reason="Synthetic",
                             decided_by="Records Manager", decided_at=moment(date(2036, 5, 5))))
    db.flush()
    db.execute(update(Episode).where(col(Episode.interview_id) == record.id).values(
        returned_at=moment(date(2036, 5, 1))))

    found = decision_of(db, record.id)

    assert found.keep_until == date(2042, 5, 1)
    assert (found.recorded, found.outcome(date(2042, 5, 2))) == (None, "waiting")


def test_a_legal_hold_wins_over_a_destroy_decision(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record(db, risks=["sexual_exploitation"])
    decide(db, record.id, date(2036, 5, 10))
    db.execute(update(Interview).where(col(Interview.id) == record.id).values(legal_hold=True))
    db.commit()

    cli.purge(db, dry_run=False, today=date(2036, 6, 1))

    assert still_there(db, record.id)
    assert (f"kept {record.id} (recorded by 803) [exploitation]: legal hold"
            in capsys.readouterr().out)


def test_a_decision_is_audited_without_the_reason_or_the_child(db: Session) -> None:
    record = make_record(db, risks=["county_lines"], child__given_name="Philippa",
                         child__family_name="Quenby")

    decided = retention.decide(db, record.id, keep_until_day=date(2038, 1, 1),
                               reason="Philippa Quenby's case is before the court",
                               decided_by="R. Manager", at=moment(date(2036, 5, 10)))

    assert (decided.row.decision, decided.row.keep_until) == ("keep_until", date(2038, 1, 1))
    [entry] = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "interview.retention-decision")).scalars()
    assert (entry.actor, entry.organisation, entry.target) == ("cli", "803", str(record.id))
    assert entry.details == {"decision": "keep_until", "keep_until": "2038-01-01",
                             "decided_by": "R. Manager", "class": "exploitation",
                             "retention_ended": "2036-05-04"}
    logged = str(db.execute(text("SELECT details, target FROM audit_entries")).all())
    assert "Philippa" not in logged and "Quenby" not in logged and "2011" not in logged


REFUSALS = [
    ("a standard record", "none", [], date(2036, 5, 10), None, "is of the standard class"),
    ("a looked-after record", "looked_after", [], date(2086, 5, 10), None,
     "is of the looked_after class"),
    ("before the period ends", "none", ["county_lines"], date(2036, 5, 4), None,
     "runs until 2036-05-04"),
    ("a keep-until day not after today", "none", ["county_lines"], date(2036, 5, 10),
     date(2036, 5, 10), "must be a day after today"),
]


@pytest.mark.parametrize(("name", "legal_status", "risks", "on", "keep", "message"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_a_decision_is_refused_where_none_is_needed(
        db: Session, name: str, legal_status: str, risks: list[str], on: date,
        keep: date | None, message: str) -> None:
    record = make_record(db, legal_status, risks)

    with pytest.raises(BadRequest, match=message):
        decide(db, record.id, on, keep_until=keep)
    assert db.execute(select(func.count()).select_from(RetentionDecision)).scalar_one() == 0


@pytest.mark.parametrize(("reason", "by"), [("", "R. Manager"), ("  ", "R. Manager"),
                                            ("Fine", ""), ("x" * 2001, "R. Manager"),
                                            ("Bad \u202e text", "R. Manager")])
def test_a_decision_needs_a_reason_and_who_made_it(db: Session, reason: str, by: str) -> None:
    record = make_record(db, risks=["county_lines"])

    with pytest.raises(BadRequest):
        retention.decide(db, record.id, keep_until_day=None, reason=reason, decided_by=by,
                         at=moment(date(2036, 5, 10)))


def test_a_decision_on_no_record_is_refused(db: Session) -> None:
    with pytest.raises(NotFound):
        retention.decide(db, uuid4(), keep_until_day=None, reason="Synthetic",
                         decided_by="R. Manager", at=moment(date(2036, 5, 10)))


# --- the dry run, and the register ---------------------------------------------------------


def test_the_dry_run_prints_each_class_what_it_would_do_and_why_with_no_name(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    names: dict[str, Any] = {"child__given_name": "Tabitha", "child__family_name": "Orpwood"}
    standard = make_record(db, **names)
    looked_after = make_record(db, "looked_after", **names)
    exploited = make_record(db, risks=["county_lines"], **names)
    entries = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    cli.purge(db, dry_run=True, today=date(2036, 5, 5))

    printed = capsys.readouterr().out
    assert (f"would delete {standard.id} (recorded by 803) [standard]: the child's 25th "
            f"birthday has passed; kept until 2036-05-04") in printed
    assert (f"waiting for a records manager's decision: {exploited.id} (recorded by 803) "
            f"[exploitation]") in printed
    assert str(looked_after.id) not in printed
    assert "Records that would be deleted: 1; 1 waiting for a records manager's decision" \
        in printed
    assert "Within their retention period: " in printed and "1 looked_after" in printed
    assert "Tabitha" not in printed and "Orpwood" not in printed and "2011" not in printed
    assert all(still_there(db, r.id) for r in (standard, looked_after, exploited))
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries


@pytest.mark.parametrize(("legal_status", "retention_class", "goes_on"), [
    ("none", "standard", date(2036, 5, 5)),
    ("care_leaver", "looked_after", date(2086, 5, 5)),
])
def test_an_episode_of_the_register_no_record_covers_has_its_class(
        db: Session, legal_status: str, retention_class: str, goes_on: date) -> None:
    make_org(db, "803")
    child = Child(responsible_authority="803", local_id=f"REG-{uuid4().hex[:8]}",
                  date_of_birth=date(2011, 5, 4))
    db.add(child)
    db.flush()
    assert child.id is not None
    episode_id = uuid4()
    db.add(RegisterEpisode(id=episode_id, child_id=child.id, responsible_authority="803",
                           notified_by_org="803", source="notification", type="missing",
                           started_at=moment(date(2026, 3, 1)),
                           returned_at=moment(date(2026, 3, 2)), legal_status=legal_status))
    db.flush()

    def due(day: date) -> list[retention.RegisterDecision]:
        return [d for d in retention.register_due(db, day) if d.episode_id == episode_id]

    assert due(date(goes_on.year, goes_on.month, goes_on.day - 1)) == []
    [decision] = due(goes_on)
    assert decision.retention_class == retention_class


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["not-an-id", "--destroy"],
    [str(uuid4())],
    [str(uuid4()), "--destroy", "--keep-until", "2040-01-01"],
    [str(uuid4()), "--keep-until", "1 January 2040"],
])
def test_decide_refuses_bad_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["retention", "decide", *args, "--reason", "Synthetic", "--by", "R. Manager"])

    assert code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_decisions_go_with_their_record_however_it_is_deleted(db: Session) -> None:
    record = make_record(db, risks=["county_lines"])
    decide(db, record.id, date(2036, 5, 10), keep_until=date(2037, 1, 1))
    record_id = record.id

    # As a draft's discarding does: no step of its own for the decisions (ON DELETE CASCADE).
    db.execute(update(RegisterEpisode).values(interview_id=None).where(
        col(RegisterEpisode.interview_id) == record_id))
    db.execute(delete(Episode).where(col(Episode.interview_id) == record_id))
    db.execute(delete(InterviewVersion).where(col(InterviewVersion.interview_id) == record_id))
    db.execute(delete(Interview).where(col(Interview.id) == record_id))

    assert db.execute(select(func.count()).select_from(RetentionDecision).where(
        col(RetentionDecision.interview_id) == record_id)).scalar_one() == 0
