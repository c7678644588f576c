"""An administrator sets their own organisation's email address for notices on
/admin/organisations: checked (a real-looking address, no control characters, 254 characters
at most), audited, and only ever their own organisation's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import Organisation, User
from app.admin import audit_words
from app.audit.models import AuditEntry
from app.notify.addresses import InvalidAddress, parse_notify_email
from tests.builders import make_org, make_user, sign_in, template_of


@pytest.fixture
def admin(client: TestClient, db: Session) -> tuple[User, str]:
    make_org(db, "803")
    user = make_user(db, "admin", org="803", email="kay.admin@example.org")
    return user, sign_in(client, user)


def post(client: TestClient, csrf: str, **fields: Any) -> Any:
    """Post the page's address form (which marks itself `change=notify_email`)."""
    if "notify_email" in fields:
        fields = {"change": "notify_email", **fields}
    return client.post("/admin/organisations/own", data={"csrf_token": csrf, **fields},
                       follow_redirects=False)


def address_of(db: Session, code: str) -> str | None:
    return db.execute(select(col(Organisation.notify_email))
                      .where(col(Organisation.code) == code)
                      .execution_options(populate_existing=True)).scalar_one()


def audited(db: Session) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "organisation.notify_email")).scalars())


def test_an_administrator_sets_and_clears_the_address_and_each_change_is_audited(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    user, csrf = admin

    saved = post(client, csrf, notify_email="  Missing.Children@Council.Example.gov.uk ")
    page = client.get("/admin/organisations")
    same = post(client, csrf, notify_email="Missing.Children@council.example.gov.uk")
    cleared = post(client, csrf, notify_email="")

    assert saved.status_code == same.status_code == cleared.status_code == 303
    assert 'value="Missing.Children@council.example.gov.uk"' in page.text
    assert '<input type="hidden" name="change" value="notify_email">' in page.text
    assert address_of(db, "803") is None
    entries = audited(db)
    assert [(e.actor, e.target, e.details) for e in entries] == [
        (f"user:{user.id}", "803",
         {"from": None, "to": "Missing.Children@council.example.gov.uk"}),
        (f"user:{user.id}", "803",
         {"from": "Missing.Children@council.example.gov.uk", "to": None})]
    assert "organisation.notify_email" in audit_words.ACTIONS


@pytest.mark.parametrize(("typed", "message"), [
    ("not an address", "Enter an email address in the correct format"),
    ("team@council", "Enter an email address in the correct format"),
    ("team@@council.example.org", "Enter an email address in the correct format"),
    ("a@b.example.org, c@d.example.org", "Enter an email address in the correct format"),
    ("team@council.example.org\r\nBcc: all@example.org", "control or text-direction"),
    ("team\u202e@council.example.org", "control or text-direction"),
    ("t" * 250 + "@council.example.org", "254 characters or fewer"),
])
def test_a_wrong_address_is_shown_again_with_a_message_beside_the_field(
        client: TestClient, db: Session, admin: tuple[User, str], typed: str,
        message: str) -> None:
    _, csrf = admin

    answer = post(client, csrf, notify_email=typed)

    assert answer.status_code == 422
    assert template_of(answer) == "admin/organisations.html"
    assert message in answer.text
    assert 'href="#notify_email"' in answer.text  # the error summary links to the field
    assert "<title>Error: " in answer.text
    assert 'id="notify_email-error"' in answer.text
    assert address_of(db, "803") is None and audited(db) == []


def test_another_organisations_administrator_cannot_set_it(
        client: TestClient, db: Session) -> None:
    make_org(db, "803")
    csrf = sign_in(client, make_user(db, "admin", org="801"))

    # The form names no organisation: whatever is sent, it is the administrator's own.
    answer = post(client, csrf, notify_email="takeover@example.org", code="803",
                  organisation="803")

    assert answer.status_code == 303
    assert address_of(db, "803") is None
    assert address_of(db, "801") == "takeover@example.org"
    assert [e.target for e in audited(db)] == ["801"]


def test_only_administrators_may_set_it(client: TestClient, db: Session) -> None:
    make_org(db, "803")
    csrf = sign_in(client, make_user(db, "manager", org="803"))

    assert post(client, csrf, notify_email="team@example.org").status_code == 403
    assert address_of(db, "803") is None


def test_renaming_leaves_the_address_alone(client: TestClient, db: Session,
                                           admin: tuple[User, str]) -> None:
    _, csrf = admin
    post(client, csrf, notify_email="team@example.org")

    assert post(client, csrf, name="Renamed Council").status_code == 303
    assert address_of(db, "803") == "team@example.org"


@pytest.mark.parametrize("typed", ["team@example.org", "first.last+rhi@sub.council.gov.uk",
                                   "x@a-b.example"])
def test_real_looking_addresses_are_kept(typed: str) -> None:
    assert parse_notify_email(typed) == typed


@pytest.mark.parametrize("typed", [".team@example.org", "team.@example.org",
                                   "te..am@example.org", "team@-council.example.org",
                                   "tëam@example.org", "<team@example.org>"])
def test_unusual_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_notify_email(typed)
