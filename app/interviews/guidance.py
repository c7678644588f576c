"""What is still needed, while the form is filled in: the practice standards a record does not
yet meet, sorted by who can act on them, each linked to the field that holds its evidence.

- `fix`: the interviewer can record the evidence now (an offer time, the child's account, an
  action): linked to its field; a pending one shows its deadline.
- `manager`: for the manager (oversight of an exploitation case).
- `later`: not due yet, and nothing to type (the record submitted within 3 working days).
- `missed`: the deadline passed with the evidence late, or nothing typed now can change it; for
  information.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from app.core.errors import FieldError
from app.interviews import forms
from app.record.formats import parse_timestamp

# Where the evidence of each standard is recorded (the field's JSON Pointer).
EVIDENCE: Final = {
    "offer-within-72h": "/offer/offered_at",
    "interview-within-72h": "/interview/conducted_at",
    "independent-interviewer": "/interview/interviewer_role",
    "attempts-recorded": "/offer/attempts",
    "core-content": "/interview/where_stayed",
    "child-voice": "/interview/child_account",
    "sharing-explained": "/interview/information_sharing_explained",
    "harm-followed-up": "/actions",
    "cse-risk-assessed": "/interview/seraf_score",
    "exploitation-response": "/actions",
    "report-shared": "/sharing",
    "repeat-missing-reviewed": "/actions",
    "actions-followed-through": "/actions",
    "placing-authority-told": "/sharing",
}
FOR_MANAGERS: Final = frozenset({"manager-oversight"})
GROUPS: Final = ("fix", "manager", "later", "missed")


@dataclass(frozen=True)
class Item:
    code: str
    title: str
    detail: str
    group: str
    section: str | None  # the form section holding the evidence
    href: str | None  # the field, on its section page, coming back to the check page
    due_at: datetime | None


def group_of(finding: dict[str, Any]) -> str:
    code, result = finding["code"], finding["result"]
    if code in FOR_MANAGERS:
        return "manager"
    if result == "not_met" and finding.get("evidence_at") is not None:
        return "missed"  # recorded, but after the deadline: nothing to type changes it
    if code in EVIDENCE:
        return "fix"
    return "later" if result == "pending" else "missed"


def unmet(findings: list[dict[str, Any]], titles: dict[str, str],
          interview_id: object) -> list[Item]:
    """Every finding not met or pending, as something someone can act on."""
    items = []
    for finding in findings:
        if finding["result"] not in ("not_met", "pending"):
            continue
        group = group_of(finding)
        pointer = EVIDENCE.get(finding["code"]) if group == "fix" else None
        section = forms.section_for(pointer) if pointer else None
        href = (f"/interviews/{interview_id}/{section.slug}?return_to=check"
                f"#{anchor(pointer)}") if section and pointer else None
        due = finding.get("due_at")
        items.append(Item(finding["code"], titles.get(finding["code"], finding["code"]),
                          finding["detail"], group, section.slug if section else None, href,
                          parse_timestamp(due) if finding["result"] == "pending" and
                          isinstance(due, str) else None))
    return items


def anchor(pointer: str) -> str:
    """The id a link to the field goes to: a date's first box, as GOV.UK error summaries do."""
    target = forms.field_id(pointer)
    return f"{target}-day" if pointer.endswith(("_at", "/at", "date_of_birth")) else target


def needed_here(section: forms.Section, missing: list[FieldError], items: list[Item],
                interview_id: object) -> list[dict[str, str]]:
    """What this section still needs: fields required to submit, then standards' evidence."""
    needed = [{"text": forms.for_people(error).message, "href": f"#{anchor(error.pointer)}"}
              for error in forms.page_order(missing) if forms.belongs(error.pointer, section)]
    needed += [{"text": f"{item.title}: {item.detail}",
                "href": f"#{anchor(EVIDENCE[item.code])}"}
               for item in items if item.group == "fix" and item.section == section.slug]
    return needed
