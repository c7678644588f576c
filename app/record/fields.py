"""Reading one value of a raw document: the checks every field of the data dictionary shares.

Each reader takes the raw object, the key and the JSON Pointer of the object, records any error
on the `Context` (a pointer, a stable code from `ERROR_CODES`, and a message saying what to do)
and returns the typed value, or None when it is absent or wrong, so a document is read in one pass
and every error is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from app.core.errors import FieldError
from app.core.text import UNSAFE_CHARACTERS
from app.record.formats import ORG_CODE, normalise_postcode, parse_timestamp

MAX_TEXT: Final = 10_000
MAX_ITEMS: Final = 100
# How far ahead of the server's clock a time may be before it is called "in the future":
# tablets' clocks drift, and a return recorded a few minutes "early" is not an error.
CLOCK_SKEW: Final = timedelta(minutes=15)

# Every error code validation produces, with what it means: published in the API docs.
ERROR_CODES: Final = {
    "required": "The field is needed before the record can be submitted",
    "invalid_type": "The value is of the wrong type (for example text where a list is expected)",
    "unknown_field": "The field is not part of the interview document",
    "unknown_code": "The value is not one of the field's allowed codes",
    "duplicate_code": "A list holds the same code twice",
    "none_identified_alone": "`none_identified` cannot be combined with other codes",
    "other_text_required": "The list holds `other`, so the matching text field is needed",
    "too_long": "The text is longer than the field allows",
    "too_many": "The list holds more items than allowed",
    "invalid_character": "The text holds a control character (C0, DEL or C1) or a bidirectional "
                         "override, embedding or isolate, which cannot be stored",
    "formula_start": "An identifier starts with =, +, - or @, which no real one does (a "
                     "spreadsheet would run it as a formula)",
    "invalid_uuid": "The value is not a UUID",
    "invalid_date": "The value is not a real date in the form YYYY-MM-DD",
    "invalid_timestamp": "The value is not an ISO 8601 date and time",
    "invalid_postcode": "The value is not a full UK postcode",
    "invalid_organisation": "The value is not an organisation code",
    "unknown_organisation": "No organisation has this code",
    "out_of_range": "The number is outside the allowed range",
    "in_future": "The date or time is in the future",
    "before_start": "The return is before the episode started",
    "before_return": "The interview is before the child returned",
    "before_found": "The return is before the child was found",
    "too_old": "The child is too old for a return interview at the start of the episode",
    "overlapping_episodes": "Two episodes of the same child overlap in time",
    "several_open_episodes": "A child can have only one episode without a return",
    "empty_list": "At least one item is needed",
    "id_mismatch": "The id in the body is not the id in the URL",
    "not_done_yet": "A planned or not-done action has no time it was done: give `due_at` "
                    "instead of `at`, or mark it done",
    "case_id_conflict": "The child is recorded as having no case id, yet a case id other than "
                        "the provisional one is given",
}

@dataclass
class Context:
    complete: bool
    now: datetime
    organisations: Callable[[str], bool] | None
    errors: list[FieldError] = field(default_factory=list)

    def error(self, pointer: str, code: str, message: str) -> None:
        self.errors.append(FieldError(pointer, code, message))

    def missing(self, pointer: str, message: str, code: str = "required") -> None:
        if self.complete:
            self.error(pointer, code, message)


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def read_object(ctx: Context, value: Any, pointer: str, allowed: Sequence[str],
                what: str, *, item: bool = False) -> Mapping[str, Any] | None:
    if value is None:
        if item:  # a null inside a list is a mistake, never an empty record
            ctx.error(pointer, "invalid_type", f"{what} must be an object, not null")
        return None
    if not isinstance(value, Mapping):
        ctx.error(pointer, "invalid_type", f"{what} must be an object")
        return None
    for key in value:
        if key not in allowed:
            ctx.error(f"{pointer}/{escape(str(key))}", "unknown_field",
                      f"Remove '{key}': it is not a field of {what.lower()}. "
                      f"Fields: {', '.join(allowed)}")
    return value


def read_list(ctx: Context, value: Any, pointer: str, what: str,
              max_items: int = MAX_ITEMS) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.error(pointer, "invalid_type", f"{what} must be a list")
        return []
    if len(value) > max_items:
        ctx.error(pointer, "too_many", f"{what} can hold at most {max_items} items")
        return value[:max_items]
    return value


def read_text(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str, *,
              max_len: int = MAX_TEXT, required: bool = False) -> str | None:
    ptr = f"{pointer}/{key}"
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        ctx.error(ptr, "invalid_type", f"{label} must be text")
        return None
    text = value.strip() if isinstance(value, str) else None
    if not text:
        if required:
            ctx.missing(ptr, f"Enter {label.lower()}")
        return None
    if UNSAFE_CHARACTERS.search(text):
        ctx.error(ptr, "invalid_character", f"{label} contains a control or text-direction "
                  "character that cannot be stored; remove it")
        return None
    if len(text) > max_len:
        ctx.error(ptr, "too_long", f"{label} must be {max_len:,} characters or fewer "
                  f"(it is {len(text):,})")
        return None
    return text


def read_identifier(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str,
                    *, max_len: int, required: bool = False) -> str | None:
    """Text that names something elsewhere (a case id, a police reference): never a formula."""
    text = read_text(ctx, obj, key, pointer, label, max_len=max_len, required=required)
    if text is not None and text.startswith(("=", "+", "-", "@")):
        ctx.error(f"{pointer}/{key}", "formula_start",
                  f"{label} cannot start with =, +, - or @")
        return None
    return text


def read_code(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str,
              allowed: Mapping[str, str], *, required: bool = False) -> str | None:
    ptr = f"{pointer}/{key}"
    value = obj.get(key)
    if value is None or value == "":
        if required:
            ctx.missing(ptr, f"Select {label.lower()}")
        return None
    if not isinstance(value, str) or value not in allowed:
        shown = value if isinstance(value, str) else type(value).__name__
        ctx.error(ptr, "unknown_code", f"'{shown}' is not an allowed {label.lower()}; "
                  f"use one of: {', '.join(allowed)}")
        return None
    return value


def read_codes(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str,
               allowed: Mapping[str, str], item: str) -> tuple[str, ...]:
    ptr = f"{pointer}/{key}"
    items = read_list(ctx, obj.get(key), ptr, label, max_items=len(allowed))
    result: list[str] = []
    for i, value in enumerate(items):
        if not isinstance(value, str) or value not in allowed:
            shown = value if isinstance(value, str) else type(value).__name__
            ctx.error(f"{ptr}/{i}", "unknown_code", f"'{shown}' is not an allowed "
                      f"{item}; use one of: {', '.join(allowed)}")
        elif value in result:
            ctx.error(f"{ptr}/{i}", "duplicate_code", f"'{value}' is listed twice in "
                      f"{label.lower()}; list each once")
        else:
            result.append(value)
    if "none_identified" in result and len(result) > 1:
        ctx.error(ptr, "none_identified_alone", f"{label}: 'none identified' cannot be chosen "
                  "with other factors; remove one or the other")
    return tuple(result)


def read_bool(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str, *,
              required: bool = False) -> bool | None:
    value = obj.get(key)
    if value is None:
        if required:
            ctx.missing(f"{pointer}/{key}", f"Answer yes or no: {label.lower()}")
        return None
    if not isinstance(value, bool):
        ctx.error(f"{pointer}/{key}", "invalid_type", f"{label}: the answer must be true or false")
        return None
    return value



def read_timestamp(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str, *,
                   required: bool = False, not_future: bool = False) -> datetime | None:
    ptr = f"{pointer}/{key}"
    value = obj.get(key)
    if value is None or value == "":
        if required:
            ctx.missing(ptr, f"Enter {label.lower()}")
        return None
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None or not 1900 <= parsed.year <= 2200:
        ctx.error(ptr, "invalid_timestamp", f"{label} must be a real date and time, like "
                  "2026-03-01T18:30:00Z or 2026-03-01T18:30 (UK time)")
        return None
    if not_future and parsed > ctx.now + CLOCK_SKEW:
        ctx.error(ptr, "in_future", f"{label} must be in the past")
        return None
    return parsed


def read_date(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str, *,
              required: bool = False) -> date | None:
    ptr = f"{pointer}/{key}"
    value = obj.get(key)
    if value is None or value == "":
        if required:
            ctx.missing(ptr, f"Enter {label.lower()}")
        return None
    try:
        if not isinstance(value, str) or len(value.strip()) != 10:
            raise ValueError
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        ctx.error(ptr, "invalid_date", f"{label} must be a real date, like 2012-03-27")
        return None
    if parsed.year < 1900:
        ctx.error(ptr, "invalid_date", f"{label} must be a real date, like 2012-03-27")
        return None
    return parsed



def read_postcode(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str,
                  label: str) -> str | None:
    text = read_text(ctx, obj, key, pointer, label, max_len=16)
    if text is None:
        return None
    normal = normalise_postcode(text)
    if normal is None:
        ctx.error(f"{pointer}/{key}", "invalid_postcode",
                  f"{label} must be a full UK postcode, like BS16 1QY")
    return normal


def read_org(ctx: Context, obj: Mapping[str, Any], key: str, pointer: str, label: str, *,
             required: bool = False) -> str | None:
    text = read_text(ctx, obj, key, pointer, label, max_len=64, required=required)
    if text is None:
        return None
    if not ORG_CODE.match(text):
        ctx.error(f"{pointer}/{key}", "invalid_organisation",
                  f"{label} must be an organisation code, like 803 or avon-police")
        return None
    if ctx.organisations is not None and not ctx.organisations(text):
        ctx.error(f"{pointer}/{key}", "unknown_organisation",
                  f"{label}: no organisation has the code '{text}'")
        return None
    return text
