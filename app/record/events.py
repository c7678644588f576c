""""A record changed": what capture announces, and who hears it.

Capture announces every change to a record (a save, a submission, an approval, a return,
findings re-evaluated) by calling `record_changed`, inside the transaction that made the change,
so a handler's writes commit or roll back with it. Handlers are registered once at start-up
(`app/startup.py`); the feed projection is one. Capture knows nothing of its handlers, and a
handler decides for itself what the change means to it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from app.record.models import Interview


class RecordChangedHandler(Protocol):
    def __call__(self, session: Session, interview: Interview, *, new: bool) -> None:
        """`new`: the record was made in this transaction, so nothing derived from it exists."""


_handlers: list[RecordChangedHandler] = []


def subscribe(handler: RecordChangedHandler) -> None:
    """Hear every record change from now on (once, however often it is subscribed)."""
    if handler not in _handlers:
        _handlers.append(handler)


def record_changed(session: Session, interview: Interview, *, new: bool = False) -> None:
    """Tell every handler, in order, that `interview` changed; a handler's error is the
    change's error (the transaction rolls back)."""
    for handler in tuple(_handlers):
        handler(session, interview, new=new)
