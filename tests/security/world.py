"""A small world for the access tests: three organisations, a person of each role and a key of
each scope in one of them, and records of every kind of relation to it: recorded by it, of its
child, of another's child placed in its area (it is the host authority), and two it has
nothing to do with (one of them of a child placed in a third area).

Built once per test module in a database of its own (`scratch_database`) and committed there;
every case then runs in a transaction that is rolled back, so a case that approves a record or
signs out leaves the world as it was for the next. People sign in once, through the real login
form (`tests.builders.sign_in`), and each case reuses their session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.accounts import caller as accounts_caller
from app.accounts import deps
from app.accounts import service as accounts
from app.accounts.api_keys import create_api_key
from app.accounts.models import User
from app.core.db import get_session, make_engine
from app.core.types import utcnow
from app.episodes import service as episodes
from app.interviews import service, storage, submissions
from app.record.formats import format_timestamp
from app.record.models import Interview
from tests.builders import PASSWORD, make_document, save_draft, sign_in
from tests.durability.scratch import scratch_database

OWN, OTHER, FAR = "mx-own", "mx-other", "mx-far"  # the callers' organisation, and two more
ROLES = ("interviewer", "placement_team", "manager", "analyst", "admin")
SCOPES = ("submit", "feed", "returns", "notify")
CALLERS = (*ROLES, *(f"key:{s}" for s in SCOPES), "anonymous")
RECORDS = ("own", "responsible", "unrelated", "hosted", "elsewhere")
STATES = ("draft", "submitted")

# Which organisation records each kind of record, whose child it is, and where the child lives.
RECORD_ORGS = {
    # Recorded by the callers' organisation, for another's child placed in its area: its own
    # record, not a host authority's restricted view.
    "own": (OWN, OTHER, OWN),
    "responsible": (OTHER, OWN, OWN),  # recorded elsewhere, for the callers' org's own child
    "unrelated": (FAR, FAR, FAR),      # nothing to do with the callers' organisation
    "hosted": (OTHER, OTHER, OWN),     # another's child placed in the callers' area: the host
    "elsewhere": (OTHER, OTHER, FAR),  # another's child placed in a third area: nothing
}
# Identifying details, different for each kind of record, so an answer holding one is caught.
DETAILS = {
    "own": ("Owena", "Ownchild", "BS16 1QY"),
    "responsible": ("Resa", "Respchild", "BS1 4DJ"),
    "unrelated": ("Farah", "Farchild", "GL1 2EH"),
    "hosted": ("Hosta", "Hostchild", "BS5 0NR"),
    "elsewhere": ("Elsa", "Elsechild", "BA1 1LN"),
}

@dataclass(frozen=True)
class Caller:
    name: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""


@dataclass(frozen=True)
class Record:
    id: UUID
    document: dict[str, Any]
    etag: str
    # An episode of the same child and organisations, returned, with no interview yet.
    episode_id: UUID | None = None
    child_id: int | None = None  # the child's row (`Interview.child_id`): its history

    def identifying(self) -> list[str]:
        """What would identify the child: names, case id, free text, the full postcode."""
        child = self.document["child"]
        return [child["given_name"], child["family_name"], child["local_id"],
                self.document["interview"]["child_account"],
                self.document["episodes"][0]["found_postcode"]]


@dataclass
class World:
    app: FastAPI
    engine: Engine
    client: TestClient
    callers: dict[str, Caller]
    records: dict[tuple[str, str], Record]  # (kind, state) -> record
    login_email: str
    # People an administrator may act on: "own" (in OWN) and "unrelated" (in OTHER): ids.
    people: dict[str, int] = field(default_factory=dict)
    # The callers' API keys' ids, by caller ("key:feed"): an administrator revokes one.
    key_ids: dict[str, str] = field(default_factory=dict)
    _session: Session | None = None

    def session(self) -> Session:
        assert self._session is not None, "only inside World.case()"
        return self._session

    @contextmanager
    def case(self, caller: str) -> Iterator[TestClient]:
        """A client acting as `caller`, inside a transaction rolled back afterwards."""
        with self.engine.connect() as conn:
            outer = conn.begin()
            with Session(bind=conn, join_transaction_mode="create_savepoint",
                         expire_on_commit=False) as session:
                self._session = session
                who = self.callers[caller]
                client = self.client
                client.cookies.clear()
                client.cookies.update(who.cookies)
                client.headers.pop("Authorization", None)
                client.headers.update(who.headers)
                try:
                    yield client
                finally:
                    self._session = None
                    if outer.is_active:
                        outer.rollback()


def _case_session(world: World) -> Iterator[Session]:
    session = world.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _committing_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _signed_in(app: FastAPI, engine: Engine, user: User) -> Caller:
    """`user` signed in through the real login form: the session cookie and its CSRF token."""
    app.dependency_overrides[get_session] = lambda: (yield from _committing_session(engine))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        csrf_token = sign_in(client, user)
        cookie = client.cookies.get(deps.SESSION_COOKIE)
    assert cookie
    return Caller(name=user.email, cookies={deps.SESSION_COOKIE: cookie}, csrf_token=csrf_token)


def _document(kind: str, responsible: str, placement: str) -> dict[str, Any]:
    given, family, postcode = DETAILS[kind]
    return make_document(child__responsible_authority=responsible,
                         child__placement_authority=placement, child__given_name=given,
                         child__family_name=family, episodes__0__found_postcode=postcode,
                         interview__child_account=f"Free text of the {kind} record.")


def _make_records(session: Session) -> dict[tuple[str, str], Record]:
    records: dict[tuple[str, str], Record] = {}
    for kind, (recorded_by, responsible, placement) in RECORD_ORGS.items():
        actor = accounts_caller.Caller.system(recorded_by)
        document = _document(kind, responsible, placement)
        submitted, _ = submissions.create_from_api(session, actor, document)
        # A return of the same child notified by the same organisation, with no interview yet:
        # what the episode routes act on.
        returned = utcnow() - timedelta(hours=3)
        notified, _ = episodes.notify(session, actor, {
            "id": str(uuid4()), "type": "missing",
            "child": {"responsible_authority": responsible,
                      "local_id": document["child"]["local_id"]},
            "started_at": format_timestamp(returned - timedelta(days=2)),
            "returned_at": format_timestamp(returned)})
        episode_id = notified.id
        records[(kind, "submitted")] = Record(submitted.id, document, storage.etag(submitted),
                                              episode_id, submitted.child_id)
        draft = service.start_draft(session, actor)
        changes = {k: v for k, v in _document(kind, responsible, placement).items()
                   if k != "id"}
        errors = save_draft(session, draft, actor, changes)
        assert not errors, errors
        assert draft.status == "draft"
        records[(kind, "draft")] = Record(draft.id, {**changes, "id": str(draft.id)},
                                          storage.etag(draft), episode_id)
    session.flush()
    for record in records.values():
        assert session.get(Interview, record.id) is not None
    return records


@contextmanager
def build_world(app: FastAPI) -> Iterator[World]:
    """The world in a database of its own, removed afterwards."""
    with scratch_database("rhi_matrix") as url:
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                for code in (OWN, OTHER, FAR):
                    accounts.create_organisation(session, code, f"Matrix {code}",
                                                 "local_authority")
                people = {role: accounts.create_user(session, f"{role}@matrix.example.test",
                                                     f"Matrix {role}", OWN, role, PASSWORD)
                          for role in ROLES}
                login_email = "login-probe@matrix.example.test"
                accounts.create_user(session, login_email, "Login probe", OWN, "interviewer",
                                     PASSWORD)
                targets = {"own": accounts.create_user(
                    session, "target@matrix.example.test", "Matrix target", OWN, "analyst",
                    PASSWORD).id, "unrelated": accounts.create_user(
                    session, "stranger@matrix.example.test", "Matrix stranger", OTHER,
                    "analyst", PASSWORD).id}
                callers = {"anonymous": Caller(name="anonymous")}
                key_ids: dict[str, str] = {}
                for scope in SCOPES:
                    key, plaintext = create_api_key(session, OWN, f"Matrix {scope}", [scope])
                    key_ids[f"key:{scope}"] = key.id
                    callers[f"key:{scope}"] = Caller(
                        name=f"key:{scope}", headers={"Authorization": f"Bearer {plaintext}"})
                records = _make_records(session)
                session.commit()
            for role, person in people.items():
                callers[role] = _signed_in(app, engine, person)
            with TestClient(app, base_url="http://testserver",
                            follow_redirects=False) as client:
                world = World(app=app, engine=engine, client=client, callers=callers,
                              records=records, login_email=login_email, key_ids=key_ids,
                              people={k: v for k, v in {
                                  **targets, "manager": people["manager"].id}.items()
                                  if v is not None})
                app.dependency_overrides[get_session] = lambda: (
                    yield from _case_session(world))
                yield world
        finally:
            app.dependency_overrides.clear()
            engine.dispose()
