"""Small checks on text that people and systems send."""

from __future__ import annotations


def digits(text: str) -> bool:
    """Only the digits 0-9. `str.isdigit` also says yes to "²" and "３", which `int` refuses or
    `hmac.compare_digest` cannot compare: a typed value must be refused with a message, never a
    500."""
    return text.isascii() and text.isdigit()
