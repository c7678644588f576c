"""An organisation's email address for notices, as its administrator types it."""

from __future__ import annotations

import re
from typing import Final

from app.core.text import UNSAFE_CHARACTERS

NOTIFY_EMAIL_MAX: Final = 254  # RFC 5321's longest forward path, less its angle brackets
# A real-looking address: one @, a dot in the domain, no spaces, quotes, angle brackets or
# commas (which would make one header hold two addresses).
_ADDRESS: Final = re.compile(r"^[^@\s\"<>(),;:\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                             r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
ENTER_ADDRESS: Final = ("Enter an email address in the correct format, like "
                        "missing.children@council.example.gov.uk")


class InvalidAddress(ValueError):
    """What to tell the administrator, as the field's error message."""


def parse_notify_email(text: str) -> str | None:
    """The address to keep (None when the field was left empty: no emails), or
    `InvalidAddress` saying what to do."""
    address = text.strip()
    if not address:
        return None
    if UNSAFE_CHARACTERS.search(address) or any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise InvalidAddress("The email address contains a control or text-direction "
                             "character; type it again")
    if len(address) > NOTIFY_EMAIL_MAX:
        raise InvalidAddress(f"The email address must be {NOTIFY_EMAIL_MAX} characters or "
                             f"fewer (it is {len(address):,})")
    local, _, domain = address.rpartition("@")
    if not _ADDRESS.match(address) or len(local) > 64 or ".." in address or \
            local.startswith(".") or local.endswith(".") or not address.isascii():
        raise InvalidAddress(ENTER_ADDRESS)
    return f"{local}@{domain.lower()}"
