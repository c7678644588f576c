"""Checks across fields and across records: a child's episodes must not overlap (nor two be
open at once, as the SSDA903 return requires), and the child must be of an age for a return
interview when the first episode starts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from app.core.london import LONDON, london_day
from app.record.document import Child, Episode
from app.record.fields import Context


def show(moment: datetime) -> str:
    """An instant as messages quote it: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(episode: Episode, label: str) -> str:
    """'episode 1 (01 Mar 2026 18:00 to 02 Mar 2026 09:00)', in UK time."""
    start = episode.started_at.astimezone(LONDON).strftime("%d %b %Y %H:%M") \
        if episode.started_at else "?"
    end = episode.returned_at.astimezone(LONDON).strftime("%d %b %Y %H:%M") \
        if episode.returned_at else "still missing"
    return f"{label} ({start} to {end})"


def check_overlaps(ctx: Context, episodes: Sequence[Episode],
                   others: Sequence[tuple[Episode, str]]) -> None:
    """Episodes of one child must not overlap, and at most one may be open (SSDA903 style)."""
    mine = [(e, f"episode {i + 1}", i) for i, e in enumerate(episodes) if e.started_at]
    everyone: list[tuple[Episode, str, int | None]] = [
        *mine, *((e, label, None) for e, label in others if e.started_at)]
    far_future = datetime.max.replace(tzinfo=UTC)
    open_ones = [x for x in everyone if x[0].returned_at is None]
    reported: set[int] = set()
    if len(open_ones) > 1:
        for _episode, _label, index in open_ones:
            if index is not None and index not in reported:
                rivals = "; ".join(describe(e, lbl) for e, lbl, j in open_ones if j != index)
                ctx.error(f"/episodes/{index}/returned_at", "several_open_episodes",
                          f"Episode {index + 1} has no return, and so does {rivals}: "
                          "enter when the child returned")
                reported.add(index)
    for a_pos, (a, a_label, a_index) in enumerate(everyone):
        for b, b_label, b_index in everyone[a_pos + 1:]:
            if a_index is None and b_index is None:
                continue
            # Type narrowing only: episodes without a start were skipped above.
            assert a.started_at is not None and b.started_at is not None  # noqa: S101  # nosec B101
            a_end = a.returned_at or far_future
            b_end = b.returned_at or far_future
            if a.started_at < b_end and b.started_at < a_end:
                index = a_index if a_index is not None else b_index
                assert index is not None  # noqa: S101 - one of the two is set  # nosec B101
                if index in reported:
                    continue
                reported.add(index)
                first = describe(a, a_label)
                ctx.error(f"/episodes/{index}/started_at", "overlapping_episodes",
                          f"{first[:1].upper()}{first[1:]} overlaps "
                          f"{describe(b, b_label)}: change the dates so they do not overlap")


def check_age(ctx: Context, child: Child, episodes: Sequence[Episode]) -> None:
    """Under 18 (under 25 for a care leaver) when the first episode starts, born in the past."""
    dob = child.date_of_birth
    if dob is None:
        return
    if dob >= london_day(ctx.now):
        ctx.error("/child/date_of_birth", "in_future", "Date of birth must be in the past")
        return
    starts = [e.started_at for e in episodes if e.started_at]
    if not starts:
        return
    first = london_day(min(starts))
    limit = 25 if child.legal_status == "care_leaver" else 18
    age = first.year - dob.year - ((first.month, first.day) < (dob.month, dob.day))
    if age >= limit:
        who = "a care leaver" if limit == 25 else "a child"
        ctx.error("/child/date_of_birth", "too_old",
                  f"The child was {age} when the first episode started; a return interview is "
                  f"for {who} under {limit}. Check the date of birth and the legal status")
    elif age < 0:
        ctx.error("/child/date_of_birth", "too_old",
                  "The first episode starts before the date of birth; check both dates")
