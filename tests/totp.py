"""TOTP codes as a person's authenticator app gives them, never one the server has seen.

The server accepts each time step once (replay protection), one step either side of now. A
person signing in twice within 30 seconds waits for the next code; tests take the next step's
code instead, which the server accepts as a clock a little ahead.
"""

from __future__ import annotations

import time

import pyotp

_LAST_STEP: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    step = max(now, _LAST_STEP.get(secret, now - 1) + 1)
    if step > now + 1:  # both usable steps already spent: wait for the next one, as a person would
        time.sleep((step - 1) * totp.interval - time.time() + 0.05)
        return fresh_code(secret)
    _LAST_STEP[secret] = step
    return totp.at(step * totp.interval)
