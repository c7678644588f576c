"""What a demo interview record says: the document, in the data dictionary's names, built from
what the plan decided (`records.Facts`), with the interview's content chosen to fit the child
(the factors and places of a child drawn into county lines are not those of a child who ran
from an argument at home). Every word is invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from app.demo import cast
from app.demo.children import DemoChild
from app.record.formats import format_timestamp

PLACES: Final = ("a friend's flat", "a park", "a relative's house", "a car park",
                 "the town centre", "a fast-food restaurant", "the bus station",
                 "a shopping centre", "an older friend's house", "a house party")
WITH_WHOM: Final = ("Friends from school", "A friend", "On their own", "Their older brother",
                    "A group of older young people", "Their boyfriend or girlfriend",
                    "People they met online", "Adults they did not name")
FEELINGS: Final = ("Tired but glad to be back.", "Worried about school.",
                   "Fine, wants to move on.", "Angry with the people at home.",
                   "Embarrassed that the police were called.", "Low, and finding things hard.")
INTERVIEWERS: Final = ("Robin Sample", "Jo Example", "Ash Placeholder", "Kit Demoford")
OWNERS: Final = (("Sam Worker", "Children's social care"), ("Jo Carer", "Placement provider"),
                 ("Lee Teacher", "School"), ("Pat Nurse", "Health"),
                 ("DC Alex Notreal", "Avon and Somerset Police"),
                 ("Robin Sample", "Avon Return Interview Service"))
DECLINE_REASONS: Final = (
    "Did not want to talk about it.", "Said it was a one-off and they are fine.",
    "Already talks to their social worker and did not want another worker.",
    "Angry that the police were called; did not want to speak to anyone.",
    "Wanted to speak to their key worker instead.")
NOT_OFFERED_REASONS: Final = (
    "Synthetic reason: the child was in hospital until after the deadline.",
    "Synthetic reason: the child moved out of the area before an offer could be made.",
    "Synthetic reason: the child was remanded in custody.")
ATTEMPT_RESULTS: Final = ("No answer", "Not at home when visited", "Carer said the child was out",
                          "Left a message", "Arranged a visit; the child was not there")

# What children tell, by the exploitation they are at risk of (or none).
STORIES: Final = {
    None: {"push": ("family_conflict", "boundaries_or_rules", "school_problems",
                    "placement_unhappy", "bullying", "mental_health", "loneliness_or_isolation",
                    "bereavement_or_loss", "domestic_abuse"),
           "pull": ("family_or_friends", "relationship", "parties", "peer_pressure",
                    "drugs_or_alcohol"),
           "risks": ("missing_with_peers", "substance_misuse", "unknown_adults", "self_harm")},
    "criminal": {"push": ("boundaries_or_rules", "school_problems", "placement_unhappy",
                          "family_conflict"),
                 "pull": ("gang_association", "money_or_gifts", "peer_pressure",
                          "drugs_or_alcohol"),
                 "risks": ("criminal_exploitation", "county_lines", "found_out_of_area",
                           "several_phones_or_sims", "found_with_drugs_or_cash",
                           "debt_or_fear_of_reprisal", "weapons", "unexplained_money_or_gifts")},
    "sexual": {"push": ("family_conflict", "placement_unhappy", "loneliness_or_isolation",
                        "abuse_or_neglect"),
               "pull": ("relationship", "adult_of_concern", "online_contact", "parties",
                        "money_or_gifts"),
               "risks": ("sexual_exploitation", "adult_of_concern", "vehicles_unknown_adults",
                         "hotels_or_parties", "online_exploitation",
                         "unexplained_money_or_gifts")},
}
ACCOUNTS: Final = {
    None: "Synthetic account: after {push} they went to {place} and stayed with {whom}; came "
          "back when {back}.",
    "criminal": "Synthetic account: an older boy asked them to go to {far} to 'help a friend'; "
                "they stayed in {place} and came back when {back}. They would not say more.",
    "sexual": "Synthetic account: they went to meet someone they had been talking to online "
              "and stayed at {place}; came back when {back}. They said they were fine.",
}


@dataclass(slots=True)
class ActionFact:
    type: str
    owner: str
    agency: str
    status: str  # "done", "planned" or "not_done"
    at: datetime | None = None  # when done
    due_at: datetime | None = None
    outcome: str | None = None  # why not done


@dataclass(slots=True)
class Facts:
    """What happened after the child came back, as the record will tell it."""

    outcome: str
    offered_at: datetime | None = None
    attempts: list[tuple[datetime, str, str]] = field(default_factory=list)
    conducted_at: datetime | None = None
    decline_reason: str | None = None
    not_offered_reason: str | None = None
    carer_information: str | None = None
    risk_indicators: tuple[str, ...] = ()
    harm_disclosed: str = "no"
    actions: list[ActionFact] = field(default_factory=list)
    sharing: list[tuple[str, datetime]] = field(default_factory=list)
    content: dict[str, Any] = field(default_factory=dict)  # the interview's other answers


def postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.choice(cast.INWARD)}"


def interview_content(rng: random.Random, child: DemoChild, facts: Facts, *,
                      via_form: bool, story_place: str, brought_back: str) -> dict[str, Any]:
    """The interview's answers besides the times, the risks and the harm: chosen once per
    record, so every version of it says the same. Now and then an answer the standards look
    for is left out (core content, the child's voice, the views on sharing)."""
    story = STORIES[child.exploitation]
    push = rng.sample(story["push"], k=rng.choice((1, 1, 2, 2, 3)))
    pull = rng.sample(story["pull"], k=rng.choice((1, 1, 2)))
    independent = rng.random() < 0.9
    role = "independent_rhi_worker" if independent else rng.choice(
        ("social_worker", "youth_worker", "residential_staff"))
    place = rng.choice(PLACES)
    whom = rng.choice(WITH_WHOM)
    far = rng.choice(("Bridgwater", "Exeter", "Cardiff", "Birmingham", "London"))
    views = rng.choices(("agrees", "agrees_in_part", "objects", "not_given"),
                        weights=(62, 18, 8, 12))[0]
    content: dict[str, Any] = {
        "mode": rng.choices(("in_person", "phone", "video"), weights=(80, 13, 7))[0],
        "location_type": rng.choice(("home", "placement", "school", "neutral_venue")),
        "interviewer_name": "Demo Interviewer" if via_form else rng.choice(INTERVIEWERS),
        "interviewer_role": role,
        "interviewer_relationship": "none" if independent else rng.choice(
            ("case_worker", "carer_or_placement_staff", "other")),
        "interviewer_trained": rng.random() < 0.95,
        "push_factors": push, "pull_factors": pull,
        "where_stayed": place, "with_whom": whom,
        "locations": [{"description": story_place, "postcode": postcode(rng, district)}
                      for district in _districts(rng, child)],
        "child_account": ACCOUNTS[child.exploitation].format(
            push=push[0].replace("_", " "), place=place, whom=whom.lower(), far=far,
            back=brought_back),
        "child_wishes": rng.choice(("To be listened to at home.", "To change placement.",
                                    "To go back to school.", "No wishes given.")),
        "read_back_to_child": rng.random() < 0.88,
        "information_sharing_explained": rng.random() < 0.93,
        "views_on_sharing": views, "lawful_basis": "public_task",
        "feelings_now": rng.choice(FEELINGS),
        "afraid_of_anyone": rng.choices(("no", "yes", "not_said"), weights=(70, 10, 20))[0],
        "safety_information_given": rng.random() < 0.9,
        "education": rng.choice(("Synthetic: goes to school most days.",
                                 "Synthetic: excluded; on a part-time timetable.",
                                 "Synthetic: at college.", "Synthetic: not in education.")),
    }
    if rng.random() < 0.15:
        content["child_chose_interviewer"] = True
    if views in ("objects", "agrees_in_part"):
        content["shared_against_wishes"] = rng.random() < 0.5
        if content["shared_against_wishes"]:
            content["shared_against_wishes_reason"] = (
                "Synthetic: the social worker must know to keep the child safe.")
            content["child_told_of_sharing"] = rng.random() < 0.85
    if child.exploitation == "sexual" and rng.random() < 0.3:
        content["seraf_score"] = rng.randint(6, 24)
    # Now and then an answer the standards look for is missing.
    for key in ("with_whom", "pull_factors", "read_back_to_child", "views_on_sharing"):
        if rng.random() < 0.03:
            content.pop(key)
    return content


def _districts(rng: random.Random, child: DemoChild) -> list[str]:
    home = cast.DISTRICTS[child.lives_in]
    if child.exploitation == "criminal":
        return [rng.choice(cast.COUNTY_LINES_DISTRICTS)]
    return [rng.choice(home)] if rng.random() < 0.7 else []


def _when(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def document(record_id: UUID | None, child: DemoChild, episodes: list[dict[str, Any]],
             facts: Facts) -> dict[str, Any]:
    """The record's document as the API takes it (the form takes the same, typed into its
    sections); without `record_id`, the id is the draft's own."""
    doc: dict[str, Any] = {
        "child": {
            "local_id": child.local_id, "given_name": child.given_name,
            "family_name": child.family_name,
            "date_of_birth": child.date_of_birth.isoformat(), "gender": child.gender,
            "ethnicity": child.ethnicity, "legal_status": child.legal_status,
            "responsible_authority": child.responsible_authority,
            "uasc": child.uasc, "disability_or_send": child.disability_or_send,
            "placement_type": child.placement_type,
            **({"placement_authority": child.placement_authority}
               if child.placement_authority else {}),
        },
        "episodes": episodes,
        "offer": {"outcome": facts.outcome},
        "actions": [{k: v for k, v in {
            "type": a.type, "owner": a.owner, "agency": a.agency, "status": a.status,
            "at": _when(a.at), "due_at": _when(a.due_at), "outcome": a.outcome}.items()
            if v is not None} for a in facts.actions],
        "sharing": [{"with": recipient, "at": format_timestamp(moment)}
                    for recipient, moment in facts.sharing],
    }
    if record_id is not None:
        doc = {"id": str(record_id), **doc}
    offer = doc["offer"]
    for key, value in (("offered_at", _when(facts.offered_at)),
                       ("decline_reason", facts.decline_reason),
                       ("not_offered_reason", facts.not_offered_reason),
                       ("carer_information", facts.carer_information)):
        if value is not None:
            offer[key] = value
    if facts.attempts:
        offer["attempts"] = [{"at": format_timestamp(moment), "method": method,
                              "result": result} for moment, method, result in facts.attempts]
    if facts.outcome == "completed":
        doc["interview"] = {"conducted_at": _when(facts.conducted_at), **facts.content,
                            "harm_disclosed": facts.harm_disclosed,
                            "risk_indicators": list(facts.risk_indicators)}
    return doc
