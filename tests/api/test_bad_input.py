"""Bad input of every shape gets a problem document: 400, 415 or 422, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import make_document

URL = "/api/v1/interviews"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("change", [
    {"child": 5}, {"child": []}, {"child__local_id": 5}, {"child__responsible_authority": ["803"]},
    {"episodes": "text"}, {"episodes": {"type": "missing"}}, {"episodes__0": "text"},
    {"episodes__0__started_at": 5}, {"episodes__0__started_at": "9999-12-31T23:59:59-23:59"},
    {"episodes__0__started_at": "0001-01-01T00:00:00+23:59"}, {"offer": []},
    {"offer__attempts": "text"}, {"interview": 7}, {"interview__push_factors": "bullying"},
    {"interview__push_factors": [1, None]}, {"interview__seraf_score": 10**30},
    {"interview__seraf_score": 1.5}, {"interview__seraf_score": True}, {"id": 5},
    {"child__date_of_birth": "0001-01-01"}, {"actions": 3}, {"sharing__0__with": None},
])
def test_values_of_the_wrong_shape_are_422(client: TestClient, auth: dict[str, str],
                                           change: dict[str, Any]) -> None:
    answer = client.post(URL, json=make_document(**change), headers=auth)

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"]


@pytest.mark.parametrize("episodes", [5, True, 1.5])
def test_episodes_that_are_not_a_list_are_422(client: TestClient, auth: dict[str, str],
                                              episodes: Any) -> None:
    answer = client.post(URL, json=make_document(episodes=episodes), headers=auth)

    assert answer.status_code == 422


@pytest.mark.parametrize("change", [
    {"episodes": [None]}, {"offer__attempts": [None]}, {"interview__locations": [None]},
    {"actions": [None]}, {"sharing": [None]},
])
def test_a_null_in_a_list_of_objects_is_422(client: TestClient, auth: dict[str, str],
                                            change: dict[str, Any]) -> None:
    answer = client.post(URL, json=make_document(**change), headers=auth)

    assert answer.status_code == 422


@pytest.mark.parametrize("body", [
    b'{"id": "\\ud800"}',  # a lone surrogate cannot be stored
    b"[" * 5000 + b"]" * 5000,  # nested too deep
    b'{"id": NaN}',
    b"\xff\xfe",
    b'{"a": 1} {"b": 2}',
])
def test_bodies_that_are_not_storable_json_are_400(client: TestClient, auth: dict[str, str],
                                                   body: bytes) -> None:
    answer = client.post(URL, content=body, headers={**auth, **JSON})

    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/malformed-json"


def test_a_chunked_body_over_the_limit_is_413(client: TestClient, auth: dict[str, str]) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b" " * 65536 * 2

    answer = client.post(URL, content=chunks(), headers={**auth, **JSON})

    assert answer.status_code == 413


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/api/v1/interviews", "GET, POST"),
    ("HEAD", "/api/v1/interviews", "GET, POST"),
    ("PATCH", "/api/v1/interviews/3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f", "GET, PUT"),
    ("POST", "/api/v1/interviews/3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f/versions", "GET"),
])
def test_other_methods_are_405_naming_every_allowed_method(
        client: TestClient, method: str, path: str, allowed: str) -> None:
    answer = client.request(method, path)

    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    if method != "HEAD":
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("field", "value"), [
    ("child__given_name", "Ali\u202ecod.exe"), ("child__family_name", "Smith\u2066x\u2069"),
    ("child__family_name", "Next\x85line"), ("interview__child_account", "Bell\x7f"),
    ("child__given_name", "Esc\x1b[31m"),
])
def test_control_and_text_direction_characters_are_refused(
        client: TestClient, auth: dict[str, str], field: str, value: str) -> None:
    answer = client.post(URL, json=make_document(**{field: value}), headers=auth)

    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/" + field.replace("__", "/"),
                                                 "invalid_character")


@pytest.mark.parametrize("name", ["Zoë", "Siân", "محمد", "Nguyễn", "O'Brien-Smith", "李"])
def test_names_in_any_script_are_kept(client: TestClient, auth: dict[str, str],
                                      name: str) -> None:
    answer = client.post(URL, json=make_document(child__given_name=name), headers=auth)

    assert answer.status_code == 201, answer.text
    assert answer.json()["child"]["given_name"] == name
