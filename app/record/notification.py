"""A missing or return notification, as partner systems and the co-ordinator send it: read and
checked in one pass, every problem reported with its JSON Pointer (`docs/episodes.md`).

Pure: the caller passes the time and whether an organisation code exists. A new notification
(`complete=True`) needs the child, the type and the start; a change (`complete=False`) holds only
the fields it changes, and `null` clears an optional one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from app.core.errors import FieldError
from app.record import codes
from app.record.cross_checks import show
from app.record.fields import (
    Context,
    read_code,
    read_date,
    read_identifier,
    read_object,
    read_org,
    read_timestamp,
)
from app.record.models import REPORTED_BY

CHILD_FIELDS: Final = ("responsible_authority", "local_id", "date_of_birth", "legal_status",
                       "placement_authority")
# The fields a change may hold; the child and the start say which episode it is, so they are
# fixed once notified (a wrong one is a new notification, and the old one is closed by the
# responsible authority).
CHANGEABLE: Final = ("type", "found_at", "returned_at", "reported_by", "police_reference",
                     "police_risk_grade", "notified_at")
FIELDS: Final = ("id", "child", "started_at", *CHANGEABLE)


@dataclass(frozen=True, slots=True)
class NotifiedChild:
    responsible_authority: str | None = None
    local_id: str | None = None
    date_of_birth: date | None = None
    legal_status: str | None = None
    placement_authority: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """What a notification says; for a change, `given` names the fields it holds."""

    id: UUID | None
    child: NotifiedChild
    values: Mapping[str, Any]
    given: frozenset[str]


def read(raw: Any, *, complete: bool, now: datetime,
         organisations: Callable[[str], bool] | None,
         stored: Mapping[str, Any] | None = None) -> tuple[Notification, list[FieldError]]:
    """Read a notification (`complete`) or a change to one; `stored` is the episode as it
    stands, so a change is checked against the times it does not change."""
    ctx = Context(complete=True, now=now, organisations=organisations)
    allowed = FIELDS if complete else CHANGEABLE
    obj = read_object(ctx, raw, "", allowed,
                      "The notification" if complete else "The change")
    if obj is None:
        if raw is None:
            ctx.error("", "invalid_type", "The body must be a JSON object")
        return Notification(None, NotifiedChild(), {}, frozenset()), ctx.errors
    episode_id = _id(ctx, obj) if complete else None
    child = _child(ctx, obj.get("child")) if complete else NotifiedChild()
    values: dict[str, Any] = {
        "type": read_code(ctx, obj, "type", "", "The episode type", codes.EPISODE_TYPE,
                          required=complete),
        "started_at": read_timestamp(ctx, obj, "started_at", "", "When the child went missing",
                                     required=complete, not_future=True) if complete else None,
        "found_at": read_timestamp(ctx, obj, "found_at", "", "When the child was found",
                                   not_future=True),
        "returned_at": read_timestamp(ctx, obj, "returned_at", "",
                                      "When the child returned", not_future=True),
        "reported_by": read_code(ctx, obj, "reported_by", "", "Who reported the episode",
                                 REPORTED_BY),
        "police_reference": read_identifier(ctx, obj, "police_reference", "",
                                            "The police reference", max_len=50),
        "police_risk_grade": read_code(ctx, obj, "police_risk_grade", "",
                                       "The police risk grade", codes.POLICE_RISK_GRADE),
        "notified_at": read_timestamp(ctx, obj, "notified_at", "",
                                      "When the return service was told", not_future=True),
    }
    given = frozenset(key for key in FIELDS if key in obj) if complete else frozenset(obj)
    if not complete and "type" in given and values["type"] is None:
        ctx.error("/type", "required", "The episode type cannot be removed: send missing or "
                  "away")
    merged = {**(stored or {}), **{k: v for k, v in values.items() if k in given}}
    _times_in_order(ctx, merged)
    return Notification(episode_id, child, values, given), ctx.errors


def _id(ctx: Context, obj: Mapping[str, Any]) -> UUID | None:
    raw_id = obj.get("id")
    if raw_id is None:
        ctx.error("/id", "required", "Enter the episode's id: a UUID your system makes, so a "
                  "retry is safe")
        return None
    try:
        if not isinstance(raw_id, str):
            raise ValueError
        return UUID(raw_id)
    except ValueError:
        ctx.error("/id", "invalid_uuid", "The id must be a UUID, like "
                  "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f")
        return None


def _child(ctx: Context, raw: Any) -> NotifiedChild:
    p = "/child"
    obj = read_object(ctx, raw, p, CHILD_FIELDS, "The child")
    if obj is None:
        ctx.error(p, "required", "Enter the child: their responsible authority and case id")
        return NotifiedChild()
    born = read_date(ctx, obj, "date_of_birth", p, "Date of birth")
    if born is not None and born > ctx.now.date():
        ctx.error(f"{p}/date_of_birth", "in_future", "Date of birth must be in the past")
        born = None
    return NotifiedChild(
        responsible_authority=read_org(ctx, obj, "responsible_authority", p,
                                       "The responsible authority", required=True),
        local_id=read_identifier(ctx, obj, "local_id", p, "The child's case identifier",
                                 max_len=64, required=True),
        date_of_birth=born,
        legal_status=read_code(ctx, obj, "legal_status", p, "Involvement with children's services",
                               codes.LEGAL_STATUS),
        placement_authority=read_org(ctx, obj, "placement_authority", p,
                                     "The placement authority"),
    )


def _times_in_order(ctx: Context, episode: Mapping[str, Any]) -> None:
    started = episode.get("started_at")
    if started is None:
        return
    for key, label in (("found_at", "The time the child was found"),
                       ("returned_at", "The return")):
        moment = episode.get(key)
        if moment is not None and moment <= started:
            ctx.error(f"/{key}", "before_start",
                      f"{label} must be after the episode started ({show(started)})")
    found, returned = episode.get("found_at"), episode.get("returned_at")
    if found is not None and returned is not None and returned < found:
        ctx.error("/returned_at", "before_found",
                  f"The return must not be before the child was found ({show(found)})")
