"""The interview document's shape is written once, in `app.record.document`: validation reads
the field lists from it, and the API's published schema must name exactly the same fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from app.interviews.schemas import document_schema, stored_document_schema
from app.record.document import (
    Action,
    Attempt,
    Child,
    Episode,
    InterviewContent,
    InterviewDocument,
    Location,
    Offer,
    Sharing,
    json_fields,
)
from app.record.validation import validate_document

# Where each part sits in the document's JSON Schema.
PARTS: list[tuple[tuple[str, ...], type]] = [
    ((), InterviewDocument),
    (("child",), Child),
    (("episodes", "[]"), Episode),
    (("offer",), Offer),
    (("offer", "attempts", "[]"), Attempt),
    (("interview",), InterviewContent),
    (("interview", "locations", "[]"), Location),
    (("actions", "[]"), Action),
    (("sharing", "[]"), Sharing),
]


def _object(node: dict[str, Any]) -> dict[str, Any]:
    """The object schema inside an optional (`anyOf` with null) or list node."""
    for option in node.get("anyOf", [node]):
        if option.get("type") != "null":
            node = option
    return node


def _part(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = schema
    for step in path:
        node = _object(node)
        node = node["items"] if step == "[]" else node["properties"][step]
    return _object(node)


@pytest.mark.parametrize(("path", "part"), PARTS, ids=[p.__name__ for _, p in PARTS])
@pytest.mark.parametrize("schema", [document_schema, stored_document_schema],
                         ids=["request", "stored"])
def test_the_published_schema_names_exactly_the_documents_fields(
        schema: Any, path: tuple[str, ...], part: type) -> None:
    published = _part(schema(), path)
    assert list(published["properties"]) == list(json_fields(part))
    assert published["additionalProperties"] is False


def test_a_field_the_document_does_not_have_is_refused_with_the_fields_it_does() -> None:
    checked = validate_document({"id": "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f",
                                 "child": {"nickname": "Tee"}}, complete=False,
                                now=datetime.now(UTC))
    [error] = checked.errors
    assert (error.pointer, error.code) == ("/child/nickname", "unknown_field")
    assert "Fields: " + ", ".join(json_fields(Child)) in error.message


def test_sharing_is_named_with_in_json_though_python_calls_it_with_underscore() -> None:
    assert json_fields(Sharing) == ("with", "at")


T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("returns", "latest"), [
    ((), None),
    ((T1,), T1),
    ((T2, T1), T2),
    ((T1, None), None),
    ((None, T2), None),
])
def test_the_latest_return_is_none_while_any_episode_is_open(
        returns: tuple[datetime | None, ...], latest: datetime | None) -> None:
    document = InterviewDocument(id=UUID(int=1), episodes=tuple(
        Episode(started_at=T1 - timedelta(days=1), returned_at=at) for at in returns))
    assert document.latest_return == latest
