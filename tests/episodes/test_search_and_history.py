"""Finding a child by name or case id, and the child's history: only ever what the searcher's
organisation may see; and the service navigation each role is shown."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.core.navigation import service_navigation
from app.core.types import utcnow
from app.episodes import service
from app.record.formats import format_timestamp
from app.record.models import Interview, RegisterEpisode
from tests.builders import DELETE, make_org, make_user, record, sign_in
from tests.interviews.helpers import error_summary

SESSION_CLOCK = re.compile(r'(?<=<meta name="rhi-session-ends-in" content=")\d+')
EPISODE_LINK = re.compile(r'href="/episodes/[0-9a-f-]{36}"')
RECORD_LINK = re.compile(r'href="/interviews/[0-9a-f-]{36}')


def a_child(db: Session, org: str = "803", authority: str = "803", **overrides: Any) -> Interview:
    """A submitted record by `org` of a child of `authority`."""
    make_org(db, org)
    make_org(db, authority)
    made = record(db, org, child__responsible_authority=authority,
                  child__placement_authority=authority, **overrides)
    db.commit()
    return made


def an_episode(db: Session, by: str, local_id: str, *, days_ago: float,
               authority: str = "803") -> RegisterEpisode:
    """A returned episode of `authority`'s child `local_id`, notified by `by`."""
    make_org(db, by)
    make_org(db, authority)
    started = utcnow() - timedelta(days=days_ago)
    episode, _ = service.notify(db, Caller.system(by), {
        "id": str(uuid4()), "type": "missing",
        "child": {"responsible_authority": authority, "local_id": local_id},
        "started_at": format_timestamp(started),
        "returned_at": format_timestamp(started + timedelta(hours=10))})
    db.commit()
    return episode


def searched(client: TestClient, q: str) -> str:
    answer = client.get("/search", params={"q": q})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def test_a_child_is_found_by_name_part_of_it_or_case_id(client: TestClient,
                                                        db: Session) -> None:
    child = a_child(db, child__given_name="Zebedee", child__family_name="Quillfeather",
                    child__local_id="TEST-SRCH-0001")
    sign_in(client, make_user(db, "interviewer"))

    for q in ("Zebedee", "quillFEATHER", "zebedee quill", "srch-0001", "  TEST-SRCH  "):
        page = searched(client, q)
        assert "Zebedee Quillfeather" in page, q
        assert f'href="/children/{child.child_id}"' in page, q
        assert "TEST-SRCH-0001" in page and "4 May 2011" in page
    assert "No child found" in searched(client, "Zebedeee")


def test_a_search_is_audited_with_what_it_found_not_the_words(client: TestClient,
                                                              db: Session) -> None:
    child = a_child(db, child__given_name="Auditia", child__local_id="TEST-AUD-1")
    sign_in(client, make_user(db, "manager"))

    searched(client, "Auditia")

    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "search")
                       .order_by(col(AuditEntry.id).desc())).scalars().first()
    assert entry is not None
    assert entry.details == {"count": 1, "more": False, "children": [child.child_id],
                             "records": []}
    assert "Auditia" not in str(entry.details)


def test_a_search_of_fewer_than_two_characters_or_control_characters_asks_again(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))

    for q, message in (("a", "at least 2 characters"), ("  ", "at least 2 characters"),
                       ("ab\x00", "control characters"), ("x" * 101, "no more than 100")):
        answer = client.get("/search", params={"q": q})
        assert answer.status_code == 422, q
        assert any(message in s for s in error_summary(answer.text)), q
    assert client.get("/search").status_code == 200  # the empty form
    assert not db.execute(select(AuditEntry).where(col(AuditEntry.action) == "search")).first()


def test_like_wildcards_in_a_search_are_taken_literally(client: TestClient, db: Session) -> None:
    a_child(db, child__given_name="Annabel", child__family_name="Wildcard",
            child__local_id="TEST-PLAIN-1")
    underscored = a_child(db, child__given_name="Ursula", child__family_name="Underscore",
                          child__local_id="TEST-A_N-1")
    sign_in(client, make_user(db, "interviewer"))

    for q in ("%%", "a%l", "__", "A_N"):
        page = searched(client, q)
        assert "Annabel" not in page, q  # % and _ would match it as wildcards
    assert f"/children/{underscored.child_id}" in searched(client, "A_N")
    assert "Ursula" not in searched(client, "a\\_n")  # the escape character is literal too


def test_another_organisations_child_is_not_found_and_its_history_is_not_there(
        client: TestClient, db: Session) -> None:
    theirs = a_child(db, "801", "801", child__given_name="Farah", child__family_name="Farchild",
                     child__local_id="TEST-FAR-1")
    episode = an_episode(db, "801", "TEST-FAR-2", days_ago=3, authority="801")
    sign_in(client, make_user(db, "interviewer"))

    for q in ("Farah", "Farchild", "TEST-FAR"):
        page = searched(client, q)
        assert "No child found" in page and 'href="/children/' not in page, q
        assert "TEST-FAR-1" not in page and "TEST-FAR-2" not in page, q
    answers = []
    for child_id in (theirs.child_id, episode.child_id, 987654321):
        answer = client.get(f"/children/{child_id}")
        answers.append((answer.status_code, SESSION_CLOCK.sub("", answer.text)))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 404
    assert client.get("/children/not-a-number").status_code == 404


def test_the_history_shows_only_the_episodes_and_records_the_organisation_may_see(
        client: TestClient, db: Session) -> None:
    # 803's child. 801, a provider, interviewed the child once; 803 recorded another episode
    # and another record that 801 has nothing to do with.
    providers = a_child(db, "801", "803", child__given_name="Robin",
                        child__family_name="Shared", child__local_id="TEST-HIST-1")
    authoritys = a_child(db, "803", "803", child__given_name="Robyn",
                         child__family_name="Shared", child__local_id="TEST-HIST-1",
                         episodes__0__started_at="2026-02-01T18:00:00Z",
                         episodes__0__returned_at="2026-02-02T09:00:00Z")
    elsewhere = an_episode(db, "803", "TEST-HIST-1", days_ago=20)
    assert providers.child_id == authoritys.child_id
    covered = db.execute(select(RegisterEpisode).where(
        col(RegisterEpisode.child_id) == providers.child_id,
        col(RegisterEpisode.interview_id) == providers.id)).scalar_one()

    sign_in(client, make_user(db, "interviewer", org="801"))
    page = client.get(f"/children/{providers.child_id}")

    assert page.status_code == 200
    assert "Robin Shared" in page.text and "TEST-HIST-1" in page.text
    assert f"/interviews/{providers.id}" in page.text
    assert f"/episodes/{covered.id}" in page.text
    for hidden in (str(authoritys.id), str(elsewhere.id), "Robyn"):
        assert hidden not in page.text, hidden
    assert len(EPISODE_LINK.findall(page.text)) == 1
    assert len(set(RECORD_LINK.findall(page.text))) == 1
    entry = db.execute(select(AuditEntry).where(col(AuditEntry.action) == "child.view")
                       .order_by(col(AuditEntry.id).desc())).scalars().first()
    assert entry is not None and entry.target == str(providers.child_id)
    assert entry.details["records"] == [str(providers.id)]

    client.cookies.clear()
    sign_in(client, make_user(db, "interviewer"))
    theirs = client.get(f"/children/{providers.child_id}").text
    for shown in (str(providers.id), str(authoritys.id), str(elsewhere.id), str(covered.id)):
        assert shown in theirs, shown


def test_a_child_missing_three_times_in_90_days_is_flagged_counting_visible_episodes_only(
        client: TestClient, db: Session) -> None:
    first = an_episode(db, "803", "TEST-REPEAT-1", days_ago=80)
    an_episode(db, "803", "TEST-REPEAT-1", days_ago=40)
    an_episode(db, "801", "TEST-REPEAT-1", days_ago=5)
    an_episode(db, "803", "TEST-REPEAT-1", days_ago=200)  # too long ago to count

    sign_in(client, make_user(db, "interviewer"))
    authority = client.get(f"/children/{first.child_id}").text
    client.cookies.clear()
    sign_in(client, make_user(db, "interviewer", org="801"))
    notifier = client.get(f"/children/{first.child_id}").text

    assert "Repeatedly missing: 3 episodes started in the last 90 days" in authority
    assert len(EPISODE_LINK.findall(authority)) == 4
    assert "Repeatedly missing" not in notifier  # it sees its own notification only
    assert len(EPISODE_LINK.findall(notifier)) == 1


def nav(html: str) -> list[tuple[str, str, str | None]]:
    """The service navigation's links: (href, text, aria-current)."""
    block = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', html, re.S)
    if block is None:
        return []
    return [(href, re.sub(r"<[^>]+>|\s+", " ", text).strip(), current)
            for href, current, text in re.findall(
                r'<a class="govuk-service-navigation__link" href="([^"]+)"'
                r'(?:\s*aria-current="(\w+)")?\s*>(.*?)</a>', block.group(0), re.S)]


def test_each_role_is_shown_the_links_it_may_use_with_the_page_it_is_on(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))
    assert nav(client.get("/search").text) == [
        ("/", "Your work", ""), ("/episodes/mine", "Returns allocated to you", ""),
        ("/interviews/new", "Start an interview", ""), ("/search", "Search", "page"),
        ("/placed-in-our-area", "Children placed in our area", "")]
    client.cookies.clear()
    sign_in(client, make_user(db, "manager"))
    assert nav(client.get("/").text) == [
        ("/", "Your work", "page"), ("/episodes", "Returns and missing episodes", ""),
        ("/search", "Search", ""), ("/placed-in-our-area", "Children placed in our area", ""),
        ("/reports/quarterly", "Quarterly report", ""), ("/audit", "Audit log", "")]
    client.cookies.clear()
    sign_in(client, make_user(db, "analyst"))
    assert nav(client.get("/reports/quarterly").text) == [
        ("/reports/quarterly", "Quarterly report", "page")]
    client.cookies.clear()
    sign_in(client, make_user(db, "admin"))
    assert [(h, c) for h, _, c in nav(client.get("/admin/people").text)] == [
        ("/", ""), ("/admin/people", "page"), ("/admin/api-keys", ""),
        ("/admin/organisations", ""), ("/audit", "")]
    client.cookies.clear()
    assert nav(client.get("/login").text) == []


class Person:
    def __init__(self, role: str, second_factor_pending: bool = False) -> None:
        self.role, self.second_factor_pending = role, second_factor_pending


def test_a_page_within_a_part_of_the_service_marks_that_part() -> None:
    def marked(role: str, path: str) -> list[tuple[str, bool, bool]]:
        return [(str(i["href"]), bool(i["current"]), bool(i["active"]))
                for i in service_navigation(Person(role), path) if i["current"] or i["active"]]

    assert marked("manager", f"/episodes/{uuid4()}") == [("/episodes", False, True)]
    assert marked("manager", "/children/differences") == [("/episodes", False, True)]
    assert marked("manager", "/children/12") == [("/search", False, True)]
    assert marked("admin", "/admin/people/12") == [("/admin/people", False, True)]
    assert marked("placement_team", f"/placed-in-our-area/{uuid4()}") == [
        ("/placed-in-our-area", False, True)]
    assert marked("interviewer", f"/interviews/{uuid4()}/child") == []
    assert service_navigation(Person("manager", second_factor_pending=True), "/") == []
    assert service_navigation(None, "/") == []


def test_the_search_results_link_to_a_draft_that_names_no_case_id_yet(
        client: TestClient, db: Session) -> None:
    user = make_user(db, "interviewer")
    csrf = sign_in(client, user)
    started = client.post("/interviews/new", data={"csrf_token": csrf}, follow_redirects=False)
    draft_id = UUID(started.headers["location"].split("/")[2])
    client.post(f"/interviews/{draft_id}/child", data={
        "csrf_token": csrf, "child-given_name": "Drafty", "child-family_name": "Nocase"})

    page = searched(client, "drafty")

    assert f'href="/interviews/{draft_id}/check"' in page
    assert "a draft with no case id yet" in page


def test_the_work_list_and_the_home_page_link_to_the_childs_history(
        client: TestClient, db: Session) -> None:
    episode = an_episode(db, "803", "TEST-LINKED-1", days_ago=1)
    child = a_child(db, child__given_name="Linkia")
    sign_in(client, make_user(db, "manager"))

    assert f'href="/children/{episode.child_id}"' in client.get("/episodes").text
    assert f'href="/children/{child.child_id}"' in client.get("/").text


def test_a_child_without_a_case_id_is_matched_later_through_the_police_reference(
        client: TestClient, db: Session) -> None:
    # Recorded without a case id: the service gives a provisional one.
    provisional = a_child(db, child__local_id=DELETE, child__no_case_id=True,
                          episodes__0__police_reference="TEST-MP-7001")
    assert provisional.document["child"]["local_id"] == f"prov-{provisional.id.hex[:12]}"
    # Later the same child is recorded with their real case id and the same police reference.
    known = a_child(db, child__local_id="TEST-REAL-7001",
                    episodes__0__police_reference="TEST-MP-7001",
                    episodes__0__started_at="2026-03-01T18:00:00Z")
    unrelated = a_child(db, child__local_id="TEST-OTHER-7002",
                        episodes__0__police_reference="TEST-MP-9999")
    sign_in(client, make_user(db, "manager"))

    page = client.get(f"/children/{provisional.child_id}").text
    assert "Possibly the same child" in page and "(provisional" in page
    assert f'href="/children/{known.child_id}"' in page and "TEST-MP-7001" in page
    assert f'href="/children/{unrelated.child_id}"' not in page
    back = client.get(f"/children/{known.child_id}").text
    assert f'href="/children/{provisional.child_id}"' in back

    # Another authority's manager sees neither the match nor the provisional child.
    client.cookies.clear()
    sign_in(client, make_user(db, "manager", org="801"))
    assert client.get(f"/children/{provisional.child_id}").status_code == 404
