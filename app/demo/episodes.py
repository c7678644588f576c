"""How each of the demo's episodes goes: how long the child is away, whether the police are
told, where they are found, who tells the return service and when (the police as the child goes
missing and again when they come back, an authority's case system or the return service's
co-ordinator in office hours, or nobody, so that a record registers it), and the authority's
allocation of the return to the return service."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from app.demo import cast
from app.demo.children import DemoChild
from app.demo.documents import postcode
from app.demo.steps import Step, new_id
from app.demo.times import after, office_time, start_time
from app.record.formats import format_timestamp


@dataclass(slots=True)
class EpisodePlan:
    id: UUID
    child: DemoChild
    type: str
    started_at: datetime
    returned_at: datetime | None
    found_at: datetime | None
    reported_to_police: bool
    reported_by: str
    police_reference: str | None
    police_risk_grade: str | None
    brought_back_by: str | None
    found_postcode: str | None
    # Who told the service: "police", "authority" (its case system), "coordinator" (the
    # return service's co-ordinator on the web) or "record" (nobody: a record registers it).
    notifier: str
    known_at: datetime | None = None  # when the register knows of the return
    allocated_at: datetime | None = None  # when the return service may see and act on it
    steps: list[Step] = field(default_factory=list)

    def as_entry(self) -> dict[str, Any]:
        """The episode as an interview record lists it."""
        entry: dict[str, Any] = {
            "type": self.type, "started_at": format_timestamp(self.started_at),
            "reported_to_police": self.reported_to_police}
        for key, value in (("returned_at", self.returned_at),
                           ("police_reference", self.police_reference),
                           ("police_risk_grade", self.police_risk_grade),
                           ("found_postcode", self.found_postcode),
                           ("brought_back_by", self.brought_back_by)):
            if value is not None:
                entry[key] = format_timestamp(value) if isinstance(value, datetime) else value
        return entry


def _duration(rng: random.Random, kind: str) -> float:
    """Hours missing (lognormal: most under a day, some for days)."""
    if kind == "away":
        return min(max(rng.lognormvariate(math.log(5), 0.7), 1.0), 48.0)
    if rng.random() < 0.03:
        return rng.uniform(72, 336)
    return min(max(rng.lognormvariate(math.log(14), 0.9), 1.5), 240.0)


def episodes_of(rng: random.Random, child: DemoChild, days: list[date], now: datetime
                ) -> list[EpisodePlan]:
    """The child's episodes starting on `days`, none overlapping another, up to `now` (the
    last may still be open: a child missing today)."""
    made: list[EpisodePlan] = []
    for day in days:
        started = start_time(rng, day)
        if made:
            previous = made[-1].returned_at
            assert previous is not None  # noqa: S101 - only the last may be open  # nosec B101
            if started < after(previous, 6):
                started = after(previous, rng.uniform(6, 60))
        if started > now - timedelta(minutes=30):
            break
        looked_after = child.legal_status == "looked_after"
        kind = "away" if rng.random() < (0.3 if looked_after else 0.1) else "missing"
        returned: datetime | None = after(started, _duration(rng, kind))
        assert returned is not None  # noqa: S101 - for the type checker  # nosec B101
        if returned > now - timedelta(minutes=5):
            returned = None
        made.append(_episode(rng, child, kind, started, returned))
        if returned is None:
            break
    return made


def _episode(rng: random.Random, child: DemoChild, kind: str, started: datetime,
             returned: datetime | None) -> EpisodePlan:
    police = kind == "missing" and rng.random() < 0.95 or kind == "away" and rng.random() < 0.3
    found_by_police = police and returned is not None and rng.random() < 0.4
    home = cast.DISTRICTS[child.lives_in]
    far = child.exploitation == "criminal" and rng.random() < 0.5
    grade = None
    if police:
        weights = (3, 25, 50, 22) if child.exploitation else (5, 36, 48, 11)
        grade = rng.choices(("no_apparent_risk", "low", "medium", "high"), weights=weights)[0]
    if child.lives_in not in cast.POLICE_AREA:
        notifier = "authority"  # the host area's police tell the authority, which tells us
    elif police:
        notifier = rng.choices(("police", "authority", "record"), weights=(88, 7, 5))[0]
    else:
        notifier = rng.choices(("authority", "coordinator", "record"), weights=(45, 40, 15))[0]
    reporter = "police" if notifier == "police" else rng.choice(
        ("children_social_care", "placement_provider", "parent_or_carer"))
    episode = EpisodePlan(
        id=new_id(rng), child=child, type=kind, started_at=started, returned_at=returned,
        found_at=after(returned, -rng.uniform(0.3, 2)) if found_by_police and returned and
        returned - started > timedelta(hours=3) else None,
        reported_to_police=police, reported_by=reporter,
        police_reference=f"DEMO-MP-{started:%y%m%d}-{rng.randint(1000, 9999)}"
        if police else None, police_risk_grade=grade,
        brought_back_by=None if returned is None else "police" if found_by_police else
        rng.choices(("returned_alone", "parent_or_carer", "professional", "other",
                     "not_known"), weights=(45, 25, 15, 5, 10))[0],
        found_postcode=None if returned is None or rng.random() < 0.2 else postcode(
            rng, rng.choice(cast.COUNTY_LINES_DISTRICTS if far else home)),
        notifier=notifier)
    episode.steps = _episode_steps(rng, episode)
    return episode


def _notification(episode: EpisodePlan, *, with_return: bool, with_birth: bool,
                  identifier: UUID | None = None, reported_by: str | None = None
                  ) -> dict[str, Any]:
    child = episode.child
    body: dict[str, Any] = {
        "id": str(identifier or episode.id), "type": episode.type,
        "child": {"responsible_authority": child.responsible_authority,
                  "local_id": child.local_id, "legal_status": child.legal_status,
                  **({"placement_authority": child.placement_authority}
                     if child.placement_authority else {}),
                  **({"date_of_birth": child.date_of_birth.isoformat()} if with_birth else {})},
        "started_at": format_timestamp(episode.started_at),
        "reported_by": reported_by or episode.reported_by,
    }
    if episode.police_reference:
        body["police_reference"] = episode.police_reference
        body["police_risk_grade"] = episode.police_risk_grade
    if with_return:
        body.update(_return(episode))
    return body


def _return(episode: EpisodePlan) -> dict[str, Any]:
    told: dict[str, Any] = {}
    if episode.returned_at is not None:
        told["returned_at"] = format_timestamp(episode.returned_at)
    if episode.found_at is not None:
        told["found_at"] = format_timestamp(episode.found_at)
    return told


def _episode_steps(rng: random.Random, episode: EpisodePlan) -> list[Step]:
    """Who tells the service, when; then the authority's allocation to the return service."""
    returned = episode.returned_at
    steps: list[Step] = []
    if episode.notifier == "record":
        return steps
    if episode.notifier == "police":
        told = after(episode.started_at, rng.uniform(0.5, 4))
        if returned is not None and returned <= told:
            steps.append(Step(told, "notify", _notification(episode, with_return=True,
                                                             with_birth=False)))
            episode.known_at = told
        else:
            steps.append(Step(told, "notify", _notification(episode, with_return=False,
                                                             with_birth=False)))
            if returned is not None:
                episode.known_at = after(returned, rng.uniform(0.25, 6))
                steps.append(Step(episode.known_at, "returned", _return(episode)))
    else:
        # The authority's system and the co-ordinator enter it in office hours, with the return
        # when the child is back by then.
        told = office_time(rng, returned or episode.started_at)
        steps.append(Step(told, "notify", _notification(
            episode, with_return=returned is not None,
            with_birth=episode.notifier == "authority")))
        episode.known_at = told if returned is not None else None
    if episode.known_at is None:
        return steps
    if episode.notifier == "coordinator":
        episode.allocated_at = episode.known_at
    else:
        episode.allocated_at = office_time(rng, episode.known_at)
        if episode.notifier == "police" and rng.random() < 0.03:
            # A placement provider rings the return service too, before the authority has
            # allocated the episode: the co-ordinator's entry is counted once.
            steps.append(Step(after(episode.known_at, 0.1), "duplicate", _notification(
                episode, with_return=True, with_birth=False, identifier=new_id(rng),
                reported_by="placement_provider")))
        steps.append(Step(episode.allocated_at, "allocate", text=cast.PROVIDER))
    return steps
