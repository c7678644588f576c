"""What the email tests share: the synthetic child, whose name, case id and date of birth are
easy to look for in every message; organisations' addresses; the outbox; callers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.models import Organisation, User
from app.episodes import service as episodes
from app.notify.models import Notification
from app.record.formats import format_timestamp
from app.record.models import RegisterEpisode
from tests.builders import actor, make_org

PUBLIC_URL = "https://rhi.example.test"
SENDER = "rhi-notices@example.org"

# A synthetic child, with names and a case id no template or link could hold by chance.
GIVEN_NAME = "Zephyrine"
FAMILY_NAME = "Quillfeather"
DATE_OF_BIRTH = "2011-05-04"
# The ways a date of birth could be written in an email.
DATE_OF_BIRTH_WRITTEN = ("2011-05-04", "04/05/2011", "4/5/2011", "4 May 2011", "04 May 2011",
                         "20110504")


def child(local_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """Overrides for `tests.builders.record`: the synthetic child, placed where told."""
    overrides: dict[str, Any] = {
        "child__given_name": GIVEN_NAME, "child__family_name": FAMILY_NAME,
        "child__date_of_birth": DATE_OF_BIRTH,
        "child__local_id": local_id or f"QX-{uuid4().hex[:10].upper()}"}
    overrides.update({f"child__{k}": v for k, v in changes.items()})
    return overrides


def assert_no_child_data(text: str, *local_ids: str) -> None:
    """Nothing that identifies the child: name, case id, date of birth in any form."""
    folded = text.casefold()
    for said in (GIVEN_NAME, FAMILY_NAME, *local_ids, *DATE_OF_BIRTH_WRITTEN):
        assert said.casefold() not in folded, f"{said!r} is in the message"


def set_address(db: Session, code: str, address: str | None) -> Organisation:
    """The organisation `code` (made when missing), with its email address for notices."""
    organisation = make_org(db, code)
    organisation.notify_email = address
    db.commit()
    return organisation


def outbox(db: Session) -> list[Notification]:
    """Every message in the outbox, oldest first, as the database has it now."""
    return list(db.execute(select(Notification)
                           .order_by(col(Notification.created_at), col(Notification.kind))
                           .execution_options(populate_existing=True)).scalars())


def as_caller(db: Session, user: User) -> Caller:
    """The person, as a signed-in caller."""
    organisation = db.get(Organisation, user.organisation_id)
    assert organisation is not None
    return Caller(label=f"user:{user.id}", organisation_code=organisation.code,
                  user_id=user.id, role=user.role, email=user.email)


def planned_action(due: datetime) -> dict[str, Any]:
    """A follow-up action still planned, due at `due`: its standard is pending until then."""
    return {"type": "follow_up_support", "status": "planned", "due_at": format_timestamp(due)}


def notify_return(db: Session, authority: str, returned: datetime,
                  notified_by: str | None = None) -> RegisterEpisode:
    """An episode of `authority`'s child, notified with its return and no offer."""
    body = {"id": str(uuid4()),
            "child": {"responsible_authority": authority,
                      "local_id": f"QX-EP-{uuid4().hex[:8].upper()}",
                      "date_of_birth": DATE_OF_BIRTH, "legal_status": "looked_after"},
            "type": "missing", "started_at": format_timestamp(returned - timedelta(hours=20)),
            "returned_at": format_timestamp(returned), "reported_by": "police"}
    make_org(db, authority)
    episode, created = episodes.notify(db, actor(notified_by or authority), body)
    assert created
    return episode
