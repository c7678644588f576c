"""Small-number suppression, as UK official statistics do it (GSS guidance; DfE's `c`).

Pure: counts in, published values out. A count from 1 to 5 is hidden; zero is shown (a true
zero). Within a set of counts that adds up to a total, no hidden count may be worked out by
subtraction: while exactly one member of the set (total or part) is hidden, the smallest
non-zero part still shown is hidden too. A rate is published only when both its counts are.
Groups are suppressed together (`suppress_groups`): the groups of a grouping add up to the
total without it, as a table's rows add up to its total row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

LOWEST_HIDDEN: Final = 1
HIGHEST_HIDDEN: Final = 5
SUPPRESSED: Final = "c"  # the GSS symbol for a confidential figure, used in CSV


@dataclass(frozen=True, slots=True)
class CountSet:
    """Counts that add up to a published total: `total == sum(parts)`."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Published:
    """Counts after suppression: a hidden count is None, and its name is in `suppressed`."""

    values: dict[str, int | None]
    suppressed: tuple[str, ...]

    def rate(self, numerator: str, denominator: str) -> float | None:
        """numerator / denominator, or None when either is hidden or the denominator is 0."""
        return rate(self.values[numerator], self.values[denominator])


def rate(top: int | None, bottom: int | None) -> float | None:
    """top / bottom to 4 places, or None when either is hidden or `bottom` is 0."""
    if top is None or bottom is None or bottom == 0:
        return None
    return round(top / bottom, 4)


def is_small(count: int) -> bool:
    return LOWEST_HIDDEN <= count <= HIGHEST_HIDDEN


def suppress(counts: Mapping[str, int], sets: Sequence[CountSet] = ()) -> Published:
    """Hide small counts, then hide more wherever a set would give a hidden count away."""
    hidden = {name for name, count in counts.items() if is_small(count)}
    # Passes over the sets in order until one hides nothing. A set none of whose counts was
    # hidden since it was last looked at would be passed over again, so it is skipped: the
    # same result, without looking at every set of a large table again after each change.
    containing: dict[str, list[int]] = {}
    for at, count_set in enumerate(sets):
        for name in (count_set.total, *count_set.parts):
            containing.setdefault(name, []).append(at)
    waiting = [True] * len(sets)
    changed = True
    while changed:  # hiding one count can expose another set it belongs to
        changed = False
        for at, count_set in enumerate(sets):
            if not waiting[at]:
                continue
            waiting[at] = False
            members = (count_set.total, *count_set.parts)
            if sum(1 for name in members if name in hidden) != 1:
                continue
            shown = [name for name in count_set.parts if name not in hidden and counts[name] > 0]
            if not shown:
                continue
            smallest = min(shown, key=lambda name: (counts[name], count_set.parts.index(name)))
            hidden.add(smallest)
            for other in containing[smallest]:
                waiting[other] = True
            changed = True
    return Published(
        values={name: None if name in hidden else count for name, count in counts.items()},
        suppressed=tuple(name for name in counts if name in hidden),
    )


def shown(value: int | None) -> str:
    """A published count as CSV shows it: the number, or `c`."""
    return SUPPRESSED if value is None else str(value)


Key = tuple[Any, ...]


def suppress_groups(groups: Mapping[Key, Mapping[str, int]], sets: Sequence[CountSet] = (), *,
                    partitions: Mapping[int, Collection[str]],
                    rank: Callable[[int, Any], Any]) -> dict[Key, Published]:
    """Each group's counts suppressed (`sets` within every group), and across the groups as a
    table with its total rows would be.

    A group's key holds one value per grouping. For each grouping at position `p` of
    `partitions` (one whose groups split what they count, each thing in one group), the groups
    whose keys differ only at `p` add up, for each count named in `partitions[p]`, to what the
    table without that grouping shows: so they are a set, and that total is one of its members,
    hidden only when it is itself from 1 to 5, as a table's total row is. `rank(p, value)` orders
    a set's groups (the codes' order), so that a tie between two smallest counts is broken as
    the board pack breaks it. One `suppress` over the whole table, so that what one set hides is
    seen by every other.
    """
    keys = list(groups)
    flat: dict[str, int] = {}
    all_sets: list[CountSet] = []
    for at, key in enumerate(keys):
        for name, count in groups[key].items():
            flat[f"{at}:{name}"] = count
        all_sets += [CountSet(f"{at}:{s.total}", tuple(f"{at}:{part}" for part in s.parts))
                     for s in sets]
    for position, names in partitions.items():
        lines: dict[Key, list[int]] = {}
        for at, key in enumerate(keys):
            lines.setdefault(key[:position] + key[position + 1:], []).append(at)
        for number, members in enumerate(lines.values()):
            members.sort(key=lambda at: rank(position, keys[at][position]))
            for name in names:
                total = f"total:{position}:{number}:{name}"
                flat[total] = sum(groups[keys[at]][name] for at in members)
                all_sets.append(CountSet(total, tuple(f"{at}:{name}" for at in members)))
    hidden = set(suppress(flat, all_sets).suppressed)
    out = {}
    for at, key in enumerate(keys):
        names = groups[key]
        out[key] = Published(
            values={name: None if f"{at}:{name}" in hidden else count
                    for name, count in names.items()},
            suppressed=tuple(name for name in names if f"{at}:{name}" in hidden))
    return out
