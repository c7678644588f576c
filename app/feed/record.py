"""The pseudonymised feed record (`data-dictionary.md`, "Analyst feed record"), as JSON and CSV.

Built field by field from an allow-list: nothing from the document reaches the feed unless it is
named here, so a field added to the interview document later stays out of the feed until someone
decides it belongs. Never here: names, `local_id`, `date_of_birth`, full postcodes, the child's
account or wishes, any free text, police references, interviewer names.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import orjson

from app.core.london import london_day
from app.record.document import InterviewDocument
from app.record.formats import normalise_postcode, parse_timestamp
from app.record.models import Interview
from app.standards import CURRENT
from app.standards.params import STANDARDS

STANDARD_CODES: Final = tuple(info.code for info in STANDARDS)
# The standards whose CSV columns sit with set 2026.1's fields; a standard added since has its
# column after every other one (`LATER_STANDARD_CODES`), so no column moves.
_IN_PLACE: Final = STANDARD_CODES.index("actions-followed-through") + 1
LATER_STANDARD_CODES: Final = STANDARD_CODES[_IN_PLACE:]
RESULTS: Final = ("met", "not_met", "not_applicable", "pending")
PASSED = " The deadline has passed."
FINDING_KEYS: Final = ("code", "set_version", "result", "due_at", "evidence_at", "detail")
REPEAT_WINDOW: Final = timedelta(days=90)

# Bands of age at return. Finer than the DfE's looked-after bands (10 to 15, 16 and over) in
# the teenage years, where most missing episodes fall; care leavers (up to 24) stand apart.
AGE_BANDS: Final = ("under_10", "10_to_12", "13_to_15", "16_to_17", "18_and_over")

EPISODE_FIELDS: Final = ("type", "started_at", "returned_at", "duration_hours",
                         "reported_to_police", "police_risk_grade", "found_district")

# Episode fields added with standard set 2027.1 (CSV columns after every earlier one).
LATER_EPISODE_FIELDS: Final = ("brought_back_by", "prevention_interview_at")
# An action in the feed: no free text (owner, agency, notes and outcome are never in it).
ACTION_FIELDS: Final = ("type", "status", "due_at", "at")

# The columns of the CSV feed: the record's fields with episodes spread into one column per
# episode field (values joined with `;`, in episode order) and one column per standard.
CSV_COLUMNS: Final = (
    "interview_id", "version", "status", "updated_at", "submitted_at", "approved_at",
    "recorded_by_org", "responsible_authority", "placement_authority", "out_of_area",
    "child_key", "age_at_return", "gender", "ethnicity", "legal_status",
    *(f"episodes.{name}" for name in EPISODE_FIELDS),
    "outcome", "offered_at", "conducted_at", "hours_to_offer", "hours_to_interview", "mode",
    "interviewer_role", "interviewer_independent", "push_factors", "pull_factors",
    "risk_indicators", "harm_disclosed", "seraf_category", "location_districts", "action_types",
    "shared_with", "episodes_in_last_90_days",
    *(f"standards.{code}" for code in STANDARD_CODES[:_IN_PLACE]),
    # Added with standard set 2027.1: after every earlier column, so none moves.
    "standard_set", "uasc", "disability_or_send", "placement_type",
    *(f"episodes.{name}" for name in LATER_EPISODE_FIELDS),
    "interviewer_relationship", "afraid_of_anyone", "safety_information_given",
    "views_on_sharing", "lawful_basis", "shared_against_wishes", "child_told_of_sharing",
    *(f"actions.{name}" for name in ACTION_FIELDS),
    # Standards added to a set later (`placing-authority-told`): last, so no column moves.
    *(f"standards.{code}" for code in LATER_STANDARD_CODES),
)


def child_key(secret: str, responsible_authority: str | None, local_id: str | None) -> str | None:
    """HMAC-SHA256 of `responsible_authority:local_id` with the deployment's pseudonym key."""
    if not responsible_authority or not local_id:
        return None
    message = f"{responsible_authority}:{local_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def district(postcode: str | None) -> str | None:
    """The outward code of a postcode (`BS16 1QY` → `BS16`): an area, never an address."""
    if not postcode:
        return None
    normal = normalise_postcode(postcode)
    return normal.split(" ", 1)[0] if normal else None


def age_in_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    if age < 10:
        return "under_10"
    if age <= 12:
        return "10_to_12"
    if age <= 15:
        return "13_to_15"
    if age <= 17:
        return "16_to_17"
    return "18_and_over"


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def feed_timestamp(value: datetime) -> str:
    """A moment as every feed writes it, in JSON, NDJSON and CSV alike: UTC, always to the
    microsecond, `2026-03-01T18:30:00.000000Z`. One width, so sorting the text sorts the times,
    and one format, which a reader's parser (pandas', Power Query's) guesses from the first
    value and then applies to every other. (The record API writes a fraction only when there
    is one; the feed does not, so that no column mixes the two.)"""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def feed_timestamp_text(text: str | None) -> str | None:
    """A moment stored as text (a finding's `due_at`), written as `feed_timestamp` writes it."""
    moment = parse_timestamp(text) if isinstance(text, str) else None
    return feed_timestamp(moment) if moment is not None else text


def _timestamp(value: datetime | None) -> str | None:
    return feed_timestamp(value) if value is not None else None


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def period_anchor(doc: InterviewDocument) -> datetime | None:
    """What places a record in time: the latest return, else (still missing) the latest start."""
    if doc.latest_return is not None:
        return doc.latest_return
    starts = [e.started_at for e in doc.episodes if e.started_at is not None]
    return max(starts) if starts else None


def served_findings(findings: Sequence[Mapping[str, Any]], now: datetime
                    ) -> list[dict[str, Any]]:
    """The findings as they stand at `now`: a pending finding past its deadline is `not_met`.

    The same rule as `interviews.service.current_findings` (which the feed cannot import without
    an import cycle), so the feed never serves a stale `pending`.
    """
    result = []
    for stored in findings:
        # Rebuilt in a fixed key order: PostgreSQL's JSONB does not keep the stored order, and
        # the same finding must always be the same bytes.
        finding = {key: stored.get(key) for key in FINDING_KEYS}
        finding["due_at"] = feed_timestamp_text(finding["due_at"])
        finding["evidence_at"] = feed_timestamp_text(finding["evidence_at"])
        due = finding["due_at"]
        if finding["result"] == "pending" and isinstance(due, str):
            deadline = parse_timestamp(due)
            if deadline is not None and deadline < now:
                finding["result"] = "not_met"
                finding["detail"] = f"{finding['detail'] or ''}{PASSED}"
        result.append(finding)
    return result


@dataclass(frozen=True, slots=True)
class Projection:
    """One interview as the feed holds it: the record, and the columns that filter and count."""

    record: dict[str, Any]
    columns: dict[str, Any]
    pending: dict[str, datetime]  # code → deadline of each finding still pending
    json_line: str
    csv_row: str

    @property
    def values(self) -> dict[str, Any]:
        """The whole `feed_rows` row."""
        return {**self.columns, "json_line": self.json_line, "csv_row": self.csv_row}


def project(interview: Interview, doc: InterviewDocument, findings: list[dict[str, Any]], *,
            updated_at: datetime, pseudonym_key: str, episodes_in_last_90_days: int | None,
            now: datetime) -> Projection:
    """The feed record of a stored interview (its document and findings as `projection.fed`
    chose them, its status and timestamps), with its derived columns."""
    child, offer, content = doc.child, doc.offer, doc.interview
    latest_return = doc.latest_return
    anchor = period_anchor(doc)
    local_anchor = london_day(anchor) if anchor else None
    age = (age_in_years(child.date_of_birth, local_anchor)
           if child.date_of_birth and local_anchor else None)
    conducted_at = content.conducted_at if content else None
    hours_to_offer = hours_between(latest_return, offer.offered_at)
    hours_to_interview = hours_between(latest_return, conducted_at)
    findings = served_findings(findings, now)
    record: dict[str, Any] = {
        "interview_id": str(interview.id),
        "version": interview.version,
        "status": interview.status,
        "updated_at": feed_timestamp(updated_at),
        "submitted_at": _timestamp(interview.submitted_at),
        "approved_at": _timestamp(interview.approved_at),
        "recorded_by_org": interview.recorded_by_org,
        "responsible_authority": child.responsible_authority,
        "placement_authority": child.placement_authority,
        "out_of_area": child.out_of_area,
        "child_key": child_key(pseudonym_key, child.responsible_authority, child.local_id),
        "age_at_return": age,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "legal_status": child.legal_status,
        "episodes": [{
            "type": e.type,
            "started_at": _timestamp(e.started_at),
            "returned_at": _timestamp(e.returned_at),
            "duration_hours": hours_between(e.started_at, e.returned_at),
            "reported_to_police": e.reported_to_police,
            "police_risk_grade": e.police_risk_grade,
            "found_district": district(e.found_postcode),
            "brought_back_by": e.brought_back_by,
            "prevention_interview_at": _timestamp(e.prevention_interview_at),
        } for e in doc.episodes],
        "outcome": offer.outcome,
        "offered_at": _timestamp(offer.offered_at),
        "conducted_at": _timestamp(conducted_at),
        "hours_to_offer": hours_to_offer,
        "hours_to_interview": hours_to_interview,
        "mode": content.mode if content else None,
        "interviewer_role": content.interviewer_role if content else None,
        "interviewer_independent": content.interviewer_independent if content else None,
        "push_factors": list(content.push_factors) if content else [],
        "pull_factors": list(content.pull_factors) if content else [],
        "risk_indicators": list(content.risk_indicators) if content else [],
        "harm_disclosed": content.harm_disclosed if content else None,
        "seraf_category": content.seraf_category if content else None,
        "location_districts": _unique(district(place.postcode)
                                      for place in (content.locations if content else ())),
        "action_types": _unique(action.type for action in doc.actions),
        "shared_with": _unique(sharing.with_ for sharing in doc.sharing),
        "episodes_in_last_90_days": episodes_in_last_90_days,
        "standards": findings,
        "standard_set": interview.standard_set or CURRENT.version,
        "uasc": child.uasc,
        "disability_or_send": child.disability_or_send,
        "placement_type": child.placement_type,
        "interviewer_relationship": content.interviewer_relationship if content else None,
        "afraid_of_anyone": content.afraid_of_anyone if content else None,
        "safety_information_given": content.safety_information_given if content else None,
        "views_on_sharing": content.views_on_sharing if content else None,
        "lawful_basis": content.lawful_basis if content else None,
        "shared_against_wishes": content.shared_against_wishes if content else None,
        "child_told_of_sharing": content.child_told_of_sharing if content else None,
        "actions": [{"type": a.type, "status": a.status or "done",
                     "due_at": _timestamp(a.due_at), "at": _timestamp(a.at)}
                    for a in doc.actions],
    }
    pending = {}
    for finding in findings:
        due = parse_timestamp(finding["due_at"]) if finding.get("due_at") else None
        if finding.get("result") == "pending" and due is not None:
            pending[str(finding["code"])] = due
    offer_limit = timedelta(hours=CURRENT.offer_hours)
    interview_limit = timedelta(hours=CURRENT.interview_hours)
    columns: dict[str, Any] = {
        "interview_id": interview.id,
        "updated_at": updated_at,
        "version": interview.version,
        "status": interview.status,
        "recorded_by_org": interview.recorded_by_org,
        "responsible_authority": child.responsible_authority,
        "placement_authority": child.placement_authority,
        "out_of_area": child.out_of_area,
        "legal_status": child.legal_status,
        "gender": child.gender,
        "age_band": age_band(age),
        "child_key": record["child_key"],
        "outcome": offer.outcome,
        "episode_count": len(doc.episodes),
        "latest_returned_at": latest_return,
        "period_date": local_anchor,
        "period_month": f"{local_anchor:%Y-%m}" if local_anchor else None,
        "period_quarter": quarter_of(local_anchor) if local_anchor else None,
        "offered_within_72h": bool(latest_return and offer.offered_at
                                   and offer.offered_at - latest_return <= offer_limit),
        "completed_within_72h": bool(offer.outcome == "completed" and latest_return
                                     and conducted_at
                                     and conducted_at - latest_return <= interview_limit),
        "push_factors": delimited(record["push_factors"]),
        "pull_factors": delimited(record["pull_factors"]),
        "risk_indicators": delimited(record["risk_indicators"]),
        "action_types": delimited(record["action_types"]),
        "standard_results": results_letters(findings),
        "next_due_at": min(pending.values()) if pending else None,
        # The board pack's (`board_pack.py`; `models.FeedRow` says what each holds).
        "ethnicity": child.ethnicity,
        "disability_or_send": child.disability_or_send,
        "uasc": child.uasc,
        "placement_type": child.placement_type,
        "decline_reason_given": bool(offer.outcome == "declined"
                                     and (offer.decline_reason or "").strip()),
        "found_districts": ";" + "".join(f"{place};" for place in sorted(
            e["found_district"] for e in record["episodes"] if e["found_district"])),
        "location_districts": delimited(record["location_districts"]),
        "action_states": ";" + "".join(
            f"{a['status']}|{a['type'] or ''}|{a['due_at'] or ''}|"
            f"{'y' if (action.outcome or '').strip() else ''};"
            for a, action in zip(record["actions"], doc.actions, strict=True)),
    }
    return Projection(record, columns, pending, orjson.dumps(record).decode(), csv_row(record))


# `standard_results` holds one letter per standard, in `STANDARD_CODES` order: short, so that
# grouping on it is cheap. A standard without a finding is `-`. A standard set that adds or
# reorders standards needs `python -m app.feed.rebuild`.
RESULT_LETTERS: Final = {"met": "m", "not_met": "n", "not_applicable": "a", "pending": "p"}
LETTER_RESULTS: Final = {letter: result for result, letter in RESULT_LETTERS.items()}


def results_letters(findings: Iterable[Mapping[str, Any]]) -> str:
    results = {f.get("code"): f.get("result") for f in findings}
    return "".join(RESULT_LETTERS.get(str(results.get(code)), "-") for code in STANDARD_CODES)


def standard_position(code: str) -> int:
    """Where a standard's letter is in `standard_results` (from 1, as SQL's substr counts)."""
    return STANDARD_CODES.index(code) + 1


def result_in(letters: str | None, code: str) -> str | None:
    """A standard's result as a row's `standard_results` holds it; None where it holds none (a
    standard the record's set lacks, or a row written before the standard existed)."""
    position = standard_position(code)
    return LETTER_RESULTS.get((letters or "")[position - 1:position])


@dataclass(frozen=True, slots=True)
class ActionState:
    """One action of a row's `action_states`, as `project` writes it: `status|type|due_at|y`."""

    status: str  # `planned`, `done` or `not_done` (an action from before statuses: `done`)
    type: str  # empty when none was recorded
    due_at: datetime | None
    outcome_written: bool


def action_state(stored: str) -> ActionState:
    """Read one stored action back. Its due moment is written to the microsecond
    (`2026-03-05T12:00:00.000000Z`, as `feed_timestamp` writes every moment), or without a
    fraction in a row written before that release, or not at all; a status other than the three
    is read as done, as an action recorded before statuses existed is."""
    status, kind, due, outcome = (stored.split("|") + ["", "", "", ""])[:4]
    return ActionState(status if status in ("planned", "done", "not_done") else "done", kind,
                       parse_timestamp(due) if due else None, outcome == "y")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def delimited(codes: Iterable[str]) -> str:
    """`;a;b;`: sorted, so that equal sets are equal strings and group together in SQL."""
    return ";" + "".join(f"{code};" for code in sorted(set(codes)))


def split_delimited(text: str | None) -> list[str]:
    return [code for code in (text or "").split(";") if code]


# --- serving -----------------------------------------------------------------------------------


def patch_line(json_line: str | bytes, now: datetime) -> dict[str, Any]:
    """A stored record with the findings whose deadline passed since it was written made
    `not_met`: only rows whose `next_due_at` has passed need this."""
    record: dict[str, Any] = orjson.loads(json_line)
    record["standards"] = served_findings(record.get("standards") or [], now)
    return record


def csv_cell(value: Any) -> str:
    """One value as a CSV cell: empty for null, `true`/`false`, else its text (a moment as
    `feed_timestamp` wrote it into the record)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


# Each CSV column as (where its value comes from, its name there), worked out once.
_CSV_PLAN: Final = tuple(
    ("episodes", column.removeprefix("episodes.")) if column.startswith("episodes.")
    else ("standards", column.removeprefix("standards.")) if column.startswith("standards.")
    else ("actions", column.removeprefix("actions.")) if column.startswith("actions.")
    else ("record", column)
    for column in CSV_COLUMNS)


def csv_values(record: Mapping[str, Any]) -> list[str]:
    """The record as CSV cells in `CSV_COLUMNS` order."""
    results = {f.get("code"): f.get("result") for f in record.get("standards") or []}
    episodes = record.get("episodes") or []
    cells: list[str] = []
    for source, name in _CSV_PLAN:
        if source == "record":
            value = record.get(name)
            cells.append(";".join(csv_cell(v) for v in value) if isinstance(value, list)
                         else csv_cell(value))
        elif source == "episodes":
            cells.append(";".join(csv_cell(e.get(name)) for e in episodes))
        elif source == "actions":
            cells.append(";".join(csv_cell(a.get(name)) for a in record.get("actions") or []))
        else:
            cells.append(csv_cell(results.get(name)))
    return cells


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"^-?\d+(\.\d+)?$")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run: a formula start gets a leading `'`
    (OWASP's advice); numbers, negative ones included, stay numbers."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line, every cell neutralised: every CSV the service writes goes through here."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(c) for c in cells])
    return buffer.getvalue()


def csv_row(record: Mapping[str, Any]) -> str:
    return csv_line(csv_values(record))


CSV_HEADER: Final = csv_line(CSV_COLUMNS)
