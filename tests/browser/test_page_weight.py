"""Page weight stays within performance.md #7: a first visit to a form section ≤ 100 KB on the
wire with every asset, a section save's answer ≤ 10 KB. Byte counts, not timings, so they are
safe to assert; `bench/page_weight.py` measures the same way and prints the table."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser

from bench.page_weight import (
    FIRST_VISIT_TARGET,
    SAVE_TARGET,
    SECTIONS,
    measure_browser_with,
    measure_http,
    table,
    verdict,
)
from tests.browser.support import ARTIFACTS, Server


@pytest.fixture(scope="module")
def weights(server: Server) -> dict[str, object]:
    return {"http": measure_http(server.base_url, server.people["interviewer"])}


def test_a_first_visit_to_each_section_is_within_100_kb(weights: dict[str, object]) -> None:
    http = weights["http"]
    assert isinstance(http, dict)
    over = {slug: v["total"] for slug, v in http["first_visit"].items()
            if v["total"] > FIRST_VISIT_TARGET}
    assert not over, f"first visits over {FIRST_VISIT_TARGET:,} bytes: {over}"
    files = http["first_visit"]["child"]["files"]
    # The page's own stylesheet and scripts, and the module rhi.js imports, were all counted.
    assert any(f.split("?")[0].endswith("govuk-frontend.min.css") for f in files)
    assert any(f.endswith("govuk-frontend.min.js") for f in files)
    assert any("htmx" in f for f in files)
    assert any(f.split("?")[0].endswith("rhi.js") for f in files)


def test_a_section_save_answers_within_10_kb(weights: dict[str, object]) -> None:
    http = weights["http"]
    assert isinstance(http, dict)
    over = {slug: size for slug, size in http["save"].items() if size > SAVE_TARGET}
    assert not over, f"save answers over {SAVE_TARGET:,} bytes: {over}"


@pytest.mark.browser
def test_what_chromium_fetches_is_within_the_targets(browser: Browser, server: Server,
                                                     weights: dict[str, object]) -> None:
    http = weights["http"]
    assert isinstance(http, dict)
    chromium = measure_browser_with(browser, server.base_url, server.people["interviewer"],
                                    http["interview"])
    results = {"http": http, "browser": chromium}
    results["verdict"] = verdict(results)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(results, indent=2))
    (ARTIFACTS / "page-weight.txt").write_text(table(results) + "\n")
    assert set(chromium["first_visit"]) == set(SECTIONS)
    assert results["verdict"]["first_visit_ok"], table(results)
    assert results["verdict"]["save_ok"], table(results)
