"""A database locked past its busy timeout answers 503 with Retry-After, never a bare 500."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError


def locked() -> None:
    raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


def test_a_locked_database_is_a_503_problem_for_the_api_and_a_page_for_people(
        app: FastAPI) -> None:
    app.add_api_route("/api/v1/probe-locked", locked, methods=["POST"])
    app.add_api_route("/probe-locked", locked, methods=["POST"])
    client = TestClient(app, raise_server_exceptions=False)
    api = client.post("/api/v1/probe-locked")
    assert api.status_code == 503
    assert api.headers["retry-after"] == "2"
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["type"] == "/problems/busy"
    page = client.post("/probe-locked")
    assert page.status_code == 503
    assert "Nothing was saved" in page.text


def test_other_database_errors_are_not_disguised_as_busy(app: FastAPI) -> None:
    def broken() -> None:
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    app.add_api_route("/api/v1/probe-broken", broken, methods=["GET"])
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/api/v1/probe-broken").status_code == 500
