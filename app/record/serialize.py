"""The typed document back to JSON, with the data dictionary's names and UTC `Z` timestamps.

Absent values are left out, so `validate_document(document_to_json(d))` gives `d` again.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import date, datetime
from typing import Any

import orjson

from app.record.document import InterviewDocument, json_name
from app.record.formats import format_timestamp


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _object(value)
    return value


def _object(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == ():
            continue
        out[json_name(f.name)] = _value(value)
    return out


def document_to_json(doc: InterviewDocument) -> dict[str, Any]:
    out = _object(doc)
    out["id"] = str(doc.id)
    for key in ("child", "offer"):
        out.setdefault(key, {})
    out.setdefault("episodes", [])
    return out


def document_hash(document: dict[str, Any]) -> str:
    """A stable hash of a normalised document: equal documents, equal hashes (safe retries)."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
