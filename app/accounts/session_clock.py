"""`X-Session-Ends-In`: how many seconds the browser session has left, on every answer to a
signed-in browser, so the page's timeout warning counts from the server's clock (autosaves
included), not a guess.
"""

from __future__ import annotations

from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.types import utcnow

HEADER = "X-Session-Ends-In"


def seconds_left(ends_at: datetime) -> int:
    return max(0, int((ends_at - utcnow()).total_seconds()))


class SessionClock:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_clock(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                ends_at = state.get("session_ends_at")
                if isinstance(ends_at, datetime):
                    message["headers"] = [*message.get("headers", []),
                                          (HEADER.lower().encode(),
                                           str(seconds_left(ends_at)).encode())]
            await send(message)

        await self.app(scope, receive, send_with_clock)
