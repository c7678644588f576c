"""Follow-up questions revealed under the answer they follow (issue 18, "fewer taps"), as the
server sees them: without JavaScript every follow-up is in the page and posts with the rest; a
follow-up is kept only with its answer, so changing the answer takes it out of the record (the
browser still holds its words while the page is open), and choosing the answer again with the
words puts it back. A follow-up to an answer since changed is never submitted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.interviews.helpers import (
    as_on_the_page,
    error_summary,
    fill_whole_interview,
    post,
    start,
    stored,
    when,
)

ONE_EPISODE = {"episodes-count": "1", "episodes-0-type": "missing",
               **when("episodes-0-started_at", 1, 3, 2026, "18:00"),
               **when("episodes-0-returned_at", 2, 3, 2026, "09:00")}
ONE_ACTION = {"actions-count": "1", "actions-0-type": "safety_plan", "sharing-count": "0",
              **when("actions-0-due_at", 20, 3, 2026, "17:00")}


@dataclass(frozen=True)
class FollowUp:
    slug: str
    question: str  # the field it follows
    answer: Any  # the answer it is revealed under
    other: Any  # another answer, under which it does not apply
    fields: dict[str, Any]  # the follow-up's fields, as typed
    stored_at: tuple[str | int, ...]  # where the record keeps it
    value: Any  # what the record keeps
    page: dict[str, Any] = field(default_factory=dict)  # the rest of the page, as posted

    @property
    def id(self) -> str:
        return f"{self.question}={self.answer}"


FOLLOW_UPS = [
    FollowUp("offer", "offer-outcome", "declined", "completed",
             {"offer-decline_reason": "I was tired and wanted to sleep."},
             ("offer", "decline_reason"), "I was tired and wanted to sleep.",
             when("offer-offered_at", 2, 3, 2026, "12:00")),
    FollowUp("offer", "offer-outcome", "not_offered", "declined",
             {"offer-not_offered_reason": "The child is in hospital; agreed with the manager."},
             ("offer", "not_offered_reason"),
             "The child is in hospital; agreed with the manager."),
    FollowUp("voice", "interview-shared_against_wishes", "yes", "no",
             {"interview-shared_against_wishes_reason": "The police must know where."},
             ("interview", "shared_against_wishes_reason"), "The police must know where."),
    FollowUp("actions", "actions-0-status", "done", "planned",
             when("actions-0-at", 3, 3, 2026, "15:00"), ("actions", 0, "at"),
             "2026-03-03T15:00:00Z", ONE_ACTION),
    FollowUp("episodes", "episodes-0-reported_to_police", "yes", "no",
             {"episodes-0-police_reference": "AV-2026-0042",
              "episodes-0-police_risk_grade": "medium"},
             ("episodes", 0, "police_reference"), "AV-2026-0042", ONE_EPISODE),
    # A checkbox's "Other" (revealed before this issue) follows the same rule.
    FollowUp("interview", "interview-push_factors", ["bullying", "other"], ["bullying"],
             {"interview-push_factors_other": "Wanted some space"},
             ("interview", "push_factors_other"), "Wanted some space"),
]


def kept(document: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = document
    for step in path:
        if isinstance(node, list):
            node = node[step] if isinstance(step, int) and step < len(node) else None
        elif isinstance(node, dict):
            node = node.get(step)
        if node is None:
            return None
    return node


def reveal(page: str, question: str, answer: str) -> str:
    """The markup GOV.UK reveals under one answer (the radio or checkbox and its content)."""
    control = re.search(rf'<input[^>]*name="{re.escape(question)}"[^>]*value="{answer}"[^>]*>',
                        page)
    assert control, (question, answer)
    controls = re.search(r'data-aria-controls="([^"]+)"', control.group(0))
    assert controls, f"{question}={answer} reveals nothing"
    opening = re.search(rf'<div class="govuk-(?:radios|checkboxes)__conditional[^"]*" '
                        rf'id="{controls.group(1)}">', page)
    assert opening, controls.group(1)
    return page[opening.start():opening.start() + 6000]


@pytest.mark.parametrize("follow_up", FOLLOW_UPS, ids=[f.id for f in FOLLOW_UPS])
def test_without_javascript_the_follow_up_is_in_the_page_under_its_answer_and_is_saved(
        client: TestClient, db: Session, csrf: str, follow_up: FollowUp) -> None:
    base = start(client, csrf)
    answer = follow_up.answer if isinstance(follow_up.answer, str) else follow_up.answer[-1]
    if follow_up.page:  # the row the follow-up belongs to
        post(client, f"{base}/{follow_up.slug}", csrf, **follow_up.page)

    page = client.get(f"{base}/{follow_up.slug}").text
    shown = reveal(page, follow_up.question, answer)
    saved = post(client, f"{base}/{follow_up.slug}", csrf, **{
        **follow_up.page, follow_up.question: follow_up.answer, **follow_up.fields})

    # Hidden only by GOV.UK's stylesheet once its script runs; without it, shown.
    assert "__conditional--hidden" in shown.split(">", 1)[0]
    for name in follow_up.fields:
        assert f'name="{name}"' in shown, name
    assert saved.status_code == 303, error_summary(saved.text)
    assert kept(stored(db, base), follow_up.stored_at) == follow_up.value
    again = reveal(client.get(f"{base}/{follow_up.slug}").text, follow_up.question, answer)
    assert "__conditional--hidden" not in again.split(">", 1)[0]  # its answer is chosen


@pytest.mark.parametrize("htmx", [True, False], ids=["autosave", "plain post"])
@pytest.mark.parametrize("follow_up", FOLLOW_UPS, ids=[f.id for f in FOLLOW_UPS])
def test_changing_the_answer_takes_its_follow_up_out_and_choosing_it_again_puts_it_back(
        client: TestClient, db: Session, csrf: str, follow_up: FollowUp, htmx: bool) -> None:
    base = start(client, csrf)
    url = f"{base}/{follow_up.slug}"
    with_answer = {**follow_up.page, follow_up.question: follow_up.answer, **follow_up.fields}
    assert post(client, url, csrf, htmx=htmx, **with_answer).status_code in (200, 303)

    # The browser hides the follow-up but still posts it, with the other answer.
    changed = post(client, url, csrf, htmx=htmx, **{**with_answer,
                                                   follow_up.question: follow_up.other})
    after_change = stored(db, base)
    back = post(client, url, csrf, htmx=htmx, **with_answer)

    assert changed.status_code in (200, 303), error_summary(changed.text)
    assert kept(after_change, follow_up.stored_at) is None
    assert back.status_code in (200, 303), error_summary(back.text)
    assert kept(stored(db, base), follow_up.stored_at) == follow_up.value


def test_a_follow_up_to_an_answer_changed_since_is_never_submitted(
        client: TestClient, db: Session, csrf: str) -> None:
    base = start(client, csrf)
    fill_whole_interview(client, base, csrf)
    reason = {"interview-shared_against_wishes_reason": "The police must know where."}
    post(client, f"{base}/voice", csrf, **as_on_the_page(
        db, base, **{"interview-shared_against_wishes": "yes", **reason}))
    assert stored(db, base)["interview"]["shared_against_wishes_reason"] == reason[
        "interview-shared_against_wishes_reason"]
    post(client, f"{base}/voice", csrf, **as_on_the_page(
        db, base, **{"interview-shared_against_wishes": "no", **reason}))

    submitted = client.post(f"{base}/submit", data={"csrf_token": csrf},
                            follow_redirects=False)

    assert submitted.status_code == 303, submitted.text[:2000]
    record = stored(db, base)["interview"]
    assert record["shared_against_wishes"] is False
    assert "shared_against_wishes_reason" not in record
    check = client.get(f"{base}/check").text
    assert "The police must know where." not in check


def test_a_done_time_on_a_planned_action_is_not_kept_and_asks_nothing_of_the_person(
        client: TestClient, db: Session, csrf: str) -> None:
    """Asked under "Done" only: typed, then "Planned" chosen, it is not an error beside a field
    the page no longer shows (the API, which shows nothing, still refuses it: not_done_yet)."""
    base = start(client, csrf)

    answer = post(client, f"{base}/actions", csrf, **{
        **ONE_ACTION, "actions-0-status": "planned", **when("actions-0-at", 3, 3, 2026, "15:00")})

    assert answer.status_code == 303, error_summary(answer.text)
    assert stored(db, base)["actions"] == [{
        "type": "safety_plan", "status": "planned", "due_at": "2026-03-20T17:00:00Z"}]


def test_an_action_with_no_status_keeps_its_done_time(
        client: TestClient, db: Session, csrf: str) -> None:
    """An action with no status is done (as before set 2027.1): its time applies, so a record
    holding one keeps it when its page is saved."""
    base = start(client, csrf)

    answer = post(client, f"{base}/actions", csrf, **{
        **ONE_ACTION, **when("actions-0-at", 3, 3, 2026, "15:00")})

    assert answer.status_code == 303, error_summary(answer.text)
    assert stored(db, base)["actions"][0]["at"] == "2026-03-03T15:00:00Z"
    page = client.get(f"{base}/actions").text  # shown as it was, not under an unchosen "Done"
    done = re.search(r'<input[^>]*name="actions-0-status"[^>]*value="done"[^>]*>', page)
    assert done and "aria-controls" not in done.group(0)
    assert "govuk-radios__conditional" not in page and 'id="actions-0-at-day"' in page
