"""Helpers for driving the interview form as a browser without JavaScript would."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from app.interviews import forms
from app.record.models import Interview


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


def stored(db: Session, base: str) -> dict[str, Any]:
    db.expire_all()
    interview = db.get(Interview, UUID(base.rsplit("/", 1)[1]))
    assert interview is not None
    return interview.document


def as_on_the_page(db: Session, base: str, **changes: Any) -> dict[str, Any]:
    """The stored answers as the form's fields hold them (what a browser posts back), with
    `changes` (field names with `-`) typed over them."""
    return {**forms.values_from_document(stored(db, base)), **changes}


def fill_whole_interview(client: TestClient, base: str, csrf: str) -> None:
    answer = post(client, f"{base}/child", csrf, **{
        "child-local_id": "TEST-001", "child-given_name": "Alex", "child-family_name": "Testchild",
        "child-date_of_birth-day": "4", "child-date_of_birth-month": "5",
        "child-date_of_birth-year": "2011", "child-gender": "female",
        "child-legal_status": "looked_after", "child-responsible_authority": "803",
        "child-placement_authority": "801"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{base}/episodes"
    answer = post(client, f"{base}/episodes", csrf, **{
        "episodes-count": "1", "episodes-0-type": "missing",
        **when("episodes-0-started_at", 1, 3, 2026, "18:00"),
        **when("episodes-0-returned_at", 2, 3, 2026, "9:00am"),
        "episodes-0-reported_to_police": "yes", "episodes-0-found_postcode": "bs161qy"})
    assert answer.status_code == 303, error_summary(answer.text)
    answer = post(client, f"{base}/offer", csrf, **{
        "offer-outcome": "completed", **when("offer-offered_at", 2, 3, 2026, "12:00")})
    assert answer.status_code == 303, error_summary(answer.text)
    answer = post(client, f"{base}/interview", csrf, **{
        **when("interview-conducted_at", 3, 3, 2026, "10:00"), "interview-mode": "in_person",
        "interview-interviewer_role": "independent_rhi_worker",
        "interview-interviewer_relationship": "none", "interview-interviewer_trained": "yes",
        "interview-child_account": "Synthetic account.",
        "interview-push_factors": ["family_conflict", "bullying"],
        "interview-pull_factors": "peer_pressure", "interview-where_stayed": "A friend's flat",
        "interview-with_whom": "Friends", "interview-harm_disclosed": "no",
        "interview-seraf_score": "4"})
    assert answer.status_code == 303, error_summary(answer.text)
    answer = post(client, f"{base}/voice", csrf, **{
        "interview-read_back_to_child": "yes", "interview-information_sharing_explained": "yes",
        "interview-views_on_sharing": "agrees", "interview-lawful_basis": "public_task"})
    assert answer.status_code == 303, error_summary(answer.text)
    answer = post(client, f"{base}/actions", csrf, **{
        "actions-count": "1", "actions-0-type": "safety_plan",
        **when("actions-0-at", 3, 3, 2026, "15:00"), "sharing-count": "0"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{base}/check"
