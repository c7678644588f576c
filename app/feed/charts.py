"""Horizontal bar charts as plain geometry, for the report's inline SVG.

No script and no `style` attribute reaches the page (`default-src 'self'`): the template draws
these numbers with SVG presentation attributes. Every chart has a table of the same figures
beside it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

WIDTH: Final = 640
LABEL_WIDTH: Final = 250
VALUE_WIDTH: Final = 70
BAR_HEIGHT: Final = 18
BAR_GAP: Final = 4
ROW_GAP: Final = 14
TOP: Final = 10
# GOV.UK Frontend's blue and dark grey: both have a contrast ratio above 4.5:1 on white.
COLOURS: Final = ("#1d70b8", "#505a5f")
# About as many characters of 14px Arial as the label column holds; a longer label is cut
# short in the picture (with "…"), and is whole in the table beside it.
LABEL_CHARACTERS: Final = 34


def fit(label: str) -> str:
    """A row's label as the chart draws it: cut short to fit the label column."""
    if len(label) <= LABEL_CHARACTERS:
        return label
    return label[:LABEL_CHARACTERS - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Series:
    name: str  # "July to September 2026"
    colour: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    colour: str
    value_text: str  # "42", "65%", or "c" (suppressed: no bar is drawn)
    text_x: int
    text_y: int


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    label_y: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    label_x: int
    series: tuple[Series, ...]
    rows: tuple[Row, ...]

    @property
    def empty(self) -> bool:
        return not self.rows


def bar_chart(chart_id: str, title: str, description: str, series_names: Sequence[str],
              rows: Sequence[tuple[str, Sequence[tuple[float | None, str]]]],
              maximum: float | None = None) -> Chart:
    """A chart with one bar per series in every row; a None value draws no bar, only its text.

    `rows` holds (label, [(value, text), ...]) with one (value, text) per series.
    """
    series = tuple(Series(name, COLOURS[i % len(COLOURS)]) for i, name in enumerate(series_names))
    values = [value for _, cells in rows for value, _ in cells if value is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    drawn = []
    y = TOP
    for label, cells in rows:
        bars = []
        row_top = y
        for (value, text), one in zip(cells, series, strict=True):
            width = 0 if value is None or top <= 0 else max(1, round(span * value / top))
            if value == 0:
                width = 0
            bars.append(Bar(x=LABEL_WIDTH, y=y, width=width, height=BAR_HEIGHT,
                            colour=one.colour, value_text=text,
                            text_x=LABEL_WIDTH + width + 6, text_y=y + BAR_HEIGHT - 4))
            y += BAR_HEIGHT + BAR_GAP
        drawn.append(Row(label=fit(label), label_y=row_top + BAR_HEIGHT - 4, bars=tuple(bars)))
        y += ROW_GAP - BAR_GAP
    return Chart(chart_id, title, description, WIDTH, y + TOP, LABEL_WIDTH - 10, series,
                 tuple(drawn))
