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


def summarise(doc: Mapping[str, Any], base: str,
              organisations: Mapping[str, str] | None = None) -> list[Block]:
    """Every answer of the document, grouped as the form's sections are, with change links.
    `organisations`: names by code, so an organisation reads as "Name (code)"."""
    names = organisations or {}
    child = doc.get("child") or {}
    blocks = [Block("The child", [
        Row("Case identifier", _text(child.get("local_id")), f"{base}/child#child-local_id"),
        Row("Name", _text(" ".join(filter(None, [child.get("given_name"),
                                                 child.get("family_name")]))),
            f"{base}/child#child-given_name"),
        Row("Date of birth", _day(child.get("date_of_birth")),
            f"{base}/child#child-date_of_birth-day"),
        Row("Gender", _code(codes.GENDER, child.get("gender")), f"{base}/child#child-gender"),
        Row("Ethnicity", _code(codes.ETHNICITY, child.get("ethnicity")),
            f"{base}/child#child-ethnicity"),
        Row("Legal status", _code(codes.LEGAL_STATUS, child.get("legal_status")),
            f"{base}/child#child-legal_status"),
        Row("Responsible authority", _organisation(names, child.get("responsible_authority")),
            f"{base}/child#child-responsible_authority"),
        Row("Lives in (if placed elsewhere)",
            _organisation(names, child.get("placement_authority")),
            f"{base}/child#child-placement_authority"),
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
    blocks.append(Block("The interview", [
        Row("Held", london(i_doc.get("conducted_at")), f"{p}-conducted_at-day"),
        Row("How", _code(codes.MODE, i_doc.get("mode")), f"{p}-mode"),
        Row("Where it was held", _code(codes.LOCATION_TYPE, i_doc.get("location_type")),
            f"{p}-location_type"),
        Row("Interviewer", _text(i_doc.get("interviewer_name")), f"{p}-interviewer_name"),
        Row("Interviewer's role", _code(codes.INTERVIEWER_ROLE, i_doc.get("interviewer_role")),
            f"{p}-interviewer_role"),
        Row("Independent", _yes_no(i_doc.get("interviewer_independent")),
            f"{p}-interviewer_independent"),
        Row("Trained", _yes_no(i_doc.get("interviewer_trained")), f"{p}-interviewer_trained"),
        Row("The child chose the interviewer", _yes_no(i_doc.get("child_chose_interviewer")),
            f"{p}-child_chose_interviewer"),
        Row("Push factors", _many(codes.PUSH_FACTORS, i_doc.get("push_factors"))
            + (f" ({i_doc['push_factors_other']})" if i_doc.get("push_factors_other") else ""),
            f"{p}-push_factors"),
        Row("Pull factors", _many(codes.PULL_FACTORS, i_doc.get("pull_factors"))
            + (f" ({i_doc['pull_factors_other']})" if i_doc.get("pull_factors_other") else ""),
            f"{p}-pull_factors"),
        Row("Where the child stayed", _text(i_doc.get("where_stayed")), f"{p}-where_stayed"),
        Row("With whom", _text(i_doc.get("with_whom")), f"{p}-with_whom"),
        Row("How they travelled", _text(i_doc.get("travel")), f"{p}-travel"),
        Row("Places", _places(i_doc.get("locations")), f"{p}-locations"),
        Row("Harm disclosed", _code(codes.HARM_DISCLOSED, i_doc.get("harm_disclosed")),
            f"{p}-harm_disclosed"),
        Row("Risk indicators", _many(codes.RISK_INDICATORS, i_doc.get("risk_indicators")),
            f"{p}-risk_indicators"),
        Row("SERAF score", _text(i_doc.get("seraf_score")), f"{p}-seraf_score"),
    ]))
    v = f"{base}/voice#interview"
    blocks.append(Block("The child's voice", [
        Row("The child's account", _text(i_doc.get("child_account")), f"{v}-child_account"),
        Row("The child's wishes", _text(i_doc.get("child_wishes")), f"{v}-child_wishes"),
        Row("Read back to the child", _yes_no(i_doc.get("read_back_to_child")),
            f"{v}-read_back_to_child"),
        Row("Sharing explained", _yes_no(i_doc.get("information_sharing_explained")),
            f"{v}-information_sharing_explained"),
        Row("Consent to share", _code(codes.CONSENT_TO_SHARE, i_doc.get("consent_to_share")),
            f"{v}-consent_to_share"),
    ]))
    rows = [Row(_code(codes.ACTION_TYPE, a.get("type")),
                london(a.get("at")) + (f": {a['notes']}" if a.get("notes") else ""),
                f"{base}/actions#actions-{n}-type")
            for n, a in enumerate(doc.get("actions") or [])]
    rows += [Row(f"Shared with {_code(codes.SHARING_WITH, s.get('with')).lower()}",
                 london(s.get("at")), f"{base}/actions#sharing-{n}-with")
             for n, s in enumerate(doc.get("sharing") or [])]
    if not rows:
        rows = [Row("Actions and sharing", "None recorded", f"{base}/actions")]
    blocks.append(Block("Actions and sharing", rows))
    return blocks
