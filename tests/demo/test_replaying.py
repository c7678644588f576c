"""`replaying`: what the demo's history stands in for now while it plays a step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.types import replaying, utcnow

THEN = datetime(2025, 3, 1, 18, 30, tzinfo=UTC)


def test_now_is_the_moment_replayed_inside_and_the_clock_outside() -> None:
    with replaying(THEN):
        assert utcnow() == THEN
        with replaying(THEN + timedelta(hours=1)):
            assert utcnow() == THEN + timedelta(hours=1)
        assert utcnow() == THEN
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"), replaying(datetime(2025, 3, 1, 18, 30)):
        pass  # pragma: no cover - never entered
