"""An administrator manages the people of their own organisation on the web: invites, roles,
leavers, lost passwords and phones, sessions to end. Every change is audited; nobody changes
their own account this way; another organisation's people do not exist for them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.builders import PASSWORD, make_org, make_user, sign_in, template_of


class Browser:
    """A second browser, for the person the administrator acts on."""

    def __init__(self, client: TestClient) -> None:
        self.client = TestClient(client.app, base_url="http://testserver",
                                 follow_redirects=False)


@pytest.fixture
def admin(client: TestClient, db: Session) -> tuple[User, str]:
    make_org(db, "803")
    user = make_user(db, "admin", org="803", email="ada.admin@example.org")
    return user, sign_in(client, user)


def post(client: TestClient, url: str, csrf: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def password_try(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token.group(1)},
                       follow_redirects=False).status_code


def actions(db: Session, target: User) -> list[str]:
    return list(db.execute(select(col(AuditEntry.action)).where(
        col(AuditEntry.target) == f"user:{target.id}", col(AuditEntry.action).startswith("user."))
        .order_by(col(AuditEntry.id))).scalars())


def test_the_list_shows_only_the_administrators_organisation(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    make_org(db, "801")
    mine = make_user(db, "interviewer", org="803", name="Ivy Mine")
    theirs = make_user(db, "interviewer", org="801", name="Olly Theirs")

    page = client.get("/admin/people")

    assert template_of(page) == "admin/people.html"
    assert "Ivy Mine" in page.text and "Olly Theirs" not in page.text
    assert client.get(f"/admin/people/{mine.id}").status_code == 200
    assert client.get(f"/admin/people/{theirs.id}").status_code == 404
    _, csrf = admin
    assert post(client, f"/admin/people/{theirs.id}/disable", csrf).status_code == 404
    db.refresh(theirs)
    assert theirs.active


def test_a_leaver_is_disabled_signed_out_at_once_and_cannot_sign_in(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin
    leaver = make_user(db, "analyst", org="803", email="leaver@example.org")
    theirs = Browser(client).client
    sign_in(theirs, leaver)
    assert theirs.get("/reports/quarterly").status_code == 200

    done = post(client, f"/admin/people/{leaver.id}/disable", csrf)

    assert (done.status_code, done.headers["location"]) == (
        303, f"/admin/people/{leaver.id}?done=disable")
    assert "The account is disabled" in client.get(done.headers["location"]).text
    assert theirs.get("/reports/quarterly").status_code == 303  # signed out
    assert password_try(theirs, leaver.email, PASSWORD) == 422
    assert actions(db, leaver) == ["user.disable", "user.end_sessions"]

    assert post(client, f"/admin/people/{leaver.id}/enable", csrf).status_code == 303
    assert password_try(theirs, leaver.email, PASSWORD) == 303


def test_a_password_reset_shows_a_temporary_password_once_and_the_old_one_stops(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin
    forgetful = make_user(db, "analyst", org="803", email="forgetful@example.org")

    page = post(client, f"/admin/people/{forgetful.id}/reset-password", csrf)

    assert template_of(page) == "admin/password.html"
    found = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text)
    assert found
    theirs = Browser(client).client
    assert password_try(theirs, forgetful.email, PASSWORD) == 422
    assert password_try(theirs, forgetful.email, found.group(1)) == 303
    assert found.group(1) not in str(db.execute(select(AuditEntry.details)).all())
    assert "user.reset_password" in actions(db, forgetful)


def test_a_lost_phone_resets_the_second_factor_and_the_next_sign_in_enrols(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin
    interviewer = make_user(db, "interviewer", org="803", email="lost.phone@example.org")
    sign_in(Browser(client).client, interviewer)  # enrolled
    db.refresh(interviewer)
    assert interviewer.totp_secret is not None

    assert post(client, f"/admin/people/{interviewer.id}/reset-second-factor",
                csrf).status_code == 303

    db.refresh(interviewer)
    assert (interviewer.totp_secret, interviewer.recovery_codes) == (None, None)
    theirs = Browser(client).client
    page = theirs.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = theirs.post("/login", data={"email": interviewer.email, "password": PASSWORD,
                                         "csrf_token": token.group(1)})
    assert "Set up your authenticator app" in theirs.get(answer.headers["location"]).text


def test_a_role_change_ends_the_sessions_so_the_next_sign_in_carries_it(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin
    person = make_user(db, "analyst", org="803", email="promoted@example.org")
    theirs = Browser(client).client
    sign_in(theirs, person)

    assert post(client, f"/admin/people/{person.id}/role", csrf,
                role="admin").status_code == 303

    db.refresh(person)
    assert person.role == "admin"
    assert theirs.get("/reports/quarterly").status_code == 303
    refused = post(client, f"/admin/people/{person.id}/role", csrf, role="emperor")
    assert refused.status_code == 422 and "Choose a role" in refused.text


def test_an_invited_person_signs_in_with_the_temporary_password(
        client: TestClient, db: Session, admin: tuple[User, str]) -> None:
    _, csrf = admin

    page = post(client, "/admin/people/new", csrf, email="New.Person@example.org",
                name="Nia Newperson", role="analyst")

    found = re.search(r'<code id="temporary-password">([^<]+)</code>', page.text)
    assert found and "Invited Nia Newperson" in page.text
    invited = db.execute(select(User).where(col(User.email) == "new.person@example.org")
                         ).scalar_one()
    assert invited.organisation_id == admin[0].organisation_id
    assert password_try(Browser(client).client, "new.person@example.org", found.group(1)) == 303
    assert actions(db, invited) == ["user.invite"]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"email": "", "name": "A", "role": "analyst"}, "email", "Enter their email address"),
    ({"email": "not-an-email", "name": "A", "role": "analyst"}, "email", "not an email"),
    ({"email": "a@example.org", "name": "", "role": "analyst"}, "name", "Enter their name"),
    ({"email": "a@example.org", "name": "A\u202eB", "role": "analyst"}, "name",
     "text-direction"),
    ({"email": "a@example.org", "name": "A", "role": "king"}, "role", "Choose their role"),
    ({"email": "ada.admin@example.org", "name": "A", "role": "analyst"}, "email",
     "already has this email"),
])
def test_an_invitation_with_bad_details_is_refused_field_by_field(
        client: TestClient, admin: tuple[User, str], fields: dict[str, str], field: str,
        message: str) -> None:
    _, csrf = admin

    page = post(client, "/admin/people/new", csrf, **fields)

    assert page.status_code == 422
    assert f'href="#{field}"' in page.text and message in page.text


@pytest.mark.parametrize("action", ["disable", "reset-password", "reset-second-factor",
                                    "role"])
def test_an_administrator_cannot_change_their_own_account_here(
        client: TestClient, db: Session, admin: tuple[User, str], action: str) -> None:
    me, csrf = admin

    page = post(client, f"/admin/people/{me.id}/{action}", csrf, role="analyst")

    assert page.status_code == 422
    assert "your own account" in page.text
    db.refresh(me)
    assert (me.active, me.role) == (True, "admin")


@pytest.mark.parametrize("user_id", ["abc", "９", "1" * 40, "-1", "0"])
def test_odd_ids_and_actions_are_not_found(client: TestClient, admin: tuple[User, str],
                                           user_id: str) -> None:
    _, csrf = admin

    assert client.get(f"/admin/people/{user_id}").status_code == 404
    assert post(client, f"/admin/people/{user_id}/disable", csrf).status_code == 404
    assert post(client, f"/admin/people/{admin[0].id}/explode", csrf).status_code == 404


def test_only_administrators_and_only_with_the_token(client: TestClient, db: Session) -> None:
    make_org(db, "803")
    manager = make_user(db, "manager", org="803")
    target = make_user(db, "analyst", org="803", email="target@example.org")
    csrf = sign_in(client, manager)

    assert client.get("/admin/people").status_code == 403
    assert post(client, f"/admin/people/{target.id}/disable", csrf).status_code == 403
    client.cookies.clear()
    admin_user = make_user(db, "admin", org="803", email="admin2@example.org")
    sign_in(client, admin_user)
    assert client.post(f"/admin/people/{target.id}/disable", data={},
                       follow_redirects=False).status_code == 403
    db.refresh(target)
    assert target.active
