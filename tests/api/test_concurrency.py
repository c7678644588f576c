"""Two identical submissions at the same moment make one record (real commits, real threads)."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.accounts.models import ApiKey, Organisation
from app.audit.models import AuditEntry
from app.core.db import get_engine
from app.main import create_app
from app.record.models import Child, Episode, Interview, InterviewVersion, RegisterEpisode
from tests.builders import bearer, make_document


def _remove_rows(code: str, key_id: str, interview_id: UUID) -> None:
    """What this test committed, for a database other tests share (PostgreSQL in CI)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        session.execute(delete(AuditEntry).where(
            col(AuditEntry.actor) == f"key:{key_id}"))
        session.execute(delete(AuditEntry).where(col(AuditEntry.target) == key_id))
        for table in (InterviewVersion, Episode):
            session.execute(delete(table).where(
                col(table.interview_id) == interview_id))
        session.execute(delete(Interview).where(col(Interview.id) == interview_id))
        # The register episode the record registered (no record covers it any more).
        session.execute(delete(RegisterEpisode).where(
            col(RegisterEpisode.responsible_authority) == code))
        session.execute(delete(Child).where(col(Child.responsible_authority) == code))
        session.execute(delete(ApiKey).where(col(ApiKey.id) == key_id))
        session.execute(delete(Organisation).where(col(Organisation.code) == code))
        session.commit()


def test_two_identical_submissions_at_the_same_moment_make_one_record(
        committed_database: str) -> None:
    code = f"t-{uuid4().hex[:8]}"
    with Session(get_engine(), expire_on_commit=False) as session:
        accounts.create_organisation(session, code, "Test Organisation", "local_authority")
        key, plaintext = create_api_key(session, code, "Test key", ["submit"])
        session.commit()
    document = make_document(child__responsible_authority=code,
                             child__placement_authority=code)
    interview_id = UUID(document["id"])
    app = create_app()  # the real session dependency: every request commits
    start = threading.Barrier(2, timeout=10)
    answers: list[Any] = []

    def submit(client: TestClient) -> None:
        start.wait()
        answers.append(client.post("/api/v1/interviews", json=document,
                                   headers=bearer(plaintext)))

    try:
        with TestClient(app) as client:
            threads = [threading.Thread(target=submit, args=(client,)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()
        with Session(get_engine(), expire_on_commit=False) as session:
            assert session.execute(select(func.count()).select_from(Interview).where(
                col(Interview.id) == interview_id)).scalar_one() == 1
            assert session.execute(select(func.count()).select_from(InterviewVersion).where(
                col(InterviewVersion.interview_id) == interview_id)).scalar_one() == 1
    finally:
        if committed_database.startswith("postgresql"):
            _remove_rows(code, key.id, interview_id)
