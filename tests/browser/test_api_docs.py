"""/api/docs: the API's interactive documentation, from vendored files, under the CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import OpenPage

pytestmark = pytest.mark.browser


def test_the_api_documentation_works_under_the_csp_from_vendored_files(
        open_page: OpenPage) -> None:
    """Swagger UI from static/ (never a CDN): it lists the operations, and nothing is refused
    by the Content-Security-Policy (the fixture fails the test on any refusal)."""
    page = open_page("desktop")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/docs")

    expect(page.locator(".opblock-summary-path", has_text="/api/v1/interviews").first
           ).to_be_visible()
    assert page.locator(".opblock").count() > 5
    base = page.url.split("/api/docs")[0]
    assert all(url.startswith((base, "data:")) for url in requested), requested
