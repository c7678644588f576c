"""A record is judged for its life under the standard set in force when it was first submitted:
records made under 2026.1 keep their findings and version; new records are judged by 2027.1.
And an approved record stays in the manager's queue while its follow-up plan is overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.core.types import utcnow
from app.interviews import service, storage
from app.interviews.oversight import oversight_queue
from app.interviews.submissions import create_from_api, update_from_api
from app.record.formats import format_timestamp
from app.record.models import Interview
from tests.builders import make_document, make_org
from tests.durability.scratch import scratch_database
from tests.episodes.test_register_migration import _alembic

CE = {"interview__risk_indicators": ["criminal_exploitation"]}


@pytest.fixture(autouse=True)
def organisations(db: Session) -> None:
    make_org(db, "803")


def _codes(interview: Interview) -> dict[str, str]:
    return {f["code"]: f["set_version"] for f in interview.findings}


def test_a_new_record_is_judged_by_2027_1(db: Session) -> None:
    made, _ = create_from_api(db, Caller.system("803"), make_document(**CE))
    assert made.standard_set == "2027.1"
    codes = _codes(made)
    assert set(codes.values()) == {"2027.1"}
    assert "exploitation-response" in codes and "cse-risk-assessed" not in codes
    assert list(codes)[-1] == "placing-authority-told"


def test_a_record_made_under_2026_1_keeps_its_set_through_every_change(db: Session) -> None:
    made, _ = create_from_api(db, Caller.system("803"), make_document(**CE))
    made.standard_set = "2026.1"  # as the migration leaves a record submitted before 2027.1
    changed = {**made.document, "actions": []}
    update_from_api(db, Caller.system("803"), made.id, changed, storage.etag(made))
    codes = _codes(made)
    assert set(codes.values()) == {"2026.1"} and len(codes) == 13
    assert "cse-risk-assessed" in codes and "exploitation-response" not in codes
    # Re-evaluation (`rhi standards evaluate`) keeps it too.
    made.findings = storage.findings_for(db, made, storage.typed(made))
    assert set(_codes(made).values()) == {"2026.1"}


def test_a_standard_added_to_a_set_reaches_its_records_at_the_next_evaluation(
        db: Session) -> None:
    # Stored before `placing-authority-told` was added to 2027.1, and one made under 2026.1.
    make_org(db, "801")
    placed_away, _ = create_from_api(db, Caller.system("803"), make_document(
        child__placement_authority="801",
        sharing=[{"with": "missing_coordinator", "at": "2026-03-03T12:00:00Z"}]))
    placed_away.findings = placed_away.findings[:-1]
    old, _ = create_from_api(db, Caller.system("803"), make_document())
    old.standard_set = "2026.1"
    old.findings = storage.findings_for(db, old, storage.typed(old))
    old_findings = list(old.findings)
    db.flush()
    assert "placing-authority-told" not in _codes(placed_away)

    service.evaluate_due_findings(db)

    told = next(f for f in placed_away.findings if f["code"] == "placing-authority-told")
    assert (told["set_version"], told["result"]) == ("2027.1", "met")
    assert [f["code"] for f in placed_away.findings][-1] == "placing-authority-told"
    assert old.findings == old_findings and "placing-authority-told" not in _codes(old)


def test_a_draft_takes_the_set_in_force_when_it_is_submitted(db: Session) -> None:
    draft = service.start_draft(db, Caller.system("803"))
    assert draft.standard_set is None
    assert set(_codes(draft).values()) <= {"2027.1"}


def test_the_migration_gives_submitted_records_2026_1_and_leaves_drafts_to_the_set_in_force(
) -> None:
    with scratch_database("rhi_sets") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            make_org(session, "803")
            submitted, _ = create_from_api(session, Caller.system("803"), make_document())
            draft = service.start_draft(session, Caller.system("803"))
            ids = (str(submitted.id), str(draft.id))
            session.commit()
        config = _alembic(url)
        command.downgrade(config, "a7d3c91e5b24")
        command.upgrade(config, "head")
        with engine.connect() as conn:
            sets = dict(conn.execute(text("SELECT CAST(id AS VARCHAR(36)), standard_set "
                                          "FROM interviews")).all())
        engine.dispose()
    found = {key.replace("-", ""): value for key, value in sets.items()}
    assert found[ids[0].replace("-", "")] == "2026.1"
    assert found[ids[1].replace("-", "")] is None


def test_an_approved_record_stays_in_the_queue_while_its_plan_is_overdue(db: Session) -> None:
    due = utcnow() - timedelta(days=1)
    action = {"type": "safety_plan", "status": "planned", "owner": "Social worker",
              "due_at": format_timestamp(due)}
    made, _ = create_from_api(db, Caller.system("803"),
                              make_document(actions=[action]))
    assert made.open_action_due_at is not None
    assert abs(made.open_action_due_at - due) < timedelta(seconds=1)
    made.status, made.approved_at = "approved", utcnow()
    db.flush()
    manager = Caller.system("803")
    missed = oversight_queue(db, manager).groups[2]
    reasons = [r for item in missed.items if item.interview.id == made.id for r in item.reasons]
    assert reasons and all(r.startswith("Approved, but its follow-up plan is open") for r in
                           reasons)
    assert "Safety plan past its due date" in reasons[0]
    # Done: the record leaves the queue.
    done = {**action, "status": "done", "at": format_timestamp(utcnow() - timedelta(hours=1))}
    update_from_api(db, Caller.system("803"), made.id, {**made.document, "actions": [done]},
                    storage.etag(made))
    made.status, made.approved_at = "approved", utcnow()
    db.flush()
    assert made.open_action_due_at is None
    groups = oversight_queue(db, manager).groups
    assert all(item.interview.id != made.id for group in groups[1:] for item in group.items)
