"""`RHI_FEED_DATABASE_URL`: the feed's long reads (`app.core.db.reading`) go to a PostgreSQL
read replica; everything else, a feed page included, reads and writes the primary
(docs/deployment.md, "A read replica for the feed").

The "replica" here is a second migrated database that holds nothing: a replica that has not
caught up yet, which shows where each read went.
"""

from __future__ import annotations

import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from app.core.db import get_engine, make_engine, reading, replica_engine
from app.core.settings import PROJECT_ROOT, ConfigurationError, Settings, get_settings
from tests.durability import server as real
from tests.durability.scratch import RHI, environment, scratch_database

ON_POSTGRESQL = get_settings().sqlalchemy_url.startswith("postgresql")
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL,
                                      reason="a read replica is for PostgreSQL only")


def _settings(database_url: str, feed_database_url: str) -> Settings:
    return Settings(database_url=database_url, feed_database_url=feed_database_url,
                    secret_key="s" * 32, pseudonym_key="p" * 32, audit_key="a" * 32)


def test_a_replica_is_refused_beside_sqlite() -> None:
    with pytest.raises(ConfigurationError, match="RHI_FEED_DATABASE_URL"):
        _settings("sqlite:///var/x.sqlite3", "postgresql+psycopg://replica/rhi")
    with pytest.raises(ConfigurationError, match="RHI_FEED_DATABASE_URL"):
        _settings("postgresql+psycopg://primary/rhi", "sqlite:///var/x.sqlite3")
    assert _settings("postgresql+psycopg://primary/rhi", "postgresql+psycopg://replica/rhi"
                     ).feed_database_url.endswith("replica/rhi")


def _database(connection_manager: AbstractContextManager[Connection]) -> str:
    with connection_manager as connection:
        name: str = connection.execute(text("SELECT current_database()")).scalar_one()
        return name


@needs_postgresql
def test_reading_the_configured_database_goes_to_the_replica() -> None:
    primary = make_url(get_settings().sqlalchemy_url)
    with scratch_database("rhi_replica") as replica_url:
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("RHI_FEED_DATABASE_URL", replica_url)
                get_settings.cache_clear()
                assert _database(reading(get_engine())) == make_url(replica_url).database
                # Another database than RHI_DATABASE_URL is read where it is.
                other = make_engine(primary.set(database="postgres").render_as_string(
                    hide_password=False))
                try:
                    assert _database(reading(other)) == "postgres"
                finally:
                    other.dispose()
                # A connection already open (a request's transaction) is shared as it is.
                with get_engine().connect() as connection:
                    with reading(connection) as shared:
                        assert shared is connection
        finally:
            get_settings.cache_clear()
            replica_engine(replica_url).dispose()
            replica_engine.cache_clear()
    assert _database(reading(get_engine())) == primary.database


def _rhi(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [RHI, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


@needs_postgresql
def test_full_pulls_and_their_etags_read_the_replica_and_pages_the_primary(tmp_path: Path) -> None:
    with scratch_database("rhi_primary") as url, scratch_database("rhi_replica") as replica:
        env = {**environment(url), "RHI_FEED_DATABASE_URL": replica}
        _rhi(env, "orgs", "create", "--code", "803", "--name", "Council", "--kind",
             "local_authority")
        submit = _rhi(env, "api-keys", "create", "--org", "803", "--name", "Case system",
                      "--scope", "submit")
        feed = _rhi(env, "api-keys", "create", "--org", "803", "--name", "Analysts",
                    "--scope", "feed")
        port = real.free_port()
        with (tmp_path / "serve.log").open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
                [RHI, "serve", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        server = real.ready(real.Server(f"http://127.0.0.1:{port}", process,
                                        tmp_path / "serve.log"))
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                analyst = {"Authorization": f"Bearer {feed}"}
                pulls = {kind: f"/api/v1/feed/{kind}?format=ndjson"
                         for kind in ("interviews", "episodes")}
                tags = {kind: client.get(path, headers=analyst).headers["etag"]
                        for kind, path in pulls.items()}
                document = real.interview("803")
                stored = client.post("/api/v1/interviews", json=document,
                                     headers={"Authorization": f"Bearer {submit}"})
                assert stored.status_code == 201, stored.text
                page = client.get("/api/v1/feed/interviews?limit=10", headers=analyst)
                assert [line["interview_id"] for line in page.json()["data"]] == [
                    document["id"]]
                episodes = client.get("/api/v1/feed/episodes?limit=10", headers=analyst)
                assert episodes.json()["data"], "the record's episodes, on the primary"
                for kind, path in pulls.items():
                    pull = client.get(path, headers=analyst)
                    assert pull.status_code == 200
                    assert pull.text == ""  # the replica has not caught up
                    # and the ETag describes what was sent: a client's next If-None-Match
                    # must not be answered 304 once the replica has the record
                    assert pull.headers["etag"] == tags[kind], kind
                summary = client.get("/api/v1/feed/summary", headers=analyst)
                assert summary.status_code == 200, summary.text
        finally:
            server.stop()
