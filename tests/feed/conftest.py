"""Feed fixtures: the organisations every feed test uses, feed keys, and two quarters of
records."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.builders import bearer, make_key, make_org, record

ORGS = ("803", "801", "802")


@pytest.fixture(autouse=True)
def organisations(db: Session) -> None:
    for code in ORGS:
        make_org(db, code)


def feed_key(db: Session, org: str = "803", scopes: tuple[str, ...] = ("feed",)
             ) -> dict[str, str]:
    """The headers of a partner system of `org` holding a key of `scopes`."""
    _, plaintext = make_key(db, org, scopes)
    return bearer(plaintext)


DECLINED: dict[str, Any] = {"offer": {"outcome": "declined", "offered_at": "2026-03-02T12:00:00Z",
                                      "decline_reason": "Did not want to talk.",
                                      "attempts": [{"at": "2026-03-02T12:00:00Z",
                                                    "method": "phone"}]},
                            "interview": None}


def in_april(**overrides: Any) -> dict[str, Any]:
    return {"episodes": [{"type": "away", "started_at": "2026-04-03T18:00:00Z",
                          "returned_at": "2026-04-04T09:00:00Z", "reported_to_police": False}],
            "offer__offered_at": "2026-04-04T10:00:00Z",
            "interview__conducted_at": "2026-04-05T10:00:00Z", **overrides}


@pytest.fixture
def quarters(db: Session) -> None:
    """2026-Q1: 8 completed (one child twice; 7 with a risk indicator) and 2 declined, all of
    803's children placed out of area by 801. 2026-Q2: 7 completed, not out of area."""
    for i in range(8):
        record(db, child__local_id="SAME-CHILD" if i < 2 else f"Q1-{i}",
               child__placement_authority="801",
               interview__risk_indicators=["missing_with_peers"] if i < 7 else [],
               **({"episodes__0__started_at": "2026-02-20T18:00:00Z",
                   "episodes__0__returned_at": "2026-02-21T09:00:00Z",
                   "offer__offered_at": "2026-02-21T12:00:00Z",
                   "interview__conducted_at": "2026-02-22T10:00:00Z"} if i == 0 else {}))
    for _ in range(2):
        record(db, child__placement_authority="801", **DECLINED)
    for _ in range(7):
        record(db, **in_april())
    db.commit()
