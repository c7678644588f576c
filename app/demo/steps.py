"""What the demo's history is made of: steps, each something a person or a partner system does
at a moment, planned by `plan.py` and played by `history.py`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(slots=True)
class Step:
    """Something a person or a partner system does, at a moment. Episodes: `notify`,
    `returned`, `allocate` (the authority gives it to the return service), `assign` (the
    service's manager gives it to the interviewer), `duplicate` (the co-ordinator enters it
    again). Records: `draft` (started on the form), `write` (typed into its sections),
    `submit`, `create` and `update` (through the API), `approve`, `return`."""

    at: datetime
    kind: str
    body: dict[str, Any] | None = None
    text: str = ""


def new_id(rng: random.Random) -> UUID:
    """A version 4 UUID from the plan's generator (so the same plan has the same ids)."""
    return UUID(int=rng.getrandbits(128), version=4)
