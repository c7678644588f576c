"""`interviews.placement_authority` is filled by its migration exactly as the service keeps it:
from each record's document, and for a record returned to the interviewer from the version
last submitted (what the host authority may see), not from the changes being made to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.caller import Caller
from app.core.db import ALEMBIC_INI
from app.core.settings import PROJECT_ROOT
from app.interviews import service
from app.interviews.submissions import create_from_api
from app.record.models import Interview
from tests.builders import make_document, save_draft
from tests.durability.scratch import scratch_database

BEFORE = "a5c7e9f1b346"


def _alembic(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


@pytest.fixture
def records() -> Iterator[tuple[str, Engine, dict[str, str]]]:
    """A placed child's record, one at home, one returned and moved since, and a draft."""
    with scratch_database("rhi_placement") as url:
        engine = create_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            for code in ("803", "801", "805"):
                accounts.create_organisation(session, code, f"Council {code}",
                                             "local_authority")
            responsible = Caller.system("803")
            placed, _ = create_from_api(session, responsible,
                                        make_document(child__placement_authority="801"))
            at_home, _ = create_from_api(session, responsible, make_document())
            returned, _ = create_from_api(session, responsible,
                                          make_document(child__placement_authority="801"))
            manager = accounts.create_user(session, "m@example.test", "M", "803", "manager",
                                           "a long passphrase here")
            service.return_to_interviewer(session, returned, Caller(
                label=f"user:{manager.id}", organisation_code="803", user_id=manager.id,
                role="manager"), "The child has moved.")
            assert not save_draft(session, returned, responsible, {
                k: v for k, v in make_document(child__placement_authority="805").items()
                if k != "id"})
            draft = service.start_draft(session, responsible)
            assert not save_draft(session, draft, responsible, {
                k: v for k, v in make_document(child__placement_authority="801").items()
                if k != "id"})
            session.commit()
            ids = {"placed": str(placed.id), "at_home": str(at_home.id),
                   "returned": str(returned.id), "draft": str(draft.id)}
        try:
            yield url, engine, ids
        finally:
            engine.dispose()


def _placements(engine: Engine, ids: dict[str, str]) -> dict[str, str | None]:
    with Session(engine) as session:
        found = {str(i): p for i, p in session.execute(
            select(col(Interview.id), col(Interview.placement_authority))).all()}
    return {name: found[interview_id] for name, interview_id in ids.items()}


def test_the_migration_fills_the_placement_the_service_keeps(
        records: tuple[str, Engine, dict[str, str]]) -> None:
    url, engine, ids = records
    kept = _placements(engine, ids)

    command.downgrade(_alembic(url), BEFORE)
    command.upgrade(_alembic(url), "head")

    assert kept == {"placed": "801", "at_home": "803", "returned": "801", "draft": "801"}
    assert _placements(engine, ids) == kept
