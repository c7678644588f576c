"""Counting what the form asks of an interviewer (issue 18, "fewer taps").

`Counting` wraps a driver (`Touch` or `Keyboard`) and counts each thing it is asked to do, as a
person would: a tap (a radio or checkbox chosen, a button or link pressed, an option picked from
a list: one answer however many touches the list takes) or a typed entry (a field typed into,
whatever its length). It counts the screens too (every page the browser loads), and, each time
"Save and continue" leaves a section of the form, the questions that section showed (its visible
`[data-field]` blocks: a follow-up hidden under another answer is not shown, so not counted).

The journey in `test_journey.py` runs through it; `Tally.report()` is what README.md quotes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Frame, Locator

from tests.browser.support import ARTIFACTS, Touch

SECTION_PAGE = re.compile(r"/interviews/[0-9a-f-]{36}/(\w+)(?:[?#].*)?$")
SHOWN_FIELDS = """() => Array.from(document.querySelectorAll('[data-field]'))
  .filter((element) => element.checkVisibility())
  .map((element) => element.getAttribute('data-field'))"""


@dataclass
class Tally:
    taps: int = 0
    typed: int = 0
    screens: int = 0
    # The questions each section page showed when it was last left by "Save and continue".
    fields: dict[str, list[str]] = field(default_factory=dict)

    @property
    def entries(self) -> int:
        return self.taps + self.typed

    def report(self) -> dict[str, Any]:
        return {"taps": self.taps, "typed": self.typed, "entries": self.entries,
                "screens": self.screens,
                "fields": sum(len(names) for names in self.fields.values()),
                "fields_by_section": {slug: len(names) for slug, names in self.fields.items()}}

    def write(self, name: str) -> dict[str, Any]:
        """The report, also written to tests/artifacts/taps-NAME.json (git-ignored)."""
        report = self.report()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"taps-{name}.json").write_text(json.dumps(
            {**report, "shown": self.fields}, indent=2))
        return report


class Counting(Touch):
    """A driver that counts, then does what the driver it wraps does."""

    def __init__(self, drive: Touch) -> None:
        super().__init__(drive.page)
        self.drive = drive
        self.tally = Tally()
        self.page.on("framenavigated", self._navigated)

    def _navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self.tally.screens += 1

    def fill(self, field_id: str, value: str) -> None:
        self.tally.typed += 1
        self.drive.fill(field_id, value)

    def replace(self, field_id: str, value: str) -> None:
        self.tally.typed += 1
        self.drive.replace(field_id, value)

    def choose(self, name: str, value: str) -> None:
        self.tally.taps += 1
        self.drive.choose(name, value)

    def pick(self, field_id: str, value: str, label: str) -> None:
        self.tally.taps += 1
        self.drive.pick(field_id, value, label)

    def activate(self, target: Locator) -> None:
        self.tally.taps += 1
        self.drive.activate(target)

    def button(self, name: str) -> None:
        section = SECTION_PAGE.search(self.page.url)
        if name == "Save and continue" and section:
            self.tally.fields[section.group(1)] = self.page.evaluate(SHOWN_FIELDS)
        self.tally.taps += 1
        self.drive.button(name)

    def link(self, name: str) -> None:
        self.tally.taps += 1
        self.drive.link(name)
