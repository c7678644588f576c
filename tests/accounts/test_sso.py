"""Single sign-on, end to end against a real OpenID Connect provider on a local port
(`tests/accounts/oidc.py`): the browser goes from the service to the provider and back, the
service exchanges the code with the provider and checks the ID token it signed.

A person of an organisation that signs in through its provider lands signed in, past the second
factor; a token for another audience, an expired token, a tampered state or nonce, a person of
another organisation, a disabled or unknown person, a provider that says no or cannot be reached
are each refused on the sign-in page, audited, never a 500. Organisations without a provider keep
password and TOTP; one that requires its provider refuses its people a password.
"""

from __future__ import annotations

import html
import socket
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import sso
from app.accounts.models import Organisation, User
from app.accounts.service import SIGN_IN_FAILED, SIGN_IN_THROUGH_SSO
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.errors import BadRequest
from tests.accounts.conftest import session_record, submit_sign_in_form
from tests.accounts.oidc import PROVIDER_WARNINGS, Provider, running_provider
from tests.builders import make_org, make_user, sign_in, template_of

pytestmark = PROVIDER_WARNINGS

ORG = "sso-council"
CLIENT_ID = "rhi-sso-council"
SECRET = "client-secret-for-the-tests"  # the provider takes any secret


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def late_provider() -> Iterator[Provider]:
    """A provider whose ID tokens expire five minutes before they are issued."""
    with running_provider(token_lifetime=timedelta(seconds=-300)) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_discovery() -> Iterator[None]:
    sso.forget_providers()
    yield
    sso.forget_providers()


def with_provider(db: Session, monkeypatch: pytest.MonkeyPatch, issuer: str, code: str = ORG,
                  client_id: str = CLIENT_ID, **options: bool) -> Organisation:
    """Organisation `code` signing its people in through the provider at `issuer`."""
    make_org(db, code, name=f"Council {code}")
    organisation = sso.configure(db, code, issuer=issuer, client_id=client_id, **options)
    db.commit()
    monkeypatch.setenv(sso.default_secret_env(code), SECRET)
    return organisation


@pytest.fixture
def council(db: Session, monkeypatch: pytest.MonkeyPatch, provider: Provider) -> Organisation:
    organisation = with_provider(db, monkeypatch, provider.issuer)
    provider.swap.ours, provider.swap.answer_for = CLIENT_ID, None
    return organisation


def leave_for_provider(client: TestClient, code: str = ORG, next_path: str | None = None) -> str:
    """Choose the organisation on the sign-in page: the provider's address the browser is
    sent to."""
    start = client.get(f"/login/sso/{code}", params={"next": next_path} if next_path else None)
    assert start.status_code == 303, start.text[:500]
    return start.headers["location"]


def sign_in_with_provider(client: TestClient, provider: Provider, email: str,
                          code: str = ORG, next_path: str | None = None) -> httpx.Response:
    """The whole round trip for the person `email` at the provider: the service's answer to
    the browser coming back."""
    provider.add_user(email, email=email, name="A Synthetic Person")
    back = provider.authorize(leave_for_provider(client, code, next_path), email)
    return client.get(back)


def last_failure(db: Session) -> AuditEntry:
    entry = db.execute(select(AuditEntry).where(
        col(AuditEntry.action).in_(("sign_in_failed", "sso_unavailable")))
        .order_by(col(AuditEntry.id).desc()).limit(1)).scalar_one()
    return entry


def refused_with(answer: httpx.Response, status: int, message: str) -> None:
    assert answer.status_code == status, answer.text[:500]
    assert template_of(answer) == "accounts/login.html"
    page = html.unescape(answer.text)
    assert "There is a problem" in page and message in page
    assert '<a href="#sso">' in answer.text  # the error summary links to the section


def assert_signed_out(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 303
    assert home.headers["location"].startswith("/login")


# --- signing in ------------------------------------------------------------------------------


def test_a_person_signs_in_through_their_organisations_provider_and_lands_home(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="pat.interviewer@sso.example.org")

    answer = sign_in_with_provider(client, provider, user.email)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200  # past the second factor: the provider's MFA stands in
    assert "pat.interviewer@sso.example.org" not in home.headers.get("location", "")
    record = session_record(db, client)
    assert record.second_factor_done and record.user_id == user.id
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "sign_in")
                       .order_by(col(AuditEntry.id).desc()).limit(1)).scalar_one()
    assert (entry.target, entry.organisation, entry.details) == (
        f"user:{user.id}", ORG, {"via": "sso"})
    assert user.last_login_at is not None


def test_the_page_asked_for_comes_next_and_a_foreign_one_never_does(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "manager", org=ORG, email="next.manager@sso.example.org")

    answer = sign_in_with_provider(client, provider, user.email, next_path="/audit")
    assert answer.headers["location"] == "/audit"
    assert client.get("/audit").status_code == 200

    client.cookies.clear()
    answer = sign_in_with_provider(client, provider, user.email,
                                   next_path="https://evil.example.test/")
    assert answer.headers["location"] == "/"


def test_the_sign_in_page_offers_each_organisation_with_a_provider(
        client: TestClient, council: Organisation) -> None:
    page = client.get("/login", params={"next": "/episodes/mine"})

    assert page.status_code == 200
    assert "Sign in with your organisation's account" in html.unescape(page.text)
    assert f'href="/login/sso/{ORG}?next=/episodes/mine"' in page.text
    assert f"Council {ORG}" in page.text


def test_leaving_for_the_provider_asks_for_a_code_with_pkce_state_and_nonce(
        client: TestClient, provider: Provider, council: Organisation) -> None:
    start = client.get(f"/login/sso/{ORG}")

    where = urlsplit(start.headers["location"])
    asked = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert f"{where.scheme}://{where.netloc}" == provider.issuer
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == f"http://testserver/login/sso/{ORG}/callback"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert set(asked["scope"].split()) >= {"openid", "email"}
    cookie = next(h for h in start.headers.get_list("set-cookie") if h.startswith("rhi_sso="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/login/sso", "max-age=600"} <= attributes
    assert asked["state"] not in cookie  # signed, and not readable as the state itself


def test_signing_in_again_ends_the_session_the_browser_had(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    first = make_user(db, "analyst", org=ORG, email="first.analyst@sso.example.org")
    second = make_user(db, "analyst", org=ORG, email="second.analyst@sso.example.org")
    sign_in_with_provider(client, provider, first.email)
    before = session_record(db, client)

    sign_in_with_provider(client, provider, second.email)

    db.refresh(before)
    assert before.ended_at is not None
    assert session_record(db, client).user_id == second.id


# --- what the provider sends is checked ------------------------------------------------------


def test_an_id_token_for_another_audience_is_refused(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="aud.interviewer@sso.example.org")
    provider.swap.answer_for = "another-service"  # the provider signs for another client
    try:
        answer = sign_in_with_provider(client, provider, user.email)
    finally:
        provider.swap.answer_for = None

    refused_with(answer, 401, sso.ANSWER_REFUSED)
    assert_signed_out(client)
    entry = last_failure(db)
    assert (entry.action, entry.organisation, entry.details) == (
        "sign_in_failed", ORG, {"reason": "wrong_audience", "via": "sso"})


def test_an_expired_id_token_is_refused(client: TestClient, db: Session,
                                        monkeypatch: pytest.MonkeyPatch,
                                        late_provider: Provider) -> None:
    with_provider(db, monkeypatch, late_provider.issuer, code="late-council")
    user = make_user(db, "manager", org="late-council", email="late.manager@sso.example.org")

    answer = sign_in_with_provider(client, late_provider, user.email, code="late-council")

    refused_with(answer, 401, sso.ANSWER_REFUSED)
    assert_signed_out(client)
    assert last_failure(db).details == {"reason": "expired_token", "via": "sso"}


def test_a_tampered_state_is_refused_and_the_flow_is_used_once(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="state.interviewer@sso.example.org")
    provider.add_user(user.email, email=user.email)
    back = provider.authorize(leave_for_provider(client), user.email)
    parts = urlsplit(back)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    tampered = urlunsplit(parts._replace(query=urlencode({**query, "state": "x" + query["state"]})))
    refused_with(client.get(tampered), 400, sso.TRY_AGAIN)
    assert last_failure(db).details == {"reason": "state", "via": "sso"}

    # The refusal ended the flow: the right answer now finds nothing to finish.
    refused_with(client.get(back), 400, sso.TRY_AGAIN)
    assert_signed_out(client)


def test_an_answer_arriving_in_another_browser_is_refused(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="csrf.interviewer@sso.example.org")
    provider.add_user(user.email, email=user.email)
    back = provider.authorize(leave_for_provider(client), user.email)

    client.cookies.clear()  # someone else's browser, sent the link: no flow of its own
    refused_with(client.get(back), 400, sso.TRY_AGAIN)
    assert_signed_out(client)


def test_a_nonce_changed_on_the_way_to_the_provider_is_refused(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="nonce.interviewer@sso.example.org")
    provider.add_user(user.email, email=user.email)
    parts = urlsplit(leave_for_provider(client))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    replayed = urlunsplit(parts._replace(query=urlencode({**query, "nonce": "replayed"})))

    answer = client.get(provider.authorize(replayed, user.email))

    refused_with(answer, 401, sso.ANSWER_REFUSED)
    assert last_failure(db).details == {"reason": "wrong_nonce", "via": "sso"}


def test_the_provider_saying_no_is_refused(client: TestClient, db: Session, provider: Provider,
                                           council: Organisation) -> None:
    answer = client.get(provider.deny(leave_for_provider(client)))

    refused_with(answer, 401, sso.PROVIDER_SAID_NO)
    assert last_failure(db).details == {"reason": "provider_said_no", "via": "sso",
                                        "provider_error": "access_denied"}


# --- the person must be an active person of that organisation --------------------------------


def test_a_person_of_another_organisation_is_refused_as_an_unknown_one_is(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    elsewhere = make_user(db, "manager", org="803", email="someone.else@other.example.org")

    answer = sign_in_with_provider(client, provider, elsewhere.email)

    refused_with(answer, 401, sso.PERSON_REFUSED)
    assert_signed_out(client)
    entry = last_failure(db)
    assert (entry.organisation, entry.target, entry.details) == (
        ORG, None, {"reason": "other_organisation", "via": "sso"})

    unknown = sign_in_with_provider(client, provider, "nobody@sso.example.org")
    refused_with(unknown, 401, sso.PERSON_REFUSED)  # the same words: nothing told
    assert last_failure(db).details["reason"] == "unknown_account"


def test_a_disabled_person_is_refused(client: TestClient, db: Session, provider: Provider,
                                      council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="leaver@sso.example.org")
    user.active = False
    db.commit()

    answer = sign_in_with_provider(client, provider, user.email)

    refused_with(answer, 401, sso.PERSON_REFUSED)
    assert_signed_out(client)
    entry = last_failure(db)
    assert (entry.target, entry.details) == (f"user:{user.id}",
                                             {"reason": "inactive", "via": "sso"})


def test_the_email_is_read_from_the_claim_the_organisation_names(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch,
        provider: Provider) -> None:
    with_provider(db, monkeypatch, provider.issuer, code="upn-council")
    sso.configure(db, "upn-council", issuer=provider.issuer, client_id=CLIENT_ID,
                  email_claim="preferred_username")
    db.commit()
    user = make_user(db, "analyst", org="upn-council", email="upn.analyst@sso.example.org")
    provider.add_user("upn-sub", email="someone.else@sso.example.org",
                      preferred_username="UPN.Analyst@sso.example.org")

    answer = client.get(provider.authorize(leave_for_provider(client, "upn-council"),
                                           "upn-sub"))

    assert answer.status_code == 303, answer.text[:300]
    assert session_record(db, client).user_id == user.id


# --- the provider cannot be reached, or is not set up ----------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_provider_that_cannot_be_reached_is_a_clear_refusal_not_a_500(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    with_provider(db, monkeypatch, f"http://127.0.0.1:{_closed_port()}", code="gone-council")

    answer = client.get("/login/sso/gone-council")

    refused_with(answer, 502, sso.UNREACHABLE)
    entry = last_failure(db)
    assert (entry.action, entry.details) == (
        "sso_unavailable", {"reason": "provider_unreachable", "via": "sso"})


def test_a_client_secret_missing_from_the_environment_is_a_clear_refusal(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch, provider: Provider,
        council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="nosecret@sso.example.org")
    monkeypatch.delenv(sso.default_secret_env(ORG))

    answer = sign_in_with_provider(client, provider, user.email)

    refused_with(answer, 502, sso.MISCONFIGURED)
    assert last_failure(db).details["reason"] == "provider_misconfigured"


def test_an_address_with_too_many_failures_is_throttled_before_the_provider_is_asked(
        client: TestClient, db: Session, provider: Provider, council: Organisation) -> None:
    user = make_user(db, "interviewer", org=ORG, email="throttled@sso.example.org")
    for _ in range(20):
        audit.record(db, actor="anonymous", action="sign_in_failed", address="testclient")
    db.commit()

    answer = sign_in_with_provider(client, provider, user.email)

    assert answer.status_code == 429
    assert_signed_out(client)


# --- organisations without a provider, and those that require theirs -------------------------


def test_an_organisation_without_a_provider_keeps_password_and_totp(
        client: TestClient, db: Session) -> None:
    user = make_user(db, "interviewer", org="803")

    assert "Sign in with your organisation" not in client.get("/login").text
    refused_with(client.get("/login/sso/803"), 404, sso.NOT_OFFERED)
    refused_with(client.get("/login/sso/803/callback?code=x&state=y"), 404, sso.NOT_OFFERED)
    refused_with(client.get("/login/sso/no-such-org"), 404, sso.NOT_OFFERED)

    sign_in(client, user)  # the password, then the second factor, as before
    assert client.get("/").status_code == 200


def test_a_person_whose_organisation_requires_its_provider_cannot_use_a_password(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch,
        provider: Provider) -> None:
    with_provider(db, monkeypatch, provider.issuer, required=True)
    provider.swap.ours, provider.swap.answer_for = CLIENT_ID, None
    user = make_user(db, "manager", org=ORG, email="required.manager@sso.example.org")

    right = submit_sign_in_form(client, user.email)
    assert right.status_code == 422
    assert SIGN_IN_THROUGH_SSO in html.unescape(right.text)
    assert last_failure(db).details == {"reason": "sso_required"}
    wrong = submit_sign_in_form(client, user.email, "not the password")
    assert wrong.status_code == 422 and SIGN_IN_FAILED in wrong.text  # nothing more told
    assert_signed_out(client)

    assert sign_in_with_provider(client, provider, user.email).status_code == 303
    assert client.get("/").status_code == 200


def test_clearing_the_provider_brings_back_passwords(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch,
        provider: Provider) -> None:
    with_provider(db, monkeypatch, provider.issuer, required=True)
    user = make_user(db, "analyst", org=ORG)

    sso.clear(db, ORG)
    db.commit()

    assert submit_sign_in_form(client, user.email).status_code == 303
    assert db.get(User, user.id) is not None
    entry = db.execute(select(AuditEntry).where(
        col(AuditEntry.action).like("organisation.sso_%")).order_by(
        col(AuditEntry.id).desc()).limit(1)).scalar_one()
    assert (entry.action, entry.actor, entry.target) == ("organisation.sso_clear", "cli", ORG)


@pytest.mark.parametrize("issuer", ["http://idp.example.org", "ftp://idp.example.org",
                                    "https://idp.example.org/?tenant=1", "https://",
                                    "https://idp.example.org/\u202e", "not a url"])
def test_an_issuer_must_be_https_unless_on_this_machine(db: Session, issuer: str) -> None:
    make_org(db, ORG)
    with pytest.raises(BadRequest):
        sso.configure(db, ORG, issuer=issuer, client_id=CLIENT_ID)


@pytest.mark.parametrize("name", ["RHI_SECRET_KEY", "RHI_AUDIT_KEY", "PATH",
                                  "RHI_SSO_SECRET_", "rhi_sso_secret_x"])
def test_the_secret_is_read_only_from_a_variable_meant_for_it(db: Session, name: str) -> None:
    make_org(db, ORG)
    with pytest.raises(BadRequest):
        sso.configure(db, ORG, issuer="https://idp.example.org", client_id=CLIENT_ID,
                      secret_env=name)
