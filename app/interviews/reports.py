"""A report per recipient: `GET /interviews/{id}/report/{recipient}`, a printable page holding only
what one recipient of the findings needs from the record (issue 14, item 2).

`recipient` is a `sharing.with` code (`app.record.codes.SHARING_WITH`); any other is 404. Exactly
who may see the record page may see its reports, with the same 404 for a record the caller may
not see, and each report read is audited as the record page's read is (`interview.view`, with
`page: report` and the recipient).

Every report starts with who it is for, the record's id, version and status, the date and time
it was made, the OFFICIAL-SENSITIVE marking, when the record says it was sent to this recipient,
and which recipients the standard set the record is judged under requires for it
(`app.standards.recipients.required_recipients`).

What each recipient gets (every value read from the stored document; an answer not given reads
"Not recorded"):

- **missing_coordinator, social_worker, personal_adviser, iro, responsible_authority**: the whole
  record. The child (name, date of birth, case id or "no case id", responsible authority, where
  they live, gender, ethnicity, involvement with children's services, unaccompanied
  asylum-seeking, disability or SEND, placement type); every episode in full (type, went missing,
  returned, reported to the police, police reference, police risk grade, where found, who brought
  them back, the police prevention interview); the offer (outcome, offered, attempts, why not
  offered, reason declined, what carers know); the interview (held, how, where, interviewer,
  role, relationship to the child, independent, trained, chosen by the child); why they went
  (push and pull factors); where they were (where they stayed, with whom, travel, places); the
  child's voice (account, wishes, how they feel now, afraid of anyone, read back); harm and risk
  (harm disclosed, risk indicators, SERAF score); health needs; education; the parent's or
  carer's view; safety information given; sharing and the child's views (sharing explained,
  views on sharing, lawful basis, shared against the child's wishes and why, the child told,
  consent as recorded before set 2027.1, who it was sent to and when); every action in full
  (type, status, done, due, owner, agency, notes, outcome).
- **police**: the child's identity (name, date of birth, case id, responsible authority, where
  they live, gender, ethnicity); every episode in full; where they were (where they stayed, with
  whom, places); harm and risk (harm disclosed, risk indicators); every action (type, status,
  done, due, owner, agency; no notes or outcome). Not the child's account, wishes or feelings,
  why they went, health, education or the views on sharing.
- **host_authority, placement_provider**: the child's identity (name, date of birth, case id,
  responsible authority, where they live); every episode in full; the places (where they stayed,
  places); harm and risk (harm disclosed, risk indicators); the safety actions (the actions that
  answer harm or risk, `codes.SAFEGUARDING_ACTIONS_2027`: type, status, done, due, owner,
  agency). Not the child's account.
- **school**: the child's name; when they were missing (each episode's start and return); the
  education answer; education referrals (type, status, done, due, owner, agency); what the
  child wants (`child_wishes`) only when their view on sharing is `agrees`.
- **health**: the child's name and date of birth; health needs; harm disclosed; the self-harm
  and substance misuse indicators; health referrals (type, status, done, due, owner, agency).
- **parent_or_carer**: the child's name; when they were missing (each episode's start and
  return); whether safety information and helplines were given; the actions whose owner or
  agency names a parent or carer (type, status, done, due, owner, agency). When the child's push
  factors include domestic abuse or abuse or neglect (`codes.HARM_AT_HOME_FACTORS`) the page
  warns first: "The child described abuse at home as a reason for going. Think before sharing
  with a parent or carer."
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.templating import templates
from app.core.types import utcnow
from app.interviews.pages import RECORD_ROLES, organisation_names
from app.interviews.recipients import REPORT_FOR, required_for
from app.interviews.summary import NOT_RECORDED, london
from app.record import codes
from app.record.visibility import get_visible
from app.standards.params import set_for

router = APIRouter()

RecordUser = Annotated[Caller, Depends(allow(roles=RECORD_ROLES))]

# "Report for ...": each recipient as the page names it.
HARM_AT_HOME_WARNING: Final = ("The child described abuse at home as a reason for going. "
                               "Think before sharing with a parent or carer.")
# The risk indicators health needs to know of.
HEALTH_INDICATORS: Final = frozenset({"self_harm", "substance_misuse", "sexual_assault",
                                      "physical_harm", "injuries"})
# Words in an action's owner or agency that name a parent or carer (whole words, any case).
PARENT_OR_CARER_WORDS: Final = re.compile(
    r"\b(parents?|carers?|mother|father|mum|mom|dad|step-?(?:mother|father|parent)|guardian|"
    r"foster)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    key: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]
    empty: str = "None recorded"


@dataclass(frozen=True)
class Report:
    recipient: str
    label: str  # the sharing.with label
    report_for: str
    summary: str  # what the report holds, in a sentence
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)


# --- values, read defensively from the stored JSON ------------------------------------------

def _part(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _codes(value: Any) -> list[str]:
    return [str(v) for v in value if v] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") and str(value).strip() else \
        NOT_RECORDED


def _code(table: Mapping[str, str], value: Any) -> str:
    return table.get(str(value), str(value)) if value not in (None, "") else NOT_RECORDED


def _many(table: Mapping[str, str], values: Any) -> str:
    found = _codes(values)
    return ", ".join(table.get(v, v) for v in found) if found else "None recorded"


def _yes_no(value: Any) -> str:
    return "Yes" if value is True else "No" if value is False else NOT_RECORDED


def _day(value: Any) -> str:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    return f"{day.day} {day:%B %Y}" if day else NOT_RECORDED


def _when(value: Any) -> str:
    return london(value) if value else NOT_RECORDED


def _organisation(names: Mapping[str, str], value: Any) -> str:
    if not value:
        return NOT_RECORDED
    name = names.get(str(value))
    return f"{name} ({value})" if name else str(value)


def _name(child: Mapping[str, Any]) -> str:
    return _text(" ".join(str(child.get(part) or "").strip()
                          for part in ("given_name", "family_name")).strip())


def _case_id(child: Mapping[str, Any]) -> str:
    if child.get("no_case_id") is True:
        provisional = child.get("local_id")
        return "No case id with children's services" + (
            f" (provisional id {provisional})" if provisional else "")
    return _text(child.get("local_id"))


def _one(key: str, value: str) -> Row:
    return Row(key, (value,))


# --- the sections ---------------------------------------------------------------------------

Build = Callable[[Mapping[str, Any], Mapping[str, str]], list[Section]]


def _child(*, identity: bool = True, description: bool = False, circumstances: bool = False,
           birth: bool = True) -> Build:
    def build(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
        child = _part(doc, "child")
        rows = [_one("Name", _name(child))]
        if birth:
            rows.append(_one("Date of birth", _day(child.get("date_of_birth"))))
        if identity:
            rows += [_one("Case identifier", _case_id(child)),
                     _one("Responsible authority",
                          _organisation(names, child.get("responsible_authority"))),
                     _one("Lives in (if placed elsewhere)",
                          _organisation(names, child.get("placement_authority")))]
        if description:
            rows += [_one("Gender", _code(codes.GENDER, child.get("gender"))),
                     _one("Ethnicity", _code(codes.ETHNICITY, child.get("ethnicity")))]
        if circumstances:
            rows += [_one("Involvement with children's services",
                          _code(codes.LEGAL_STATUS, child.get("legal_status"))),
                     _one(codes.UASC_LABEL, _yes_no(child.get("uasc"))),
                     _one("Disability or SEND",
                          _code(codes.DISABILITY_OR_SEND, child.get("disability_or_send"))),
                     _one("Placement type",
                          _code(codes.PLACEMENT_TYPE, child.get("placement_type")))]
        return [Section("The child", rows)]
    return build


def _episodes(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    sections = []
    episodes = _items(doc.get("episodes"))
    for number, episode in enumerate(episodes, start=1):
        found = " ".join(str(episode.get(k) or "").strip()
                         for k in ("found_location", "found_postcode")).strip()
        sections.append(Section(f"Episode {number}" if len(episodes) > 1 else "The episode", [
            _one("Type", _code(codes.EPISODE_TYPE, episode.get("type"))),
            _one("Went missing", _when(episode.get("started_at"))),
            _one("Returned", _when(episode.get("returned_at")) if episode.get("returned_at")
                 else "Still missing"),
            _one("Reported to the police", _yes_no(episode.get("reported_to_police"))),
            _one("Police reference", _text(episode.get("police_reference"))),
            _one("Police risk grade",
                 _code(codes.POLICE_RISK_GRADE, episode.get("police_risk_grade"))),
            _one("Where found", _text(found)),
            _one("Brought back by", _code(codes.BROUGHT_BACK_BY, episode.get("brought_back_by"))),
            _one("Police prevention interview", _when(episode.get("prevention_interview_at"))),
        ]))
    return sections or [Section("The episode", [])]


def _episode_dates(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    episodes = _items(doc.get("episodes"))
    rows = [_one(f"Episode {number}" if len(episodes) > 1 else "Missing",
                 f"From {_when(e.get('started_at'))} to "
                 + (_when(e.get("returned_at")) if e.get("returned_at") else "now (still missing)"))
            for number, e in enumerate(episodes, start=1)]
    return [Section("When the child was missing", rows)]


def _offer(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    offer = _part(doc, "offer")
    attempts = [f"{_when(a.get('at'))}, {_code(codes.ATTEMPT_METHOD, a.get('method')).lower()}"
                + (f": {a['result']}" if a.get("result") else "")
                for a in _items(offer.get("attempts"))]
    return [Section("The offer", [
        _one("Outcome", _code(codes.OFFER_OUTCOME, offer.get("outcome"))),
        _one("Offered", _when(offer.get("offered_at"))),
        Row("Attempts", tuple(attempts) or ("None recorded",)),
        _one("Why not offered", _text(offer.get("not_offered_reason"))),
        _one("Reason declined", _text(offer.get("decline_reason"))),
        _one("What carers know", _text(offer.get("carer_information"))),
    ])]


def _interview(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    return [Section("The interview", [
        _one("Held", _when(i.get("conducted_at"))),
        _one("How", _code(codes.MODE, i.get("mode"))),
        _one("Where it was held", _code(codes.LOCATION_TYPE, i.get("location_type"))),
        _one("Interviewer", _text(i.get("interviewer_name"))),
        _one("Interviewer's role", _code(codes.INTERVIEWER_ROLE, i.get("interviewer_role"))),
        _one("Interviewer's involvement with the child",
             _code(codes.INTERVIEWER_RELATIONSHIP, i.get("interviewer_relationship"))),
        _one("Independent", _yes_no(i.get("interviewer_independent"))),
        _one("Trained", _yes_no(i.get("interviewer_trained"))),
        _one("The child chose the interviewer", _yes_no(i.get("child_chose_interviewer"))),
    ])]


def _why(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    return [Section("Why the child went", [
        _one("Push factors", _many(codes.PUSH_FACTORS, i.get("push_factors"))
             + (f" ({i['push_factors_other']})" if i.get("push_factors_other") else "")),
        _one("Pull factors", _many(codes.PULL_FACTORS, i.get("pull_factors"))
             + (f" ({i['pull_factors_other']})" if i.get("pull_factors_other") else "")),
    ])]


def _places_of(i: Mapping[str, Any]) -> tuple[str, ...]:
    places = [" ".join(str(p.get(k) or "").strip() for k in ("description", "postcode")).strip()
              for p in _items(i.get("locations"))]
    return tuple(p for p in places if p) or ("None recorded",)


def _where(*, with_whom: bool, travel: bool) -> Build:
    def build(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
        i = _part(doc, "interview")
        rows = [_one("Where the child stayed", _text(i.get("where_stayed")))]
        if with_whom:
            rows.append(_one("With whom", _text(i.get("with_whom"))))
        if travel:
            rows.append(_one("How they travelled", _text(i.get("travel"))))
        rows.append(Row("Places", _places_of(i)))
        return [Section("Where the child was" + (" and who with" if with_whom else ""), rows)]
    return build


def _voice(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    return [Section("The child's voice", [
        _one("The child's account", _text(i.get("child_account"))),
        _one("What the child wants", _text(i.get("child_wishes"))),
        _one("How they feel now", _text(i.get("feelings_now"))),
        _one("Afraid of anyone", _code(codes.AFRAID_OF_ANYONE, i.get("afraid_of_anyone"))),
        _one("Read back to the child", _yes_no(i.get("read_back_to_child"))),
    ])]


def _risks(*, seraf: bool) -> Build:
    def build(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
        i = _part(doc, "interview")
        rows = [_one("Harm disclosed", _code(codes.HARM_DISCLOSED, i.get("harm_disclosed"))),
                _one("Risk indicators", _many(codes.RISK_INDICATORS, i.get("risk_indicators")))]
        if seraf:
            rows.append(_one("SERAF score", _text(i.get("seraf_score"))))
        return [Section("Harm and risk", rows)]
    return build


def _health(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    shown = [c for c in _codes(i.get("risk_indicators")) if c in HEALTH_INDICATORS]
    return [Section("Health", [
        _one("Health needs", _text(i.get("health_needs"))),
        _one("Harm disclosed", _code(codes.HARM_DISCLOSED, i.get("harm_disclosed"))),
        _one("Self-harm or substance misuse", _many(codes.RISK_INDICATORS, shown)),
    ])]


def _answer(title: str, key: str, name: str) -> Build:
    def build(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
        return [Section(title, [_one(key, _text(_part(doc, "interview").get(name)))])]
    return build


def _safety_information(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    given = _part(doc, "interview").get("safety_information_given")
    return [Section("Safety information", [
        _one("Safety information and helplines given to the child", _yes_no(given))])]


def _sharing(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    sent = [f"{_code(codes.SHARING_WITH, s.get('with'))}: {_when(s.get('at'))}"
            for s in _items(doc.get("sharing"))]
    rows = [
        _one("Sharing explained to the child", _yes_no(i.get("information_sharing_explained"))),
        _one("The child's views on sharing",
             _code(codes.VIEWS_ON_SHARING, i.get("views_on_sharing"))),
        _one("Lawful basis", _code(codes.LAWFUL_BASIS, i.get("lawful_basis"))),
        _one("Shared against the child's wishes", _yes_no(i.get("shared_against_wishes"))),
    ]
    if i.get("shared_against_wishes") is True or i.get("shared_against_wishes_reason"):
        rows += [_one("Why", _text(i.get("shared_against_wishes_reason"))),
                 _one("The child was told", _yes_no(i.get("child_told_of_sharing")))]
    if i.get("consent_to_share"):
        rows.append(_one("Consent to share (as recorded before set 2027.1)",
                         _code(codes.CONSENT_TO_SHARE, i.get("consent_to_share"))))
    rows.append(Row("Sent to", tuple(sent) or ("None recorded",)))
    return [Section("Sharing and the child's views", rows)]


def _school_wishes(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
    i = _part(doc, "interview")
    if i.get("views_on_sharing") != "agrees":
        return []  # the child has not agreed to it being shared
    return [Section("What the child wants", [
        _one("What the child wants", _text(i.get("child_wishes")))])]


def _names_parent_or_carer(action: Mapping[str, Any]) -> bool:
    return any(isinstance(action.get(k), str) and PARENT_OR_CARER_WORDS.search(action[k])
               for k in ("owner", "agency"))


def _actions(title: str, keep: Callable[[Mapping[str, Any]], bool], *, full: bool,
             empty: str = "None recorded") -> Build:
    def build(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[Section]:
        rows = []
        for action in _items(doc.get("actions")):
            if not keep(action):
                continue
            status = action.get("status") or "done"  # absent: done at `at` (before 2027.1)
            lines = [_code(codes.ACTION_STATUS, status)
                     + (f" {_when(action.get('at'))}" if status == "done" and action.get("at")
                        else "")]
            if action.get("due_at"):
                lines.append(f"Due {_when(action.get('due_at'))}")
            for key, label in (("owner", "Owner"), ("agency", "Agency")):
                if action.get(key):
                    lines.append(f"{label}: {action[key]}")
            if full:
                for key, label in (("notes", "Notes"), ("outcome", "Outcome")):
                    if action.get(key):
                        lines.append(f"{label}: {action[key]}")
            rows.append(Row(_code(codes.ACTION_TYPE, action.get("type")), tuple(lines)))
        return [Section(title, rows, empty)]
    return build


def _every(action: Mapping[str, Any]) -> bool:
    return True


def _of_types(*types: str | frozenset[str]) -> Callable[[Mapping[str, Any]], bool]:
    wanted = {t for group in types for t in ([group] if isinstance(group, str) else group)}
    return lambda action: action.get("type") in wanted


# What each recipient gets, in order: the sections, and what they hold in a sentence.
WHOLE_RECORD: Final[tuple[Build, ...]] = (
    _child(description=True, circumstances=True), _episodes, _offer, _interview, _why,
    _where(with_whom=True, travel=True), _voice, _risks(seraf=True),
    _answer("Health", "Health needs", "health_needs"),
    _answer("Education", "Education", "education"),
    _answer("The parent's or carer's view", "What the parent or carer said", "carer_view"),
    _safety_information, _sharing, _actions("Actions", _every, full=True),
)
PLACEMENT: Final[tuple[Build, ...]] = (
    _child(), _episodes, _where(with_whom=False, travel=False), _risks(seraf=False),
    _actions("Safety actions", _of_types(codes.SAFEGUARDING_ACTIONS_2027), full=False),
)
CONTENTS: Final[dict[str, tuple[str, tuple[Build, ...]]]] = {
    **dict.fromkeys(("missing_coordinator", "social_worker", "personal_adviser", "iro",
                     "responsible_authority"),
                    ("the whole record, the child's account included", WHOLE_RECORD)),
    "police": (
        "the child's identity, the episodes, where the child was and who with, harm and risk, "
        "and the actions; not the child's account, wishes or feelings",
        (_child(description=True), _episodes, _where(with_whom=True, travel=False),
         _risks(seraf=False), _actions("Actions", _every, full=False))),
    "host_authority": ("the child's identity, the episodes, the places, harm and risk and the "
                       "safety actions; not the child's account", PLACEMENT),
    "placement_provider": ("the child's identity, the episodes, the places, harm and risk and "
                           "the safety actions; not the child's account", PLACEMENT),
    "school": (
        "the child's name, when they were missing, education and education referrals, and what "
        "the child wants only when they agree to it being shared",
        (_child(identity=False, birth=False), _episode_dates,
         _answer("Education", "Education", "education"),
         _actions("Education referrals", _of_types("education_referral"), full=False),
         _school_wishes)),
    "health": (
        "the child's name and date of birth, health needs, harm disclosed, self-harm and "
        "substance misuse, and health referrals",
        (_child(identity=False), _health,
         _actions("Health referrals", _of_types("health_referral"), full=False))),
    "parent_or_carer": (
        "the child's name, when they were missing, whether safety information was given, and "
        "the actions for the parent or carer",
        (_child(identity=False, birth=False), _episode_dates, _safety_information,
         _actions("Actions for the parent or carer", _names_parent_or_carer, full=False))),
}


def build_report(recipient: str, doc: Mapping[str, Any],
                 names: Mapping[str, str] | None = None) -> Report:
    """The report for `recipient` (a `sharing.with` code) of a stored document."""
    summary, builds = CONTENTS[recipient]
    sections = [section for build in builds for section in build(doc, names or {})]
    warnings = []
    push = set(_codes(_part(doc, "interview").get("push_factors")))
    if recipient == "parent_or_carer" and push & codes.HARM_AT_HOME_FACTORS:
        warnings.append(HARM_AT_HOME_WARNING)
    return Report(recipient, codes.SHARING_WITH[recipient], REPORT_FOR[recipient], summary,
                  sections, warnings)


@router.get("/interviews/{interview_id}/report/{recipient}", response_class=HTMLResponse)
def report_page(request: Request, interview_id: UUID, recipient: str, db: SessionDep,
                user: RecordUser) -> Response:
    """The report for one recipient: only what they need from the record, ready to print."""
    if recipient not in CONTENTS:
        # Before the record is read: the answer says nothing about the record.
        raise NotFound("There is no report for this recipient")
    interview = get_visible(db, interview_id, user.organisation_code)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="interview.view", target=str(interview.id), address=user.address,
                 details={"page": "report", "recipient": recipient})
    required = required_for(interview)
    sent = [s.get("at") for s in _items(interview.document.get("sharing"))
            if s.get("with") == recipient]
    return templates.TemplateResponse(request, "interviews/report.html", {
        "current_user": user, "csrf_token": user.csrf_token, "interview": interview,
        "report": build_report(recipient, interview.document, organisation_names(db)),
        "required": [codes.SHARING_WITH[code] for code in required],
        "is_required": recipient in required,
        "standard_set": set_for(interview.standard_set).version,
        "sent": [_when(at) for at in sent], "made_at": utcnow()})
