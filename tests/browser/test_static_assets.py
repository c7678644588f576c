"""The static files are served gzip-compressed and cached for a year (performance.md #7).

No browser needed: these run in the ordinary suite through the application in-process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.templating import GOVUK_FRONTEND_VERSION, HTMX_FILE, STATIC_DIR
from app.main import create_app

LONG_LIVED = "public, max-age=31536000, immutable"
GZIP_MINIMUM = 1000  # GZipMiddleware(minimum_size=1000) in app/main.py

# What every page loads (templates/layout.html and the module import in static/app/rhi.js).
PAGE_ASSETS = (
    f"govuk-frontend-{GOVUK_FRONTEND_VERSION}/govuk-frontend.min.css",
    f"govuk-frontend-{GOVUK_FRONTEND_VERSION}/govuk-frontend.min.js",
    HTMX_FILE,
    "app/rhi.css",
    "app/rhi.js",
)
STATIC_FILES = sorted(str(p.relative_to(STATIC_DIR)) for p in Path(STATIC_DIR).rglob("*")
                      if p.is_file())


@pytest.fixture(scope="module")
def static_client() -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://testserver") as client:
        yield client


def test_every_page_asset_exists() -> None:
    missing = [name for name in PAGE_ASSETS if not (Path(STATIC_DIR) / name).is_file()]
    assert not missing


@pytest.mark.parametrize("name", STATIC_FILES)
def test_static_files_are_compressed_and_cached_for_a_year(static_client: TestClient,
                                                           name: str) -> None:
    answer = static_client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == LONG_LIVED
    if (Path(STATIC_DIR) / name).stat().st_size >= GZIP_MINIMUM:
        assert answer.headers.get("content-encoding") == "gzip"
        assert "accept-encoding" in answer.headers.get("vary", "").lower()
    assert answer.content == (Path(STATIC_DIR) / name).read_bytes()


def test_a_missing_static_file_is_not_cached(static_client: TestClient) -> None:
    answer = static_client.get("/static/app/no-such-file.js")
    assert answer.status_code == 404
    assert "immutable" not in answer.headers.get("cache-control", "")


def test_without_accept_encoding_the_file_comes_uncompressed(static_client: TestClient) -> None:
    answer = static_client.get(f"/static/{HTMX_FILE}", headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert answer.headers["cache-control"] == LONG_LIVED

