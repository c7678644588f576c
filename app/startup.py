"""Start-up wiring: connect the packages that must hear each other without importing each other.

Called by every entry point (the web app, the command line, the benchmarks and the tests)
before the first request or command.
"""

from __future__ import annotations

from app.episodes import linking
from app.feed import projection
from app.notify import dispatch, notices
from app.record import events


def wire() -> None:
    """Register the handlers of "record changed": the episode register (first: the feed reads
    it), the analyst feed's projection, then the email notices (sent after each commit)."""
    events.subscribe(linking.link)
    events.subscribe(projection.refresh)
    events.subscribe(notices.record_changed)
    dispatch.send_after_commit()
