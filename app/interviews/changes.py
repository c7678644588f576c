"""What changed between two versions of a record, in the words of the record page.

A version keeps the JSON Pointers of the answers that changed since the version before
(`InterviewVersion.changed_pointers`). Each is shown as the record page shows it: the question
as the summary of the form's sections names it (app/interviews/summary.py) and its old and new
value in plain words (codes as their labels, times in London time, organisations by name). An
answer the summary cannot tell apart (a time changed by seconds) is shown as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.interviews import forms
from app.interviews.summary import NOT_RECORDED, Block, summarise

NOTHING = frozenset({NOT_RECORDED, "None recorded"})


@dataclass(frozen=True)
class Change:
    part: str  # the summary's heading: "The child", "Episode 2", "The child's voice"
    question: str
    before: str
    after: str


def _parts(pointer: str) -> tuple[str, ...]:
    """The summary headings a changed pointer may show under (a prefix ending in a space
    matches every heading it starts: a list of episodes changed in length)."""
    keys = pointer.strip("/").split("/")
    head = keys[0]
    if head == "child":
        return ("The child",)
    if head == "episodes":
        return (f"Episode {int(keys[1]) + 1}",) if len(keys) > 1 and keys[1].isdigit() \
            else ("Episode ",)
    if head == "offer":
        return ("The offer",)
    if head == "interview":
        if len(keys) > 1:
            return ("The child's voice",) if keys[1] in forms.VOICE_KEYS else ("The interview",)
        return ("The interview", "The child's voice")
    if head in ("actions", "sharing"):
        return ("Actions and sharing",)
    return ("",)  # the whole document: every heading


def _covers(parts: tuple[str, ...], title: str) -> bool:
    return any(title == p or (p.endswith(" ") or not p) and title.startswith(p) for p in parts)


def _rows(blocks: list[Block]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each answer by (heading, field): its question and value."""
    return {(block.title, row.href.partition("#")[2] or row.href): (row.key, row.value)
            for block in blocks for row in block.rows}


def _stored(document: Mapping[str, Any], pointer: str) -> str:
    node: Any = document
    for key in pointer.strip("/").split("/"):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            node = None
    if node is None or node == "" or node == []:
        return NOT_RECORDED
    return str(node)


def _question(pointer: str) -> str:
    return pointer.strip("/").rsplit("/", 1)[-1].replace("_", " ").capitalize()


def changes(before: Mapping[str, Any], after: Mapping[str, Any], pointers: Sequence[str],
            organisations: Mapping[str, str] | None = None) -> list[Change]:
    """The answers `pointers` name, as they read in `before` and in `after`, in page order."""
    if not pointers:
        return []
    old = _rows(summarise(before, "", organisations))
    new = _rows(summarise(after, "", organisations))
    touched = [_parts(p) for p in pointers]
    found: list[Change] = []
    for key in [*new, *(k for k in old if k not in new)]:
        title = key[0]
        if not any(_covers(parts, title) for parts in touched):
            continue
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        if was is None and now is not None and now[1] in NOTHING:
            continue  # a new row with nothing in it (an added episode's empty answers)
        if now is None and was is not None and was[1] in NOTHING:
            continue
        question = (now or was or ("", ""))[0]
        if was and now and was[0] != now[0]:  # an action's type: the row's name changed
            found.append(Change(title, "Action or sharing", f"{was[0]}: {was[1]}",
                                f"{now[0]}: {now[1]}"))
            continue
        found.append(Change(title, question, was[1] if was else NOT_RECORDED,
                            now[1] if now else NOT_RECORDED))
    # What the summary shows alike (a time changed by seconds) is still a change: as stored.
    shown = {c.part for c in found}
    for pointer, parts in zip(pointers, touched, strict=True):
        if not any(_covers(parts, part) for part in shown):
            found.append(Change(parts[0].strip() or "The record", _question(pointer),
                                _stored(before, pointer), _stored(after, pointer)))
    return found
