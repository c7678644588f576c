"""Start-up wiring: connect the packages that must hear each other without importing each other.

Called by every entry point (the web app, the command line, the benchmarks and the tests)
before the first request or command.
"""

from __future__ import annotations

from app.episodes import linking
from app.feed import projection
from app.record import events


def wire() -> None:
    """Register the handlers of "record changed": the episode register (first: the feed reads
    it), then the analyst feed's projection."""
    events.subscribe(linking.link)
    events.subscribe(projection.refresh)
