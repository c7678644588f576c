"""Security headers on every answer (ASVS 5.0 V3.4, V14.3.2), HSTS and Secure cookies outside
`dev`, and a `prod` that will not start with a default secret.

Every route, for every caller, is also checked for `no-store`, `nosniff`, the Referrer-Policy
and the CSP in `test_route_matrix.py`; these tests look closer at a few answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.cli import main
from app.core.settings import PROJECT_ROOT, ConfigurationError, Settings, get_settings
from app.core.templating import TEMPLATES_DIR
from app.main import create_app
from tests.builders import bearer, make_document, make_key, make_user, sign_in

STRONG_SECRET = "s" * 48


def csp_directives(response_header: str) -> dict[str, str]:
    parts = (p.strip() for p in response_header.split(";") if p.strip())
    return {p.split(" ", 1)[0]: (p.split(" ", 1) + [""])[1] for p in parts}


def assert_page_headers(headers: Mapping[str, str]) -> None:
    get = headers.get
    csp = csp_directives(get("content-security-policy", ""))
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert not [d for d, v in csp.items() if "unsafe-" in v], "no unsafe-inline or unsafe-eval"
    assert "script-src" not in csp or "'self'" == csp["script-src"]
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "same-origin"
    assert get("cache-control") == "no-store"


def test_the_sign_in_page_has_every_security_header(client: TestClient) -> None:
    answer = client.get("/login")

    assert answer.status_code == 200
    assert_page_headers(answer.headers)


def test_pages_holding_a_childs_details_are_not_stored(client: TestClient, db: Session) -> None:
    user = make_user(db, role="interviewer", org="803")
    make_user(db, role="interviewer", org="801")
    csrf = sign_in(client, user)
    started = client.post("/interviews/new", data={"csrf_token": csrf}, follow_redirects=False)
    url = started.headers["location"]

    for answer in (client.get("/"), client.get(url), client.get(url.rsplit("/", 1)[0] + "/check")):
        assert answer.status_code == 200, answer.url
        assert_page_headers(answer.headers)


def test_api_answers_with_personal_data_are_not_stored(client: TestClient, db: Session) -> None:
    _, plaintext = make_key(db, org="803")
    created = client.post("/api/v1/interviews", json=make_document(), headers=bearer(plaintext))
    record = created.json()["id"]

    answers = [created,
               client.get(f"/api/v1/interviews/{record}", headers=bearer(plaintext)),
               client.get(f"/api/v1/interviews/{record}/versions", headers=bearer(plaintext)),
               client.get("/api/v1/interviews", headers=bearer(plaintext)),
               client.get("/api/v1/interviews/00000000-0000-4000-8000-000000000000",
                          headers=bearer(plaintext)),
               client.get("/api/v1/interviews")]

    assert [a.status_code for a in answers] == [201, 200, 200, 200, 404, 401]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert csp_directives(answer.headers["content-security-policy"])[
            "frame-ancestors"] == "'none'"


def test_static_files_may_be_cached_but_not_sniffed(client: TestClient) -> None:
    answer = client.get("/static/app/rhi.css")

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_templates_hold_no_inline_script_style_or_handler() -> None:
    """The CSP would block them; this finds them before a browser does."""
    problems = []
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # not Jinja comments
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                problems.append(f"{path.relative_to(PROJECT_ROOT)}: inline {tag}")
        if re.search(r"<style\b", text):
            problems.append(f"{path.relative_to(PROJECT_ROOT)}: a <style> element")
        for attribute in re.findall(r"\s(style|on[a-z]+)\s*=", text):
            problems.append(f"{path.relative_to(PROJECT_ROOT)}: a {attribute}= attribute")
    assert problems == []


# --- dev and prod ------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read afresh from the environment the test sets, and restored afterwards."""
    get_settings.cache_clear()
    try:
        yield monkeypatch
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_hsts_is_sent_outside_dev_for_two_years_and_secure_cookies_are_used(
        environment: pytest.MonkeyPatch) -> None:
    environment.setenv("RHI_ENV", "prod")
    environment.setenv("RHI_SECRET_KEY", STRONG_SECRET)
    environment.setenv("RHI_PSEUDONYM_KEY", STRONG_SECRET + "p")
    environment.setenv("RHI_AUDIT_KEY", STRONG_SECRET + "a")
    environment.setenv("RHI_PUBLIC_URL", "https://rhi.example.org")

    with TestClient(create_app(), base_url="https://testserver") as client:
        answer = client.get("/login")

    assert answer.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert_page_headers(answer.headers)
    login_cookie = answer.headers["set-cookie"]
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie


def test_no_hsts_in_dev_where_the_service_runs_on_plain_http(
        environment: pytest.MonkeyPatch) -> None:
    environment.setenv("RHI_ENV", "dev")

    with TestClient(create_app()) as client:
        answer = client.get("/login")

    assert "strict-transport-security" not in answer.headers
    assert "Secure" not in answer.headers["set-cookie"]


@pytest.mark.parametrize("unset", ["RHI_SECRET_KEY", "RHI_PSEUDONYM_KEY", "RHI_AUDIT_KEY"])
def test_prod_refuses_to_start_without_its_own_secrets(
        environment: pytest.MonkeyPatch, unset: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    environment.setenv("RHI_ENV", "prod")
    environment.setenv("RHI_SECRET_KEY", STRONG_SECRET)
    environment.setenv("RHI_PSEUDONYM_KEY", STRONG_SECRET + "p")
    environment.setenv("RHI_AUDIT_KEY", STRONG_SECRET + "a")
    environment.setenv("RHI_PUBLIC_URL", "https://rhi.example.org")
    environment.delenv(unset)

    with pytest.raises(ConfigurationError, match="RHI_ENV=prod needs"):
        Settings()
    with pytest.raises(ConfigurationError):
        create_app()
    assert main(["serve", "--port", "65500"]) == 1
    assert capsys.readouterr().err.startswith("rhi: error: configuration: RHI_ENV=prod needs")


def test_prod_refuses_a_short_secret(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("RHI_ENV", "prod")
    environment.setenv("RHI_SECRET_KEY", "changeme")
    environment.setenv("RHI_PSEUDONYM_KEY", STRONG_SECRET)

    with pytest.raises(ConfigurationError):
        Settings()


def test_a_fault_nothing_else_answers_is_a_plain_500_that_keeps_the_security_headers(
        app: object) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    @app.get("/probe/fault")
    def fault() -> None:
        raise RuntimeError("a fault for the test")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/probe/fault")

    assert answer.status_code == 500
    assert answer.text == "Sorry, there is a problem with the service. Try again later."
    assert "a fault for the test" not in answer.text
    assert_page_headers(answer.headers)


@pytest.mark.parametrize("public_url", ["", "http://rhi.example.org", "rhi.example.org"])
def test_prod_refuses_to_start_without_an_https_public_address(
        environment: pytest.MonkeyPatch, public_url: str) -> None:
    environment.setenv("RHI_ENV", "prod")
    environment.setenv("RHI_SECRET_KEY", STRONG_SECRET)
    environment.setenv("RHI_PSEUDONYM_KEY", STRONG_SECRET + "p")
    environment.setenv("RHI_AUDIT_KEY", STRONG_SECRET + "a")
    environment.setenv("RHI_PUBLIC_URL", public_url)

    with pytest.raises(ConfigurationError, match="RHI_PUBLIC_URL"):
        Settings()


def test_the_next_page_link_is_built_on_the_public_address_never_the_host_header(
        environment: pytest.MonkeyPatch, db: Session) -> None:
    from app.main import create_app as make

    environment.setenv("RHI_PUBLIC_URL", "https://rhi.example.org/")
    get_settings.cache_clear()
    app = make()
    from app.core.db import get_session

    def session_override() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = session_override
    key = bearer(make_key(db, org="803", scopes=("submit", "feed"))[1])
    with TestClient(app, base_url="http://evil.example") as client:
        for _ in range(2):
            assert client.post("/api/v1/interviews", json=make_document(),
                               headers=key).status_code == 201
        listing = client.get("/api/v1/interviews", params={"limit": 1},
                             headers={**key, "Host": "evil.example"}).json()
        feed = client.get("/api/v1/feed/interviews", params={"limit": 1},
                          headers={**key, "Host": "evil.example"}).json()

    for answer in (listing, feed):
        assert "next" in answer, answer
        assert answer["next"].startswith("https://rhi.example.org/api/v1/"), answer["next"]
        assert "evil.example" not in answer["next"]


def test_the_docker_image_runs_prod_so_it_refuses_to_start_without_its_secrets() -> None:
    """No Docker engine runs here to build the image; its settings are read instead."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    env = dict(re.findall(r"^ENV\s+(\w+)=(\S+)", dockerfile, re.MULTILINE))

    assert env.get("RHI_ENV") == "prod"
    assert "RHI_SECRET_KEY" not in env and "RHI_AUDIT_KEY" not in env  # never baked in
