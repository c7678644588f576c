"""Small checks on text that people and systems send."""

from __future__ import annotations

import re
from typing import Final

# An organisation's code: a letter or digit, then letters, digits, `_` or `-` (up to 64).
ORG_CODE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

# Control characters (C0 but tab and line breaks, DEL, C1) and the bidirectional embeddings,
# overrides and isolates, which can make a name or an account read differently from what it is.
UNSAFE_CHARACTERS: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def digits(text: str) -> bool:
    """Only the digits 0-9. `str.isdigit` also says yes to "²" and "３", which `int` refuses or
    `hmac.compare_digest` cannot compare: a typed value must be refused with a message, never a
    500."""
    return text.isascii() and text.isdigit()
