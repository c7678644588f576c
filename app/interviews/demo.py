"""Synthetic interview documents, one at a time and each on its own, for the benchmarks
(`bench/`) and the tests that need many records fast. Every name and detail is made up; no real
person appears here. The demo's history, where children, episodes and records hang together
over two years, is `app/demo/`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.record import codes

GIVEN = ("Alex", "Sam", "Jordan", "Riley", "Casey", "Morgan", "Jamie", "Taylor", "Robin", "Charlie")
FAMILY = ("Testington", "Sampleford", "Demoson", "Exampleby", "Fictional", "Madeup", "Placeholder")
PLACES = ("a friend's flat", "a park", "a relative's house", "a car park", "the town centre")
FEELINGS = ("Tired but glad to be back.", "Worried about school.", "Fine, wants to move on.",
            "Angry with the people at home.")
OWNERS = ("Sam Worker", "Jo Carer", "Lee Teacher", "Pat Nurse")
AGENCIES = ("Children's social care", "Avon and Somerset Police", "School", "Health")


def offered(table: dict[str, str], field: str, *leave_out: str) -> list[str]:
    """The codes of a list a new record may use, sorted: none deprecated, none left out."""
    deprecated = codes.DEPRECATED.get(field, {})
    return sorted(code for code in table if code not in deprecated and code not in leave_out)


def synthetic_document(rng: random.Random, now: datetime, authorities: tuple[str, ...],
                       index: int) -> dict[str, Any]:
    """One plausible, valid interview document, varied enough to exercise every standard."""
    authority = rng.choice(authorities)
    placement = rng.choice(authorities) if rng.random() < 0.3 else None
    # At least a week ago: the offer (up to 110 hours on) and the interview are both past.
    returned = now - timedelta(days=rng.randint(7, 700), hours=rng.randint(0, 23))
    started = returned - timedelta(hours=rng.randint(2, 96))
    outcome = rng.choices(("completed", "declined", "not_achieved", "not_offered"),
                          weights=(70, 15, 10, 5))[0]
    offered_at = returned + timedelta(hours=rng.randint(1, 110))
    risks = rng.sample(offered(codes.RISK_INDICATORS, "risk_indicators"),
                       k=rng.choice((0, 0, 1, 2, 3)))
    doc: dict[str, Any] = {
        "id": str(UUID(int=rng.getrandbits(128), version=4)),
        "child": {
            "local_id": f"DEMO-{index % 4000:05d}",
            "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
            "date_of_birth": (started.date() - timedelta(days=rng.randint(11 * 365, 17 * 365))
                              ).isoformat(),
            "gender": rng.choice(("female", "male", "female", "other", "not_known")),
            "ethnicity": rng.choice(sorted(codes.ETHNICITY)),
            "legal_status": rng.choice(sorted(codes.LEGAL_STATUS)[:-1]),
            "responsible_authority": authority,
            "uasc": rng.random() < 0.05,
            "disability_or_send": rng.choice(sorted(codes.DISABILITY_OR_SEND)),
            "placement_type": rng.choice(sorted(codes.PLACEMENT_TYPE)),
            **({"placement_authority": placement} if placement else {}),
        },
        "episodes": [{
            "type": rng.choice(("missing", "away")),
            "started_at": started.isoformat(), "returned_at": returned.isoformat(),
            "reported_to_police": rng.random() < 0.8,
            "police_risk_grade": rng.choice(sorted(codes.POLICE_RISK_GRADE)),
            "found_postcode": rng.choice(("BS16 1QY", "BS1 5TR", "BS35 4AA", "BA1 1AA")),
            "brought_back_by": rng.choice(sorted(codes.BROUGHT_BACK_BY)),
        }],
        "offer": {"outcome": outcome},
        "actions": [],
        "sharing": [],
    }
    if outcome == "not_offered":
        doc["offer"]["not_offered_reason"] = "Synthetic reason: the child was in hospital."
    else:
        doc["offer"]["offered_at"] = offered_at.isoformat()
    if outcome in ("declined", "not_achieved"):
        doc["offer"]["attempts"] = [
            {"at": (offered_at + timedelta(days=d)).isoformat(), "method": "phone",
             "result": "No answer"} for d in range(rng.randint(1, 3))]
        doc["offer"]["decline_reason"] = "Did not want to talk."
    if doc["episodes"][0]["reported_to_police"] and rng.random() < 0.6:
        doc["episodes"][0]["prevention_interview_at"] = (
            returned + timedelta(hours=rng.randint(1, 12))).isoformat()
    if outcome == "completed":
        conducted = offered_at + timedelta(hours=rng.randint(1, 48))
        role = rng.choice(("independent_rhi_worker",) * 4 + ("social_worker",))
        doc["interview"] = {
            "conducted_at": conducted.isoformat(), "mode": rng.choice(sorted(codes.MODE)),
            "interviewer_role": role,
            "interviewer_relationship": "none" if role == "independent_rhi_worker"
            else "case_worker",
            "interviewer_trained": rng.random() < 0.9,
            "child_account": "Synthetic account written for the demo.",
            "push_factors": rng.sample(offered(codes.PUSH_FACTORS, "push_factors", "other",
                                               "none_identified"), 2),
            "where_stayed": rng.choice(PLACES), "with_whom": "Friends",
            "pull_factors": rng.sample(offered(codes.PULL_FACTORS, "pull_factors", "other",
                                               "none_identified"), 1),
            "feelings_now": rng.choice(FEELINGS),
            "afraid_of_anyone": rng.choice(sorted(codes.AFRAID_OF_ANYONE)),
            "harm_disclosed": rng.choice(("yes", "no", "no", "not_known")),
            "risk_indicators": risks,
            "safety_information_given": rng.random() < 0.9,
            "education": "Synthetic: goes to school most days.",
            "read_back_to_child": rng.random() < 0.8,
            "information_sharing_explained": rng.random() < 0.8,
            "views_on_sharing": rng.choice(sorted(codes.VIEWS_ON_SHARING)),
            "lawful_basis": "public_task",
            "child_told_of_sharing": rng.random() < 0.9,
        }
        if doc["interview"]["views_on_sharing"] == "objects":
            doc["interview"]["shared_against_wishes"] = True
            doc["interview"]["shared_against_wishes_reason"] = (
                "Synthetic: the social worker must know to keep the child safe.")
        if "sexual_exploitation" in risks or rng.random() < 0.1:
            doc["interview"]["seraf_score"] = rng.randint(0, 20)
        if risks or doc["interview"]["harm_disclosed"] == "yes":
            doc["actions"].append({
                "type": rng.choice(("mash_referral", "safety_plan", "police_intelligence")),
                "owner": rng.choice(OWNERS), "agency": rng.choice(AGENCIES), "status": "done",
                "at": (conducted + timedelta(hours=rng.randint(1, 60))).isoformat()})
        if rng.random() < 0.3:
            doc["actions"].append({
                "type": "follow_up_support", "owner": rng.choice(OWNERS),
                "agency": rng.choice(AGENCIES), "status": "planned",
                "due_at": (conducted + timedelta(days=rng.randint(3, 30))).isoformat()})
        doc["sharing"].append({"with": "social_worker",
                               "at": (conducted + timedelta(days=rng.randint(0, 8))).isoformat()})
    return doc
