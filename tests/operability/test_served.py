"""What an operator sees of a real `rhi serve`: one log line a request, as JSON, with its id and
no query; /metrics adding up every worker's; /readyz following the database's schema."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from app.core.settings import PROJECT_ROOT
from tests.durability.scratch import RHI, environment, scratch_database
from tests.durability.server import Server, free_port, ready

TOKEN = "served-metrics-token-" + "s" * 32
SEARCHED = "Zebedee-Quillfeather"  # a name someone searched for: never in the log


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with scratch_database("rhi_ops") as url:
        yield url


def serve(url: str, log: Path, workers: int) -> Server:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            [RHI, "serve", "--port", str(port), "--workers", str(workers)],
            env={**environment(url), "RHI_METRICS_TOKEN": TOKEN}, cwd=PROJECT_ROOT,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return ready(Server(f"http://127.0.0.1:{port}", process, log))


@pytest.fixture(scope="module")
def two_workers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = serve(database, tmp_path_factory.mktemp("ops") / "serve.log", workers=2)
    try:
        yield server
    finally:
        server.stop()


def log_lines(server: Server) -> list[dict[str, object]]:
    lines = [line for line in server.log_text().splitlines() if line.strip()]
    return [orjson.loads(line) for line in lines]


def request_lines(server: Server) -> list[dict[str, object]]:
    return [line for line in log_lines(server) if line.get("logger") == "rhi.request"]


def scraped(server: Server, name: str, **labels: str) -> float:
    answer = httpx.get(f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    total = 0.0
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def scraped_count(server: Server, route: str) -> float:
    return scraped(server, "rhi_http_request_duration_seconds_count", route=route)


def test_every_line_is_json_and_each_request_is_logged_once_with_its_id(
        two_workers: Server) -> None:
    answers = [httpx.get(f"{two_workers.base_url}{path}", follow_redirects=False)
               for path in (f"/search?q={SEARCHED}", f"/interviews/new?case_id={SEARCHED}",
                            f"/api/v1/feed/interviews?child_key={SEARCHED}", "/healthz")]
    ids = {answer.headers["x-request-id"] for answer in answers}

    logged = request_lines(two_workers)  # every line parses as JSON, or this fails
    mine = [line for line in logged if line.get("request_id") in ids]
    assert len(mine) == len(ids) == 4
    assert {line["route"] for line in mine} == {"/search", "/interviews/new",
                                                "/api/v1/feed/interviews", "/healthz"}
    for line in mine:
        assert {"time", "level", "method", "status", "duration_ms", "database_ms",
                "statements", "pid"} <= set(line)
    assert SEARCHED not in two_workers.log_text()
    assert "?q=" not in two_workers.log_text()


def test_metrics_add_up_every_workers_requests(two_workers: Server) -> None:
    before = scraped_count(two_workers, "/readyz")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(
            lambda _: httpx.get(f"{two_workers.base_url}/readyz").status_code, range(40)))
    assert statuses == [200] * 40

    answered_by = {line["pid"] for line in request_lines(two_workers)
                   if line.get("route") == "/readyz"}
    assert len(answered_by) == 2, "both workers answered some of the 40 requests"
    # Whichever worker answers the scrape, it counts the other's requests too.
    for _ in range(6):
        assert scraped_count(two_workers, "/readyz") - before == 40


def test_not_ready_while_the_schema_is_another_releases(two_workers: Server,
                                                        database: str) -> None:
    assert httpx.get(f"{two_workers.base_url}/readyz").json()["status"] == "ready"
    engine = create_engine(database)
    try:
        with engine.begin() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(text("UPDATE alembic_version SET version_num = 'f000000000ff'"))
        try:
            answer = httpx.get(f"{two_workers.base_url}/readyz")
            assert answer.status_code == 503
            assert answer.json() == {"status": "not ready", "checks": {
                "database": "ok", "schema": "not this release's"}}
            assert httpx.get(f"{two_workers.base_url}/healthz").status_code == 200  # alive
        finally:
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :head"),
                             {"head": head})
        assert httpx.get(f"{two_workers.base_url}/readyz").status_code == 200
    finally:
        engine.dispose()


def test_sqlites_writers_waits_are_measured(two_workers: Server, database: str) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("SQLite's writer queue only")
    name = "rhi_sqlite_writer_wait_seconds_count"
    before = scraped(two_workers, name)
    with httpx.Client(base_url=two_workers.base_url) as browser:
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        refused = browser.post("/login", data={"email": "nobody@example.test",
                                               "password": "not the password",
                                               "csrf_token": token.group(1)})
    assert refused.status_code == 422  # the failure is written down: a write transaction
    assert scraped(two_workers, name) > before

