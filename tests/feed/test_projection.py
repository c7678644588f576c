"""The projection follows every write: submissions, approvals, returns, re-evaluated findings,
other records of the same child; and its `updated_at` only ever moves forward."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.feed import projection
from app.feed.models import FeedPendingFinding, FeedRow
from app.feed.service import on_feed_rows
from app.interviews import service
from app.record.models import Episode, Interview, InterviewVersion
from app.record.visibility import visible_to
from tests.builders import actor, record, save_draft
from tests.feed.test_formats import CSE


def fed(db: Session, interview: Interview) -> dict[str, Any] | None:
    line = db.execute(select(col(FeedRow.json_line)).where(
        col(FeedRow.interview_id) == interview.id)).scalar_one_or_none()
    return orjson.loads(line) if line is not None else None


def result_of(row: dict[str, Any], code: str) -> str:
    return str(next(f["result"] for f in row["standards"] if f["code"] == code))


def test_approving_and_returning_a_record_move_it_forward_in_the_feed(db: Session) -> None:
    first = record(db, **CSE)
    submitted = fed(db, first)
    assert submitted is not None and submitted["status"] == "submitted"
    assert result_of(submitted, "manager-oversight") == "pending"
    service.approve(db, first, actor(), "Checked.", read_record=True)
    approved = fed(db, first)
    assert approved is not None and approved["status"] == "approved"
    assert approved["approved_at"] is not None
    assert result_of(approved, "manager-oversight") == "met"
    assert approved["updated_at"] > submitted["updated_at"]

    second = record(db)
    service.return_to_interviewer(db, second, actor(), "Please add the sharing.")
    returned = fed(db, second)
    assert returned is not None and returned["status"] == "returned"


def test_a_draft_is_not_fed(db: Session) -> None:
    draft = service.start_draft(db, actor())
    assert save_draft(db, draft, actor(), {"sharing": [
        {"with": "police", "at": "2026-03-04T10:00:00Z"}]}) == []
    assert draft.document["sharing"][0]["with"] == "police"
    assert fed(db, draft) is None


def test_a_returned_record_being_edited_keeps_its_submitted_version_in_the_feed(
        db: Session) -> None:
    returned = record(db, episodes__0__type="away")
    service.return_to_interviewer(db, returned, actor(), "Check the dates.")
    at_return = fed(db, returned)
    assert at_return is not None and at_return["status"] == "returned"
    assert at_return["shared_with"] == ["social_worker"]

    # The interviewer's edits are a working copy until resubmitted: nothing of them is fed.
    assert save_draft(db, returned, actor(), {**returned.document, "sharing": [], "episodes": [
        {**returned.document["episodes"][0], "type": "missing"}]}) == []
    assert "sharing" not in returned.document  # the working copy has lost its sharing
    assert fed(db, returned) == at_return
    counted = db.execute(select(col(Episode.type)).where(
        col(Episode.interview_id) == returned.id)).scalars().all()
    assert counted == ["away"]

    assert service.submit(db, returned, actor()) == []
    resubmitted = fed(db, returned)
    assert resubmitted is not None and resubmitted["status"] == "submitted"
    assert resubmitted["version"] == 2 and resubmitted["shared_with"] == []
    assert [e["type"] for e in resubmitted["episodes"]] == ["missing"]
    assert resubmitted["updated_at"] > at_return["updated_at"]


def test_findings_re_evaluated_after_a_deadline_move_the_row_forward(db: Session) -> None:
    interview = record(db, **CSE)
    before = fed(db, interview)
    assert before is not None
    pending = db.execute(select(FeedPendingFinding)).scalars().all()
    assert [p.code for p in pending] == ["manager-oversight"]

    changed = service.evaluate_due_findings(db, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert changed == 1
    after = fed(db, interview)
    assert after is not None
    assert result_of(after, "manager-oversight") == "not_met"
    assert after["version"] == before["version"]
    # The record itself did not change, but what the feed says about it did.
    assert after["updated_at"] > before["updated_at"]
    assert db.execute(select(FeedPendingFinding)).scalars().all() == []


def test_a_later_record_of_an_earlier_episode_updates_the_other_records_count(
        db: Session) -> None:
    later = record(db, child__local_id="REPEAT-1", episodes=[
        {"type": "missing", "started_at": "2026-03-01T18:00:00Z",
         "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True}])
    before = fed(db, later)
    assert before is not None and before["episodes_in_last_90_days"] == 1
    earlier = record(db, child__local_id="REPEAT-1", episodes=[
        {"type": "away", "started_at": "2026-02-10T18:00:00Z",
         "returned_at": "2026-02-11T09:00:00Z", "reported_to_police": False}],
        offer__offered_at="2026-02-11T12:00:00Z",
        interview__conducted_at="2026-02-12T10:00:00Z")
    after = fed(db, later)
    assert after is not None and after["episodes_in_last_90_days"] == 2
    assert after["updated_at"] > before["updated_at"]
    assert fed(db, earlier)["episodes_in_last_90_days"] == 1  # type: ignore[index]
    assert before["child_key"] == after["child_key"]


def test_a_new_record_written_as_new_is_fed_as_any_other_and_updates_its_siblings(
        db: Session) -> None:
    later = record(db, child__local_id="REPEAT-2", episodes=[
        {"type": "missing", "started_at": "2026-03-01T18:00:00Z",
         "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True}])
    earlier = record(db, child__local_id="REPEAT-2", episodes=[
        {"type": "away", "started_at": "2026-02-10T18:00:00Z",
         "returned_at": "2026-02-11T09:00:00Z", "reported_to_police": False}],
        offer__offered_at="2026-02-11T12:00:00Z",
        interview__conducted_at="2026-02-12T10:00:00Z")
    as_written, counted = fed(db, earlier), fed(db, later)
    assert counted is not None and counted["episodes_in_last_90_days"] == 2
    # As if `earlier` had just been created: no feed row, and its sibling not yet counting it.
    db.execute(delete(FeedRow).where(col(FeedRow.interview_id) == earlier.id))
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == later.id).values(
        json_line=orjson.dumps({**counted, "episodes_in_last_90_days": 1}).decode()))

    projection.refresh(db, earlier, new=True)
    assert fed(db, earlier) == as_written
    assert fed(db, later)["episodes_in_last_90_days"] == 2  # type: ignore[index]


def test_rebuilding_writes_only_what_is_missing_or_different(db: Session) -> None:
    made = [record(db) for _ in range(3)]
    lines = {i.id: fed(db, i) for i in made}
    assert projection.rebuild(db) == 0
    db.execute(delete(FeedRow).where(col(FeedRow.interview_id) == made[0].id))
    assert projection.rebuild(db) == 1
    assert {i.id: fed(db, i) for i in made} == lines
    # A column the feed filters on, stale (as after a release that changes its format): the row
    # is written again, and, its record being the same, keeps its place in the feed.
    db.execute(update(FeedRow).where(col(FeedRow.interview_id) == made[1].id)
               .values(standard_results="stale"))
    assert projection.rebuild(db) == 1
    assert {i.id: fed(db, i) for i in made} == lines
    assert db.execute(select(col(FeedRow.standard_results)).where(
        col(FeedRow.interview_id) == made[1].id)).scalar_one() != "stale"


def test_deleting_a_record_deletes_its_feed_row(db: Session) -> None:
    interview = record(db, **CSE)
    for table in (InterviewVersion, Episode):
        db.execute(delete(table).where(table.interview_id == interview.id))  # type: ignore[attr-defined]
    db.execute(delete(Interview).where(col(Interview.id) == interview.id))
    assert db.execute(select(FeedRow)).all() == []
    assert db.execute(select(FeedPendingFinding)).all() == []


def test_the_visibility_rule_is_refused_if_it_reads_what_the_feed_does_not_carry() -> None:
    assert "feed_rows.recorded_by_org" in str(on_feed_rows(visible_to("803")))
    with pytest.raises(RuntimeError, match="interviews.created_by_user_id"):
        on_feed_rows(col(Interview.created_by_user_id) == 1)
