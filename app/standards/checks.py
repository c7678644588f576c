"""The practice standards of `docs/practice-standards.md`: the registry and `evaluate`.

One pure function per standard, grouped by what they look at: `offer_and_report.py` (the offer, the
interview's timing, the submitted record and who it reaches), `content.py` (what the record holds)
and `safeguarding.py` (the response to harm, CSE and repeated episodes). Each check is
`(facts, params, as_of) -> Finding`. Checks never raise on an incomplete document: a draft may lack
any field, and what it lacks shows up as an unmet (or not yet met) standard.

Decisions where the spec leaves room (keep this list in step with the code):

- "Timeliness standards" are the two counted from the return (`offer-within-72h`,
  `interview-within-72h`): with no return time they are `not_applicable`, as the spec says. The
  other deadlines run from the interview, the reference time or the submission, which exist
  without a return; an empty `returned_at` is far more often a draft not yet filled in than a child
  who is still missing, and the safeguarding standards must not go quiet because of it.
- Standards counted from the reference time (`report-within-3wd`, `report-shared`,
  `repeat-missing-reviewed`) are `not_applicable` while there is no reference time (nothing
  offered, attempted or conducted). The deadline cannot exist, and a `not_offered` record may
  never get one, so `pending` would never resolve; `offer-within-72h` already reports the gap.
- `harm-followed-up` and `cse-risk-assessed` run from `conducted_at`. Without it (only a draft of a
  completed interview lacks it), they are `met` if the evidence is recorded, else `pending` with no
  `due_at`: the deadline is not known yet. For `cse-risk-assessed` on a record without a completed
  interview, the reference time stands in for `conducted_at`.
- A `seraf_score` has no date of its own: it is treated as recorded at `conducted_at` (the
  reference time), so a score on the record meets `cse-risk-assessed` in time.
- `manager-oversight` before submission is `pending` with no `due_at` (the deadline is counted
  from a submission that has not happened), or `met` if `approved_at` is somehow already set.
- Actions and sharing entries without a date cannot show they were in time and are ignored;
  an action dated before the interview counts (a referral made at the return is a response).
- `repeat-missing-reviewed`: "within any 30 days" means the starts lie within 30 days of elapsed
  time of each other (the latest minus the earliest is at most 30 days).
- An event exactly at its deadline is in time.
- `placing-authority-told` ("without delay", read as within `placing_authority_days` working
  days) counts from the same reference time as `report-shared`, and is `not_applicable` on a draft
  (nothing is sent from a record before it is submitted) and while nothing gives a reference
  time. The placing authority is the child's responsible authority: under 2027.1 its missing
  co-ordinator (`missing_coordinator`) receives the findings for it; a `responsible_authority`
  entry counts too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from app.standards.content import (
    attempts_recorded,
    child_voice,
    core_content,
    independent_interviewer,
    sharing_explained,
)
from app.standards.model import Finding, RecordFacts
from app.standards.offer_and_report import (
    interview_within_72h,
    offer_within_72h,
    placing_authority_told,
    report_shared,
    report_within_3wd,
)
from app.standards.params import CURRENT, StandardSet
from app.standards.safeguarding import (
    actions_followed_through,
    cse_risk_assessed,
    exploitation_response,
    harm_followed_up,
    manager_oversight,
    repeat_missing_reviewed,
)

Check = Callable[[RecordFacts, StandardSet, datetime], Finding]

CHECKS: Final[tuple[tuple[str, Check], ...]] = (
    ("offer-within-72h", offer_within_72h),
    ("interview-within-72h", interview_within_72h),
    ("independent-interviewer", independent_interviewer),
    ("attempts-recorded", attempts_recorded),
    ("core-content", core_content),
    ("child-voice", child_voice),
    ("sharing-explained", sharing_explained),
    ("harm-followed-up", harm_followed_up),
    ("cse-risk-assessed", cse_risk_assessed),
    ("report-within-3wd", report_within_3wd),
    ("report-shared", report_shared),
    ("manager-oversight", manager_oversight),
    ("repeat-missing-reviewed", repeat_missing_reviewed),
    ("exploitation-response", exploitation_response),
    ("actions-followed-through", actions_followed_through),
    ("placing-authority-told", placing_authority_told),
)
_BY_CODE: Final = dict(CHECKS)


def evaluate(
    facts: RecordFacts, params: StandardSet = CURRENT, *, as_of: datetime
) -> list[Finding]:
    """The set's findings for one record, in the set's order, as of an aware instant.

    Pure: the same facts, parameters and `as_of` always give the same findings.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    if as_of.tzinfo is not UTC:
        as_of = as_of.astimezone(UTC)
    return [_BY_CODE[code](facts, params, as_of) for code in params.codes]
