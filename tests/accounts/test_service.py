"""Organisations and people are created with clear refusals for bad input."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from app.accounts import service
from app.core.errors import BadRequest, Conflict, NotFound
from tests.builders import PASSWORD, make_org, make_user


def test_an_organisation_code_is_used_once(db: Session) -> None:
    make_org(db, "803")

    with pytest.raises(Conflict, match="803"):
        service.create_organisation(db, "803", "Another council", "local_authority")


def test_an_organisation_kind_must_be_known(db: Session) -> None:
    with pytest.raises(BadRequest, match="local_authority"):
        service.create_organisation(db, "999", "Somewhere", "council")


@pytest.mark.parametrize(("code", "name", "message"), [
    ("=cmd", "Somewhere", "organisation code"), ("@SUM", "Somewhere", "organisation code"),
    ("-803", "Somewhere", "organisation code"), ("8 03", "Somewhere", "organisation code"),
    ("x" * 65, "Somewhere", "organisation code"),
    ("804", "Council\u202e", "text-direction"), ("804", "Council\x9b", "control"),
])
def test_an_organisation_code_or_name_that_could_mislead_is_refused(
        db: Session, code: str, name: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        service.create_organisation(db, code, name, "local_authority")


def test_an_email_is_stored_lower_case_and_used_once(db: Session) -> None:
    user = make_user(db, email=" Sam.Smith@Example.ORG ")

    assert user.email == "sam.smith@example.org"
    with pytest.raises(Conflict, match="already exists"):
        make_user(db, email="SAM.SMITH@example.org")


@pytest.mark.parametrize(("overrides", "error", "message"), [
    ({"role": "supervisor"}, BadRequest, "Unknown role"),
    ({"password": "short pass"}, BadRequest, "at least 12 characters"),
    ({"email": "not-an-email"}, BadRequest, "not an email address"),
    ({"org_code": "nowhere"}, NotFound, "No organisation has the code"),
    ({"name": "Ali\u202eexe.gnp"}, BadRequest, "text-direction characters"),
    ({"name": "Next\x85line"}, BadRequest, "control"),
])
def test_a_user_with_bad_details_is_refused(db: Session, overrides: dict[str, str],
                                            error: type[Exception], message: str) -> None:
    make_org(db, "avon-rhi", kind="rhi_provider")
    values = {"email": "a@example.org", "name": "A Person", "org_code": "avon-rhi",
              "role": "interviewer", "password": PASSWORD, **overrides}

    with pytest.raises(error, match=message):
        service.create_user(db, values["email"], values["name"], values["org_code"],
                            values["role"], values["password"])


def test_passwords_are_stored_as_argon2_hashes(db: Session) -> None:
    user = make_user(db)

    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(db: Session) -> None:
    user = make_user(db)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.flush()

    service.authenticate(db, user.email, PASSWORD, None)

    assert not service._hasher.check_needs_rehash(user.password_hash)
    assert "m=19456,t=2,p=1" in user.password_hash
