"""Email through GOV.UK Notify: the real `notifications-python-client`, posting to a local
stand-in for the Notify API (a stdlib HTTP server on 127.0.0.1, at RHI_NOTIFY_BASE_URL), since
no test may reach the network. The POST carries the kind's template id, the address, and a
personalisation with no child's name, case id or date of birth; the stand-in checks the
client's signed token as Notify would."""

from __future__ import annotations

import json

import jwt
import pytest
from sqlalchemy.orm import Session

from app.core.settings import ConfigurationError, Settings
from app.notify import senders, sending
from app.notify.models import FAILED, QUEUED, SENT
from tests.builders import record
from tests.notify.conftest import (
    KEY_SECRET,
    NOTIFY_API_KEY,
    SERVICE_ID,
    TEMPLATES,
    NotifyApi,
    free_port,
    use_settings,
)
from tests.notify.support import PUBLIC_URL, assert_no_child_data, child, outbox, set_address

HOST = "missing.children@host-801.example.org"


def test_notify_is_sent_the_kinds_template_the_address_and_no_child(
        db: Session, notify_api: NotifyApi) -> None:
    set_address(db, "801", HOST)
    made = record(db, "avon-rhi", **child("QX-NOTIFY-01", responsible_authority="803",
                                          placement_authority="801"))
    db.commit()

    tally = sending.send_due(db, senders.configured())

    assert tally.sent == 1
    [post] = notify_api.posts
    assert post["path"] == "/v2/notifications/email"
    body = post["json"]
    [row] = outbox(db)
    assert body["template_id"] == TEMPLATES["host_authority"]
    assert body["email_address"] == HOST
    assert body["reference"] == str(row.id)
    personalisation = body["personalisation"]
    assert personalisation["link"] == f"{PUBLIC_URL}/placed-in-our-area/{made.id}"
    assert personalisation["subject"] == \
        "A return interview was recorded for a child placed in your area"
    assert personalisation["link"] in personalisation["body"]
    assert_no_child_data(json.dumps(body), "QX-NOTIFY-01")
    token = post["headers"]["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == SERVICE_ID
    assert (row.status, row.attempts) == (SENT, 1)


def test_a_refusal_is_not_tried_again_and_a_server_error_is(
        db: Session, notify_api: NotifyApi) -> None:
    set_address(db, "801", HOST)
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="801"))
    db.commit()

    notify_api.status = 500
    sending.send_due(db, senders.configured())
    after_500 = (outbox(db)[0].status, outbox(db)[0].last_error)
    notify_api.status = 400
    sending.send_due(db, senders.configured(),
                           now=outbox(db)[0].next_attempt_at)

    [row] = outbox(db)
    assert after_500 == (QUEUED, "GOV.UK Notify could not take the message now (500)")
    assert (row.status, row.last_error) == (FAILED, "GOV.UK Notify refused the message (400)")
    assert "recipient" not in (row.last_error or "")  # never what Notify said


def test_notify_that_cannot_be_reached_is_tried_again(
        db: Session, notify_api: NotifyApi, monkeypatch: pytest.MonkeyPatch) -> None:
    set_address(db, "801", HOST)
    record(db, "avon-rhi", **child(responsible_authority="803", placement_authority="801"))
    db.commit()
    use_settings(monkeypatch, notify_api_key=NOTIFY_API_KEY,
                 notify_base_url=f"http://127.0.0.1:{free_port()}",  # nobody listens
                 **{f"notify_template_{k}": v for k, v in TEMPLATES.items()})

    tally = sending.send_due(db, senders.configured())

    [row] = outbox(db)
    assert tally.retrying == 1
    assert (row.status, row.last_error) == (QUEUED, "could not reach GOV.UK Notify")


def test_notify_needs_a_whole_key_and_a_template_for_every_kind() -> None:
    with pytest.raises(ConfigurationError, match="RHI_NOTIFY_TEMPLATE_DAILY_DIGEST"):
        Settings(env="test", notify_api_key=NOTIFY_API_KEY, notify_template_host_authority="a",
                 notify_template_record_returned="b")
    with pytest.raises(ConfigurationError, match="not a GOV.UK Notify API key"):
        Settings(env="test", notify_api_key="half-a-key",
                 **{f"notify_template_{k}": v for k, v in TEMPLATES.items()})
