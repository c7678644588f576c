"""What a person typed that the record could not take, kept as typed until it is put right.

A section's save keeps everything valid in the record's document. A value the document cannot
hold (31 February, a word in a number field, a time of 25:70) cannot go there, so the whole
section, as typed, is kept beside the document (`Interview.rejected_input`, by section slug)
until a save of that section has no errors. The section page shows the kept values, with each
error beside its field, after a reload, a trip to another section, or a sign-out; the record
cannot be submitted while anything is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData, UploadFile

from app.interviews import forms
from app.record.models import Interview

# Posted fields that are not answers: the form's token and which button was pressed.
NOT_ANSWERS = frozenset({"csrf_token", "action", "return_to", "goto"})
Typed = dict[str, str | list[str]]


def typed_values(form: FormData) -> Typed:
    """A section's answers as posted (lists for the fields that take several), less any NUL
    character: nobody types one, and PostgreSQL's JSON cannot hold it."""
    values = forms.values_from_form(form)
    return {key.replace("\x00", ""): _without_nul(value) for key, value in values.items()
            if key not in NOT_ANSWERS}


def _without_nul(value: str | list[str]) -> str | list[str]:
    if isinstance(value, list):
        return [v.replace("\x00", "") for v in value]
    return value.replace("\x00", "")


def as_form(values: Mapping[str, Any]) -> FormData:
    """Kept values as the form they were posted in, for the section's `from_form` again."""
    items: list[tuple[str, str | UploadFile]] = []
    for key, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, str):
                items.append((key, one))
    return FormData(items)


def held(interview: Interview, slug: str) -> Typed | None:
    """What is kept for a section, or None."""
    kept = (interview.rejected_input or {}).get(slug)
    return kept if isinstance(kept, dict) else None


def hold(interview: Interview, slug: str, values: Typed | None) -> bool:
    """Keep a section's values (None: nothing kept any more); whether anything changed."""
    current = dict(interview.rejected_input or {})
    if current.get(slug) == values or (values is None and slug not in current):
        return False
    if values is None:
        current.pop(slug)
    else:
        current[slug] = values
    # A new object, so the ORM sees the change to the JSON column.
    interview.rejected_input = current or None
    return True


def sections_held(interview: Interview) -> list[forms.Section]:
    """The sections with kept values, in the form's order."""
    kept = interview.rejected_input or {}
    return [section for section in forms.SECTIONS if section.slug in kept]
