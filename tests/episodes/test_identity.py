"""The responsible authority owns its child's identity: a different date of birth from another
organisation is shown to the authority to accept or reject, and nothing changes without it."""

from __future__ import annotations

import re
from datetime import date
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.episodes import service
from app.record.models import Child
from tests.builders import make_org, make_user, record, sign_in


def born(db: Session, local_id: str) -> date | None:
    db.expire_all()
    return db.execute(select(col(Child.date_of_birth)).where(
        col(Child.local_id) == local_id)).scalar_one()


def a_providers_record(db: Session) -> str:
    make_org(db, "801")
    ours = record(db, "803", child__date_of_birth="2011-05-04")
    local_id = ours.document["child"]["local_id"]
    record(db, "801", child__local_id=local_id, child__date_of_birth="2011-06-04",
           episodes__0__started_at="2026-02-10T18:00:00Z",
           episodes__0__returned_at="2026-02-11T09:00:00Z")
    db.commit()
    return local_id


def decide(client: TestClient, csrf: str, page: str, button: str) -> str:
    forms = re.findall(r'action="(/children/differences/[^"]+)"', page)
    action = next(f for f in forms if f.endswith(button))
    answer = client.post(action, data={"csrf_token": csrf}, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_authority_accepts_a_date_of_birth_another_organisation_gave(
        client: TestClient, db: Session) -> None:
    local_id = a_providers_record(db)
    csrf = sign_in(client, make_user(db, "manager"))

    page = client.get("/children/differences").text
    assert local_id in page and "4 June 2011" in page and "4 May 2011" in page
    assert born(db, local_id) == date(2011, 5, 4)  # nothing changed yet
    after = decide(client, csrf, page, "/accepted")

    assert born(db, local_id) == date(2011, 6, 4)
    assert local_id not in after
    assert db.execute(select(AuditEntry).where(
        col(AuditEntry.action) == "child.date-of-birth.accepted")).first()


def test_a_rejected_difference_keeps_the_authoritys_date_and_is_not_asked_again(
        client: TestClient, db: Session) -> None:
    local_id = a_providers_record(db)
    csrf = sign_in(client, make_user(db, "manager"))

    after = decide(client, csrf, client.get("/children/differences").text, "/rejected")

    assert born(db, local_id) == date(2011, 5, 4)
    assert local_id not in after
    assert local_id not in client.get("/children/differences").text


def test_a_notifications_different_date_waits_for_the_authority(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    ours = record(db, "803", child__date_of_birth="2011-05-04")
    local_id = ours.document["child"]["local_id"]
    service.notify(db, Caller.system("801"), {
        "id": str(uuid4()), "type": "missing", "started_at": "2026-04-01T18:00:00Z",
        "child": {"responsible_authority": "803", "local_id": local_id,
                  "date_of_birth": "2010-05-04"}})
    db.commit()
    sign_in(client, make_user(db, "manager"))

    page = client.get("/children/differences").text

    assert "4 May 2010" in page and "a notification" in page
    assert born(db, local_id) == date(2011, 5, 4)


def test_another_authority_neither_sees_nor_decides_the_difference(
        client: TestClient, db: Session) -> None:
    local_id = a_providers_record(db)
    csrf = sign_in(client, make_user(db, "manager"))
    action = next(a for a in re.findall(
        r'action="(/children/differences/[^"]+)"', client.get("/children/differences").text))
    client.cookies.clear()
    csrf = sign_in(client, make_user(db, "manager", org="801"))

    page = client.get("/children/differences")
    answer = client.post(action, data={"csrf_token": csrf})

    assert local_id not in page.text
    assert answer.status_code == 404
    assert born(db, local_id) == date(2011, 5, 4)


def test_made_up_differences_are_not_found(client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "manager"))
    for path in (f"/children/differences/record/{uuid4()}/accepted",
                 f"/children/differences/other/{uuid4()}/accepted",
                 f"/children/differences/record/{uuid4()}/maybe",
                 "/children/differences/record/not-a-uuid/accepted"):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 404, path
