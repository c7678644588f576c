"""The demo's plan played through the services, one step at a time in time order, each inside
`replaying(step.at)`: the police and the authorities' systems notify episodes and returns
(`app.episodes.service.notify` and `change`, as `POST` and `PATCH /api/v1/episodes` do), the
authorities allocate them to the return service (`allocate`, the co-ordinator's page), the
interviewer starts a record from the episode, types it into the form's sections and submits it
(`start_interview`, `save_section`, `submit`), the provider's case system submits and changes
records (`create_from_api`, `update_from_api`), and the manager approves or returns them
(`approve`, `return_to_interviewer`).

So the register, the record versions, the findings, the feed projection and the audit log are
what real use would have left, each stamped when it would have happened. What cannot be
replayed this way is said where it is done: the authorities' co-ordinators are not demo
people, so their allocations are made as the service (`system:demo`) with a manager's role.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from sqlalchemy.orm import Session

from app.accounts.caller import Caller
from app.core.types import replaying
from app.demo import cast
from app.demo.episodes import EpisodePlan
from app.demo.plan import Plan
from app.demo.records import RecordPlan
from app.demo.steps import Step
from app.episodes import service as episodes
from app.interviews import forms, rejected, storage
from app.interviews import service as interviews
from app.interviews.submissions import create_from_api, update_from_api
from app.record.models import Interview, RegisterEpisode

DEMO_LABEL: Final = "system:demo"
# Steps between clearing the session: its services' bulk UPDATEs and DELETEs look through
# every object the session holds, so a session holding two years of records would slow each
# step down; a request's session never holds more than a few.
CLEAR_EVERY: Final = 100


class HistoryError(Exception):
    """A step of the plan the services refused: a fault in the plan, said with its step."""


@dataclass(frozen=True, slots=True)
class Actors:
    """Who does what in the demo's history."""

    interviewer: Caller
    manager: Caller  # also the return service's co-ordinator
    case_system: Caller  # the provider's case management system (`submit`)
    notifiers: dict[str, Caller]  # the police's and each authority's system (`notify`)

    def coordinator(self, authority: str) -> Caller:
        """An authority's co-ordinator, who allocates its children's episodes."""
        return Caller(label=DEMO_LABEL, organisation_code=authority, role="manager")


@dataclass
class Tally:
    steps: Counter[str] = field(default_factory=Counter)


class History:
    """Plays a plan; keeps the ids of the records it has made, by the plan's."""

    def __init__(self, session: Session, actors: Actors) -> None:
        self.session = session
        self.actors = actors
        self.notified: set[UUID] = set()
        self.records: dict[UUID, UUID] = {}

    def play(self, plan: Plan, *, progress: bool = False) -> Tally:
        """Every step of the plan up to its `now`, in time order, each as of its moment; the
        steps done, by kind. A step a service refuses is a fault in the plan: `HistoryError`,
        naming the step."""
        tally = Tally()
        steps = list(plan.steps())
        for number, (owner, step) in enumerate(steps, start=1):
            with replaying(step.at):
                try:
                    if isinstance(owner, EpisodePlan):
                        self._episode(owner, step)
                    else:
                        self._record(owner, step)
                except Exception as failure:
                    raise HistoryError(f"the demo's step {step.kind!r} at {step.at} of "
                                       f"{owner.child.local_id} failed: {failure}") from failure
            tally.steps[step.kind] += 1
            if number % CLEAR_EVERY == 0:
                self.session.flush()
                self.session.expunge_all()
            if progress and number % max(1, len(steps) // 30) == 0:
                filled = number * 30 // len(steps)
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] "
                                 f"{plan_date(step)} {number}/{len(steps)}")
        if progress and steps:
            sys.stderr.write("\n")
        return tally

    # --- episodes ------------------------------------------------------------------------

    def _notifier(self, episode: EpisodePlan) -> Caller:
        if episode.notifier == "police":
            return self.actors.notifiers[cast.POLICE]
        if episode.notifier == "coordinator":
            return self.actors.manager
        return self.actors.notifiers[episode.child.responsible_authority]

    def _episode(self, plan: EpisodePlan, step: Step) -> None:
        session = self.session
        if step.kind == "notify":
            assert step.body is not None  # noqa: S101 - planned with one  # nosec B101
            episodes.notify(session, self._notifier(plan), step.body)
            self.notified.add(plan.id)
        elif step.kind == "returned":
            episode = session.get(RegisterEpisode, plan.id)
            assert episode is not None  # noqa: S101 - notified before  # nosec B101
            episodes.change(session, self._notifier(plan), plan.id, step.body,
                            episodes.etag(episode))
        elif step.kind == "duplicate":
            episodes.notify(session, self.actors.manager, step.body)
        elif step.kind == "allocate":
            coordinator = self.actors.coordinator(plan.child.responsible_authority)
            episodes.allocate(session, coordinator, plan.id, organisation=step.text)
        elif step.kind == "assign":
            episodes.allocate(session, self.actors.manager, plan.id,
                              user_id=self.actors.interviewer.user_id)
        else:
            raise ValueError(f"no episode step {step.kind!r}")

    # --- records -------------------------------------------------------------------------

    def _record(self, plan: RecordPlan, step: Step) -> None:
        session, actors = self.session, self.actors
        if step.kind == "draft":
            last = plan.episodes[-1]
            draft = (interviews.start_draft(session, actors.interviewer)
                     if last.id not in self.notified
                     else episodes.start_interview(session, actors.interviewer, last.id))
            self.records[plan.id] = draft.id
            return
        if step.kind == "create":
            made, _ = create_from_api(session, actors.case_system, step.body)
            self.records[plan.id] = made.id
            return
        interview = session.get(Interview, self.records[plan.id])
        assert interview is not None  # noqa: S101 - made by an earlier step  # nosec B101
        if step.kind == "write":
            assert step.body is not None  # noqa: S101 - planned with one  # nosec B101
            self._type_in(interview, step.body)
        elif step.kind == "submit":
            errors = interviews.submit(session, interview, actors.interviewer)
            if errors:
                raise HistoryError("; ".join(f"{e.pointer}: {e.message}" for e in errors))
        elif step.kind == "update":
            update_from_api(session, actors.case_system, interview.id, step.body,
                            storage.etag(interview))
        elif step.kind == "approve":
            interviews.approve(session, interview, actors.manager, step.text, read_record=True)
        elif step.kind == "return":
            interviews.return_to_interviewer(session, interview, actors.manager, step.text)
        else:
            raise ValueError(f"no record step {step.kind!r}")

    def _type_in(self, interview: Interview, document: dict[str, Any]) -> None:
        """Type the document into the draft's sections, as the form posts them."""
        values = forms.values_from_document(document)
        for section in forms.SECTIONS:
            saved = interviews.save_section(self.session, interview, self.actors.interviewer,
                                            section, rejected.as_form(values))
            if saved.errors:
                raise HistoryError("; ".join(f"{e.pointer}: {e.message}"
                                             for e in saved.errors))


def plan_date(step: Step) -> str:
    return f"{step.at:%Y-%m-%d}"
