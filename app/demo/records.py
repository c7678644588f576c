"""One demo record's life, planned: the offer and the interview (or the attempts, or why none
was offered), the risks found and what was done about them, who the report went to, when it
was written up and submitted, the manager's decision, and the later versions (a record
returned and put right; a follow-up plan's outcomes recorded).

Most of what the 2027.1 standards look for is there; some of it is late or missing, as in real
work: offers and interviews within and outside 72 hours, a record submitted late, an
exploitation response with a part missing, a plan not followed through.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from app.demo.children import DemoChild
from app.demo.documents import (
    ATTEMPT_RESULTS,
    DECLINE_REASONS,
    NOT_OFFERED_REASONS,
    OWNERS,
    STORIES,
    ActionFact,
    Facts,
    document,
    interview_content,
)
from app.demo.episodes import EpisodePlan
from app.demo.steps import Step
from app.demo.times import after, office_days_later, office_time, visit_time
from app.record.codes import EXPLOITATION_INDICATORS, NRM_INDICATORS, POLICE_INDICATORS
from app.standards.calendar import add_working_days

APPROVAL_NOTES: Final = (
    "Synthetic note: read the record and the child's account; the plan is proportionate.",
    "Synthetic note: checked the risks and the sharing; agree with the actions.",
    "Synthetic note: exploitation concerns seen; strategy discussion and NRM in hand.")
RETURN_COMMENTS: Final = {
    "sharing": "Please add who the report was shared with.",
    "read_back": "Please say whether the account was read back to the child.",
    "wishes": "Please record what the child wants to happen next.",
}
HARM_ACTIONS: Final = ("mash_referral", "safety_plan", "social_care_referral",
                       "police_intelligence")
REVIEWS: Final = ("strategy_discussion", "risk_management_meeting", "looked_after_review")


@dataclass(slots=True)
class RecordPlan:
    id: UUID  # the record's id through the API (a draft on the form gets the service's own)
    child: DemoChild
    episodes: list[EpisodePlan]
    via: str  # "form" or "api"
    facts: Facts
    steps: list[Step] = field(default_factory=list)

    @property
    def returned_at(self) -> datetime:
        latest = self.episodes[-1].returned_at
        assert latest is not None  # noqa: S101 - records are of returns  # nosec B101
        return latest


@dataclass(slots=True)
class Timeline:
    """When things happened after the return, before they become a record's steps."""

    reference: datetime  # the interview, the last attempt, or the decision not to offer
    later: list[ActionFact] = field(default_factory=list)  # done after the submission


def _owner(rng: random.Random, agency: str | None = None) -> tuple[str, str]:
    choices = [o for o in OWNERS if agency is None or o[1] == agency] or list(OWNERS)
    return rng.choice(choices)


def _done(rng: random.Random, kind: str, at: datetime, agency: str | None = None
          ) -> ActionFact:
    owner, agency_name = _owner(rng, agency)
    return ActionFact(type=kind, owner=owner, agency=agency_name, status="done", at=at)


def offer_and_interview(rng: random.Random, facts: Facts, contact: datetime) -> datetime:
    """The offer, the interview or the attempts; returns the reference time."""
    if facts.outcome == "not_offered":
        facts.not_offered_reason = rng.choice(NOT_OFFERED_REASONS)
        return office_time(rng, after(contact, rng.uniform(2, 40)))
    delay = rng.uniform(0.2, 5) if rng.random() < 0.88 else rng.uniform(24, 90)
    offered = office_time(rng, after(contact, delay), soon=2)
    facts.offered_at = offered
    if facts.outcome == "completed":
        wait = rng.uniform(2, 26) if rng.random() < 0.75 else rng.uniform(26, 100)
        facts.conducted_at = visit_time(rng, after(offered, wait))
        return facts.conducted_at
    tries = (rng.choice((1, 1, 2)) if facts.outcome == "declined"
             else (1 if rng.random() < 0.15 else rng.randint(2, 4)))
    moment = offered
    for number in range(tries):
        if number:
            moment = visit_time(rng, after(moment, rng.uniform(20, 70)))
        result = ("Declined" if facts.outcome == "declined" and number == tries - 1
                  else rng.choice(ATTEMPT_RESULTS))
        facts.attempts.append((moment, rng.choice(("phone", "text", "in_person", "via_carer")),
                               result))
    if facts.outcome == "declined" and rng.random() < 0.8:
        facts.decline_reason = rng.choice(DECLINE_REASONS)
    if rng.random() < 0.8:
        facts.carer_information = "Synthetic: the carer knew where the child had been."
    return moment


def risks(rng: random.Random, record: RecordPlan, facts: Facts) -> None:
    """The risk indicators and harm the interview found (completed interviews only)."""
    if facts.outcome != "completed":
        return
    child = record.child
    found: list[str] = []
    if child.exploitation and rng.random() < 0.75:
        story = STORIES[child.exploitation]["risks"]
        found = [story[0] if rng.random() < 0.6 else story[1]]
        found += rng.sample([r for r in story if r not in found], k=rng.randint(0, 2))
    if rng.random() < 0.25:
        found.append(rng.choice(STORIES[None]["risks"]))
    facts.risk_indicators = tuple(dict.fromkeys(found))
    harm = 0.3 if child.exploitation else 0.1
    facts.harm_disclosed = rng.choices(("yes", "no", "not_known"),
                                       weights=(harm, 0.85 - harm, 0.15))[0]


def actions(rng: random.Random, record: RecordPlan, facts: Facts, reference: datetime,
            *, repeat: bool) -> list[ActionFact]:
    """Every action the plan holds, each dated when it was done (or due): what answers harm,
    the exploitation response's four parts, a review of repeated episodes, and support."""
    made: list[ActionFact] = []
    indicators = set(facts.risk_indicators)
    if facts.harm_disclosed == "yes" or indicators:
        roll = rng.random()
        if roll < 0.93:
            hours = rng.uniform(1, 20) if roll < 0.86 else rng.uniform(30, 96)
            made.append(_done(rng, rng.choice(HARM_ACTIONS), after(reference, hours)))
    exploited = indicators & EXPLOITATION_INDICATORS
    if exploited:
        parts = ["strategy_discussion",
                 "seraf_assessment" if record.child.exploitation == "sexual" and
                 rng.random() < 0.4 else "exploitation_risk_assessment",
                 "police_intelligence"]
        if indicators & NRM_INDICATORS:
            parts.append("nrm_referral")
        for part in parts:
            if rng.random() < 0.87:
                days = rng.uniform(0.1, 4) if rng.random() < 0.88 else rng.uniform(7, 12)
                agency = "Avon and Somerset Police" if part == "police_intelligence" \
                    else "Children's social care"
                made.append(_done(rng, part, office_days_later(rng, reference, days, days),
                                  agency))
    if repeat and rng.random() < 0.7:
        kind = rng.choice(REVIEWS if record.child.legal_status == "looked_after"
                          else REVIEWS[:2])
        made.append(_done(rng, kind, office_days_later(rng, reference, 0.5, 6),
                          "Children's social care"))
    for kind, chance in (("early_help_referral", 0.08), ("education_referral", 0.08),
                         ("health_referral", 0.06)):
        if rng.random() < chance:
            made.append(_done(rng, kind, office_days_later(rng, reference, 0.05, 1)))
    if facts.outcome == "completed" and rng.random() < (0.1 if record.via == "api" else 0.08):
        owner, agency = _owner(rng)
        made.append(ActionFact("follow_up_support", owner, agency, "planned",
                               due_at=office_days_later(rng, reference, 7, 28)))
    return made


def recipients(record: RecordPlan, facts: Facts) -> list[str]:
    """Who must receive the findings under set 2027.1, by the child's status and risk."""
    child = record.child
    required = ["missing_coordinator"]
    if child.legal_status in ("looked_after", "child_protection_plan", "child_in_need"):
        required.append("social_worker")
    if child.legal_status == "care_leaver":
        required.append("personal_adviser")
    if child.legal_status == "looked_after":
        required.append("iro")
    if set(facts.risk_indicators) & POLICE_INDICATORS:
        required.append("police")
    if child.out_of_area:
        required += ["host_authority", "placement_provider"]
    return required


def sharing(rng: random.Random, record: RecordPlan, facts: Facts, reference: datetime,
            submitted: datetime) -> None:
    """Who the report went to, by the time it was submitted; now and then one is missed."""
    shared = [r for r in recipients(record, facts)
              if rng.random() < (0.97 if r == "missing_coordinator" else 0.93)]
    if rng.random() < 0.2:
        shared.append("school")
    latest = submitted - timedelta(minutes=rng.randint(1, 30))
    facts.sharing = [(recipient, min(after(reference, rng.uniform(0.5, 48)), latest))
                     for recipient in shared]


def _fix(rng: random.Random, record: RecordPlan, facts: Facts, at: datetime) -> str:
    """What a manager's return asks for, made right in `facts`; the comment."""
    missing = [r for r in recipients(record, facts) if r not in {w for w, _ in facts.sharing}]
    if missing:
        facts.sharing.append((missing[0], at))
        return RETURN_COMMENTS["sharing"]
    if facts.outcome == "completed" and facts.content.get("read_back_to_child") is not True:
        facts.content["read_back_to_child"] = True
        return RETURN_COMMENTS["read_back"]
    if facts.outcome == "completed":
        facts.content["child_wishes"] = "Synthetic: to stay at their placement, with more contact."
        return RETURN_COMMENTS["wishes"]
    facts.carer_information = "Synthetic: the carer was asked again and said what they knew."
    return "Please ask the carer what they know and record it."


def latest(facts: Facts, since: datetime) -> datetime:
    """The last moment the record's document speaks of (a due date is not one), or `since`."""
    moments = [facts.offered_at, facts.conducted_at, *(m for m, _, _ in facts.attempts),
               *(a.at for a in facts.actions), *(m for _, m in facts.sharing)]
    return max([since, *(m for m in moments if m is not None)])


def _decision_time(rng: random.Random, moment: datetime, exploitation: bool) -> datetime:
    """When a manager decides: exploitation cases first (most within the 5 working days
    manager-oversight allows), the others within the week or so."""
    if exploitation:
        late = rng.random() < 0.15
        return office_days_later(rng, moment, *((6, 12) if late else (0.1, 4)))
    return office_days_later(rng, moment, 0.3, 8)


def plan_steps(rng: random.Random, record: RecordPlan, episodes: list[dict[str, Any]],
               timeline: Timeline, facts: Facts, submitted: datetime,
               draft_from: datetime | None, *, recent: bool = False) -> list[Step]:
    """The record's steps: made (on the form or through the API), decided, put right, and
    its follow-up plan's outcomes recorded."""
    exploitation = bool(set(facts.risk_indicators) & EXPLOITATION_INDICATORS)
    record_id = record.id if record.via == "api" else None
    steps: list[Step] = []
    if record.via == "form":
        # Started from the episode when the offer is made (or, for an episode nobody notified,
        # once the interview is over), typed up before it is submitted.
        start = max(facts.offered_at or timeline.reference, draft_from) if draft_from \
            else after(timeline.reference, 0.2)
        write = max(after(submitted, -rng.uniform(0.1, 0.6)),
                    after(latest(facts, timeline.reference), 0.02), after(start, 0.1))
        submitted = max(submitted, after(write, 0.1))
        steps += [Step(start, "draft"),
                  Step(write, "write", document(None, record.child, episodes, facts)),
                  Step(submitted, "submit")]
    else:
        steps.append(Step(submitted, "create", document(record_id, record.child, episodes,
                                                        facts)))
    decided = _decision_time(rng, submitted, exploitation)
    if rng.random() < (0.35 if recent else 0.1):
        again = office_days_later(rng, decided, *((3, 8) if recent else (0.1, 2.5)))
        comment = _fix(rng, record, facts, after(again, -0.1))
        fixed = document(record_id, record.child, episodes, facts)
        steps.append(Step(decided, "return", text=comment))
        if record.via == "form":
            steps += [Step(after(again, -0.1), "write", fixed), Step(again, "submit")]
        else:
            steps.append(Step(again, "update", fixed))
        decided = _decision_time(rng, again, exploitation)
    steps.append(Step(decided, "approve", text=rng.choice(APPROVAL_NOTES)))
    if record.via == "api":
        steps += _follow_up(rng, record, episodes, facts, timeline, decided)
    return steps


def _follow_up(rng: random.Random, record: RecordPlan, episodes: list[dict[str, Any]],
               facts: Facts, timeline: Timeline, decided: datetime) -> list[Step]:
    """A partner system's later version recording the plan's outcomes (most of the time)."""
    planned = [a for a in facts.actions if a.status == "planned"]
    if not planned or rng.random() < 0.1:
        return []
    due = max(a.due_at for a in planned if a.due_at is not None)
    moment = office_time(rng, after(due, rng.uniform(-96, 96)))
    moment = max(moment, *(a.at for a in timeline.later if a.at is not None),
                 after(decided, 2))
    resolved: list[ActionFact] = []
    for action in facts.actions:
        if action.status != "planned":
            resolved.append(action)
        elif (done := next((a for a in timeline.later if a.type == action.type), None)):
            resolved.append(dataclasses.replace(done, due_at=action.due_at))
        elif rng.random() < 0.8:
            resolved.append(dataclasses.replace(action, status="done", at=min(
                moment, after(action.due_at or moment, -rng.uniform(0, 72)))))
        else:
            resolved.append(dataclasses.replace(
                action, status="not_done", outcome="Synthetic: the child moved placement."))
    facts.actions = resolved
    return [Step(moment, "update", document(record.id, record.child, episodes, facts)),
            Step(_decision_time(rng, moment, False), "approve",
                 text=rng.choice(APPROVAL_NOTES))]


def plan_record(rng: random.Random, record: RecordPlan, contact: datetime,
                draft_from: datetime | None, repeat: bool,
                episode_json: list[dict[str, Any]], *, recent: bool = False) -> None:
    """Fill in the record's facts and steps, from the moment the service could act
    (`recent`: a return of the last weeks, whose record is more often returned, and for
    longer: the interviewer's work in hand)."""
    facts = record.facts
    reference = offer_and_interview(rng, facts, contact)
    risks(rng, record, facts)
    if facts.outcome == "completed":
        facts.content = interview_content(
            rng, record.child, facts, via_form=record.via == "form",
            story_place=rng.choice(("A flat", "A park", "A house", "A car park")),
            brought_back=_brought_back(record.episodes[-1]))
    made = actions(rng, record, facts, reference, repeat=repeat)
    # Written up the same day or the next (the case system's records when the worker closes
    # the piece of work, a day or two on), a fifth of them late.
    if rng.random() < 0.2:
        submitted = office_days_later(rng, reference, 3, 12)
    elif record.via == "form":
        submitted = office_time(rng, after(reference, rng.uniform(3, 40)))
    else:
        submitted = office_days_later(rng, reference, 0.5, 2.5)
    timeline = Timeline(reference)
    kept: list[ActionFact] = []
    for action in made:
        if action.status != "done" or action.at is None or action.at < submitted:
            kept.append(action)
        elif record.via == "api":  # promised at submission, recorded done later
            timeline.later.append(action)
            kept.append(dataclasses.replace(action, status="planned", at=None,
                                            due_at=add_working_days(reference, 5)))
    facts.actions = kept
    submitted = max(submitted, after(latest(facts, reference), 0.3))
    sharing(rng, record, facts, reference, submitted)
    record.steps = plan_steps(rng, record, episode_json, timeline, facts, submitted,
                              draft_from, recent=recent)


def _brought_back(episode: EpisodePlan) -> str:
    return {"police": "the police found them", "parent_or_carer": "a parent came to get them",
            "professional": "a worker brought them back"}.get(
        episode.brought_back_by or "", "they came back on their own")
