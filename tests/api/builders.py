"""Test data for the JSON API: organisations, keys and interview documents, all synthetic."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.accounts.models import ApiKey, Organisation


def make_org(db: Session, code: str = "803", kind: str = "local_authority") -> Organisation:
    organisation = accounts.get_organisation(db, code) or accounts.create_organisation(
        db, code, f"Test Organisation {code}", kind)
    db.commit()
    return organisation


def make_key(db: Session, org: str = "803", scopes: tuple[str, ...] = ("submit",),
             **changes: Any) -> tuple[ApiKey, str]:
    """A key of `org` (made when missing); `changes` set columns afterwards (`revoked_at`...).

    Committed (a savepoint in the test's transaction), as an admin's key would be: a request
    that fails rolls back its own work, not the key.
    """
    make_org(db, org)
    key, plaintext = create_api_key(db, org, f"Test key {uuid4().hex[:6]}", list(scopes))
    for name, value in changes.items():
        setattr(key, name, value)
    db.commit()
    return key, plaintext


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def make_document(**overrides: Any) -> dict[str, Any]:
    """A complete, valid document: a completed interview of a looked-after child of 803.

    Overrides name a path with `__` (`child__gender="male"`, `episodes__0__type="away"`); the
    value `DELETE` removes the field.
    """
    doc: dict[str, Any] = {
        "id": str(uuid4()),
        "child": {"local_id": f"TEST-{uuid4().hex[:8]}", "given_name": "Test",
                  "family_name": "Child", "date_of_birth": "2011-05-04", "gender": "female",
                  "legal_status": "looked_after", "responsible_authority": "803",
                  "placement_authority": "803"},
        "episodes": [{"type": "missing", "started_at": "2026-03-01T18:00:00Z",
                      "returned_at": "2026-03-02T09:00:00Z", "reported_to_police": True,
                      "found_postcode": "BS16 1QY"}],
        "offer": {"outcome": "completed", "offered_at": "2026-03-02T12:00:00Z"},
        "interview": {"conducted_at": "2026-03-03T10:00:00Z", "mode": "in_person",
                      "interviewer_role": "independent_rhi_worker",
                      "interviewer_independent": True, "push_factors": ["family_conflict"],
                      "pull_factors": ["peer_pressure"], "risk_indicators": [],
                      "child_account": "A synthetic account for testing.",
                      "information_sharing_explained": True},
        "actions": [{"type": "follow_up_support", "at": "2026-03-04T10:00:00Z"}],
        "sharing": [{"with": "social_worker", "at": "2026-03-04T10:00:00Z"}],
    }
    for path, value in overrides.items():
        *parents, last = path.split("__")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[index]
        else:
            node[index] = value
    return copy.deepcopy(doc)


DELETE: Any = object()
