"""The checks cache dates, deadlines and wording: a cached answer equals one worked out afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import _lru_cache_wrapper
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.standards import (
    calendar,
    content,
    evaluate,
    judging,
    offer_and_report,
    safeguarding,
    wording,
)
from app.standards.calendar import london_date
from app.standards.wording import whole_minutes

from .builders import (
    london,
    make_action,
    make_attempt,
    make_facts,
    make_sharing,
    typed_document,
)

LONDON = ZoneInfo("Europe/London")
MODULES: tuple[ModuleType, ...] = (
    calendar, content, judging, offer_and_report, safeguarding, wording
)


def clear_caches() -> None:
    for module in MODULES:
        for value in vars(module).values():
            if isinstance(value, _lru_cache_wrapper):
                value.cache_clear()


@pytest.mark.parametrize("day", [datetime(2026, 3, 29, tzinfo=UTC),
                                 datetime(2026, 10, 25, tzinfo=UTC),
                                 datetime(2026, 12, 24, tzinfo=UTC)],
                         ids=["spring-forward", "fall-back", "christmas"])
def test_london_date_is_right_at_both_ends_of_every_hour_around_a_clock_change(day):
    for hour in range(-48, 48):
        start = day + timedelta(hours=hour)
        for instant in (start, start + timedelta(minutes=59, seconds=59, microseconds=999999)):
            assert london_date(instant) == instant.astimezone(LONDON).date(), instant


@given(st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=30)))
def test_whole_minutes_rounds_up_and_never_goes_below_zero(span):
    assert whole_minutes(span) == max(0, -(-span // timedelta(minutes=1)))


def records_across_a_clock_change_and_bank_holidays():
    # Deadlines that run over the October clock change and over Christmas, with late and
    # missing evidence, so the cached wording of every kind of dated finding is exercised.
    autumn = london(2026, 10, 23, 16)  # Friday before the clocks go back
    christmas = london(2026, 12, 23, 10)  # the spec's example: due Wednesday 30 December
    for conducted in (autumn, christmas):
        returned = conducted - timedelta(hours=30)
        document = typed_document(
            returned_at=returned, started_at=returned - timedelta(hours=20),
            offered_at=returned + timedelta(hours=2), conducted_at=conducted,
            harm_disclosed="yes", risk_indicators=("sexual_exploitation",), seraf_score=9,
            actions=(make_action("mash_referral", conducted + timedelta(days=4)),),
            sharing=(make_sharing("social_worker", conducted + timedelta(days=9)),),
        )
        yield make_facts(document, submitted_at=conducted + timedelta(days=6))
        yield make_facts(document, submitted_at=None)
        declined = typed_document(  # placed out of area: the placing authority told late
            outcome="declined", interview=None, decline_reason="Did not want to",
            placement_authority="801",
            returned_at=returned, started_at=returned - timedelta(hours=20),
            offered_at=returned + timedelta(hours=80),
            sharing=(make_sharing("missing_coordinator", conducted + timedelta(days=5)),),
            attempts=(make_attempt(conducted), make_attempt(conducted + timedelta(days=1))),
        )
        yield make_facts(declined, submitted_at=conducted + timedelta(days=2))


@pytest.mark.parametrize("as_of", [london(2026, 10, 26, 9), london(2027, 1, 20, 9)])
def test_findings_served_from_the_caches_equal_findings_worked_out_afresh(as_of):
    records = list(records_across_a_clock_change_and_bank_holidays())
    fresh = []
    for facts in records:
        clear_caches()
        fresh.append(evaluate(facts, as_of=as_of))
    warm = [evaluate(facts, as_of=as_of) for facts in records]
    again = [evaluate(facts, as_of=as_of) for facts in records]
    assert warm == fresh
    assert again == fresh
