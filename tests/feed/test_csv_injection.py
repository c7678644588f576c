"""CSV injection: no cell of any CSV the service writes runs as a formula in a spreadsheet, and
identifiers that no real case or police reference starts with =, +, - or @ are refused."""

from __future__ import annotations

import csv
import io

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.accounts.caller import Caller
from app.core.db import ALEMBIC_INI, make_engine
from app.core.settings import PROJECT_ROOT
from app.feed.models import FeedRow
from app.feed.record import csv_line, neutralise
from app.interviews import submissions
from app.record.models import Child
from tests.builders import make_document, record
from tests.durability.scratch import scratch_database
from tests.feed.conftest import feed_key


@pytest.mark.parametrize(("cell", "shown"), [
    ("=HYPERLINK(\"http://x.example\",\"a\")", "'=HYPERLINK(\"http://x.example\",\"a\")"),
    ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-12", "-12"), ("-0.5", "-0.5"), ("803", "803"), ("a=b", "a=b"), ("", ""),
])
def test_a_cell_that_would_run_as_a_formula_is_made_text(cell: str, shown: str) -> None:
    assert neutralise(cell) == shown
    assert next(csv.reader(io.StringIO(csv_line([cell])))) == [shown]


@pytest.mark.parametrize(("field", "value"), [
    ("child__local_id", "=1+2"), ("child__local_id", "@SUM(A1)"),
    ("child__local_id", "+44"), ("episodes__0__police_reference", "-REF"),
])
def test_an_identifier_starting_like_a_formula_is_refused(
        client: TestClient, db: Session, field: str, value: str) -> None:
    headers = feed_key(db, scopes=("submit",))

    answer = client.post("/api/v1/interviews", json=make_document(**{field: value}),
                         headers=headers)

    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["code"] == "formula_start"
    assert error["pointer"] == "/" + field.replace("__", "/")


def test_a_case_id_stored_before_the_rule_reaches_the_ssda903_return_as_text(
        client: TestClient, db: Session) -> None:
    made = record(db, child__local_id="LAC-9", child__date_of_birth="2010-06-15",
                  episodes__0__started_at="2025-06-30T18:00:00Z",
                  episodes__0__returned_at="2025-07-01T08:00:00Z",
                  offer__offered_at="2025-07-01T10:00:00Z",
                  interview__conducted_at="2025-07-01T12:00:00Z")
    db.execute(update(Child).where(col(Child.id) == made.child_id).values(local_id="=1+2"))
    db.flush()

    answer = client.get("/api/v1/exports/ssda903-missing", params={"collection_year": "2025-26"},
                        headers=feed_key(db, scopes=("returns",)))

    assert answer.status_code == 200, answer.text
    assert list(csv.reader(io.StringIO(answer.text)))[1][0] == "'=1+2"


@pytest.mark.slow
def test_the_migration_neutralises_feed_lines_written_before() -> None:
    with scratch_database("rhi_csv") as url:
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                accounts.create_organisation(session, "803", "Test Council", "local_authority")
                made, _ = submissions.create_from_api(session, Caller.system("803"),
                                                      make_document())
                session.commit()
                clean = session.execute(select(col(FeedRow.csv_row))).scalar_one()
                # A line as the feed wrote it before: a formula in its first cell.
                session.execute(update(FeedRow).values(csv_row="=cmd|' /C calc'!A0," + clean))
                other, _ = submissions.create_from_api(session, Caller.system("803"),
                                                       make_document())
                session.commit()
                untouched = session.execute(select(col(FeedRow.csv_row)).where(
                    col(FeedRow.interview_id) == other.id)).scalar_one()
            config = Config(str(ALEMBIC_INI))
            config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
            config.attributes["database_url"] = url
            command.downgrade(config, "7c2f4e9a1b30")
            command.upgrade(config, "head")
            with engine.connect() as conn:
                lines = dict(conn.execute(text("SELECT interview_id, csv_row FROM feed_rows"))
                             .all())
        finally:
            engine.dispose()
    by_id = {str(k).replace("-", ""): v for k, v in lines.items()}
    assert next(csv.reader(io.StringIO(by_id[made.id.hex])))[0] == "'=cmd|' /C calc'!A0"
    assert by_id[other.id.hex] == untouched  # a line with nothing to neutralise: as it was
