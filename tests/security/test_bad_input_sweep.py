"""A bad-input run over every form field and every page's query fields: Unicode digits, far
dates, control characters, bidirectional overrides and oversized values get a page or a message,
never a 500, and never a page without the security headers."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.interviews import forms
from tests.builders import make_document, make_org, make_user, record, sign_in
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
                f"/?saved={q}", f"/interviews/{q}", f"/interviews/{q}/check",
                f"/?standard={q}", f"/?recorded_by={q}", f"/?exploitation={q}"):
        assert_answered(client.get(url), f"{url}")
    client.cookies.clear()
    for url in (f"/login?next={q}", f"/login?reason=timeout&saved={q}&next={q}",
                f"/login?reason={q}", f"/login/two-factor?next={q}"):
        assert_answered(client.get(url), url)


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_search_a_childs_history_and_starting_for_them_take_bad_input_without_a_500(
        client: TestClient, db: Session, csrf: str, value: str) -> None:
    from tests.builders import record

    record(db, "803", child__given_name="Sweep", child__local_id="TEST-SWEEP-1")
    db.commit()
    q = quote(value, safe="")
    for url in (f"/search?q={q}", f"/search?q=sw{q}", f"/search?q={q}&q=sweep",
                f"/children/{q}", f"/children/1{q}", f"/interviews/new?q={q}",
                f"/interviews/new?q=sw{q}", f"/interviews/new?q={q}&q=sweep"):
        assert_answered(client.get(url), url[:80])
    for path in (f"/children/{q}/start", f"/children/1{q}/start"):
        assert_answered(client.post(path, data={"csrf_token": csrf}), path[:80])


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


EPISODE_FORM_FIELDS = (
    "id", "child-responsible_authority", "child-local_id", "child-date_of_birth-day",
    "child-date_of_birth-month", "child-date_of_birth-year", "child-legal_status", "type",
    *(f"{name}-{part}" for name in ("started_at", "found_at", "returned_at")
      for part in ("day", "month", "year", "time")),
    "reported_by", "police_reference", "police_risk_grade",
)


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_episode_pages_take_bad_input_without_a_500(
        client: TestClient, db: Session, value: str) -> None:
    from uuid import uuid4

    from app.accounts.caller import Caller
    from app.episodes import service as episodes

    make_org(db, "803")
    episode, _ = episodes.notify(db, Caller.system("803"), {
        "id": str(uuid4()), "type": "missing", "started_at": "2026-03-01T18:00:00Z",
        "child": {"responsible_authority": "803", "local_id": "TEST-SWEEP"}})
    db.commit()
    csrf = sign_in(client, make_user(db, "manager", org="803"))
    good = {"csrf_token": csrf, "id": str(uuid4()), "type": "missing",
            "child-responsible_authority": "803", "child-local_id": "TEST-SWEEP-2",
            "started_at-day": "1", "started_at-month": "3", "started_at-year": "2026",
            "started_at-time": "18:00"}
    for name in EPISODE_FORM_FIELDS:
        answer = client.post("/episodes/new", data={**good, name: value},
                             follow_redirects=False)
        assert_answered(answer, f"/episodes/new {name}={value!r}")
        changed = client.post(f"/episodes/{episode.id}",
                              data={"csrf_token": csrf, "version": "1", name: value},
                              follow_redirects=False)
        assert_answered(changed, f"/episodes/{{id}} {name}={value!r}")
    for name in ("version", "user_id", "organisation"):
        url = f"/episodes/{episode.id}" + ("" if name == "version" else "/allocate")
        answer = client.post(url, data={"csrf_token": csrf, name: value},
                             follow_redirects=False)
        assert_answered(answer, f"{url} {name}={value!r}")
    q = quote(value, safe="")
    for url in (f"/episodes/{q}", "/episodes", "/episodes/mine", "/children/differences"):
        assert_answered(client.get(url), url)
    for path in (f"/children/differences/{q}/{q}/{q}",
                 f"/children/differences/record/{q}/accepted"):
        assert_answered(client.post(path, data={"csrf_token": csrf}), path)
    assert_answered(client.post(f"/episodes/{q}/start", data={"csrf_token": csrf}), "start")
    assert client.get(f"/episodes/{episode.id}").status_code == 200  # nothing saved was lost


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_every_notification_field_takes_bad_input_as_a_problem_not_a_500(
        client: TestClient, db: Session, value: str) -> None:
    from uuid import uuid4

    from tests.builders import bearer, make_key

    headers = bearer(make_key(db, "803", scopes=("notify",))[1])
    body = {"id": str(uuid4()), "type": "missing", "started_at": "2026-03-01T18:00:00Z",
            "child": {"responsible_authority": "803", "local_id": "TEST-SWEEP-API"}}
    made = client.post("/api/v1/episodes", json=body, headers=headers)
    assert made.status_code == 201
    fields = ("type", "started_at", "found_at", "returned_at", "reported_by",
              "police_reference", "police_risk_grade", "notified_at")
    for name in fields:
        answer = client.post("/api/v1/episodes", json={**body, "id": str(uuid4()), name: value},
                             headers=headers)
        assert_answered(answer, f"POST {name}={value!r}")
        if name != "started_at":
            changed = client.patch(f"/api/v1/episodes/{body['id']}", json={name: value},
                                   headers={**headers, "If-Match": "*"})
            assert_answered(changed, f"PATCH {name}={value!r}")
    for name in ("responsible_authority", "local_id", "date_of_birth", "legal_status",
                 "placement_authority"):
        answer = client.post("/api/v1/episodes", json={
            **body, "id": str(uuid4()), "child": {**body["child"], name: value}},
            headers=headers)
        assert_answered(answer, f"POST child.{name}={value!r}")
    q = quote(value, safe="")
    for url in (f"/api/v1/episodes/{q}", f"/api/v1/episodes?updated_since={q}",
                f"/api/v1/episodes?cursor={q}", f"/api/v1/episodes?limit={q}"):
        assert_answered(client.get(url, headers=headers), url)


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_feeds_query_fields_take_bad_input_as_a_problem_not_a_500(
        client: TestClient, db: Session, value: str) -> None:
    """Every filter of both feeds in every format, Parquet included, and `format` and `Accept`
    themselves: a 4xx problem (or an answer), never a 500."""
    from tests.builders import bearer, make_key

    record(db, "803")
    db.commit()
    headers = bearer(make_key(db, "803", scopes=("feed",))[1])
    q = quote(value, safe="")
    feeds = {"/api/v1/feed/interviews": (
                 "updated_since", "returned_from", "returned_to", "responsible_authority",
                 "recorded_by_org", "out_of_area", "legal_status", "risk_indicator", "standard",
                 "result", "cursor", "limit"),
             "/api/v1/feed/episodes": ("updated_since", "returned_from", "returned_to",
                                       "cursor", "limit")}
    for path, names in feeds.items():
        for fmt in ("json", "ndjson", "csv", "parquet"):
            for name in names:
                url = f"{path}?format={fmt}&{name}={q}"
                answer = client.get(url, headers=headers)
                assert_answered(answer, url[:80])
                if answer.status_code >= 400:
                    assert answer.headers["content-type"] == "application/problem+json", url
        for url in (f"{path}?format={q}", f"{path}?format=parquet&format={q}"):
            assert_answered(client.get(url, headers=headers), url[:80])
        for accept in (value, f"application/vnd.apache.parquet;q={value}"):
            if accept.isprintable() and accept.isascii():  # a header can carry only these
                assert_answered(client.get(path, headers={**headers, "Accept": accept}), accept)
    summary = "/api/v1/feed/summary"
    for fmt in ("json", "csv"):
        for name in ("from", "to", "group_by", "table", "stage_delays", "placed_out_of_area"):
            answer = client.get(summary, params={"format": fmt, name: value}, headers=headers)
            assert_answered(answer, f"summary {fmt} {name}={value!r}")
            assert answer.status_code == 200 or answer.headers["content-type"] == (
                "application/problem+json"), (name, value)
        # Beside a grouping of each kind, and each table a grouping makes.
        for grouping, table in (("found_district", "groups"), ("time_of_day", "episode_groups"),
                                ("action_status", "action_totals")):
            for params in ({"group_by": f"{grouping},{value}"}, {"group_by": grouping,
                                                                 "table": table, "to": value}):
                answer = client.get(summary, params={"format": fmt, **params}, headers=headers)
                assert_answered(answer, f"summary {fmt} {params}")


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_administrators_key_and_organisation_forms_take_bad_input_without_a_500(
        client: TestClient, db: Session, value: str) -> None:
    make_org(db, "803")
    csrf = sign_in(client, make_user(db, "admin", org="803"))
    good = {"name": "Sweep key", "scopes": "feed", "expires_days": "30"}
    for name in good:
        answer = client.post("/admin/api-keys/new",
                             data={"csrf_token": csrf, **good, name: value},
                             follow_redirects=False)
        assert_answered(answer, f"/admin/api-keys/new {name}={value!r}")
    organisation = {"code": "sweep-org", "name": "Sweep organisation", "kind": "other"}
    for name in organisation:
        answer = client.post("/admin/organisations/new",
                             data={"csrf_token": csrf, **organisation, name: value},
                             follow_redirects=False)
        assert_answered(answer, f"/admin/organisations/new {name}={value!r}")
    assert_answered(client.post("/admin/organisations/own",
                                data={"csrf_token": csrf, "name": value}), "rename")
    for fields in ({"change": "notify_email", "notify_email": value}, {"notify_email": value},
                   {"change": value}):
        assert_answered(client.post("/admin/organisations/own",
                                    data={"csrf_token": csrf, **fields}), f"own {fields!r}")
    q = quote(value, safe="")
    assert_answered(client.post(f"/admin/api-keys/{q}/revoke", data={"csrf_token": csrf}),
                    "revoke")
    for url in ("/admin/api-keys", "/admin/organisations"):
        assert client.get(url).status_code == 200


@pytest.mark.filterwarnings("ignore:get_jwt_config.*:DeprecationWarning")
@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_single_sign_on_pages_take_bad_input_without_a_500(
        client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from urllib.parse import parse_qs, urlsplit

    from app.accounts import sso
    from tests.accounts.oidc import running_provider

    q = quote(value, safe="")
    with running_provider() as provider:
        make_org(db, "sweep-sso")
        sso.configure(db, "sweep-sso", issuer=provider.issuer, client_id="sweep-client")
        db.commit()
        monkeypatch.setenv(sso.default_secret_env("sweep-sso"), "sweep-secret")
        for url in (f"/login/sso/{q}", f"/login/sso/{q}/callback?code=c&state=s",
                    f"/login/sso/sweep-sso?next={q}",
                    f"/login/sso/sweep-sso/callback?code={q}&state={q}",
                    f"/login/sso/sweep-sso/callback?error={q}"):
            assert_answered(client.get(url, follow_redirects=False), url)
        # With a flow under way and its own state: a made-up code goes to the provider, which
        # refuses it.
        start = client.get("/login/sso/sweep-sso", follow_redirects=False)
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        answer = client.get(f"/login/sso/sweep-sso/callback?code={q}&state={state}")
        assert_answered(answer, f"callback code={value!r}")
        assert answer.status_code in (400, 401, 422)
    sso.forget_providers()


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_a_discard_reason_takes_bad_input_without_a_500(
        client: TestClient, db: Session, csrf: str, value: str) -> None:
    base = start(client, csrf)
    answer = post(client, f"{base}/discard", csrf, reason=value)
    assert_answered(answer, f"discard reason={value!r}")


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_a_managers_decision_and_a_version_number_take_bad_input_without_a_500(
        client: TestClient, db: Session, value: str) -> None:
    returned, approved = record(db), record(db)
    csrf = sign_in(client, make_user(db, "manager", org="803", email="sweep.decider@example.org"))
    for url, fields in (
            (f"/interviews/{returned.id}/approve", {"oversight_note": value, "read_record": value}),
            (f"/interviews/{returned.id}/approve", {"oversight_note": "Checked.",
                                                    "read_record": value}),
            (f"/interviews/{returned.id}/return", {"comment": value}),
            (f"/interviews/{approved.id}/approve", {"oversight_note": value,
                                                    "read_record": "yes"})):
        answer = post(client, url, csrf, **fields)
        assert_answered(answer, f"{url} {fields!r}")
        assert answer.status_code in (303, 400, 422), f"{url} {fields!r}: {answer.status_code}"
    answer = client.get(f"/interviews/{returned.id}/versions/{quote(value, safe='')}")
    assert_answered(answer, f"version {value!r}")
    assert answer.status_code in (400, 404, 422)


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_a_recipients_report_takes_bad_ids_and_recipients_without_a_500(
        client: TestClient, db: Session, csrf: str, value: str) -> None:
    made = record(db)
    db.commit()  # a refused request rolls back its own work, not the record
    q = quote(value, safe="")
    for url in (f"/interviews/{q}/report/police", f"/interviews/{made.id}{q}/report/police",
                f"/interviews/{made.id}/report/{q}", f"/interviews/{made.id}/report/police{q}",
                f"/interviews/{made.id}/report/{q}police", f"/interviews/{q}/report/{q}"):
        answer = client.get(url)
        assert_answered(answer, url[:80])
        assert answer.status_code in (400, 404, 422), f"{url[:80]}: {answer.status_code}"
    assert client.get(f"/interviews/{made.id}/report/police").status_code == 200


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_board_packs_period_mode_and_table_take_bad_input_without_a_500(
        client: TestClient, db: Session, value: str) -> None:
    sign_in(client, make_user(db, "analyst", org="803", email="sweep.pack@example.org"))
    q = quote(value, safe="")
    for url in (f"/reports/quarterly?mode={q}", f"/reports/quarterly?period=2026-Q1&mode={q}",
                f"/reports/quarterly/stage-delays.csv?mode={q}",
                f"/reports/quarterly/{q}.csv?mode=own", f"/reports/quarterly.pdf?mode={q}",
                f"/reports/quarterly.pdf?period={q}", f"/reports/quarterly.pdf?period={q}&mode=own",
                f"/reports/quarterly/by-ethnicity.csv?period={q}&mode={q}"):
        answer = client.get(url)
        assert_answered(answer, url[:80])
        assert answer.status_code in (400, 404, 422), f"{url[:80]}: {answer.status_code}"


@pytest.mark.parametrize("value", NASTY, ids=[repr(v)[:20] for v in NASTY])
def test_the_host_authoritys_pages_take_bad_ids_and_others_records_as_404_not_a_500(
        client: TestClient, db: Session, value: str) -> None:
    """Signed in at 801, where 803 placed a child: every id that is not a submitted record of
    a child placed in 801 by another authority is 404 (or a 4xx for an id that is no id)."""
    from app.accounts.caller import Caller
    from app.interviews.service import start_draft
    from tests.builders import save_draft

    hosted = record(db, "803", child__placement_authority="801")
    others = [
        record(db, "803"),  # not placed out of area
        record(db, "803", child__placement_authority="805"),  # placed in a third area
        record(db, "805", child__responsible_authority="805",
               child__placement_authority="805"),  # another authority's, at home
        record(db, "801", child__placement_authority="801"),  # 801 recorded it: its own
    ]
    draft = start_draft(db, Caller.system("803"))
    assert not save_draft(db, draft, Caller.system("803"), {
        k: v for k, v in make_document(child__placement_authority="801").items() if k != "id"})
    db.commit()
    sign_in(client, make_user(db, "manager", org="801"))
    q = quote(value, safe="")
    for url in (f"/placed-in-our-area/{q}", f"/placed-in-our-area/{hosted.id}{q}",
                f"/placed-in-our-area/{q}{hosted.id}", f"/placed-in-our-area?page={q}",
                f"/placed-in-our-area/{hosted.id}?version={q}"):
        answer = client.get(url)
        assert_answered(answer, url[:80])
        assert answer.status_code in (200, 400, 404, 422), f"{url[:80]}: {answer.status_code}"
    for interview in (*others, draft):
        answer = client.get(f"/placed-in-our-area/{interview.id}")
        assert_answered(answer, str(interview.id))
        assert answer.status_code == 404
    assert client.get(f"/placed-in-our-area/{hosted.id}").status_code == 200
