"""What an operator sees: /metrics as Prometheus reads it, request ids, /readyz (in process).

The served side (several workers, the log lines of a real `rhi serve`) is in `test_served.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.db import schema_is_current
from app.core.settings import ConfigurationError, Settings, get_settings
from tests.builders import bearer, make_key, make_org, make_user, record, sign_in
from tests.interviews.helpers import start
from tests.security.test_bad_input_sweep import NASTY

TOKEN = "metrics-token-" + "m" * 40


@pytest.fixture
def scrape(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """RHI_METRICS_TOKEN set for the test; yields it."""
    monkeypatch.setenv("RHI_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    try:
        yield TOKEN
    finally:
        monkeypatch.delenv("RHI_METRICS_TOKEN")
        get_settings.cache_clear()


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, parsed as Prometheus parses it."""
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_metrics_answer_404_to_everyone_without_the_token(client: TestClient, db: Session,
                                                          scrape: str) -> None:
    _, key = make_key(db, scopes=("feed",))
    for headers in ({}, bearer(key), {"Authorization": f"Bearer {TOKEN}x"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN},
                    {"Authorization": "Bearer"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 404, headers
        assert "rhi_http" not in answer.text
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                      ).status_code == 200
    # The same page as a path the service does not have.
    absent = client.get("/no-such-path")
    refused = client.get("/metrics")
    assert (refused.status_code, refused.text) == (absent.status_code, absent.text)


def test_with_no_token_configured_metrics_are_not_served_at_all(client: TestClient) -> None:
    assert get_settings().metrics_token.get_secret_value() == ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                      ).status_code == 404


@pytest.mark.parametrize("nasty", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_a_bad_authorization_header_gets_a_404_never_a_500(client: TestClient, scrape: str,
                                                           nasty: str) -> None:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {nasty}".encode()})
    assert answer.status_code == 404
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_weak_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(ConfigurationError, match="RHI_METRICS_TOKEN"):
        Settings(metrics_token="short")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="RHI_METRICS_TOKEN"):
        Settings(metrics_token="a token with spaces in it, long enough")  # type: ignore[arg-type]


def test_requests_are_counted_by_route_template_never_by_their_ids(
        client: TestClient, db: Session, scrape: str) -> None:
    make_org(db, "803")
    csrf = sign_in(client, make_user(db, "interviewer", org="803"))
    base = start(client, csrf)
    draft_id = base.rsplit("/", 1)[1]
    before = samples(client)

    for _ in range(3):
        assert client.get(f"{base}/child").status_code == 200
    client.get("/no-such-page")

    after = samples(client)
    name = "rhi_http_request_duration_seconds_count"
    route = "/interviews/{interview_id}/{slug}"
    grew = (value(after, name, method="GET", route=route, status="200")
            - value(before, name, method="GET", route=route, status="200"))
    assert grew == 3
    assert (value(after, name, method="GET", route="unmatched", status="404")
            - value(before, name, method="GET", route="unmatched", status="404")) == 1
    database = "rhi_http_request_database_seconds_count"
    assert (value(after, database, method="GET", route=route)
            - value(before, database, method="GET", route=route)) == 3
    assert value(after, "rhi_database_statements_total") > value(
        before, "rhi_database_statements_total")
    listed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert draft_id not in listed
    assert "no-such-page" not in listed


def test_the_feed_counts_the_rows_it_streams(client: TestClient, db: Session,
                                             scrape: str) -> None:
    make_org(db, "803")
    for _ in range(3):
        record(db)
    db.commit()
    _, key = make_key(db, scopes=("feed",))
    name = "rhi_feed_rows_streamed_total"
    before = samples(client)

    pulled = client.get("/api/v1/feed/interviews?format=ndjson", headers=bearer(key))
    assert pulled.status_code == 200
    paged = client.get("/api/v1/feed/interviews?limit=2", headers=bearer(key))
    assert paged.status_code == 200

    after = samples(client)
    lines = [line for line in pulled.text.splitlines() if line]
    assert (value(after, name, feed="interviews", format="ndjson")
            - value(before, name, feed="interviews", format="ndjson")) == len(lines) == 3
    assert (value(after, name, feed="interviews", format="json")
            - value(before, name, feed="interviews", format="json")) == 2


def test_every_answer_carries_a_request_id(client: TestClient) -> None:
    seen = set()
    for path in ("/healthz", "/login", "/no-such-page", "/api/v1/interviews"):
        answer = client.get(path, follow_redirects=False)
        rid = answer.headers["x-request-id"]
        assert len(rid) == 32 and rid.isalnum()
        seen.add(rid)
    assert len(seen) == 4


def test_a_plain_request_id_from_the_proxy_is_kept(client: TestClient) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9c21_0001"})
    assert answer.headers["x-request-id"] == "lb-7f3a.9c21_0001"


NOT_PLAIN = [value for value in [*NASTY, "short", "a" * 65, "two words here",
                                 "new\nline-injected", "ａｂｃｄｅｆｇｈ-wide"]
             if not re.fullmatch(r"[A-Za-z0-9._-]{8,64}", value)]


@pytest.mark.parametrize("nasty", NOT_PLAIN, ids=lambda v: repr(v)[:20])
def test_any_other_request_id_is_replaced_never_echoed(client: TestClient, nasty: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": nasty.encode()})
    assert answer.status_code == 200
    rid = answer.headers["x-request-id"]
    assert rid != nasty and len(rid) == 32 and rid.isalnum()


def test_ready_when_the_database_answers_with_this_releases_schema(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_a_schema_of_another_release_is_not_current(db: Session) -> None:
    connection = db.connection()
    assert schema_is_current(connection)
    connection.execute(text("UPDATE alembic_version SET version_num = 'f000000000ff'"))
    assert not schema_is_current(connection)
