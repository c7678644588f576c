"""Who is calling: one type for a signed-in person and for a partner system's API key.

Routes get a `Caller` from `allow(scopes=..., roles=...)` (`app/accounts/deps.py`); services take
one and write its `label` to the audit log. Either way a caller acts within one organisation,
whose code decides what it may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Caller:
    """A person signed in through the browser, an API key, or the service itself (`system`)."""

    # How the audit log names the caller: "user:12", "key:rk_ab12cd34" or "system".
    label: str
    organisation_code: str
    name: str | None = None
    # The address the request came from, for the audit log.
    address: str | None = None
    # A person: their account, role and browser session.
    user_id: int | None = None
    email: str | None = None
    role: str | None = None
    organisation_id: int | None = None
    session_id: str | None = None
    csrf_token: str = ""
    second_factor_pending: bool = False
    # When the browser session ends if nothing more is sent (the page's timeout warning).
    session_ends_at: datetime | None = None
    # An API key: its id and scopes.
    api_key_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @classmethod
    def system(cls, organisation_code: str, label: str = "system") -> Caller:
        """The service acting on its own account (demo data, commands), for one organisation."""
        return cls(label=label, organisation_code=organisation_code)
