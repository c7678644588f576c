"""A bad-input run over every form field and every page's query fields: Unicode digits, far
dates, control characters, bidirectional overrides and oversized values get a page or a message,
never a 500, and never a page without the security headers."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.interviews import forms
from tests.builders import make_document, make_org, make_user, sign_in
from tests.interviews.helpers import post, start

NASTY = [
    "３１", "٣", "²", "¹²:³⁴", "99999999999999999999", "0000", "9999", "-1", "1e9", "31/02/2026",
    "\x00", "\x07bell", "\u202egnp.exe", "\u0085next", "x" * 20_000, "🙂", "' OR 1=1 --",
    "=1+2", "\ufffd",
]


def every_form_field() -> dict[str, list[str]]:
    """Each section's field names, from a whole document typed into the form."""
    values = forms.values_from_document({**make_document(), "actions": [
        {"type": "other", "at": "2026-03-03T15:00:00Z", "notes": "n"}],
        "sharing": [{"with": "police", "at": "2026-03-03T15:00:00Z"}]})
    return {section.slug: [name for name in values if forms.section_for(
        "/" + name.replace("-", "/")) is section or name.startswith(section.slug)]
        for section in forms.SECTIONS}


@pytest.fixture
def csrf(client: TestClient, db: Session) -> str:
    make_org(db, "801")
    return sign_in(client, make_user(db, "interviewer", org="803"))


def assert_answered(answer: object, what: str) -> None:
    status = answer.status_code  # type: ignore[attr-defined]
    headers = answer.headers  # type: ignore[attr-defined]
    assert status < 500, f"{what}: {status}"
    assert headers.get("x-content-type-options") == "nosniff", what


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_every_form_field_takes_bad_input_without_a_500(
        client: TestClient, db: Session, csrf: str, value: str) -> None:
    base = start(client, csrf)
    for slug, names in every_form_field().items():
        for name in names:
            if name.endswith("-count"):
                continue
            for htmx in (False, True):
                answer = post(client, f"{base}/{slug}", csrf, htmx=htmx, **{name: value})
                assert_answered(answer, f"{slug} {name}={value!r} htmx={htmx}")
        # Counts and buttons too.
        for extra in ({f"{slug}-count": value}, {"action": value}, {"goto": value},
                      {"action": f"remove-{slug}-{value}"}):
            assert_answered(post(client, f"{base}/{slug}", csrf, **extra), f"{slug} {extra}")
        assert client.get(f"{base}/{slug}").status_code == 200  # and the page still opens
    assert client.get(f"{base}/check").status_code == 200


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_every_pages_query_fields_take_bad_input_without_a_500(
        client: TestClient, db: Session, value: str) -> None:
    admin = make_user(db, "admin", org="803", email="sweep.admin@example.org")
    sign_in(client, admin)
    q = quote(value, safe="")
    audit_fields = ["actor", "action", "target", "organisation", "before",
                    *(f"{n}-{p}" for n in ("from", "to") for p in ("day", "month", "year"))]
    for name in audit_fields:
        assert_answered(client.get(f"/audit?{name}={q}"), f"/audit {name}={value!r}")
    client.cookies.clear()
    manager = make_user(db, "manager", org="803", email="sweep.manager@example.org")
    sign_in(client, manager)
    for url in (f"/reports/quarterly?period={q}", f"/reports/quarterly/{q}.csv",
                f"/?saved={q}", f"/interviews/{q}", f"/interviews/{q}/check"):
        assert_answered(client.get(url), f"{url}")
    client.cookies.clear()
    for url in (f"/login?next={q}", f"/login?reason=timeout&saved={q}&next={q}",
                f"/login?reason={q}", f"/login/two-factor?next={q}"):
        assert_answered(client.get(url), url)


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_sign_in_form_takes_bad_input_without_a_500(client: TestClient,
                                                        value: str) -> None:
    from tests.accounts.conftest import hidden_fields

    for fields in ({"email": value, "password": "x"}, {"email": "a@example.org",
                                                      "password": value}):
        page = client.get("/login")
        answer = client.post("/login", data={**hidden_fields(page.text), **fields},
                             follow_redirects=False)
        assert_answered(answer, f"/login {fields!r}"[:80])


@pytest.mark.parametrize("code", ["１２３４５６", "٣٣٣٣٣٣", "²²²²²²", "12345\x00", "1" * 5000])
def test_a_second_factor_code_of_odd_digits_is_a_wrong_code_not_a_500(
        client: TestClient, db: Session, code: str) -> None:
    import re

    from tests.accounts.conftest import hidden_fields
    from tests.builders import PASSWORD

    user = make_user(db, "interviewer", org="803", email="sweep.2fa@example.org")
    page = client.get("/login")
    answer = client.post("/login", data={**hidden_fields(page.text), "email": user.email,
                                         "password": PASSWORD}, follow_redirects=False)
    page = client.get(answer.headers["location"])
    assert re.search(r"data-secret", page.text)

    refused = client.post("/login/two-factor", data={**hidden_fields(page.text), "code": code},
                          follow_redirects=False)

    assert_answered(refused, code)
    assert refused.status_code in (400, 422)
