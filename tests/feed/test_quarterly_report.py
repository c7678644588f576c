"""The quarterly board report: its figures are the summary API's, it is accessible and printable,
and it carries no inline script or style."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_user, sign_in, template_of
from tests.feed.conftest import feed_key

REPORT = "/reports/quarterly"
FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def figures(html: str) -> dict[str, str]:
    return {name: value.strip() for name, value in FIGURE.findall(html)}


def api_value(group: dict[str, Any], name: str) -> Any:
    node: Any = group
    for part in name.split("."):
        node = node[part.replace("-factors", "_factors").replace("risk-indicators",
                                                                  "risk_indicators")]
    return node


def as_shown(value: Any, name: str, group: dict[str, Any]) -> str:
    if value is None and name.endswith(".share_met"):
        return "n/a" if api_value(group, name.replace("share_met", "applicable")) == 0 else "c"
    if value is None:
        return "c"
    if name.startswith("rates.") or name.endswith(".share_met"):
        return f"{round(value * 100)}%"
    return f"{value:,}"


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_the_report_shows_the_summary_apis_figures(
        client: TestClient, db: Session, quarters: None, role: str) -> None:
    sign_in(client, make_user(db, role))
    page = client.get(REPORT, params={"period": "2026-Q1"})
    assert page.status_code == 200
    assert template_of(page) == "reports/quarterly.html"
    assert "Return home interviews, January to March 2026</h1>" in page.text
    shown = figures(page.text)
    group = client.get("/api/v1/feed/summary", headers=feed_key(db), params={
        "from": "2026-01-01", "to": "2026-03-31", "group_by": "quarter"}).json()["groups"][0]
    checked = 0
    for name, text in shown.items():
        if name == "offered":
            continue  # derived from the outcomes: below
        assert text == as_shown(api_value(group, name), name, group), name
        checked += 1
    assert checked >= 30
    assert shown["episodes"] == "10" and shown["interviews"] == "10"
    assert shown["outcomes.completed"] == "c"  # secondary suppression, as in the API
    assert shown["offered"] == "c"  # completed + declined would give both away
    assert shown["standards.offer-within-72h.share_met"] == "100%"
    assert shown["push-factors.family_conflict"] == "8"
    assert shown["standards.repeat-missing-reviewed.share_met"] == "n/a"  # none applicable


def test_the_report_compares_with_the_quarter_before(
        client: TestClient, db: Session, quarters: None) -> None:
    sign_in(client, make_user(db, "analyst"))
    page = client.get(REPORT, params={"period": "2026-Q2"}).text
    assert "April to June 2026" in page and "January to March 2026" in page
    shown = figures(page)
    assert shown["offered"] == "7" and shown["episodes"] == "7"
    row = re.search(r"Offered within 72 hours</th>(.*?)</tr>", page, re.S)
    assert row is not None
    cells = [c.strip() for c in re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))]
    assert cells == ["7", "100%", "100%", "+0 points"]


def test_the_report_is_accessible_and_has_no_inline_script_or_style(
        client: TestClient, db: Session, quarters: None) -> None:
    sign_in(client, make_user(db, "analyst"))
    page = client.get(REPORT, params={"period": "2026-Q1"})
    html = page.text
    assert "style=" not in html
    assert "<style" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    charts = re.findall(r"<svg[^>]*>", html)
    assert len(charts) >= 4  # standards, factors, and the board pack's (test_board_pack.py)
    for tag in charts:
        assert 'role="img"' in tag
        ids = re.search(r'aria-labelledby="([^"]+)"', tag)
        assert ids is not None
        for element_id in ids.group(1).split():
            assert f'id="{element_id}"' in html
    assert html.count("<title id=") == len(charts) and html.count("<desc id=") == len(charts)
    assert len(set(re.findall(r'<svg[^>]*aria-labelledby="([^"]+)"', html))) == len(charts)
    printed = re.search(r'<link rel="stylesheet" href="(/static/app/print\.css[^"]*)" '
                        r'media="print">', html)
    assert printed is not None
    assert client.get(printed.group(1)).status_code == 200
    assert "content-security-policy" in page.headers


@pytest.mark.parametrize("table", ["headline", "standards", "push-factors", "pull-factors",
                                   "risk-indicators"])
def test_each_chart_has_its_figures_as_csv(
        client: TestClient, db: Session, quarters: None, table: str) -> None:
    sign_in(client, make_user(db, "manager"))
    page = client.get(REPORT, params={"period": "2026-Q1"}).text
    link = f"/reports/quarterly/{table}.csv?period=2026-Q1"
    assert f'href="{link}"' in page
    answer = client.get(link)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows
    if table == "headline":
        values = {r["name"]: r["value"] for r in rows}
        assert values["episodes"] == "10" and values["outcomes.completed"] == "c"
    if table == "standards":
        offer = next(r for r in rows if r["standard"] == "offer-within-72h")
        assert (offer["applicable"], offer["share_met"], offer["previous_share_met"]) == (
            "10", "1.0", "z")


def test_a_period_that_is_not_a_quarter_is_not_found(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "analyst"))
    not_a_quarter = client.get(REPORT, params={"period": "2026-Q5"})
    assert not_a_quarter.status_code == 404
    assert template_of(not_a_quarter) == "errors/404.html"
    assert client.get(f"{REPORT}/secrets.csv").status_code == 404
    latest = client.get(REPORT)  # the latest complete quarter
    assert (latest.status_code, template_of(latest)) == (200, "reports/quarterly.html")


def test_an_empty_quarter_shows_zeros(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "analyst"))
    shown = figures(client.get(REPORT, params={"period": "2020-Q1"}).text)
    assert shown["episodes"] == "0" and shown["offered"] == "0"
    assert "None recorded in this quarter." in client.get(
        REPORT, params={"period": "2020-Q1"}).text
