"""Standards while filling in: each section says what it still needs, linked to the field; the
check page sorts what is not met into what you can fix, what is for your manager, what is not
due yet and what was missed, and a fix made from it comes back to it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.models import Organisation
from app.interviews import guidance, service
from tests.builders import actor as caller_of
from tests.builders import make_document, make_user, save_draft, sign_in
from tests.interviews.helpers import post


def finding(code: str, result: str, evidence: str | None = None) -> dict[str, object]:
    return {"code": code, "result": result, "evidence_at": evidence, "detail": "d.",
            "due_at": "2026-03-05T17:00:00Z", "set_version": "2026.1"}


def test_each_unmet_standard_goes_to_whoever_can_act_on_it() -> None:
    cases = {
        ("manager-oversight", "pending", None): "manager",
        ("offer-within-72h", "not_met", "2026-03-09T10:00:00Z"): "missed",
        ("offer-within-72h", "not_met", None): "fix",
        ("report-shared", "pending", None): "fix",
        ("report-within-3wd", "pending", None): "later",
        ("report-within-3wd", "not_met", None): "missed",
    }
    for (code, result, evidence), group in cases.items():
        assert guidance.group_of(finding(code, result, evidence)) == group, code


def draft_without_sharing(db: Session) -> str:
    draft = service.start_draft(db, caller_of())
    errors = save_draft(db, draft, caller_of(), {
        k: v for k, v in make_document(sharing=[]).items() if k != "id"})
    assert not errors
    db.commit()
    return str(draft.id)


def test_the_check_page_links_a_fix_to_its_field_and_the_fix_comes_back(
        client: TestClient, db: Session) -> None:
    csrf = sign_in(client, make_user(db, "interviewer"))
    interview_id = draft_without_sharing(db)

    check = client.get(f"/interviews/{interview_id}/check").text
    fixes = check.split('id="you-can-fix"')[1].split("</ul>")[0]
    link = re.search(r'href="([^"]*return_to=check#sharing[^"]*)"', fixes)
    assert link, fixes
    section = client.get(link.group(1).split("#")[0]).text
    assert 'name="return_to" value="check"' in section
    assert "Still needed on this page" in section
    saved = post(client, f"/interviews/{interview_id}/actions", csrf, action="continue",
                 return_to="check")

    assert saved.status_code == 303
    assert saved.headers["location"] == f"/interviews/{interview_id}/check"


def test_a_section_lists_its_missing_answers_linked_to_their_fields(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))
    draft = service.start_draft(db, caller_of())
    db.commit()

    page = client.get(f"/interviews/{draft.id}/child").text
    needed = page.split('id="needed-here"')[1].split("</details>")[0]

    assert 'href="#child-local_id"' in needed
    assert 'href="#child-date_of_birth-day"' in needed  # a date's first box
    assert "#episodes" not in needed  # another section's answers are that section's


def test_the_check_page_shows_every_answer_with_organisation_names(
        client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "interviewer"))
    draft = service.start_draft(db, caller_of())
    document = make_document(
        episodes__0__police_reference="TEST-PR-77", interview__location_type="school",
        interview__child_chose_interviewer=True, interview__travel="By train",
        interview__locations=[{"description": "A park", "postcode": "BS1 4DJ"}])
    assert not save_draft(db, draft, caller_of(),
                          {k: v for k, v in document.items() if k != "id"})
    db.commit()

    page = client.get(f"/interviews/{draft.id}/check").text

    name = db.execute(select(col(Organisation.name)).where(
        col(Organisation.code) == "803")).scalar_one()
    for shown in ("TEST-PR-77", "School", "By train", "A park BS1 4DJ",
                  "The child chose the interviewer", f"{name} (803)"):
        assert shown in page, shown
