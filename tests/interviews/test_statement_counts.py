"""How many SQL statements a submission and a section save take, whatever the record holds.

Pinned so that a change adding a query per episode, per action or per finding (or one more per
request) is noticed here, not in the benchmark (`docs/performance.md` #5 and #6). Counted with
SQLAlchemy's `before_cursor_execute` on the test's connection: every statement the request
sends, its authentication and audit entry included. Left out: the test transaction's own
savepoints, and the bookkeeping a clock decides (a session's `last_seen_at`, a key's
`last_used_at`, written at most once a minute), so the count never depends on how fast the
test runs. When a change needs another statement, change the number here and say why in the
commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.builders import bearer, make_document, make_key, make_org
from tests.interviews.helpers import post, start, stored, when

# A new record of a new child: the key; the child's other episodes and the organisations
# (validation); the child (SELECT, INSERT); the record; its episodes; the register (the rows,
# their matches, the episodes registered, the links); the feed (the child's episode starts,
# the row, the child's other fed records; this record has no pending finding to index); the
# version; the audit entry (the chain's head, the entry). PostgreSQL also takes the audit
# chain's lock.
SUBMISSION = 17
# A changed section of a draft: the session, its user and organisation, the draft; validation
# (the child's other episodes, the organisations); the record; the child (one UPDATE); the
# episodes (DELETE, INSERT); the register (the rows, their matches); the audit entry (the
# chain's head, the entry). PostgreSQL also takes the audit chain's lock.
SECTION_SAVE = 14


_NOT_COUNTED = ("SAVEPOINT", "RELEASE", "ROLLBACK TO", "UPDATE USER_SESSIONS SET LAST_SEEN_AT",
                "UPDATE API_KEYS SET LAST_USED_AT")


def _extra(db: Session) -> int:
    return 1 if db.get_bind().dialect.name == "postgresql" else 0


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """The statements sent on the test's connection inside the block (savepoints left out)."""
    sent: list[str] = []
    connection = db.connection()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if not text.upper().startswith(_NOT_COUNTED):
            sent.append(text[:120])

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", count)


def _listed(sent: list[str]) -> str:
    return "\n".join(f"  {n}. {text}" for n, text in enumerate(sent, 1))


def _document(episodes: int, local_id: str) -> dict[str, Any]:
    """A complete record of a new child with `episodes` episodes, a day apart, each with an
    action and a sharing after it."""
    return make_document(
        child__local_id=local_id,
        episodes=[{"type": "missing", "started_at": f"2026-03-{1 + 3 * n:02d}T18:00:00Z",
                   "returned_at": f"2026-03-{2 + 3 * n:02d}T09:00:00Z",
                   "reported_to_police": True, "found_postcode": "BS16 1QY"}
                  for n in range(episodes)],
        offer={"outcome": "completed", "offered_at": f"2026-03-{2 + 3 * (episodes - 1):02d}"
               "T12:00:00Z"},
        interview__conducted_at=f"2026-03-{3 + 3 * (episodes - 1):02d}T10:00:00Z",
        actions=[{"type": "follow_up_support", "at": f"2026-03-{4 + 3 * (episodes - 1):02d}"
                  "T10:00:00Z"}] * episodes,
        sharing=[{"with": "social_worker", "at": f"2026-03-{4 + 3 * (episodes - 1):02d}"
                  "T10:00:00Z"}])


def test_a_submission_takes_the_same_statements_for_one_episode_or_three(
        client: TestClient, db: Session) -> None:
    _, plaintext = make_key(db)
    headers = bearer(plaintext)
    expected = SUBMISSION + _extra(db)

    for episodes in (1, 3):
        with statements(db) as sent:
            answer = client.post("/api/v1/interviews",
                                 json=_document(episodes, f"COUNT-{episodes}"), headers=headers)
        assert answer.status_code == 201, answer.text
        assert len(sent) == expected, (
            f"a submission with {episodes} episode(s) took {len(sent)} statements, not "
            f"{expected}; a query per episode, action or finding, or one more a request?\n"
            + _listed(sent))


def test_a_section_save_takes_the_same_statements_for_one_episode_or_three(
        client: TestClient, db: Session, csrf: str) -> None:
    make_org(db, "803")
    base = start(client, csrf)
    child = {"child-local_id": "COUNT-9", "child-given_name": "Alex",
             "child-family_name": "Testchild", "child-date_of_birth-day": "4",
             "child-date_of_birth-month": "5", "child-date_of_birth-year": "2011",
             "child-gender": "female", "child-legal_status": "looked_after",
             "child-responsible_authority": "803", "child-placement_authority": "803"}
    assert post(client, f"{base}/child", csrf, htmx=True, **child).status_code == 200
    expected = SECTION_SAVE + _extra(db)

    for count in (1, 3):
        episodes: dict[str, str] = {"episodes-count": str(count)}
        for n in range(count):
            episodes |= {f"episodes-{n}-type": "missing",
                         **when(f"episodes-{n}-started_at", 1 + 3 * n, 3, 2026, "18:00"),
                         **when(f"episodes-{n}-returned_at", 2 + 3 * n, 3, 2026, "09:00"),
                         f"episodes-{n}-reported_to_police": "yes"}
        assert post(client, f"{base}/episodes", csrf, htmx=True,
                    **episodes).status_code == 200
        assert len(stored(db, base)["episodes"]) == count
        with statements(db) as sent:  # a change to the child section, as typing makes
            answer = post(client, f"{base}/child", csrf, htmx=True,
                          **{**child, "child-given_name": f"Alex{count}"})
        assert answer.status_code == 200, answer.text
        assert len(sent) == expected, (
            f"a section save of a draft with {count} episode(s) took {len(sent)} statements, "
            f"not {expected}; a query per episode, or one more a request?\n" + _listed(sent))
