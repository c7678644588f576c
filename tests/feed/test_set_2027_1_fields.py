"""What set 2027.1 records reaches the feed: the child's UASC, disability and placement type, who
brought them back, the police prevention interview, the interviewer's involvement, the child's
views on sharing and the lawful basis, and the follow-up plan's actions without their free text,
in JSON and in CSV columns added after every earlier one."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.feed.record import CSV_COLUMNS
from tests.builders import record
from tests.feed.conftest import feed_key

FEED = "/api/v1/feed/interviews"

# The CSV columns before set 2027.1, in their order: partner systems read them by position too.
COLUMNS_2026_1_PREFIX = ("interview_id", "version", "status", "updated_at", "submitted_at")


def _record(db: Session):
    return record(
        db, child__uasc=True, child__disability_or_send="yes",
        child__placement_type="childrens_home",
        episodes__0__brought_back_by="police",
        episodes__0__prevention_interview_at="2026-03-02T10:00:00Z",
        interview__interviewer_relationship="none", interview__views_on_sharing="objects",
        interview__lawful_basis="public_task", interview__shared_against_wishes=True,
        interview__shared_against_wishes_reason="Risk of serious harm",
        interview__child_told_of_sharing=True,
        actions=[{"type": "safety_plan", "status": "planned", "due_at": "2026-03-09T17:00:00Z",
                  "owner": "A synthetic owner"}])


def test_the_new_fields_are_in_the_json_feed(client: TestClient, db: Session) -> None:
    made = _record(db)
    rows = client.get(FEED, headers=feed_key(db)).json()["data"]
    row = next(r for r in rows if r["interview_id"] == str(made.id))
    assert (row["standard_set"], row["uasc"], row["disability_or_send"],
            row["placement_type"]) == ("2027.1", True, "yes", "childrens_home")
    assert row["episodes"][0]["brought_back_by"] == "police"
    assert row["episodes"][0]["prevention_interview_at"] == "2026-03-02T10:00:00.000000Z"
    assert (row["views_on_sharing"], row["lawful_basis"], row["shared_against_wishes"]) == (
        "objects", "public_task", True)
    assert row["actions"] == [{"type": "safety_plan", "status": "planned",
                               "due_at": "2026-03-09T17:00:00.000000Z", "at": None}]
    codes = [f["code"] for f in row["standards"]]
    assert "exploitation-response" in codes and "actions-followed-through" in codes


def test_the_csv_adds_columns_after_the_earlier_ones(client: TestClient, db: Session) -> None:
    made = _record(db)
    answer = client.get(FEED, params={"format": "csv"}, headers=feed_key(db))
    table = list(csv.DictReader(io.StringIO(answer.text)))
    header = answer.text.splitlines()[0].split(",")
    assert tuple(header[:5]) == COLUMNS_2026_1_PREFIX
    last_2026 = header.index("standards.repeat-missing-reviewed")
    assert header[last_2026 + 1:last_2026 + 4] == [
        "standards.exploitation-response", "standards.actions-followed-through", "standard_set"]
    assert tuple(header) == CSV_COLUMNS
    # A standard added to the set later has its column after every other one.
    assert header[-5:] == ["actions.type", "actions.status", "actions.due_at", "actions.at",
                           "standards.placing-authority-told"]
    row = next(r for r in table if r["interview_id"] == str(made.id))
    assert row["standards.placing-authority-told"] == "not_applicable"  # placed by 803 in 803
    assert (row["uasc"], row["actions.status"], row["episodes.brought_back_by"]) == (
        "true", "planned", "police")
    assert "A synthetic owner" not in answer.text
