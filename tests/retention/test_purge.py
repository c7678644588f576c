"""`rhi retention purge`: standard records go the day after the later of the child's 25th
birthday and 6 years after the last episode; a legal hold keeps them; a dry run changes nothing;
each deletion is audited by id, without a name (security.md, "Retention"). The other classes
(looked after, exploitation) and a records manager's decisions are in `test_classes.py`."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.feed.models import FeedRow
from app.interviews import submissions
from app.record.models import Child, Episode, Interview, InterviewVersion
from app.retention import service as retention
from app.retention.cli import purge
from tests.builders import make_document, make_org

# The standard test child: born 4 May 2011, last episode ended 2 March 2026 (London).
BIRTHDAY_25 = date(2036, 5, 4)
LAST_EPISODE = date(2026, 3, 2)


def make_record(db: Session, **overrides: Any) -> Interview:
    """A record of the standard class unless told (the builders' child is looked after)."""
    overrides.setdefault("child__legal_status", "none")
    make_org(db, "803")
    actor = Caller.system("803")
    interview, created = submissions.create_from_api(db, actor, make_document(**overrides))
    assert created
    db.commit()
    return interview


def rows(db: Session, interview_id: UUID) -> dict[str, int]:
    """How many rows of each table hold the record."""
    def count(model: Any, column: Any) -> int:
        return db.execute(select(func.count()).select_from(model).where(
            column == interview_id)).scalar_one()
    return {"interviews": count(Interview, col(Interview.id)),
            "versions": count(InterviewVersion, col(InterviewVersion.interview_id)),
            "episodes": count(Episode, col(Episode.interview_id)),
            "feed_rows": count(FeedRow, col(FeedRow.interview_id))}


GONE = {"interviews": 0, "versions": 0, "episodes": 0, "feed_rows": 0}
WHOLE = {"interviews": 1, "versions": 1, "episodes": 1, "feed_rows": 1}


# --- the rule ------------------------------------------------------------------------------


def test_a_child_is_kept_until_their_25th_birthday_when_that_is_later() -> None:
    assert retention.keep_until(date(2011, 5, 4), LAST_EPISODE) == (BIRTHDAY_25, "birthday")


def test_a_young_adult_is_kept_6_years_after_the_last_episode_when_that_is_later() -> None:
    assert retention.keep_until(date(2004, 1, 1), LAST_EPISODE) == (
        date(2032, 3, 2), "last_episode")


def test_a_29_february_birthday_falls_on_1_march() -> None:
    assert retention.keep_until(date(2008, 2, 29), date(2026, 3, 2)) == (
        date(2033, 3, 1), "birthday")


def test_without_a_date_of_birth_the_youngest_possible_child_is_assumed() -> None:
    assert retention.keep_until(None, LAST_EPISODE) == (date(2051, 3, 2), "birthday")


def test_the_rule_can_be_changed_in_one_place() -> None:
    rule = retention.RetentionRule(age_years=21, years_after_last_episode=10)

    assert retention.keep_until(date(2011, 5, 4), LAST_EPISODE, rule) == (
        date(2036, 3, 2), "last_episode")


# --- which records go ----------------------------------------------------------------------


def test_a_record_is_kept_on_the_last_day_and_goes_the_day_after(db: Session) -> None:
    record = make_record(db)

    on_the_day = retention.plan(db, BIRTHDAY_25)
    after = retention.plan(db, date(2036, 5, 5))

    assert record.id not in [d.interview_id for d in on_the_day.due]
    assert [d.interview_id for d in after.due if d.interview_id == record.id] == [record.id]


def test_the_latest_return_of_the_record_counts(db: Session) -> None:
    # Started 1 March, returned 2 March: the return is what counts.
    record = make_record(db, child__legal_status="child_in_need")
    # A child 22 at the episode (validation allows that of a care leaver only, who is looked
    # after): the 25th birthday comes before the 6 years.
    db.execute(update(Child).where(col(Child.id) == record.child_id).values(
        date_of_birth=date(2004, 1, 1)))

    [decision] = [d for d in retention.decisions(db) if d.interview_id == record.id]

    assert (decision.keep_until, decision.because) == (date(2032, 3, 2), "last_episode")


def test_the_date_of_birth_of_the_document_counts_when_there_is_no_child_row(
        db: Session) -> None:
    record = make_record(db)
    db.execute(update(Interview).where(col(Interview.id) == record.id).values(child_id=None))

    [decision] = [d for d in retention.decisions(db) if d.interview_id == record.id]

    assert decision.keep_until == BIRTHDAY_25


# --- purging -------------------------------------------------------------------------------


def test_a_purge_removes_the_record_everything_hanging_off_it_and_the_child(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record(db, child__given_name="Vivienne", child__family_name="Marchbanks")
    record_id, child_id = record.id, record.child_id
    assert rows(db, record_id) == WHOLE

    purge(db, dry_run=False, today=date(2036, 5, 5))

    assert rows(db, record_id) == GONE
    assert db.get(Child, child_id) is None
    printed = capsys.readouterr().out
    assert (f"deleted {record_id} (recorded by 803) [standard]: the child's 25th birthday has "
            f"passed; kept until 2036-05-04; 1 version, 1 episode; the child row too") in printed
    assert "Vivienne" not in printed and "Marchbanks" not in printed
    [entry] = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "interview.delete",
        col(AuditEntry.target) == str(record_id))).scalars()
    assert (entry.actor, entry.organisation) == ("system", "803")
    assert entry.details == {"reason": "retention", "class": "standard", "rule": "birthday",
                             "versions": 1, "episodes": 1, "other_rows": 1,
                             "child_removed": True}


def test_the_child_row_stays_while_another_record_of_the_child_does(db: Session) -> None:
    first = make_record(db)
    document = make_document(episodes__0__started_at="2026-04-01T18:00:00Z",
                             episodes__0__returned_at="2026-04-02T09:00:00Z",
                             offer__offered_at="2026-04-02T12:00:00Z",
                             interview__conducted_at="2026-04-03T10:00:00Z")
    document["child"] = {**first.document["child"]}
    second, _ = submissions.create_from_api(
        db, Caller.system("803"), document)
    db.commit()
    assert second.child_id == first.child_id

    first_id, child_id = first.id, first.child_id
    retention.delete_record(db, next(d for d in retention.decisions(db)
                                     if d.interview_id == first_id))

    assert rows(db, first_id) == GONE
    assert db.get(Child, child_id) is not None
    assert rows(db, second.id) == WHOLE


def test_a_record_under_legal_hold_is_kept_and_said_to_be(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    held = make_record(db)
    held.legal_hold = True
    db.commit()

    purge(db, dry_run=False, today=date(2040, 1, 1))

    assert rows(db, held.id) == WHOLE
    assert (f"kept {held.id} (recorded by 803) [standard]: legal hold (retention ended "
            f"2036-05-04)" in capsys.readouterr().out)


def test_a_hold_set_after_the_purge_began_keeps_the_record(db: Session) -> None:
    record = make_record(db)
    [decision] = [d for d in retention.plan(db, date(2040, 1, 1)).due
                  if d.interview_id == record.id]
    record.legal_hold = True
    db.flush()

    assert retention.recheck(db, decision, date(2040, 1, 1)) is None


def test_a_dry_run_lists_what_would_go_and_changes_nothing(
        db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    record = make_record(db)
    entries = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    purge(db, dry_run=True, today=date(2036, 5, 5))

    assert rows(db, record.id) == WHOLE
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries
    printed = capsys.readouterr().out
    assert f"would delete {record.id} (recorded by 803) [standard]" in printed
    assert "(dry run: nothing is changed)" in printed
    assert "Records that would be deleted: " in printed


def test_nothing_is_due_today_for_a_recent_record(db: Session) -> None:
    record = make_record(db)

    assert record.id not in [d.interview_id for d in retention.plan(db).due]


def test_the_audit_entry_of_a_deletion_names_no_one(db: Session) -> None:
    record = make_record(db, child__given_name="Ursula", child__family_name="Kettleby")

    retention.delete_record(db, next(d for d in retention.decisions(db)
                                     if d.interview_id == record.id))

    logged = db.execute(text("SELECT details, target FROM audit_entries "
                             "WHERE action = 'interview.delete'")).all()
    assert "Ursula" not in str(logged) and "Kettleby" not in str(logged)
    assert "2011" not in str(logged), "no date of birth either"
