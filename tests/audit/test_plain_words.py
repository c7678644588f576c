"""The audit log reads in plain words at /audit: people and children by name where the reader
may see them, actions as sentences, times in UK time; the entry as written stays one click
away."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

import app
from app.accounts.caller import Caller
from app.admin import audit_words
from app.admin.audit_words import Lookup, Person, describe
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.episodes import identity
from app.interviews.service import start_draft
from app.record.models import RegisterEpisode
from tests.builders import make_document, make_key, make_user, record, save_draft, sign_in

APP = Path(app.__file__).parent


def said(entry: AuditEntry, lookup: Lookup | None = None) -> str:
    """The entry's sentence as a reader reads it."""
    described = describe(entry, lookup or Lookup(organisation="803", admin=False))
    return "".join(part.text for part in described.sentence)


def entry(action: str, **fields: Any) -> AuditEntry:
    """An entry as the log holds one, written at 2:04pm on 4 December 2026 (UK time)."""
    values: dict[str, Any] = {"actor": "system", "organisation": "803", "details": {},
                              "at": datetime(2026, 12, 4, 14, 4, tzinfo=UTC),
                              "prev_hash": "0" * 64, "hash": "1" * 64, "id": 7}
    return AuditEntry(action=action, **{**values, **fields})


def as_caller(user_id: int | None, role: str, org: str = "803") -> Caller:
    return Caller(label=f"user:{user_id}", organisation_code=org, user_id=user_id, role=role)


# --- what the page says ------------------------------------------------------------------------

def test_a_save_names_the_person_and_links_the_childs_record(
        client: TestClient, db: Session) -> None:
    ivy = make_user(db, role="interviewer", org="803", name="Ivy Interviewer")
    draft = start_draft(db, as_caller(ivy.id, "interviewer"))
    save_draft(db, draft, as_caller(ivy.id, "interviewer"),
               make_document(child__given_name="Casey", child__family_name="Seeded"))
    sign_in(client, make_user(db, role="manager", org="803"))

    page = client.get("/audit", params={"action": "interview.save", "target": str(draft.id)})

    assert page.status_code == 200
    assert ("Ivy Interviewer (interviewer) saved answers in <a class=\"govuk-link\" "
            f"href=\"/interviews/{draft.id}\">the interview record of Casey Seeded</a> at "
            in page.text)
    assert "answers changed: " in page.text
    assert f"user:{ivy.id}" in page.text  # the technical record keeps the entry as written


def test_an_administrator_gets_links_to_people_but_no_childs_name(
        client: TestClient, db: Session) -> None:
    ivy = make_user(db, role="interviewer", org="803", name="Ivy Interviewer")
    draft = start_draft(db, as_caller(ivy.id, "interviewer"))
    save_draft(db, draft, as_caller(ivy.id, "interviewer"),
               make_document(child__given_name="Casey", child__family_name="Seeded"))
    sign_in(client, make_user(db, role="admin", org="803"))

    page = client.get("/audit", params={"target": str(draft.id)}).text

    assert (f'<a class="govuk-link" href="/admin/people/{ivy.id}">Ivy Interviewer '
            "(interviewer)</a> saved answers in an interview record at ") in page
    assert "Casey" not in page and f'href="/interviews/{draft.id}"' not in page


def test_a_record_the_readers_organisation_cannot_see_is_not_named(
        client: TestClient, db: Session) -> None:
    theirs = record(db, org="801", child__given_name="Wilhelmina",
                    child__family_name="Nettlebed", child__responsible_authority="801",
                    child__placement_authority="801")
    manager = make_user(db, role="manager", org="803", name="Mo Manager")
    stranger = make_user(db, role="interviewer", org="801", name="Sam Stranger")
    for actor in (manager, stranger):
        audit.record(db, actor=f"user:{actor.id}", organisation="803",
                     action="interview.view", target=str(theirs.id))
    sign_in(client, manager)

    page = client.get("/audit", params={"target": str(theirs.id)}).text

    assert "Mo Manager (manager) viewed an interview record at " in page
    assert "Someone at Test Organisation 801 viewed an interview record at " in page
    assert "Wilhelmina" not in page and "Nettlebed" not in page and "Sam Stranger" not in page
    assert f'href="/interviews/{theirs.id}"' not in page


def test_an_episode_is_linked_only_where_the_reader_may_see_it(db: Session) -> None:
    ours = record(db, org="803")
    episode = db.execute(select(RegisterEpisode).where(
        col(RegisterEpisode.interview_id) == ours.id)).scalar_one()
    episode_id = str(episode.id)

    shown = [audit_words.target("episode", episode_id, audit_words.look_up(
        db, [entry("episode.view", target=episode_id)], as_caller(1, role, org)))
        for role, org in (("manager", "803"), ("manager", "801"), ("admin", "803"))]

    assert shown[0] == audit_words.Part(f"the episode of {ours.document['child']['local_id']}",
                                        f"/episodes/{episode_id}")
    assert shown[1:] == [audit_words.Part("an episode")] * 2


def test_a_child_is_named_by_case_id_only_where_the_reader_may_see_them(db: Session) -> None:
    ours = record(db, org="803")
    child_id = str(ours.child_id)

    shown = [audit_words.target("child", child_id, audit_words.look_up(
        db, [entry("child.view", target=child_id)], as_caller(1, role, org)))
        for role, org in (("manager", "803"), ("manager", "801"), ("admin", "803"))]

    assert shown[0] == audit_words.Part(
        f"the child with case id {ours.document['child']['local_id']}", f"/children/{child_id}")
    assert shown[1:] == [audit_words.Part("a child")] * 2


def test_an_api_key_and_the_service_read_as_names(client: TestClient, db: Session) -> None:
    key, _ = make_key(db, org="803")
    audit.record(db, actor=f"key:{key.id}", organisation="803", action="feed.pull",
                 details={"count": 12, "format": "ndjson", "filters": {}})
    audit.record(db, actor="system", organisation="803", action="interview.delete",
                 target="3f1c2a8e-0000-4000-8000-000000000000",
                 details={"reason": "retention", "rule": "25th birthday"})
    sign_in(client, make_user(db, role="manager", org="803"))

    page = client.get("/audit").text

    assert f"The API key “{key.name}” pulled the records feed at " in page
    assert "12 records" in page
    assert "The service deleted an interview record at " in page
    assert "reason: the retention period ended" in page


def test_refusals_read_plainly(client: TestClient, db: Session) -> None:
    ivy = make_user(db, role="interviewer", org="803", name="Ivy Interviewer")
    sign_in(client, ivy)
    assert client.get("/audit").status_code == 403
    client.cookies.clear()
    sign_in(client, make_user(db, role="manager", org="803"))

    page = client.get("/audit", params={"action": "request.refused"}).text

    assert re.search(r"Ivy Interviewer \(interviewer\) tried to open /audit at \d+(:\d\d)?[ap]m "
                     r"on \d+ \w+ \d{4} and was refused \(not allowed, status 403\)\.", page)
    assert "anonymous" not in said(entry("request.refused", actor="anonymous",
                                         target="/interviews/x",
                                         details={"status": 401, "method": "GET"}))
    assert said(entry("request.refused", actor="anonymous", target="/api/v1/interviews",
                      details={"status": 422, "method": "POST"})) == (
        "Someone not signed in tried to send something to /api/v1/interviews at 2:04pm on "
        "4 December 2026 and was refused (what was sent was not valid, status 422).")


def test_the_technical_record_keeps_the_entry_and_its_hashes(
        client: TestClient, db: Session) -> None:
    manager = make_user(db, role="manager", org="803")
    written = audit.record(db, actor="system", organisation="803", action="episode.list",
                           details={"page": "work list", "count": 2, "ids": ["a-1", "b-2"]})
    sign_in(client, manager)

    page = client.get("/audit", params={"action": "episode.list"}).text

    assert "Show the technical record" in page
    for kept in (written.hash, written.prev_hash, '{&#34;count&#34;:2,&#34;ids&#34;:'
                 '[&#34;a-1&#34;,&#34;b-2&#34;],&#34;page&#34;:&#34;work list&#34;}'):
        assert kept in page
    assert "2 episodes; page: work list" in page  # the ids only in the technical record


# --- the words themselves ----------------------------------------------------------------------

def test_the_example_sentence() -> None:
    lookup = Lookup(organisation="803", admin=False,
                    people={3: Person("Ivy Interviewer", "interviewer", "803", "Ours")},
                    records={"r-1": "Casey Seeded"})

    described = describe(entry("interview.change", actor="user:3", target="r-1",
                               details={"version": 3, "via": "api"}), lookup)

    assert "".join(p.text for p in described.sentence) == (
        "Ivy Interviewer (interviewer) changed the interview record of Casey Seeded, version 3, "
        "at 2:04pm on 4 December 2026.")
    assert audit_words.Part("the interview record of Casey Seeded", "/interviews/r-1") in \
        described.sentence
    assert described.notes == ["through the API"]


def test_times_are_in_uk_time() -> None:
    summer = entry("sign_out", at=datetime(2026, 7, 1, 11, 0, tzinfo=UTC))

    assert said(summer) == "The service signed out at midday on 1 July 2026."


def test_an_action_without_words_reads_as_its_code_in_words() -> None:
    assert said(entry("probe.thing_done")) == \
        "The service did “probe thing done” at 2:04pm on 4 December 2026."
    assert said(entry("probe.{x}")).startswith("The service did “probe {x}”")


def test_details_read_as_short_phrases() -> None:
    described = describe(entry("episode.change", target="e-1", details={
        "version": 2, "fields": ["returned_at", "found_at"], "via": "web"},
        address="192.0.2.10"), Lookup(organisation="803", admin=False))

    assert described.notes == ["fields: returned_at, found_at", "on the web",
                               "from the address 192.0.2.10"]
    assert "".join(p.text for p in described.sentence) == (
        "The service changed an episode, version 2, at 2:04pm on 4 December 2026.")


def test_odd_details_never_fail(db: Session) -> None:
    odd = {"via": ["api"], "reason": {"a": 1}, "kind": [1], "status": {"x": 1}, "method": None,
           "user_id": True, "organisation": ["803"], "fields": "returned_at", "count": None}
    entries = [entry(action, actor=actor, target=target, details=odd)
               for action in (*audit_words.ACTIONS, "probe.odd")
               for actor, target in (("user:x", "user:99999999999999999999"),
                                     ("key:", "not-a-uuid"), ("", None))]

    lookup = audit_words.look_up(db, entries, as_caller(1, "manager"))

    for written in entries:
        assert describe(written, lookup).sentence


@pytest.mark.parametrize("action", sorted(audit_words.ACTIONS))
def test_every_sentence_reads_without_its_details(action: str) -> None:
    sentence = said(entry(action))

    assert sentence[0].isupper() and sentence.endswith(".")
    assert "at 2:04pm on 4 December 2026" in sentence
    assert "{" not in sentence and "none" not in sentence.lower(), sentence


# --- every action the service writes has words -------------------------------------------------

# Names whose values come from outside the module that writes them (a URL), checked there.
FROM_ELSEWHERE = {("episodes/identity.py", "decision"): identity.DECISIONS}


def _audit_names(tree: ast.Module) -> set[str]:
    """What the module calls `app.audit.service`."""
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "app.audit"
            for alias in node.names if alias.name == "service"}


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    return (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _codes(node: ast.expr, where: ast.FunctionDef | ast.AsyncFunctionDef | None,
           tree: ast.Module, module: str) -> set[str]:
    """Every string `node` can be, as far as the module shows; a sentinel when it cannot tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, where, tree, module) | _codes(node.orelse, where, tree, module)
    if isinstance(node, ast.JoinedStr):
        pieces = [_codes(v.value if isinstance(v, ast.FormattedValue) else v, where, tree,
                         module) for v in node.values]
        return {"".join(p) for p in product(*pieces)}
    if isinstance(node, ast.Name) and where is not None:
        if (module, node.id) in FROM_ELSEWHERE:
            return set(FROM_ELSEWHERE[module, node.id])
        assigned = [a.value for a in ast.walk(where) if isinstance(a, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        if assigned:
            return set().union(*(_codes(v, where, tree, module) for v in assigned))
        parameters = [a.arg for a in (*where.args.posonlyargs, *where.args.args)]
        keyword_only = [a.arg for a in where.args.kwonlyargs]
        if node.id in parameters or node.id in keyword_only:
            return _arguments(where, node.id, tree, module)
    return {f"<cannot tell: {module}:{node.lineno}>"}


def _arguments(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, tree: ast.Module,
               module: str) -> set[str]:
    """What the module's calls of `function` pass as its parameter `name`."""
    position = [a.arg for a in (*function.args.posonlyargs, *function.args.args)].index(name) \
        if name not in [a.arg for a in function.args.kwonlyargs] else None
    found: set[str] = set()
    for caller in _functions(tree):
        for call in ast.walk(caller):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id == function.name):
                continue
            given = [k.value for k in call.keywords if k.arg == name]
            if position is not None and len(call.args) > position:
                given.append(call.args[position])
            for value in given:
                found |= _codes(value, caller, tree, module)
    return found or {f"<cannot tell: {module}:{function.lineno} {name}>"}


def _enclosing(tree: ast.Module) -> dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Each node's innermost function."""
    inside: dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for function in _functions(tree):  # outer functions come first in ast.walk
        for node in ast.walk(function):
            inside[node] = function
    return inside


def written_actions() -> dict[str, str]:
    """Every action code a call of `app.audit.service.record` in app/ can write: where."""
    actions: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        module = path.relative_to(APP).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _audit_names(tree)
        inside = _enclosing(tree)
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "record" and isinstance(call.func.value, ast.Name)
                    and call.func.value.id in names):
                continue
            action = next((k.value for k in call.keywords if k.arg == "action"), None)
            assert action is not None, f"{module}:{call.lineno} writes no action"
            for code in _codes(action, inside.get(call), tree, module):
                actions.setdefault(code, f"{module}:{call.lineno}")
    return actions


def test_the_scan_finds_the_actions_written_every_way() -> None:
    found = written_actions()

    for code in ("interview.save", "request.refused", "user.set_role", "feed.pull",
                 "child.date-of-birth.rejected", "sso_unavailable", "sign_in_failed",
                 "audit.search", "api_key.revoke"):
        assert code in found


def test_every_action_the_service_writes_has_words() -> None:
    missing = {code: where for code, where in written_actions().items()
               if code not in audit_words.ACTIONS}

    assert not missing, (
        f"Audit actions with no plain words: {missing}. Give each a sentence in ACTIONS in "
        "app/admin/audit_words.py (or, if the scan cannot tell what a call writes, name its "
        f"values in FROM_ELSEWHERE in {__name__}).")

