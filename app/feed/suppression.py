"""Small-number suppression, as UK official statistics do it (GSS guidance; DfE's `c`).

Pure: counts in, published values out. A count from 1 to 5 is hidden; zero is shown (a true
zero). Within a set of counts that adds up to a total, no hidden count may be worked out by
subtraction: while exactly one member of the set (total or part) is hidden, the smallest
non-zero part still shown is hidden too. A rate is published only when both its counts are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

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
        top, bottom = self.values[numerator], self.values[denominator]
        if top is None or bottom is None or bottom == 0:
            return None
        return round(top / bottom, 4)


def is_small(count: int) -> bool:
    return LOWEST_HIDDEN <= count <= HIGHEST_HIDDEN


def suppress(counts: Mapping[str, int], sets: Sequence[CountSet] = ()) -> Published:
    """Hide small counts, then hide more wherever a set would give a hidden count away."""
    hidden = {name for name, count in counts.items() if is_small(count)}
    changed = True
    while changed:  # hiding one count can expose another set it belongs to
        changed = False
        for count_set in sets:
            members = (count_set.total, *count_set.parts)
            if sum(1 for name in members if name in hidden) != 1:
                continue
            shown = [name for name in count_set.parts if name not in hidden and counts[name] > 0]
            if not shown:
                continue
            smallest = min(shown, key=lambda name: (counts[name], count_set.parts.index(name)))
            hidden.add(smallest)
            changed = True
    return Published(
        values={name: None if name in hidden else count for name, count in counts.items()},
        suppressed=tuple(name for name in counts if name in hidden),
    )


def shown(value: int | None) -> str:
    """A published count as CSV shows it: the number, or `c`."""
    return SUPPRESSED if value is None else str(value)
