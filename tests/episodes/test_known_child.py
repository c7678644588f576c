"""A new record for a child the service already knows (issue 18, "fewer taps"): found on the
start page by name or case id among what the organisation may see, and started with the child
section filled in from the latest record and the register, for the interviewer to check; another
authority's child is never found, and starting for one answers as for a child that does not
exist. Starting from an episode of the register fills the child the same way."""

from __future__ import annotations

import re
from uuid import UUID

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.audit.models import AuditEntry
from app.record.models import Interview
from tests.builders import DELETE, make_org, make_user, sign_in
from tests.episodes.test_search_and_history import SESSION_CLOCK, a_child, an_episode
from tests.interviews.helpers import stored

KNOWN = {"child__given_name": "Kit", "child__family_name": "Knownchild",
         "child__local_id": "TEST-KNOWN-1", "child__gender": "male", "child__ethnicity": "mwbc",
         "child__uasc": True, "child__disability_or_send": "yes",
         "child__legal_status": "child_in_need", "child__placement_type": "kinship_care"}
START = re.compile(r'action="/children/(\d+)/start"')


def start_page(client: TestClient, q: str) -> str:
    answer = client.get("/interviews/new", params={"q": q})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def start_for(client: TestClient, csrf: str, child_id: int | None | str) -> str:
    """Start a record for the child; the new draft's base URL."""
    answer = client.post(f"/children/{child_id}/start", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    location = answer.headers["location"]
    assert location.endswith("/child?known=1")
    return location.rsplit("/", 1)[0]


def latest_audit(db: Session, action: str) -> AuditEntry:
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == action)
                       .order_by(col(AuditEntry.id).desc())).scalars().first()
    assert entry is not None, action
    return entry


def test_a_known_child_is_found_on_the_start_page_and_their_section_filled_in(
        client: TestClient, db: Session) -> None:
    earlier = a_child(db, **KNOWN)
    csrf = sign_in(client, make_user(db, "interviewer"))

    for q in ("Kit Known", "test-known-1", "knownchild"):
        page = start_page(client, q)
        assert START.findall(page) == [str(earlier.child_id)], q
        assert "Kit Knownchild" in page and "4 May 2011" in page
    base = start_for(client, csrf, earlier.child_id)

    assert stored(db, base)["child"] == {
        "local_id": "TEST-KNOWN-1", "given_name": "Kit", "family_name": "Knownchild",
        "date_of_birth": "2011-05-04", "gender": "male", "ethnicity": "mwbc", "uasc": True,
        "disability_or_send": "yes", "legal_status": "child_in_need",
        "placement_type": "kinship_care", "responsible_authority": "803",
        "placement_authority": "803"}
    page = client.get(f"{base}/child?known=1").text
    assert 'id="filled-in"' in page and 'value="Kit"' in page
    assert re.search(r'value="kinship_care"\s+checked', page)
    search = latest_audit(db, "search")
    assert search.details == {"count": 1, "more": False, "children": [earlier.child_id],
                              "records": [], "via": "start"}
    started = latest_audit(db, "child.start-interview")
    assert started.target == str(earlier.child_id)
    assert started.details["interview"] == base.rsplit("/", 1)[1]
    assert started.details["records"] == [str(earlier.id)]


def test_the_new_record_is_the_same_childs(client: TestClient, db: Session) -> None:
    earlier = a_child(db, **KNOWN)
    csrf = sign_in(client, make_user(db, "interviewer"))

    base = start_for(client, csrf, earlier.child_id)

    db.expire_all()
    draft = db.get(Interview, UUID(base.rsplit("/", 1)[1]))
    assert draft is not None and draft.child_id == earlier.child_id


def test_another_authoritys_child_is_never_found_and_cannot_be_started_for(
        client: TestClient, db: Session) -> None:
    theirs = a_child(db, "801", "801", child__given_name="Farah", child__family_name="Farchild",
                     child__local_id="TEST-FAR-1")
    csrf = sign_in(client, make_user(db, "interviewer"))  # of 803

    identifying = ("Farah", "Farchild", "TEST-FAR-1")
    for q in identifying:
        page = start_page(client, q)
        assert 'id="none-found"' in page and not START.search(page), q
        assert not [s for s in identifying if s != q and s in page], q  # q is shown as typed
    answers = []
    for child_id in (theirs.child_id, 987654321):
        answer = client.post(f"/children/{child_id}/start", data={"csrf_token": csrf},
                             follow_redirects=False)
        answers.append((answer.status_code, SESSION_CLOCK.sub("<clock>", answer.text)))

    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert db.execute(select(Interview).where(
        col(Interview.recorded_by_org) == "803")).first() is None  # no draft was started


def test_the_register_gives_involvement_and_placement_when_it_is_newer_than_the_record(
        client: TestClient, db: Session) -> None:
    earlier = a_child(db, **KNOWN)
    episode = an_episode(db, "803", "TEST-KNOWN-1", days_ago=2)
    episode.legal_status, episode.placement_authority = "looked_after", "801"
    make_org(db, "801")
    db.commit()
    csrf = sign_in(client, make_user(db, "interviewer"))

    child = stored(db, start_for(client, csrf, earlier.child_id))["child"]

    assert (child["legal_status"], child["placement_authority"]) == ("looked_after", "801")
    assert child["placement_type"] == "kinship_care" and child["given_name"] == "Kit"


def test_a_child_first_recorded_with_no_case_id_is_started_with_their_provisional_id(
        client: TestClient, db: Session) -> None:
    earlier = a_child(db, child__no_case_id=True, child__local_id=DELETE,
                      child__given_name="Pip", child__family_name="Provisional")
    provisional = earlier.document["child"]["local_id"]
    assert provisional.startswith("prov-")
    csrf = sign_in(client, make_user(db, "interviewer"))

    page = start_page(client, "Pip Provisional")
    base = start_for(client, csrf, START.findall(page)[0])

    child = stored(db, base)["child"]
    assert child["local_id"] == provisional and "no_case_id" not in child
    assert child["given_name"] == "Pip"
    db.expire_all()
    draft = db.get(Interview, UUID(base.rsplit("/", 1)[1]))
    assert draft is not None and draft.child_id == earlier.child_id


def test_another_organisation_sees_the_date_of_birth_its_own_record_gave(
        client: TestClient, db: Session) -> None:
    """The authority's date of birth stays the authority's (docs/episodes.md): a provider that
    interviewed the child before is given the date its own record said."""
    a_child(db, "803", "803", **{**KNOWN, "child__date_of_birth": "2011-05-04"})
    providers = a_child(db, "rhi-provider", "803", **{
        **KNOWN, "child__date_of_birth": "2011-06-14",
        "episodes__0__started_at": "2026-02-01T18:00:00Z",
        "episodes__0__returned_at": "2026-02-02T09:00:00Z"})
    csrf = sign_in(client, make_user(db, "interviewer", org="rhi-provider"))

    child = stored(db, start_for(client, csrf, providers.child_id))["child"]

    assert child["date_of_birth"] == "2011-06-14"


def test_starting_from_an_episode_fills_the_childs_name_and_the_rest_from_their_record(
        client: TestClient, db: Session) -> None:
    a_child(db, **KNOWN)
    episode = an_episode(db, "803", "TEST-KNOWN-1", days_ago=0.5)
    csrf = sign_in(client, make_user(db, "interviewer"))

    answer = client.post(f"/episodes/{episode.id}/start", data={"csrf_token": csrf},
                         follow_redirects=False)

    assert answer.status_code == 303
    child = stored(db, answer.headers["location"].rsplit("/", 1)[0])["child"]
    assert (child["given_name"], child["family_name"], child["gender"],
            child["placement_type"]) == ("Kit", "Knownchild", "male", "kinship_care")
    assert child["local_id"] == "TEST-KNOWN-1"
