"""The form's sections: how each turns posted fields into part of the document, and back.

Field names are the document's JSON Pointers with `-` for `/` (`/episodes/0/started_at` is
`episodes-0-started_at`), so a validation error's pointer names the field it belongs to.
Date parts follow the GOV.UK date input (`-day`, `-month`, `-year`); times are `-time` (14:30).

A follow-up question that applies to one answer only (the reason under "Declined", the done time
under "Done") is revealed under that answer. The browser posts it whatever the answer (hidden,
not cleared, so choosing the answer again brings its words back while the page is open); it is
taken only with the answer it follows, so a record never holds a follow-up to an answer it does
not give (docs/api.md, "The form: follow-up questions").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from app.core.errors import FieldError
from app.core.london import LONDON
from app.core.text import digits
from app.record.formats import parse_timestamp

TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm)?$", re.IGNORECASE | re.ASCII)
MAX_ROWS = 50

CHILD_TEXT = ("local_id", "given_name", "family_name")
CHILD_CODES = ("gender", "ethnicity", "legal_status", "responsible_authority",
               "placement_authority", "disability_or_send", "placement_type")
CHILD_BOOLS = ("no_case_id", "uasc")
EPISODE_KEYS = ("type", "started_at", "returned_at", "reported_to_police", "police_reference",
                "police_risk_grade", "found_location", "found_postcode", "brought_back_by",
                "prevention_interview_at")
# The interview page, in the order of the conversation: who, when and how; then the child's
# account in their own words; before (why they went), during (where, with whom, how), after
# (how they are now, harm, risk); the words first, the codes after them.
INTERVIEW_KEYS = ("conducted_at", "mode", "location_type", "interviewer_name", "interviewer_role",
                  "interviewer_relationship", "interviewer_trained", "child_chose_interviewer",
                  "child_account", "push_factors", "push_factors_other",
                  "where_stayed", "with_whom", "travel", "locations", "pull_factors",
                  "pull_factors_other", "feelings_now", "afraid_of_anyone", "harm_disclosed",
                  "health_needs", "risk_indicators", "seraf_score", "safety_information_given",
                  "education", "carer_view")
# What the child's voice page asks: reading back, their wishes, and sharing with their views.
VOICE_ASKED = ("read_back_to_child", "child_wishes", "information_sharing_explained",
               "views_on_sharing", "lawful_basis", "shared_against_wishes",
               "shared_against_wishes_reason", "child_told_of_sharing")
# Answers no longer asked, kept as stored (the form never takes away what it does not show):
# `interviewer_independent` (independence is worked out from the role and the relationship)
# and `consent_to_share` (the child's views and the lawful basis replace it).
INTERVIEW_KEPT = ("interviewer_independent",)
VOICE_KEPT = ("consent_to_share",)
# The part of the record the voice page covers (its errors, its block of the summary).
VOICE_KEYS = VOICE_ASKED + VOICE_KEPT
ACTION_KEYS = ("type", "owner", "agency", "due_at", "status", "at", "outcome", "notes")
SHARING_KEYS = ("with", "at")


# The API's examples of a good value are ISO 8601; the form's are what a person types there.
FORM_EXAMPLES = {
    "invalid_timestamp": "for example 27 3 2026 and 14:30",
    "invalid_date": "for example 27 3 2012",
}


_KEPT_AT = INTERVIEW_KEYS.index("interviewer_relationship") + 1  # where independence was asked
# Each page's fields from the top: the order of the error summary, as GOV.UK asks. A field of
# a row (an episode, an attempt, a place, an action, a sharing) is ranked within its row.
PAGE_ORDER = (
    "id", "child", "local_id", "no_case_id", "given_name", "family_name", "date_of_birth",
    "gender", "ethnicity", "uasc", "disability_or_send", "legal_status", "responsible_authority",
    "placement_type", "placement_authority",
    "episodes",
    "offer", "outcome", "decline_reason", "not_offered_reason", "offered_at", "carer_information",
    "attempts",
    "interview", *INTERVIEW_KEYS[:_KEPT_AT], *INTERVIEW_KEPT, *INTERVIEW_KEYS[_KEPT_AT:],
    *VOICE_ASKED, *VOICE_KEPT,
    "actions", "sharing",
)
ROW_ORDER = {
    "episodes": EPISODE_KEYS,
    "attempts": ("at", "method", "result"),
    "locations": ("description", "postcode"),
    "actions": ACTION_KEYS,
    "sharing": SHARING_KEYS,
}
_RANK = {key: i for i, key in enumerate(PAGE_ORDER)}
_ROW_RANK = {row: {key: i for i, key in enumerate(keys)} for row, keys in ROW_ORDER.items()}


def page_order(errors: list[FieldError]) -> list[FieldError]:
    """Errors in the order their fields come on the page (rows in their order)."""
    def rank(error: FieldError) -> tuple[tuple[int, int], ...]:
        parts = error.pointer.strip("/").split("/")
        ranked = []
        for i, part in enumerate(parts):
            if digits(part):
                ranked.append((int(part), 0))
                continue
            row = parts[i - 2] if i >= 2 and digits(parts[i - 1]) else None
            table = _ROW_RANK.get(row, _RANK) if row else _RANK
            ranked.append((-1, table.get(part, len(table))))
        return tuple(ranked)
    return sorted(errors, key=rank)


def for_people(error: FieldError) -> FieldError:
    """An error as the form says it: examples in the form's own terms, not the API's."""
    example = FORM_EXAMPLES.get(error.code)
    if example is None or ", like " not in error.message:
        return error
    return FieldError(error.pointer, error.code,
                      f"{error.message.split(', like ', 1)[0]}, {example}")


def field_id(pointer: str) -> str:
    return pointer.strip("/").replace("/", "-") or "form"


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _bool(form: FormData, name: str) -> Any:
    value = _text(form, name)
    return {"yes": True, "no": False}.get(value, value) if value else None


def date_from_form(form: FormData, name: str) -> str | None:
    parts = [(_text(form, f"{name}-{p}") or "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return None
    year, month, day = parts
    if digits(year) and digits(month) and digits(day) and len(year) == 4:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"  # not a date: validation says so, naming the field


def timestamp_from_form(form: FormData, name: str) -> str | None:
    day = date_from_form(form, name)
    time = (_text(form, f"{name}-time") or "").strip()
    if day is None and not time:
        return None
    match = TIME.match(time)
    if day is None or not match:
        return f"{day or ''}T{time or 'no time'}"  # invalid on purpose: reported on the field
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    return f"{day}T{hour:02d}:{minute:02d}"


def _int(form: FormData, name: str) -> Any:
    value = _text(form, name)
    if value is None:
        return None
    return int(value.strip()) if digits(value.strip()) and len(value.strip()) < 4 else value


def _rows(form: FormData, prefix: str) -> list[int]:
    """Row indexes posted for a list (`prefix-count`), minus the one whose remove was pressed."""
    raw = _text(form, f"{prefix}-count") or "0"
    count = min(int(raw), MAX_ROWS) if digits(raw) and len(raw) < 6 else 0
    action = form.get("action")
    removed = None
    if isinstance(action, str) and action.startswith(f"remove-{prefix}-"):
        tail = action.rsplit("-", 1)[1]
        removed = int(tail) if digits(tail) and len(tail) < 6 else None
    return [i for i in range(count) if i != removed]


def _wants_row(form: FormData, prefix: str) -> bool:
    return form.get("action") == f"add-{prefix}"


def _follow_up(applies: bool, value: Any) -> Any:
    """A follow-up question's value, taken only when the answer it follows is the one it applies
    to (else it is dropped, as the form hides it)."""
    return value if applies else None


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, [], "")}


def child_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    child: dict[str, Any] = {k: _text(form, f"child-{k}") for k in CHILD_TEXT + CHILD_CODES}
    child.update({k: _bool(form, f"child-{k}") for k in CHILD_BOOLS})
    child["date_of_birth"] = date_from_form(form, "child-date_of_birth")
    return {"child": _clean(child)}


def episodes_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    episodes = []
    for i in _rows(form, "episodes"):
        p = f"episodes-{i}"
        reported = _bool(form, f"{p}-reported_to_police")
        episodes.append(_clean({
            "type": _text(form, f"{p}-type"),
            "started_at": timestamp_from_form(form, f"{p}-started_at"),
            "returned_at": timestamp_from_form(form, f"{p}-returned_at"),
            "reported_to_police": reported,
            "police_reference": _follow_up(reported is True,
                                           _text(form, f"{p}-police_reference")),
            "police_risk_grade": _follow_up(reported is True,
                                            _text(form, f"{p}-police_risk_grade")),
            "found_location": _text(form, f"{p}-found_location"),
            "found_postcode": _text(form, f"{p}-found_postcode"),
            "brought_back_by": _text(form, f"{p}-brought_back_by"),
            "prevention_interview_at": timestamp_from_form(form, f"{p}-prevention_interview_at"),
        }))
    if _wants_row(form, "episodes"):
        episodes.append({})
    return {"episodes": episodes}


def offer_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    attempts = [
        _clean({"at": timestamp_from_form(form, f"offer-attempts-{i}-at"),
                "method": _text(form, f"offer-attempts-{i}-method"),
                "result": _text(form, f"offer-attempts-{i}-result")})
        for i in _rows(form, "offer-attempts")
    ]
    if _wants_row(form, "offer-attempts"):
        attempts.append({})
    outcome = _text(form, "offer-outcome")
    return {"offer": _clean({
        "outcome": outcome,
        "offered_at": timestamp_from_form(form, "offer-offered_at"),
        "not_offered_reason": _follow_up(outcome == "not_offered",
                                         _text(form, "offer-not_offered_reason")),
        "decline_reason": _follow_up(outcome == "declined",
                                     _text(form, "offer-decline_reason")),
        "carer_information": _text(form, "offer-carer_information"),
        "attempts": attempts,
    })}


def _merge_interview(doc: Mapping[str, Any], values: dict[str, Any],
                     keys: tuple[str, ...]) -> dict[str, Any]:
    """The interview part with this page's answers (`keys`) replaced by what was posted, and
    every other answer kept as stored: another page's, or one no longer asked."""
    existing = doc.get("interview")
    merged = {k: v for k, v in (existing.items() if isinstance(existing, dict) else ())
              if k not in keys}
    merged.update(_clean(values))
    return {"interview": merged or None}


def interview_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    p = "interview"
    locations = [
        _clean({"description": _text(form, f"{p}-locations-{i}-description"),
                "postcode": _text(form, f"{p}-locations-{i}-postcode")})
        for i in _rows(form, "interview-locations")
    ]
    if _wants_row(form, "interview-locations"):
        locations.append({})
    push, pull = form.getlist(f"{p}-push_factors"), form.getlist(f"{p}-pull_factors")
    values = {
        "conducted_at": timestamp_from_form(form, f"{p}-conducted_at"),
        "mode": _text(form, f"{p}-mode"),
        "location_type": _text(form, f"{p}-location_type"),
        "interviewer_name": _text(form, f"{p}-interviewer_name"),
        "interviewer_role": _text(form, f"{p}-interviewer_role"),
        "interviewer_relationship": _text(form, f"{p}-interviewer_relationship"),
        "interviewer_trained": _bool(form, f"{p}-interviewer_trained"),
        "child_chose_interviewer": _bool(form, f"{p}-child_chose_interviewer"),
        "child_account": _text(form, f"{p}-child_account"),
        "push_factors": push,
        "pull_factors": pull,
        "push_factors_other": _follow_up("other" in push, _text(form, f"{p}-push_factors_other")),
        "pull_factors_other": _follow_up("other" in pull, _text(form, f"{p}-pull_factors_other")),
        "where_stayed": _text(form, f"{p}-where_stayed"),
        "with_whom": _text(form, f"{p}-with_whom"),
        "travel": _text(form, f"{p}-travel"),
        "locations": locations,
        "feelings_now": _text(form, f"{p}-feelings_now"),
        "afraid_of_anyone": _text(form, f"{p}-afraid_of_anyone"),
        "harm_disclosed": _text(form, f"{p}-harm_disclosed"),
        "health_needs": _text(form, f"{p}-health_needs"),
        "risk_indicators": form.getlist(f"{p}-risk_indicators"),
        "seraf_score": _int(form, f"{p}-seraf_score"),
        "safety_information_given": _bool(form, f"{p}-safety_information_given"),
        "education": _text(form, f"{p}-education"),
        "carer_view": _text(form, f"{p}-carer_view"),
    }
    return _merge_interview(doc, values, INTERVIEW_KEYS)


def voice_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    p = "interview"
    against = _bool(form, f"{p}-shared_against_wishes")
    values = {
        "read_back_to_child": _bool(form, f"{p}-read_back_to_child"),
        "child_wishes": _text(form, f"{p}-child_wishes"),
        "information_sharing_explained": _bool(form, f"{p}-information_sharing_explained"),
        "views_on_sharing": _text(form, f"{p}-views_on_sharing"),
        "lawful_basis": _text(form, f"{p}-lawful_basis"),
        "shared_against_wishes": against,
        "shared_against_wishes_reason": _follow_up(
            against is True, _text(form, f"{p}-shared_against_wishes_reason")),
        "child_told_of_sharing": _bool(form, f"{p}-child_told_of_sharing"),
    }
    return _merge_interview(doc, values, VOICE_ASKED)


def _action(form: FormData, p: str) -> dict[str, Any]:
    status = _text(form, f"{p}-status")
    return _clean({
        "type": _text(form, f"{p}-type"),
        "owner": _text(form, f"{p}-owner"),
        "agency": _text(form, f"{p}-agency"),
        "due_at": timestamp_from_form(form, f"{p}-due_at"),
        "status": status,
        # When it was done: asked under "Done" (an action with no status is done, as before
        # set 2027.1, so its time is kept too).
        "at": _follow_up(status in (None, "done"), timestamp_from_form(form, f"{p}-at")),
        "outcome": _text(form, f"{p}-outcome"),
        "notes": _text(form, f"{p}-notes")})


def actions_from_form(form: FormData, doc: Mapping[str, Any]) -> dict[str, Any]:
    actions = [_action(form, f"actions-{i}") for i in _rows(form, "actions")]
    if _wants_row(form, "actions"):
        actions.append({})
    sharing = [
        _clean({"with": _text(form, f"sharing-{i}-with"),
                "at": timestamp_from_form(form, f"sharing-{i}-at")})
        for i in _rows(form, "sharing")
    ]
    if _wants_row(form, "sharing"):
        sharing.append({})
    return {"actions": actions, "sharing": sharing}


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    from_form: Callable[[FormData, Mapping[str, Any]], dict[str, Any]]
    pointers: tuple[str, ...]  # the document parts whose errors belong on this page


SECTIONS: tuple[Section, ...] = (
    Section("child", "The child", child_from_form, ("/child",)),
    Section("episodes", "Missing episodes", episodes_from_form, ("/episodes",)),
    Section("offer", "The offer of an interview", offer_from_form, ("/offer",)),
    Section("interview", "The interview", interview_from_form,
            tuple(f"/interview/{k}" for k in INTERVIEW_KEYS) + ("/interview",)),
    Section("voice", "The child's voice", voice_from_form,
            tuple(f"/interview/{k}" for k in VOICE_KEYS)),
    Section("actions", "Actions and sharing", actions_from_form, ("/actions", "/sharing")),
)
BY_SLUG = {s.slug: s for s in SECTIONS}


def section_for(pointer: str) -> Section:
    """The page where the field a pointer names is filled in: the section naming the longest
    part of it (`/interview/child_wishes` is the voice page's, `/interview/mode` the interview
    page's, which takes every other part of `/interview`)."""
    found, length = SECTIONS[0], -1
    for section in SECTIONS:
        for part in section.pointers:
            if (pointer == part or pointer.startswith(part + "/")) and len(part) > length:
                found, length = section, len(part)
    return found


def belongs(pointer: str, section: Section) -> bool:
    return section_for(pointer) is section


def split_timestamp(value: Any) -> dict[str, str]:
    """A stored UTC timestamp as the London date parts and time a person typed."""
    moment = parse_timestamp(value) if isinstance(value, str) else None
    if moment is None:
        return {"day": "", "month": "", "year": "", "time": ""}
    local = moment.astimezone(LONDON)
    return {"day": str(local.day), "month": str(local.month), "year": str(local.year),
            "time": local.strftime("%H:%M")}


def split_date(value: Any) -> dict[str, str]:
    if not isinstance(value, str) or len(value) != 10:
        return {"day": "", "month": "", "year": ""}
    year, month, day = value.split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def local_datetime(value: datetime) -> datetime:
    return value.astimezone(LONDON)


def values_from_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The stored document as form field values (the inverse of the `*_from_form` functions)."""
    values: dict[str, Any] = {}

    def walk(node: Any, name: str, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{name}-{k}" if name else k, k)
        elif isinstance(node, list) and (not node or isinstance(node[0], dict)):
            values[f"{name}-count"] = str(len(node))
            for i, item in enumerate(node):
                walk(item, f"{name}-{i}", key)
        elif isinstance(node, list):
            values[name] = list(node)
        elif isinstance(node, bool):
            values[name] = "yes" if node else "no"
        elif key == "date_of_birth":
            for part, text in split_date(node).items():
                values[f"{name}-{part}"] = text
        elif key.endswith("_at") or key == "at":
            for part, text in split_timestamp(node).items():
                values[f"{name}-{part}"] = text
        elif node is not None:
            values[name] = str(node)

    walk({k: v for k, v in doc.items() if k != "id"}, "", "")
    return values


def values_from_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        multi = key.endswith(("push_factors", "pull_factors", "risk_indicators"))
        values[key] = items if multi else (items[0] if items else "")
    return values
