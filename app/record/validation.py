"""The one source of truth for what an interview document may hold.

The JSON API and the web form both build a raw document (the data dictionary's shape) and pass it
here. `validate_document` returns the typed document and every error at once, each with a JSON
Pointer, a stable code and a message saying what to do. A draft (`complete=False`) may lack any
content; a submitted record (`complete=True`) must hold the required fields. Structural errors
(bad types, unknown codes, impossible dates, overlapping episodes) are errors either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from app.core.errors import FieldError
from app.record import codes
from app.record.cross_checks import check_age, check_overlaps, show
from app.record.document import (
    Action,
    Attempt,
    Child,
    Episode,
    InterviewContent,
    InterviewDocument,
    Location,
    Offer,
    Sharing,
    json_fields,
)
from app.record.fields import (
    Context,
    escape,
    read_bool,
    read_code,
    read_codes,
    read_date,
    read_identifier,
    read_list,
    read_object,
    read_org,
    read_postcode,
    read_text,
    read_timestamp,
)

# The fields each part may hold: the document's own, so the shape is written once.
CHILD_FIELDS: Final = json_fields(Child)
EPISODE_FIELDS: Final = json_fields(Episode)
OFFER_FIELDS: Final = json_fields(Offer)
ATTEMPT_FIELDS: Final = json_fields(Attempt)
INTERVIEW_FIELDS: Final = json_fields(InterviewContent)
LOCATION_FIELDS: Final = json_fields(Location)
ACTION_FIELDS: Final = json_fields(Action)
SHARING_FIELDS: Final = json_fields(Sharing)
DOCUMENT_FIELDS: Final = json_fields(InterviewDocument)


def provisional_id(record_id: UUID) -> str:
    """The case id the service gives a child unknown to children's services: `prov-` and the
    first 12 hex digits of the record's id, stable for the record's life."""
    return f"prov-{record_id.hex[:12]}"


def _child(ctx: Context, raw: Any, record_id: UUID) -> Child:
    p = "/child"
    obj = read_object(ctx, raw, p, CHILD_FIELDS, "The child")
    if obj is None:
        ctx.missing(p, "Enter the child's details")
        return Child()
    no_case_id = read_bool(ctx, obj, "no_case_id", p, "The child has no case id")
    local_id = read_identifier(ctx, obj, "local_id", p, "The child's case identifier",
                               max_len=64, required=no_case_id is not True)
    if no_case_id is True and local_id is not None and local_id != provisional_id(record_id):
        ctx.error(f"{p}/local_id", "case_id_conflict",
                  "The child is recorded as having no case id, so leave the case id empty "
                  f"(the service gives a provisional one, {provisional_id(record_id)}), or "
                  "untick 'no case id'")
        local_id = None
    if no_case_id is True and local_id is None and record_id.int:
        local_id = provisional_id(record_id)
    return Child(
        local_id=local_id,
        given_name=read_text(ctx, obj, "given_name", p, "The child's first name", max_len=100,
                             required=True),
        family_name=read_text(ctx, obj, "family_name", p, "The child's last name", max_len=100,
                              required=True),
        date_of_birth=read_date(ctx, obj, "date_of_birth", p, "Date of birth", required=True),
        gender=read_code(ctx, obj, "gender", p, "Gender", codes.GENDER, required=True),
        ethnicity=read_code(ctx, obj, "ethnicity", p, "Ethnicity", codes.ETHNICITY),
        legal_status=read_code(ctx, obj, "legal_status", p,
                               "Involvement with children's services", codes.LEGAL_STATUS,
                               required=True),
        responsible_authority=read_org(ctx, obj, "responsible_authority", p,
                                       "The responsible authority", required=True),
        placement_authority=read_org(ctx, obj, "placement_authority", p, "The placement authority"),
        no_case_id=no_case_id,
        uasc=read_bool(ctx, obj, "uasc", p, "Unaccompanied asylum-seeking child"),
        disability_or_send=read_code(ctx, obj, "disability_or_send", p,
                                     "Disability or special educational needs",
                                     codes.DISABILITY_OR_SEND),
        placement_type=read_code(ctx, obj, "placement_type", p, "Where the child lives",
                                 codes.PLACEMENT_TYPE),
    )


def _episode(ctx: Context, raw: Any, i: int) -> Episode:
    p = f"/episodes/{i}"
    obj = read_object(ctx, raw, p, EPISODE_FIELDS, f"Episode {i + 1}", item=True)
    if obj is None:
        return Episode()
    n = f"Episode {i + 1}:"
    started = read_timestamp(ctx, obj, "started_at", p, f"{n} when the child went missing",
                             required=True, not_future=True)
    returned = read_timestamp(ctx, obj, "returned_at", p, f"{n} when the child returned",
                              not_future=True)
    if started and returned and returned <= started:
        ctx.error(f"{p}/returned_at", "before_start",
                  f"{n} the return must be after the episode started "
                  f"({show(started)})")
        returned = None
    return Episode(
        type=read_code(ctx, obj, "type", p, f"{n} type", codes.EPISODE_TYPE, required=True),
        started_at=started,
        returned_at=returned,
        reported_to_police=read_bool(ctx, obj, "reported_to_police", p,
                                     f"{n} reported to the police", required=True),
        police_reference=read_identifier(ctx, obj, "police_reference", p,
                                         f"{n} police reference", max_len=50),
        police_risk_grade=read_code(ctx, obj, "police_risk_grade", p, f"{n} police risk grade",
                                    codes.POLICE_RISK_GRADE),
        found_location=read_text(ctx, obj, "found_location", p, f"{n} where the child was found",
                                 max_len=500),
        found_postcode=read_postcode(ctx, obj, "found_postcode", p,
                                     f"{n} the postcode where the child was found"),
        brought_back_by=read_code(ctx, obj, "brought_back_by", p,
                                  f"{n} who brought the child back", codes.BROUGHT_BACK_BY),
        prevention_interview_at=read_timestamp(
            ctx, obj, "prevention_interview_at", p,
            f"{n} when the police prevention (safe and well) interview took place",
            not_future=True),
    )


def _offer(ctx: Context, raw: Any) -> Offer:
    p = "/offer"
    obj = read_object(ctx, raw, p, OFFER_FIELDS, "The offer")
    if obj is None:
        ctx.missing(p, "Enter what happened to the offer of an interview")
        return Offer()
    outcome = read_code(ctx, obj, "outcome", p, "Outcome of the offer", codes.OFFER_OUTCOME,
                        required=True)
    attempts = []
    for i, item in enumerate(read_list(ctx, obj.get("attempts"), f"{p}/attempts", "Attempts")):
        ap = f"{p}/attempts/{i}"
        a = read_object(ctx, item, ap, ATTEMPT_FIELDS, f"Attempt {i + 1}", item=True)
        if a is None:
            continue
        attempts.append(Attempt(
            at=read_timestamp(ctx, a, "at", ap, f"Attempt {i + 1}: when", required=True,
                              not_future=True),
            method=read_code(ctx, a, "method", ap, f"Attempt {i + 1}: method", codes.ATTEMPT_METHOD,
                             required=True),
            result=read_text(ctx, a, "result", ap, f"Attempt {i + 1}: result"),
        ))
    return Offer(
        outcome=outcome,
        offered_at=read_timestamp(ctx, obj, "offered_at", p, "When the interview was offered",
                                  required=outcome != "not_offered", not_future=True),
        not_offered_reason=read_text(ctx, obj, "not_offered_reason", p,
                                     "The reason the interview was not offered",
                                     required=outcome == "not_offered"),
        decline_reason=read_text(ctx, obj, "decline_reason", p, "The reason the child declined"),
        attempts=tuple(attempts),
        carer_information=read_text(ctx, obj, "carer_information", p,
                                    "What parents or carers know"),
    )


def _interview(ctx: Context, raw: Any, outcome: str | None) -> InterviewContent | None:
    p = "/interview"
    obj = read_object(ctx, raw, p, INTERVIEW_FIELDS, "The interview")
    needed = outcome == "completed"
    if obj is None:
        if needed:
            ctx.missing(p, "Enter the interview: the outcome is 'completed'")
        return None
    locations = []
    for i, item in enumerate(read_list(ctx, obj.get("locations"), f"{p}/locations", "Locations")):
        lp = f"{p}/locations/{i}"
        loc = read_object(ctx, item, lp, LOCATION_FIELDS, f"Location {i + 1}", item=True)
        if loc is None:
            continue
        locations.append(Location(
            description=read_text(ctx, loc, "description", lp, f"Location {i + 1}: description",
                                  required=True),
            postcode=read_postcode(ctx, loc, "postcode", lp, f"Location {i + 1}: postcode"),
        ))
    push = read_codes(ctx, obj, "push_factors", p, "Push factors", codes.PUSH_FACTORS,
                      "push factor")
    pull = read_codes(ctx, obj, "pull_factors", p, "Pull factors", codes.PULL_FACTORS,
                      "pull factor")
    push_other = read_text(ctx, obj, "push_factors_other", p, "The other push factor")
    pull_other = read_text(ctx, obj, "pull_factors_other", p, "The other pull factor")
    if "other" in push and not push_other:
        ctx.missing(f"{p}/push_factors_other", "Describe the other push factor",
                    "other_text_required")
    if "other" in pull and not pull_other:
        ctx.missing(f"{p}/pull_factors_other", "Describe the other pull factor",
                    "other_text_required")
    score = obj.get("seraf_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
        ctx.error(f"{p}/seraf_score", "invalid_type", "SERAF score must be a whole number")
        score = None
    elif isinstance(score, int) and not 0 <= score <= 99:
        ctx.error(f"{p}/seraf_score", "out_of_range", "SERAF score must be from 0 to 99")
        score = None
    against = read_bool(ctx, obj, "shared_against_wishes", p,
                        "Information is shared against the child's wishes")
    against_reason = read_text(ctx, obj, "shared_against_wishes_reason", p,
                               "Why it is shared against the child's wishes")
    if against is True and not against_reason:
        ctx.missing(f"{p}/shared_against_wishes_reason",
                    "Say why information is shared against the child's wishes",
                    "other_text_required")
    return InterviewContent(
        conducted_at=read_timestamp(ctx, obj, "conducted_at", p, "When the interview took place",
                                    required=needed, not_future=True),
        mode=read_code(ctx, obj, "mode", p, "How the interview was held", codes.MODE,
                       required=needed),
        location_type=read_code(ctx, obj, "location_type", p, "Where the interview was held",
                                codes.LOCATION_TYPE),
        interviewer_name=read_text(ctx, obj, "interviewer_name", p, "The interviewer's name",
                                   max_len=200),
        interviewer_role=read_code(ctx, obj, "interviewer_role", p, "The interviewer's role",
                                   codes.INTERVIEWER_ROLE, required=needed),
        interviewer_relationship=read_code(ctx, obj, "interviewer_relationship", p,
                                           "The interviewer's involvement with the child",
                                           codes.INTERVIEWER_RELATIONSHIP),
        interviewer_independent=read_bool(ctx, obj, "interviewer_independent", p,
                                          "The interviewer is independent"),
        interviewer_trained=read_bool(ctx, obj, "interviewer_trained", p,
                                      "The interviewer is trained"),
        child_chose_interviewer=read_bool(ctx, obj, "child_chose_interviewer", p,
                                          "The child chose the interviewer"),
        push_factors=push,
        pull_factors=pull,
        push_factors_other=push_other,
        pull_factors_other=pull_other,
        where_stayed=read_text(ctx, obj, "where_stayed", p, "Where the child stayed"),
        with_whom=read_text(ctx, obj, "with_whom", p, "Who the child was with"),
        travel=read_text(ctx, obj, "travel", p, "How the child travelled"),
        harm_disclosed=read_code(ctx, obj, "harm_disclosed", p, "Harm disclosed",
                                 codes.HARM_DISCLOSED),
        risk_indicators=read_codes(ctx, obj, "risk_indicators", p, "Risk indicators",
                                   codes.RISK_INDICATORS, "risk indicator"),
        locations=tuple(locations),
        child_account=read_text(ctx, obj, "child_account", p, "The child's account"),
        child_wishes=read_text(ctx, obj, "child_wishes", p, "The child's wishes"),
        read_back_to_child=read_bool(ctx, obj, "read_back_to_child", p,
                                     "The record was read back to the child"),
        information_sharing_explained=read_bool(ctx, obj, "information_sharing_explained", p,
                                                "Information sharing was explained"),
        consent_to_share=read_code(ctx, obj, "consent_to_share", p, "Consent to share",
                                   codes.CONSENT_TO_SHARE),
        seraf_score=score,
        feelings_now=read_text(ctx, obj, "feelings_now", p, "How the child feels now"),
        afraid_of_anyone=read_code(ctx, obj, "afraid_of_anyone", p,
                                   "Whether the child is afraid of anyone", codes.AFRAID_OF_ANYONE),
        health_needs=read_text(ctx, obj, "health_needs", p, "The child's health needs"),
        safety_information_given=read_bool(ctx, obj, "safety_information_given", p,
                                           "Safety information and helplines were given"),
        carer_view=read_text(ctx, obj, "carer_view", p, "The parent's or carer's view"),
        education=read_text(ctx, obj, "education", p, "School, college or work"),
        views_on_sharing=read_code(ctx, obj, "views_on_sharing", p,
                                   "The child's views on sharing", codes.VIEWS_ON_SHARING),
        lawful_basis=read_code(ctx, obj, "lawful_basis", p, "Lawful basis for sharing",
                               codes.LAWFUL_BASIS),
        shared_against_wishes=against,
        shared_against_wishes_reason=against_reason,
        child_told_of_sharing=read_bool(ctx, obj, "child_told_of_sharing", p,
                                        "The child was told it will be shared"),
    )


def _actions(ctx: Context, raw: Any) -> tuple[Action, ...]:
    result = []
    for i, item in enumerate(read_list(ctx, raw, "/actions", "Actions")):
        p = f"/actions/{i}"
        n = f"Action {i + 1}"
        obj = read_object(ctx, item, p, ACTION_FIELDS, n, item=True)
        if obj is None:
            continue
        kind = read_code(ctx, obj, "type", p, f"{n}: type", codes.ACTION_TYPE, required=True)
        notes = read_text(ctx, obj, "notes", p, f"{n}: notes")
        if kind == "other" and not notes:
            ctx.missing(f"{p}/notes", f"{n}: describe the other action in the notes",
                        "other_text_required")
        status = read_code(ctx, obj, "status", p, f"{n}: status", codes.ACTION_STATUS)
        done = status is None or status == "done"
        at = read_timestamp(ctx, obj, "at", p, f"{n}: when it was done", required=done)
        if at is not None and not done:
            ctx.error(f"{p}/at", "not_done_yet",
                      f"{n} is {codes.ACTION_STATUS[status or 'planned'].lower()}, so it has no "
                      "time it was done: enter when it is due, or mark it done")
            at = None
        due_at = read_timestamp(ctx, obj, "due_at", p, f"{n}: when it is due",
                                required=status == "planned")
        outcome = read_text(ctx, obj, "outcome", p, f"{n}: outcome")
        if status == "not_done" and not outcome:
            ctx.missing(f"{p}/outcome", f"{n}: say why it was not done", "other_text_required")
        result.append(Action(
            type=kind, at=at, notes=notes,
            owner=read_text(ctx, obj, "owner", p, f"{n}: who owns it", max_len=200),
            agency=read_text(ctx, obj, "agency", p, f"{n}: agency", max_len=200),
            due_at=due_at, status=status, outcome=outcome,
        ))
    return tuple(result)


def _sharing(ctx: Context, raw: Any) -> tuple[Sharing, ...]:
    result = []
    for i, item in enumerate(read_list(ctx, raw, "/sharing", "Sharing")):
        p = f"/sharing/{i}"
        obj = read_object(ctx, item, p, SHARING_FIELDS, f"Sharing {i + 1}", item=True)
        if obj is None:
            continue
        result.append(Sharing(
            with_=read_code(ctx, obj, "with", p, f"Sharing {i + 1}: shared with",
                            codes.SHARING_WITH, required=True),
            at=read_timestamp(ctx, obj, "at", p, f"Sharing {i + 1}: when", required=True),
        ))
    return tuple(result)


@dataclass(frozen=True)
class Validated:
    document: InterviewDocument
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_document(
    raw: Any,
    *,
    complete: bool,
    now: datetime,
    other_episodes: Sequence[tuple[Episode, str]] = (),
    organisations: Callable[[str], bool] | None = None,
) -> Validated:
    """Check a raw interview document and build the typed one.

    `other_episodes` are the same child's episodes from other records (with a label naming them
    for messages), so overlaps across records are caught. `organisations` tells whether an
    organisation code exists. Every error is reported, not just the first.
    """
    ctx = Context(complete=complete, now=now, organisations=organisations)
    obj = read_object(ctx, raw, "", DOCUMENT_FIELDS, "The interview document")
    if obj is None:
        if raw is None:
            ctx.error("", "invalid_type", "The body must be an interview document (an object)")
        return Validated(InterviewDocument(id=UUID(int=0)), ctx.errors)
    doc_id = UUID(int=0)
    raw_id = obj.get("id")
    if raw_id is None:
        ctx.error("/id", "required", "Enter the interview's id: a UUID made when it was started")
    else:
        try:
            if not isinstance(raw_id, str):
                raise ValueError
            doc_id = UUID(raw_id)
        except ValueError:
            ctx.error("/id", "invalid_uuid", "The id must be a UUID, like "
                      "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f")
    child = _child(ctx, obj.get("child"), doc_id)
    raw_episodes = read_list(ctx, obj.get("episodes"), "/episodes", "Episodes", max_items=50)
    before = len(ctx.errors)
    episodes = tuple(_episode(ctx, item, i) for i, item in enumerate(raw_episodes))
    if not episodes:
        ctx.missing("/episodes", "Add at least one missing or away episode", "empty_list")
    # Overlaps are judged only on episodes whose own times are sound: a return already refused
    # as "before the start" would otherwise also look like a second open episode.
    if not any(e.pointer.startswith("/episodes/") and e.pointer.endswith("_at")
               for e in ctx.errors[before:]):
        check_overlaps(ctx, episodes, other_episodes)
    check_age(ctx, child, episodes)
    offer = _offer(ctx, obj.get("offer"))
    interview = _interview(ctx, obj.get("interview"), offer.outcome)
    document = InterviewDocument(
        id=doc_id, child=child, episodes=episodes, offer=offer, interview=interview,
        actions=_actions(ctx, obj.get("actions")), sharing=_sharing(ctx, obj.get("sharing")),
    )
    latest = document.latest_return
    if interview and interview.conducted_at and latest and interview.conducted_at < latest:
        ctx.error("/interview/conducted_at", "before_return",
                  f"The interview must be after the child returned ({show(latest)})")
    return Validated(document, ctx.errors)


def prune(raw: Any, pointers: Sequence[str]) -> Any:
    """A copy of `raw` without the values the pointers name: what a draft keeps of bad input."""
    if not pointers:
        return raw
    targets = [p for p in pointers if p]
    if len(targets) != len(pointers):
        return {}

    def walk(node: Any, path: str) -> Any:
        if any(t == path for t in targets):
            return _REMOVED
        if isinstance(node, Mapping):
            out = {}
            for key, value in node.items():
                kept = walk(value, f"{path}/{escape(str(key))}")
                if kept is not _REMOVED:
                    out[key] = kept
            return out
        if isinstance(node, list):
            items = []
            for i, value in enumerate(node):
                kept = walk(value, f"{path}/{i}")
                # A removed list item leaves its place (None) so later indexes keep meaning;
                # a removed code in a code list simply goes.
                if kept is not _REMOVED:
                    items.append(kept)
            return items
        return node

    return walk(raw, "")


_REMOVED: Final = object()

