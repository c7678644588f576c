"""Helpers for driving the interview form as a browser without JavaScript would."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response


def start(client: TestClient, csrf: str) -> str:
    """Start a draft; returns its base URL (`/interviews/<id>`)."""
    answer = client.post("/interviews/new", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.endswith("/child")
    return location.rsplit("/", 1)[0]


def post(client: TestClient, url: str, csrf: str, htmx: bool = False,
         **fields: Any) -> Response:
    data = {"csrf_token": csrf, **{k.replace("__", "-"): v for k, v in fields.items()}}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data=data, headers=headers, follow_redirects=False)


def error_summary(html: str) -> list[str]:
    block = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    if not block:
        return []
    return [html_lib.unescape(re.sub(r"\s+", " ", m).strip())
            for m in re.findall(r"<a [^>]*>(.*?)</a>", block.group(1), re.S)]


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


def when(prefix: str, day: int, month: int, year: int, time: str) -> dict[str, str]:
    return {f"{prefix}-day": str(day), f"{prefix}-month": str(month), f"{prefix}-year": str(year),
            f"{prefix}-time": time}
