"""An interviewer discards a draft they started by mistake, with a reason kept in the audit log;
a submitted record is never discarded, and another organisation's draft does not exist."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.record.models import Interview
from tests.builders import make_user, record, sign_in
from tests.interviews.helpers import post, start


def test_a_draft_is_discarded_with_a_reason(client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer"))
    base = start(client, csrf)
    interview_id = UUID(base.rsplit("/", 1)[1])
    assert f"{base}/discard" in client.get("/").text

    refused = post(client, f"{base}/discard", csrf, reason="  ")
    done = post(client, f"{base}/discard", csrf, reason="Started twice by mistake")

    assert refused.status_code == 422 and "Enter why you are discarding it" in refused.text
    assert done.status_code == 303 and done.headers["location"] == "/?discarded=1"
    db.expire_all()
    assert db.execute(select(Interview).where(
        col(Interview.id) == interview_id)).first() is None
    entry = db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "interview.discard")).scalar_one()
    assert entry.details == {"reason": "Started twice by mistake"}
    assert client.get(base + "/check").status_code == 404


def test_a_submitted_record_is_never_discarded(client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer"))
    submitted = record(db)

    page = client.get(f"/interviews/{submitted.id}/discard", follow_redirects=False)
    answer = post(client, f"/interviews/{submitted.id}/discard", csrf, reason="No")

    assert page.status_code == 303
    assert answer.status_code == 403
    assert db.get(Interview, submitted.id) is not None


def test_another_organisations_draft_cannot_be_discarded(client: TestClient,
                                                         db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer", org="801"))
    theirs = start(client, csrf)
    client.cookies.clear()
    csrf = sign_in(client, make_user(db, "interviewer", org="803"))

    answer = post(client, f"{theirs}/discard", csrf, reason="Not mine")

    assert answer.status_code == 404
