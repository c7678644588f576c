"""Who must be sent the findings of a record (`report-shared`), under a standard set.

Set 2026.1: the social worker (for the statuses that have one), the IRO (looked after) and the
responsible authority (placed out of area); no one for a child with no statutory status.
Set 2027.1, by status and risk: the authority's missing co-ordinator for every child; the
social worker (looked after, child protection plan, child in need) or, for a care leaver, the
personal adviser; the IRO (looked after); the police where exploitation or a crime against the
child is indicated; the host authority and the placement provider when the child is placed out
of area (the co-ordinator is the responsible authority's, so it is no longer listed apart).
"""

from __future__ import annotations

from typing import Final

from app.record.document import InterviewDocument
from app.standards.params import StandardSet

# How a finding names each recipient, in the order they are listed.
RECIPIENT_LABELS: Final = {
    "missing_coordinator": "the missing co-ordinator",
    "social_worker": "the social worker",
    "personal_adviser": "the personal adviser",
    "iro": "the IRO",
    "responsible_authority": "the responsible authority",
    "police": "the police",
    "host_authority": "the host authority",
    "placement_provider": "the placement provider",
}


def required_recipients(doc: InterviewDocument, params: StandardSet) -> tuple[str, ...]:
    """The `sharing.with` codes that must each receive the findings, in a fixed order."""
    child = doc.child
    risky = bool(params.police_indicators) and not params.police_indicators.isdisjoint(
        doc.risk_indicators)
    return _recipients(child.legal_status, child.out_of_area, risky, params)


def _recipients(legal_status: str | None, out_of_area: bool, police: bool,
                params: StandardSet) -> tuple[str, ...]:
    if not params.recipients_by_status_and_risk:
        return (
            *(("social_worker",) if legal_status in params.social_worker_statuses else ()),
            *(("iro",) if legal_status in params.iro_statuses else ()),
            *(("responsible_authority",) if out_of_area else ()),
        )
    return (
        "missing_coordinator",
        *(("social_worker",) if legal_status in params.social_worker_statuses else ()),
        *(("personal_adviser",) if legal_status in params.personal_adviser_statuses else ()),
        *(("iro",) if legal_status in params.iro_statuses else ()),
        *(("police",) if police else ()),
        *(("host_authority", "placement_provider") if out_of_area else ()),
    )
