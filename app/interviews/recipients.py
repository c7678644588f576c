"""Who a record's findings go to, for the record page's links to the report for each recipient
(`app/interviews/reports.py` renders the reports)."""

from __future__ import annotations

from typing import Any, Final

from app.interviews import storage
from app.record import codes
from app.record.models import Interview
from app.standards.params import set_for
from app.standards.recipients import required_recipients

REPORT_FOR: Final = {
    "missing_coordinator": "the missing co-ordinator",
    "social_worker": "the social worker",
    "personal_adviser": "the personal adviser",
    "iro": "the Independent Reviewing Officer",
    "responsible_authority": "the responsible authority",
    "police": "the police",
    "school": "the school",
    "health": "health",
    "parent_or_carer": "the parent or carer",
    "host_authority": "the host authority",
    "placement_provider": "the placement provider",
}


def required_for(interview: Interview) -> tuple[str, ...]:
    """The recipients the record's standard set requires for it, in the set's order."""
    return required_recipients(storage.typed(interview), set_for(interview.standard_set))


def recipient_reports(interview: Interview) -> dict[str, Any]:
    """For the record page: the reports of the recipients the standards require, and the rest."""
    required = required_for(interview)

    def link(code: str) -> dict[str, str]:
        return {"code": code, "label": codes.SHARING_WITH[code],
                "text": f"Report for {REPORT_FOR[code]}",
                "href": f"/interviews/{interview.id}/report/{code}"}
    return {"set": set_for(interview.standard_set).version,
            "required": [link(code) for code in required],
            "others": [link(code) for code in codes.SHARING_WITH if code not in required]}
