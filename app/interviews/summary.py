"""The record's answers as plain rows for summary lists (check your answers, the record page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.core.london import LONDON
from app.record import codes
from app.record.formats import parse_timestamp

NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class Row:
    key: str
    value: str
    href: str


@dataclass(frozen=True)
class Block:
    title: str
    rows: list[Row]


def london(value: Any) -> str:
    moment = parse_timestamp(value) if isinstance(value, str) else None
    if moment is None:
        return NOT_RECORDED
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _day(value: Any) -> str:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    return f"{day.day} {day:%B %Y}" if day else NOT_RECORDED


def _code(table: Mapping[str, str], value: Any) -> str:
    return table.get(value, str(value)) if value else NOT_RECORDED


def _many(table: Mapping[str, str], values: Any) -> str:
    return ", ".join(table.get(v, v) for v in values) if values else "None recorded"


def _yes_no(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, NOT_RECORDED) if value is not None \
        else NOT_RECORDED


def _text(value: Any) -> str:
    return str(value) if value not in (None, "") else NOT_RECORDED


def _organisation(names: Mapping[str, str], code: Any) -> str:
    if not code:
        return NOT_RECORDED
    name = names.get(str(code))
    return f"{name} ({code})" if name else str(code)


def _places(locations: Any) -> str:
    places = [" ".join(filter(None, [place.get("description"), place.get("postcode")]))
              for place in locations or [] if isinstance(place, dict)]
    return "; ".join(p for p in places if p) or "None recorded"


def _attempts(attempts: Any) -> str:
    described = [f"{london(a.get('at'))}, {_code(codes.ATTEMPT_METHOD, a.get('method')).lower()}"
                 + (f": {a['result']}" if a.get("result") else "")
                 for a in attempts or [] if isinstance(a, dict)]
    return "; ".join(described) or "None recorded"


def _action_status(action: Mapping[str, Any]) -> str:
    status = action.get("status")
    if status:
        return _code(codes.ACTION_STATUS, status)
    return codes.ACTION_STATUS["done"] if action.get("at") else NOT_RECORDED  # before 2027.1


def _done_at(action: Mapping[str, Any]) -> str:
    if action.get("status") in ("planned", "not_done") and not action.get("at"):
        return "Not done yet" if action.get("status") == "planned" else "Not done"
    return london(action.get("at"))


def _action_rows(actions: Any, base: str) -> list[Row]:
    rows = []
    for n, action in enumerate(actions or []):
        if not isinstance(action, dict):
            continue
        p, k = f"{base}/actions#actions-{n}", f"Action {n + 1}"
        rows += [
            Row(k, _code(codes.ACTION_TYPE, action.get("type")), f"{p}-type"),
            Row(f"{k}: who owns it", _text(action.get("owner")), f"{p}-owner"),
            Row(f"{k}: agency", _text(action.get("agency")), f"{p}-agency"),
            Row(f"{k}: due", london(action.get("due_at")), f"{p}-due_at-day"),
            Row(f"{k}: status", _action_status(action), f"{p}-status"),
            Row(f"{k}: when it was done", _done_at(action), f"{p}-at-day"),
            Row(f"{k}: outcome", _text(action.get("outcome")), f"{p}-outcome"),
            Row(f"{k}: notes", _text(action.get("notes")), f"{p}-notes"),
        ]
    return rows


def summarise(doc: Mapping[str, Any], base: str,
              organisations: Mapping[str, str] | None = None) -> list[Block]:
    """Every answer of the document, grouped as the form's sections are and in their order,
    with change links. `organisations`: names by code, so an organisation reads as
    "Name (code)". An answer no longer asked is listed when the record holds it."""
    names = organisations or {}
    child = doc.get("child") or {}
    c = f"{base}/child#child"
    blocks = [Block("The child", [
        Row("Case identifier", _text(child.get("local_id")), f"{c}-local_id"),
        Row("No case id with children's services", _yes_no(child.get("no_case_id")),
            f"{c}-no_case_id"),
        Row("Name", _text(" ".join(filter(None, [child.get("given_name"),
                                                 child.get("family_name")]))),
            f"{c}-given_name"),
        Row("Date of birth", _day(child.get("date_of_birth")), f"{c}-date_of_birth-day"),
        Row("Gender", _code(codes.GENDER, child.get("gender")), f"{c}-gender"),
        Row("Ethnicity", _code(codes.ETHNICITY, child.get("ethnicity")), f"{c}-ethnicity"),
        Row(codes.UASC_LABEL, _yes_no(child.get("uasc")), f"{c}-uasc"),
        Row("Disability or special educational needs (SEND)",
            _code(codes.DISABILITY_OR_SEND, child.get("disability_or_send")),
            f"{c}-disability_or_send"),
        Row("Involvement with children's services",
            _code(codes.LEGAL_STATUS, child.get("legal_status")), f"{c}-legal_status"),
        Row("Responsible authority", _organisation(names, child.get("responsible_authority")),
            f"{c}-responsible_authority"),
        Row("Type of home or placement", _code(codes.PLACEMENT_TYPE, child.get("placement_type")),
            f"{c}-placement_type"),
        Row("Lives in (if placed elsewhere)",
            _organisation(names, child.get("placement_authority")),
            f"{c}-placement_authority"),
    ])]
    for i, episode in enumerate(doc.get("episodes") or []):
        p = f"{base}/episodes#episodes-{i}"
        blocks.append(Block(f"Episode {i + 1}", [
            Row("Type", _code(codes.EPISODE_TYPE, episode.get("type")), f"{p}-type"),
            Row("Went missing", london(episode.get("started_at")), f"{p}-started_at-day"),
            Row("Returned", london(episode.get("returned_at")) if episode.get("returned_at")
                else "Still missing", f"{p}-returned_at-day"),
            Row("Reported to the police", _yes_no(episode.get("reported_to_police")),
                f"{p}-reported_to_police"),
            Row("Police reference", _text(episode.get("police_reference")),
                f"{p}-police_reference"),
            Row("Police risk grade", _code(codes.POLICE_RISK_GRADE,
                                           episode.get("police_risk_grade")),
                f"{p}-police_risk_grade"),
            Row("Where found", _text(" ".join(filter(None, [episode.get("found_location"),
                                                            episode.get("found_postcode")]))),
                f"{p}-found_location"),
            Row("Who brought the child back",
                _code(codes.BROUGHT_BACK_BY, episode.get("brought_back_by")),
                f"{p}-brought_back_by"),
            Row("Police prevention (safe and well) interview",
                london(episode.get("prevention_interview_at")),
                f"{p}-prevention_interview_at-day"),
        ]))
    offer = doc.get("offer") or {}
    blocks.append(Block("The offer", [
        Row("Outcome", _code(codes.OFFER_OUTCOME, offer.get("outcome")),
            f"{base}/offer#offer-outcome"),
        Row("Offered", london(offer.get("offered_at")), f"{base}/offer#offer-offered_at-day"),
        Row("Attempts", _attempts(offer.get("attempts")), f"{base}/offer#offer-attempts"),
        Row("Why not offered", _text(offer.get("not_offered_reason")),
            f"{base}/offer#offer-not_offered_reason"),
        Row("Reason declined", _text(offer.get("decline_reason")),
            f"{base}/offer#offer-decline_reason"),
        Row("What carers know", _text(offer.get("carer_information")),
            f"{base}/offer#offer-carer_information"),
    ]))
    i_doc = doc.get("interview") or {}
    p = f"{base}/interview#interview"
    kept_independent = ([Row("Independent (recorded before the question was dropped)",
                             _yes_no(i_doc["interviewer_independent"]),
                             f"{p}-interviewer_independent")]
                        if i_doc.get("interviewer_independent") is not None else [])
    blocks.append(Block("The interview", [
        Row("Held", london(i_doc.get("conducted_at")), f"{p}-conducted_at-day"),
        Row("How", _code(codes.MODE, i_doc.get("mode")), f"{p}-mode"),
        Row("Where it was held", _code(codes.LOCATION_TYPE, i_doc.get("location_type")),
            f"{p}-location_type"),
        Row("Interviewer", _text(i_doc.get("interviewer_name")), f"{p}-interviewer_name"),
        Row("Interviewer's role", _code(codes.INTERVIEWER_ROLE, i_doc.get("interviewer_role")),
            f"{p}-interviewer_role"),
        Row("Interviewer's involvement with the child",
            _code(codes.INTERVIEWER_RELATIONSHIP, i_doc.get("interviewer_relationship")),
            f"{p}-interviewer_relationship"),
        *kept_independent,
        Row("Trained", _yes_no(i_doc.get("interviewer_trained")), f"{p}-interviewer_trained"),
        Row("The child chose the interviewer", _yes_no(i_doc.get("child_chose_interviewer")),
            f"{p}-child_chose_interviewer"),
        Row("The child's account", _text(i_doc.get("child_account")), f"{p}-child_account"),
        Row("Push factors", _many(codes.PUSH_FACTORS, i_doc.get("push_factors"))
            + (f" ({i_doc['push_factors_other']})" if i_doc.get("push_factors_other") else ""),
            f"{p}-push_factors"),
        Row("Where the child stayed", _text(i_doc.get("where_stayed")), f"{p}-where_stayed"),
        Row("With whom", _text(i_doc.get("with_whom")), f"{p}-with_whom"),
        Row("How they travelled", _text(i_doc.get("travel")), f"{p}-travel"),
        Row("Places", _places(i_doc.get("locations")), f"{p}-locations"),
        Row("Pull factors", _many(codes.PULL_FACTORS, i_doc.get("pull_factors"))
            + (f" ({i_doc['pull_factors_other']})" if i_doc.get("pull_factors_other") else ""),
            f"{p}-pull_factors"),
        Row("How the child feels now", _text(i_doc.get("feelings_now")), f"{p}-feelings_now"),
        Row("Afraid of anyone", _code(codes.AFRAID_OF_ANYONE, i_doc.get("afraid_of_anyone")),
            f"{p}-afraid_of_anyone"),
        Row("Harm disclosed", _code(codes.HARM_DISCLOSED, i_doc.get("harm_disclosed")),
            f"{p}-harm_disclosed"),
        Row("Health needs", _text(i_doc.get("health_needs")), f"{p}-health_needs"),
        Row("Risk indicators", _many(codes.RISK_INDICATORS, i_doc.get("risk_indicators")),
            f"{p}-risk_indicators"),
        Row("SERAF score", _text(i_doc.get("seraf_score")), f"{p}-seraf_score"),
        Row("Safety information and helplines given",
            _yes_no(i_doc.get("safety_information_given")), f"{p}-safety_information_given"),
        Row("School, college or work", _text(i_doc.get("education")), f"{p}-education"),
        Row("The parent's or carer's view", _text(i_doc.get("carer_view")), f"{p}-carer_view"),
    ]))
    v = f"{base}/voice#interview"
    kept_consent = ([Row("Consent to share (recorded before the question was dropped)",
                         _code(codes.CONSENT_TO_SHARE, i_doc["consent_to_share"]),
                         f"{v}-consent_to_share")]
                    if i_doc.get("consent_to_share") else [])
    blocks.append(Block("The child's voice", [
        Row("Read back to the child", _yes_no(i_doc.get("read_back_to_child")),
            f"{v}-read_back_to_child"),
        Row("The child's wishes", _text(i_doc.get("child_wishes")), f"{v}-child_wishes"),
        Row("Sharing explained", _yes_no(i_doc.get("information_sharing_explained")),
            f"{v}-information_sharing_explained"),
        Row("The child's views on sharing",
            _code(codes.VIEWS_ON_SHARING, i_doc.get("views_on_sharing")),
            f"{v}-views_on_sharing"),
        Row("Lawful basis for sharing", _code(codes.LAWFUL_BASIS, i_doc.get("lawful_basis")),
            f"{v}-lawful_basis"),
        Row("Shared against the child's wishes", _yes_no(i_doc.get("shared_against_wishes")),
            f"{v}-shared_against_wishes"),
        Row("Why it is shared against their wishes",
            _text(i_doc.get("shared_against_wishes_reason")),
            f"{v}-shared_against_wishes_reason"),
        Row("The child was told what will be shared", _yes_no(i_doc.get("child_told_of_sharing")),
            f"{v}-child_told_of_sharing"),
        *kept_consent,
    ]))
    rows = _action_rows(doc.get("actions"), base)
    rows += [Row(f"Shared with {_code(codes.SHARING_WITH, s.get('with')).lower()}",
                 london(s.get("at")), f"{base}/actions#sharing-{n}-with")
             for n, s in enumerate(doc.get("sharing") or [])]
    if not rows:
        rows = [Row("Actions and sharing", "None recorded", f"{base}/actions")]
    blocks.append(Block("Actions and sharing", rows))
    return blocks
