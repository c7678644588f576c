"""Oversight as a decision: a manager reads the record, then approves it or returns it, with an
oversight note either way (and, to approve, their word that they read the record); the decision
is kept and shown; the interviewer opens a returned record to the manager's comment; the queue
says what needs a decision; and each version says what changed."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.core.types import utcnow
from app.interviews import service, storage
from app.interviews.oversight import oversight_queue
from app.record.models import Interview
from app.standards.calendar import add_working_days
from tests.builders import make_org, make_user, record, sign_in, template_of
from tests.interviews.helpers import as_on_the_page, error_summary, post, title

NOTE = "Read the account; the safety plan covers the risks. Strategy meeting on Friday."


def recent(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cse_case(db: Session, **overrides: object) -> Interview:
    """A record submitted now about a return yesterday, with a sexual exploitation indicator."""
    return record(db, "803", **{
        "child__given_name": "Casey",
        "episodes__0__started_at": recent(40), "episodes__0__returned_at": recent(30),
        "offer__offered_at": recent(20), "interview__conducted_at": recent(10),
        "interview__risk_indicators": ["sexual_exploitation"],
        "actions": [{"type": "seraf_assessment", "at": recent(5)}],
        "sharing": [{"with": w, "at": recent(4)}
                    for w in ("social_worker", "iro", "responsible_authority")],
        **overrides})


def text_of(page: str) -> str:
    """The page's words, tags taken out and spaces made single."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def stored(db: Session, interview: Interview) -> Interview:
    db.expire_all()
    found = db.get(Interview, interview.id)
    assert found is not None
    return found


def test_approving_needs_an_oversight_note_and_the_confirmation(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    csrf = sign_in(client, make_user(db, "manager", org="803"))

    nothing = post(client, f"/interviews/{interview.id}/approve", csrf)
    unconfirmed = post(client, f"/interviews/{interview.id}/approve", csrf,
                       oversight_note=NOTE)

    assert nothing.status_code == 422
    assert template_of(nothing) == "interviews/record.html"
    assert title(nothing.text).startswith("Error: ")
    assert error_summary(nothing.text) == [
        "Enter your oversight note: what you checked and what you decided",
        "Confirm that you have read the record and the child's account"]
    assert 'href="#oversight_note"' in nothing.text and 'href="#read_record"' in nothing.text
    assert unconfirmed.status_code == 422
    assert error_summary(unconfirmed.text) == [
        "Confirm that you have read the record and the child's account"]
    assert html.escape(NOTE, quote=False) in unconfirmed.text  # what was typed is kept
    assert stored(db, interview).status == "submitted"


def test_the_decision_comes_after_the_record_and_the_childs_account(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    sign_in(client, make_user(db, "manager", org="803"))

    page = client.get(f"/interviews/{interview.id}").text

    words = text_of(page)
    decision = words.index("Your decision Approve the record, or return it")
    for part in ("The child's account", "A synthetic account for testing.", "Risk indicators",
                 "Actions and sharing", "Practice standards"):
        assert words.index(part) < decision, part
    assert page.index(f'action="/interviews/{interview.id}/approve"') > page.index(
        'id="decision"')


def test_an_approval_is_kept_with_its_note_and_shown_on_the_record(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    manager = make_user(db, "manager", org="803", name="Morgan Manager")
    csrf = sign_in(client, manager)

    approved = post(client, f"/interviews/{interview.id}/approve", csrf,
                    oversight_note=f"  {NOTE}  ", read_record="yes")

    assert approved.status_code == 303
    assert approved.headers["location"] == f"/interviews/{interview.id}?decided=approved"
    kept = stored(db, interview)
    assert (kept.status, kept.approved_by, kept.oversight_note) == ("approved", manager.id, NOTE)
    version = storage.versions(db, kept)[-1]
    assert (version.decision, version.decided_by, version.oversight_note) == (
        "approved", manager.id, NOTE)
    page = client.get(approved.headers["location"])
    words = text_of(page.text)
    assert "You approved the record for Casey Child" in words
    assert 'href="/#oversight"' in page.text  # back to the queue
    assert "Approved by Morgan Manager on " in words and f": {NOTE}" in words
    assert 'action="/interviews/' not in page.text  # nothing more to decide
    # The interviewer sees the decision too, and the banner is for the one who decided.
    client.cookies.clear()
    sign_in(client, make_user(db, "interviewer", org="803"))
    later = text_of(client.get(approved.headers["location"]).text)
    assert "Approved by Morgan Manager on " in later and NOTE in later


def test_a_return_needs_a_note_and_the_interviewer_opens_the_record_to_it(
        client: TestClient, db: Session) -> None:
    interview = cse_case(db)
    csrf = sign_in(client, make_user(db, "manager", org="803", name="Morgan Manager"))
    comment = "Please record who the child was with, and the police reference."

    empty = post(client, f"/interviews/{interview.id}/return", csrf, comment=" ")
    returned = post(client, f"/interviews/{interview.id}/return", csrf, comment=comment)

    assert empty.status_code == 422
    assert error_summary(empty.text) == [
        "Enter a comment saying what the interviewer should change"]
    assert returned.status_code == 303
    manager_page = text_of(client.get(returned.headers["location"]).text)
    assert "You returned the record for Casey Child to the interviewer" in manager_page
    kept = stored(db, interview)
    assert (kept.status, kept.returned_comment) == ("returned", comment)
    assert storage.versions(db, kept)[-1].decision == "returned"
    client.cookies.clear()
    sign_in(client, make_user(db, "interviewer", org="803"))
    for url in (f"/interviews/{interview.id}/child", f"/interviews/{interview.id}/voice",
                f"/interviews/{interview.id}/check", f"/interviews/{interview.id}"):
        page = client.get(url).text
        banner = page[page.index('class="govuk-notification-banner"'):]
        assert "Returned for changes" in banner, url
        assert "Returned by Morgan Manager on " in text_of(banner), url
        assert comment in text_of(banner), url


def test_nobody_approves_what_they_wrote_even_with_a_note(client: TestClient,
                                                          db: Session) -> None:
    manager = make_user(db, "manager", org="803")
    interview = cse_case(db)
    interview.created_by_user_id = manager.id
    db.flush()
    csrf = sign_in(client, manager)

    page = client.get(f"/interviews/{interview.id}").text
    refused = post(client, f"/interviews/{interview.id}/approve", csrf, oversight_note=NOTE,
                   read_record="yes")

    assert "another manager must approve it" in page
    assert f'action="/interviews/{interview.id}/approve"' not in page
    assert f'action="/interviews/{interview.id}/return"' in page  # returning is still theirs
    assert refused.status_code == 403
    assert stored(db, interview).status == "submitted"


def test_the_queue_says_what_needs_sign_off_what_is_due_soon_and_what_was_missed(
        client: TestClient, db: Session) -> None:
    manager = make_user(db, "manager", org="803")
    viewer = Caller(label=f"user:{manager.id}", organisation_code="803", user_id=manager.id)
    exploitation = cse_case(db)
    waiting = record(db, "803", child__given_name="Wren")  # March: submitted late
    returned = cse_case(db, child__given_name="Rowan")
    service.return_to_interviewer(db, returned, viewer, "Add the police reference.")
    # Four working days after they were submitted: the returned case's oversight is due
    # within two more, and the exploitation case waits for sign-off.
    now = add_working_days(utcnow(), 4) - timedelta(hours=12)

    queue = oversight_queue(db, viewer, now)

    sign_off, due_soon, missed = queue.groups
    assert [g.title for g in queue.groups] == [
        "Needs your sign-off", "Due in the next two working days", "Missed, for information"]
    assert [i.interview.id for i in sign_off.items] == [exploitation.id, waiting.id]
    assert sign_off.total == 2
    assert sign_off.items[0].awaiting_oversight
    assert sign_off.items[0].reasons[0].startswith(
        "Exploitation case, for a manager's oversight: Exploitation is recorded (")
    assert "not approved by a manager yet" in sign_off.items[0].reasons[0]
    assert sign_off.items[1].reasons[0].startswith("Submitted on ")
    assert "waiting for a manager to approve it" in sign_off.items[1].reasons[0]
    # Set 2027.1 adds deadlines (the exploitation response, sharing with the co-ordinator), so
    # the other exploitation case may be due soon too; the returned one is there for oversight.
    soon = {i.interview.id: i for i in due_soon.items}
    assert returned.id in soon
    assert any(r.startswith("A manager oversees every case with any form of exploitation. "
                            "Exploitation is recorded")
               for r in soon[returned.id].reasons)
    assert waiting.id in [i.interview.id for i in missed.items]
    wren = next(i for i in missed.items if i.interview.id == waiting.id)
    assert any(r.startswith("The interview record is submitted within 3 working days")
               for r in wren.reasons)
    assert all(item.reasons and all(item.reasons) for g in queue.groups for item in g.items)

    sign_in(client, manager)
    home = text_of(client.get("/").text)
    assert "Needs your sign-off (2)" in home
    assert "Due in the next two working days (" in home
    assert "Missed, for information (" in home
    assert "Exploitation case, for a manager's oversight" in home


def test_a_manager_who_wrote_a_record_sees_why_another_must_sign_it_off(
        db: Session) -> None:
    manager = make_user(db, "manager", org="803")
    viewer = Caller(label=f"user:{manager.id}", organisation_code="803", user_id=manager.id)
    interview = cse_case(db)
    interview.created_by_user_id = manager.id
    db.flush()

    item = oversight_queue(db, viewer).groups[0].items[0]

    assert item.reasons[-1] == ("You wrote or changed this record, so another manager must "
                                "approve it.")


def resubmitted(client: TestClient, db: Session) -> Interview:
    """A record submitted, returned by a manager, changed and submitted again (version 2)."""
    interview = cse_case(db)
    csrf = sign_in(client, make_user(db, "manager", org="803"))
    post(client, f"/interviews/{interview.id}/return", csrf, comment="Say where they stayed.")
    client.cookies.clear()
    csrf = sign_in(client, make_user(db, "interviewer", org="803"))
    base = f"/interviews/{interview.id}"
    changed = post(client, f"{base}/interview", csrf, **as_on_the_page(db, base, **{
        "interview-child_account": "The child said they stayed at a friend's flat."}))
    assert changed.status_code == 303, error_summary(changed.text)
    changed = post(client, f"{base}/voice", csrf, **as_on_the_page(db, base, **{
        "interview-information_sharing_explained": "yes"}))
    assert changed.status_code == 303, error_summary(changed.text)
    assert post(client, f"/interviews/{interview.id}/submit", csrf).status_code == 303
    return stored(db, interview)


def test_a_version_says_what_changed_in_plain_words(client: TestClient, db: Session) -> None:
    interview = resubmitted(client, db)
    assert interview.version == 2
    before = db.execute(select(AuditEntry.id).order_by(col(AuditEntry.id).desc())).scalar()

    answer = client.get(f"/interviews/{interview.id}/versions/2")

    assert answer.status_code == 200
    assert template_of(answer) == "interviews/version.html"
    words = text_of(answer.text)
    assert "Version 2: what changed" in words
    assert ("The child's account A synthetic account for testing. The child said they stayed "
            "at a friend's flat.") in words
    assert "Returned to the interviewer" not in words  # version 2 waits for its decision
    first = text_of(client.get(f"/interviews/{interview.id}/versions/1").text)
    assert "This is the first version submitted" in first
    assert "Returned to the interviewer by " in first and "Say where they stayed." in first
    reads = db.execute(select(AuditEntry).where(col(AuditEntry.id) > before,
                                                col(AuditEntry.action) == "interview.view")
                       ).scalars().all()
    assert [r.details for r in reads][:1] == [{"page": "versions", "version": 2}]
    record_page = client.get(f"/interviews/{interview.id}").text
    assert f'href="/interviews/{interview.id}/versions/2"' in record_page


def test_another_organisations_versions_are_not_found_like_a_missing_id(
        client: TestClient, db: Session) -> None:
    make_org(db, "801")
    theirs = record(db, "801", child__responsible_authority="801",
                    child__placement_authority="801")
    mine = record(db, "803")
    sign_in(client, make_user(db, "manager", org="803"))

    hidden = client.get(f"/interviews/{theirs.id}/versions/1")
    missing = client.get(f"/interviews/{uuid4()}/versions/1")
    no_such_version = client.get(f"/interviews/{mine.id}/versions/2")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text
    assert no_such_version.status_code == 404
