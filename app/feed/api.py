"""The analyst feed, the summary and the SSDA903 export (`api.md`, "Analyst feed" and "Other").

Callers: a key with the `feed` scope or an analyst's session for the feed; managers too for
the summary; a `returns` key or a manager for the SSDA903 export (`access.py`). Every answer is
written to the audit log: who, which filters, how many records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import WithJsonSchema

from app.accounts.caller import Caller
from app.audit import service as audit
from app.core import observability
from app.core.db import SessionDep
from app.core.errors import FieldError, ValidationFailed
from app.core.http import external_url, problem_response
from app.core.london import london_midnight
from app.core.types import utcnow
from app.feed import episodes, parquet, service, ssda903, summary, summary_tables
from app.feed.access import FeedCaller, ReturnsCaller, SummaryCaller
from app.feed.record import RESULTS, STANDARD_CODES
from app.record import codes
from app.record.formats import ORG_CODE, parse_timestamp

router = APIRouter(prefix="/api/v1", tags=["feed"])

DEFAULT_LIMIT: Final = 1000
MAX_LIMIT: Final = 10_000
NDJSON: Final = "application/x-ndjson"
CSV: Final = "text/csv; charset=utf-8"
PARQUET: Final = parquet.MEDIA_TYPE
DATE: Final = r"^\d{4}-\d{2}-\d{2}$"
# What the feeds' `updated_since`, `returned_from` and `returned_to` take: a date, or a date
# and time with or without an offset (without one it is UK local time, which JSON Schema's
# `date-time` cannot say: hence a pattern, not a format). The server checks the same pattern.
MOMENT: Final = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
                 r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$")
_MOMENT: Final = re.compile(MOMENT)
MOMENT_MAX_LENGTH: Final = 40


# The filter as the OpenAPI document shows it (the length is checked by FastAPI, the pattern by
# `_moment`, so a value that does not fit is a 422 problem naming the filter).
MOMENT_SCHEMA: Final = WithJsonSchema({
    "type": "string", "pattern": MOMENT, "maxLength": MOMENT_MAX_LENGTH,
    "examples": ["2026-07-01", "2026-07-01T10:00:00Z"]})
_SINCE_TEXT: Final = ("Only what changed at or after this moment: a date and time "
                      "(`2026-07-01T10:00:00Z`; without an offset, UK local time), or a UK date "
                      "(its start)")
_FROM_TEXT: Final = ("The child's latest return at or after this: a UK date (`2026-07-01`, its "
                     "start) or a date and time (without an offset, UK local time)")
_TO_TEXT: Final = ("The child's latest return up to this: a UK date (`2026-09-30`, the whole "
                   "day included) or a date and time (without an offset, UK local time)")
UpdatedSince = Annotated[str | None, Query(max_length=MOMENT_MAX_LENGTH, description=_SINCE_TEXT),
                         MOMENT_SCHEMA]
ReturnedFrom = Annotated[str | None, Query(max_length=MOMENT_MAX_LENGTH, description=_FROM_TEXT),
                         MOMENT_SCHEMA]
ReturnedTo = Annotated[str | None, Query(max_length=MOMENT_MAX_LENGTH, description=_TO_TEXT),
                       MOMENT_SCHEMA]
# The summary's `from` and `to`: UK dates only.
DATE_SCHEMA: Final = WithJsonSchema({"type": "string", "format": "date", "pattern": DATE,
                                     "examples": ["2026-04-01"]})
Formats = Literal["json", "ndjson", "csv", "parquet"]
NOT_MODIFIED: Final = {"description": "Nothing changed since the `ETag` you sent as "
                       "`If-None-Match`: no body",
                       "headers": {"ETag": {"description": "The answer's tag, unchanged",
                                            "required": True, "schema": {"type": "string"}}}}
ETAG: Final = {"ETag": {"description": "The answer's tag, for `If-None-Match`",
                        "required": True, "schema": {"type": "string"}}}
FILE: Final = {"schema": {"type": "string", "format": "binary"}}
TEXT: Final = {"schema": {"type": "string"}}
PROBLEMS: Final[dict[int | str, dict[str, Any]]] = {
    status: {"description": text, "content": {"application/problem+json": {}}}
    for status, text in ((400, "The cursor is not valid"),
                         (401, "No valid API key or sign-in"),
                         (403, "The key lacks the scope, or the role may not"),
                         (422, "A filter is not valid"))}


def _invalid(name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(f"/query/{name}", code, message)],
                            title="The request is not valid")


def _moment(name: str, value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A timestamp, or a London date (its start; with `end_of_day`, the next day's start)."""
    if value is None:
        return None
    text = value
    if not _MOMENT.match(text):
        raise _invalid(name, "invalid_timestamp",
                       f"{name} must be a date like 2026-03-01 or a date and time like "
                       "2026-03-01T18:30:00Z")
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None and 1900 <= day.year <= 2200:
            day += timedelta(days=1) if end_of_day else timedelta()
            return london_midnight(day)
    parsed = parse_timestamp(text)
    if parsed is None or not 1900 <= parsed.year <= 2200:
        raise _invalid(name, "invalid_timestamp",
                       f"{name} must be a date like 2026-03-01 or a date and time like "
                       "2026-03-01T18:30:00Z")
    return parsed + (timedelta(microseconds=1) if end_of_day else timedelta())


def _organisation(name: str, value: str | None) -> str | None:
    if value is not None and not ORG_CODE.match(value):
        raise _invalid(name, "invalid_organisation",
                       f"{name} must be an organisation code, like 803")
    return value


def _code(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise _invalid(name, "unknown_code",
                       f"'{value}' is not an allowed {name}; allowed: {', '.join(allowed)}")
    return value


def _filters(updated_since: str | None, returned_from: str | None, returned_to: str | None,
             responsible_authority: str | None, recorded_by_org: str | None,
             out_of_area: bool | None, legal_status: str | None, risk_indicator: str | None,
             standard: str | None, result: str | None) -> service.FeedFilters:
    if (standard is None) != (result is None):
        raise _invalid("standard" if standard is None else "result", "required",
                       "Give `standard` and `result` together, like "
                       "standard=offer-within-72h&result=not_met")
    return service.FeedFilters(
        updated_since=_moment("updated_since", updated_since),
        returned_from=_moment("returned_from", returned_from),
        returned_to=_moment("returned_to", returned_to, end_of_day=True),
        responsible_authority=_organisation("responsible_authority", responsible_authority),
        recorded_by_org=_organisation("recorded_by_org", recorded_by_org),
        out_of_area=out_of_area,
        legal_status=_code("legal_status", legal_status, tuple(codes.LEGAL_STATUS)),
        risk_indicator=_code("risk_indicator", risk_indicator, tuple(codes.RISK_INDICATORS)),
        standard=_code("standard", standard, STANDARD_CODES),
        result=_code("result", result, RESULTS),
    )


FORMATS: Final[dict[str, service.Format]] = {
    "json": "json", "ndjson": "ndjson", "csv": "csv", "parquet": "parquet"}


def _format(requested: str | None, accept: str | None) -> service.Format:
    """`format=` when given (FastAPI has checked it is one of them), else by `Accept`."""
    if requested is not None:
        return FORMATS[requested]
    if accept and NDJSON in accept:
        return "ndjson"
    if accept and PARQUET in accept:
        return "parquet"
    return "json"


MEDIA_TYPES: Final[dict[str, str]] = {"csv": CSV, "ndjson": NDJSON, "parquet": PARQUET}
EXTENSIONS: Final = {"csv": "csv", "parquet": "parquet"}


def _download(headers: dict[str, str], fmt: str, name: str) -> None:
    """A file's name for the formats an analyst saves as files."""
    if fmt in EXTENSIONS:
        headers["Content-Disposition"] = f'attachment; filename="{name}.{EXTENSIONS[fmt]}"'


def _audit(session: SessionDep, caller: Caller, action: str, **details: object) -> None:
    audit.record(session, actor=caller.label, organisation=caller.organisation_code,
                 action=action, details=dict(details), address=caller.address)


Text = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/feed/interviews",
    summary="Pull the pseudonymised feed",
    description=(
        "Pseudonymised records (`data-dictionary.md`, \"Analyst feed record\") of the submitted, "
        "returned and approved interviews visible to you, ordered by `updated_at` then "
        "`interview_id`. JSON answers are pages (`{data, next}`): follow `next` until it is "
        "null; a record changed while you page comes again later with its new version. "
        "`Accept: application/x-ndjson` or `format=ndjson` streams every matching record as "
        "one JSON object per line; `format=csv` streams the same as CSV (lists joined with "
        "`;`, a column per standard holding its result); `format=parquet` (or "
        "`Accept: application/vnd.apache.parquet`) streams the same records as a Parquet file "
        "in row groups of 10,000, with typed columns (`analysts.md`, \"Parquet\"). Every "
        "timestamp, in every format, is UTC to the microsecond: `2026-03-01T18:30:00.000000Z`. "
        "Send the `ETag` back as `If-None-Match` to get 304 when nothing "
        "changed. Dates without a time are UK dates; `returned_to` includes the whole day."),
    responses={200: {"headers": ETAG, "content": {"application/json": {}, NDJSON: TEXT,
                                                  "text/csv": TEXT, PARQUET: FILE}},
               304: NOT_MODIFIED, **PROBLEMS},
)
def feed_interviews(
    request: Request,
    caller: FeedCaller,
    session: SessionDep,
    updated_since: UpdatedSince = None,
    returned_from: ReturnedFrom = None,
    returned_to: ReturnedTo = None,
    responsible_authority: Text = None,
    recorded_by_org: Text = None,
    out_of_area: bool | None = None,
    legal_status: Text = None,
    risk_indicator: Text = None,
    standard: Text = None,
    result: Text = None,
    cursor: Annotated[str | None, Query(max_length=service.MAX_CURSOR_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    format: Formats | None = None,  # the API's name
    accept: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    filters = _filters(updated_since, returned_from, returned_to, responsible_authority,
                       recorded_by_org, out_of_area, legal_status, risk_indicator, standard,
                       result)
    fmt = _format(format, accept)
    now = utcnow()
    described = filters.describe()
    if fmt != "json":
        state = service.fingerprint(session, caller.organisation_code, filters, now)
        etag = state.etag(caller.organisation_code, described, fmt)
        headers = {"ETag": etag, "Vary": "Accept"}
        if service.matches_etag(if_none_match, etag):
            _audit(session, caller, "feed.pull", filters=described, format=fmt, count=0,
                   not_modified=True)
            return Response(status_code=304, headers=headers)
        # Recorded before the stream starts, with the count the stream will send: the entry is
        # committed with the request, so no pull goes unrecorded, even one cut short.
        _audit(session, caller, "feed.pull", filters=described, format=fmt, count=state.count)
        _download(headers, fmt, "rhi-feed")
        return StreamingResponse(
            service.stream(session, caller.organisation_code, filters, fmt, now),
            media_type=MEDIA_TYPES[fmt], headers=headers)

    after = service.Position.decode(cursor) if cursor is not None else None
    page = service.page(session, caller.organisation_code, filters, after=after, limit=limit,
                        now=now)
    next_url = None
    if page.more and page.last is not None:
        next_url = external_url(request, cursor=page.last.encode())
    body = service.json_page_body(page.lines, next_url)
    etag = service.body_etag(body)
    headers = {"ETag": etag, "Vary": "Accept"}
    not_modified = service.matches_etag(if_none_match, etag)
    _audit(session, caller, "feed.pull", filters=described, format=fmt,
           count=0 if not_modified else len(page.lines), page=cursor is not None,
           **({"not_modified": True} if not_modified else {}))
    if not not_modified:
        observability.count_feed_rows("interviews", fmt, len(page.lines))
    if not_modified:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/feed/episodes",
    summary="Pull the pseudonymised episode feed",
    description=(
        "One row per missing or away episode of the register visible to you (`analysts.md`, "
        "\"The episode feed\"), a second organisation's notification of the same episode "
        "counted once, ordered by `updated_at` then `episode_id`. Each return is judged against "
        "`offer-within-72h` and `interview-within-72h` at the time of the pull, with or "
        "without a record: a return nobody offered an interview for is `pending`, then "
        "`not_met` from `offer_due_at`. `child_key` is the interview feed's, so the two feeds "
        "join on it. JSON answers are pages (`{data, next}`): follow `next` until it is null. "
        "`Accept: application/x-ndjson` or `format=ndjson` streams every matching episode as "
        "one JSON object per line; `format=csv` streams the same columns as CSV; "
        "`format=parquet` (or `Accept: application/vnd.apache.parquet`) the same as a Parquet "
        "file with typed columns. Timestamps as in the interview feed. `updated_since` brings "
        "the episodes changed since then and those whose 72 hours ended since then. Send the "
        "`ETag` back as `If-None-Match` to get 304 when nothing changed. Dates without a time "
        "are UK dates; `returned_to` includes the whole day."),
    responses={200: {"model": episodes.FeedEpisodePage, "headers": ETAG,
                     "content": {NDJSON: TEXT, "text/csv": TEXT, PARQUET: FILE}},
               304: NOT_MODIFIED, **PROBLEMS},
)
def feed_episodes(
    request: Request,
    caller: FeedCaller,
    session: SessionDep,
    updated_since: UpdatedSince = None,
    returned_from: ReturnedFrom = None,
    returned_to: ReturnedTo = None,
    cursor: Annotated[str | None, Query(max_length=service.MAX_CURSOR_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    format: Formats | None = None,  # the API's name
    accept: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    filters = episodes.EpisodeFilters(
        updated_since=_moment("updated_since", updated_since),
        returned_from=_moment("returned_from", returned_from),
        returned_to=_moment("returned_to", returned_to, end_of_day=True))
    fmt = _format(format, accept)
    now = utcnow()
    described = filters.describe()
    organisation = caller.organisation_code
    if fmt != "json":
        state = episodes.fingerprint(session, organisation, filters, now)
        etag = state.etag("episodes", organisation, described, fmt)
        headers = {"ETag": etag, "Vary": "Accept"}
        if service.matches_etag(if_none_match, etag):
            _audit(session, caller, "feed.episodes", filters=described, format=fmt, count=0,
                   not_modified=True)
            return Response(status_code=304, headers=headers)
        # Recorded before the stream starts, as the interview feed's pulls are.
        _audit(session, caller, "feed.episodes", filters=described, format=fmt,
               count=state.count)
        _download(headers, fmt, "rhi-episodes")
        return StreamingResponse(
            episodes.stream(session, organisation, filters, fmt, now),
            media_type=MEDIA_TYPES[fmt], headers=headers)

    after = service.Position.decode(cursor) if cursor is not None else None
    page = episodes.page(session, organisation, filters, after=after, limit=limit, now=now)
    next_url = None
    if page.more and page.last is not None:
        next_url = external_url(request, cursor=page.last.encode())
    body = service.json_page_body(page.lines, next_url)
    etag = service.body_etag(body)
    headers = {"ETag": etag, "Vary": "Accept"}
    not_modified = service.matches_etag(if_none_match, etag)
    _audit(session, caller, "feed.episodes", filters=described, format=fmt,
           count=0 if not_modified else len(page.lines), page=cursor is not None,
           **({"not_modified": True} if not_modified else {}))
    if not not_modified:
        observability.count_feed_rows("episodes", fmt, len(page.lines))
    if not_modified:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10 and 1900 <= int(text[:4]) <= 2200:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _invalid(name, "invalid_date", f"`{name}` must be a date like 2026-07-01")


# Every grouping, in the order the OpenAPI document and the messages list them: the records',
# then the register's episodes', then the actions'.
GROUPINGS: Final = (*summary.GROUPINGS, *summary_tables.EPISODE_GROUPINGS,
                    *summary_tables.ACTION_GROUPINGS)
KIND_WORDS: Final = {"records": "the records", "episodes": "the register's episodes",
                     "actions": "the records' actions"}
SummaryTable = Literal["groups", "coverage", "episode_groups", "episode_totals",
                      "action_groups", "action_totals"]
GROUP_BY: Final = {
    "name": "group_by", "in": "query", "required": False, "style": "form", "explode": False,
    "description": (
        "Groupings, separated by commas (`quarter,responsible_authority`). Most group the "
        "records (`groups`); a record is in the group of each push factor, pull factor, risk "
        "indicator, found district and location district it holds, once. `time_of_day`, "
        "`day_of_week` and `repeat_missing` group the register's episodes instead "
        "(`episode_groups`), `action_type` and `action_status` the records' actions "
        "(`action_groups`): each of these only with others of its kind. `analysts.md`, "
        "\"The summary\", says what each counts."),
    "schema": {"type": "array", "uniqueItems": True, "maxItems": len(GROUPINGS),
               "items": {"type": "string", "enum": list(GROUPINGS)},
               "examples": [["quarter", "responsible_authority"], ["time_of_day"]]},
}


def parse_group_by(value: str | None) -> tuple[str, ...]:
    names = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    for name in names:
        if name not in GROUPINGS:
            raise _invalid("group_by", "unknown_code",
                           f"Cannot group by '{name}'; choose from "
                           f"{', '.join(GROUPINGS)}, separated by commas")
    if len(set(names)) != len(names):
        raise _invalid("group_by", "duplicate_code", "Name each grouping once")
    kinds = {name: summary_tables.kind_of(name) for name in names}
    if len(set(kinds.values())) > 1:
        first, other = names[0], next(n for n in names if kinds[n] != kinds[names[0]])
        raise _invalid("group_by", "mixed_groupings",
                       f"'{first}' groups {KIND_WORDS[kinds[first]]} and '{other}' "
                       f"{KIND_WORDS[kinds[other]]}: ask for them in two requests")
    return names


# The CSV tables of episode or action groups, and the groupings each needs one of.
GROUPED_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "episode_groups": tuple(summary_tables.EPISODE_GROUPINGS),
    "episode_totals": tuple(summary_tables.EPISODE_GROUPINGS),
    "action_groups": summary_tables.ACTION_GROUPINGS,
    "action_totals": summary_tables.ACTION_GROUPINGS,
}


def _table(table: str, grouping: tuple[str, ...]) -> None:
    """A CSV table of episode or action groups needs a grouping of that kind."""
    wanted = GROUPED_TABLES.get(table, ())
    if wanted and not set(wanted) & set(grouping):
        raise _invalid("table", "needs_grouping",
                       f"table={table} needs group_by naming {' or '.join(wanted)}")


@router.get(
    "/feed/summary",
    summary="Counts per group, with small numbers suppressed",
    description=(
        "For records whose return (or, for a child still missing, whose latest start) falls "
        "from `from` to `to` (UK dates, both included), per group: episodes, children, "
        "interviews, each offer outcome, offered and completed within 72 hours, per standard "
        "the number applicable, met, not met and pending, and counts for every push factor, "
        "pull factor, risk indicator and action type. A count from 1 to 5 is null (and named "
        "in the group's `suppressed`; `c` in CSV), with secondary suppression where a total "
        "would give it away; a rate is null where either of its counts is. `coverage` counts "
        "the returns of the period from the episode register, each once, with or without a "
        "record: returns, children, offered within 72 hours, offer pending or not met, each "
        "outcome (or none yet), completed within 72 hours, and the register's distinct "
        "episodes (the groups' `episodes` adds up the episodes of records); `format=csv"
        "&table=coverage` gives it as CSV. The board pack's other figures: `group_by` "
        "`time_of_day`, `day_of_week` or `repeat_missing` gives `episode_groups` (the "
        "register's episodes of the period, each once) and `episode_totals`; `action_type` or "
        "`action_status` gives `action_groups` (the records' follow-up actions) and "
        "`action_totals`; `stage_delays=true` adds `coverage.stage_delays` (the median and 90th "
        "percentile hours from each return to each stage); `placed_out_of_area=true` adds "
        "`coverage.placed_out_of_area`, the pack's Protect 2 figures. Groups that add up to "
        "a total are suppressed together, as the pack's tables are. Send the `ETag` back as "
        "`If-None-Match` to get 304 when nothing changed."),
    responses={200: {"headers": ETAG, "content": {"application/json": {}, "text/csv": TEXT}},
               304: NOT_MODIFIED, **PROBLEMS},
    # `group_by` is read as the text it is sent as (`parse_group_by`) and documented here as
    # what it is: a comma-separated list of known names.
    openapi_extra={"parameters": [GROUP_BY]},
)
def feed_summary(
    caller: SummaryCaller,
    session: SessionDep,
    date_from: Annotated[str | None, Query(alias="from", pattern=DATE), DATE_SCHEMA] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DATE), DATE_SCHEMA] = None,
    group_by: Annotated[str | None, Query(max_length=400, include_in_schema=False)] = None,
    stage_delays: Annotated[bool, Query(
        description="Add `coverage.stage_delays`: for the period's returns in the register, "
                    "each stage's returns reached, median and 90th percentile hours",
    )] = False,
    placed_out_of_area: Annotated[bool, Query(
        description="Add `coverage.placed_out_of_area`: the Protect 2 figures for the "
                    "period's returns of looked-after children placed out of area (distinct "
                    "children, returns, offered and completed within 72 hours, the placing "
                    "authority told in time, the safety plan updated), each by direction "
                    "(`placed_away`, `placed_here`, `other`) and for `all`",
    )] = False,
    format: Literal["json", "csv"] | None = None,  # the API's name
    table: Annotated[SummaryTable, Query(
        description="With `format=csv`: the groups (a row each), the coverage of returns "
                    "(one row), or the episode or action groups or their totals (with a "
                    "`group_by` of that kind)",
    )] = "groups",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    start, end = _date("from", date_from), _date("to", date_to)
    if start and end and end < start:
        raise _invalid("to", "before_start", "`to` must not be before `from`")
    grouping = parse_group_by(group_by)
    if format == "csv":
        _table(table, grouping)
    now = utcnow()
    by_records = tuple(n for n in grouping if summary_tables.kind_of(n) == "records")
    result = summary.summarise(session, caller.organisation_code, date_from=start,
                               date_to=end, group_by=by_records, now=now)
    more = summary_tables.tables(session, caller.organisation_code, date_from=start,
                                 date_to=end, group_by=grouping, stage_delays=stage_delays,
                                 now=now, placed_out_of_area=placed_out_of_area)
    if format == "csv":
        body = "".join(_csv_lines(table, result, more)).encode()
        media_type = CSV
    else:
        body = orjson.dumps(summary_tables.to_json(more, summary.to_json(result)))
        media_type = "application/json"
    etag = service.body_etag(body)
    not_modified = service.matches_etag(if_none_match, etag)
    _audit(session, caller, "feed.summary", date_from=date_from, date_to=date_to,
           group_by=list(grouping), format=format or "json", groups=len(result.groups),
           **({"table": table} if format == "csv" and table != "groups" else {}),
           **({f"{kind}_groups": len(grouped.groups) for kind, grouped in (
               ("episode", more.episodes), ("action", more.actions)) if grouped is not None}),
           **({"stage_delays": True} if stage_delays else {}),
           **({"placed_out_of_area": True} if placed_out_of_area else {}),
           **({"not_modified": True} if not_modified else {}))
    if not_modified:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=media_type, headers={"ETag": etag})


def _csv_lines(table: str, result: summary.Summary, more: summary_tables.Tables
               ) -> Iterator[str]:
    if table == "coverage":
        return summary.coverage_csv_lines(result, [
            *summary_tables.stage_delay_columns(more),
            *summary_tables.placed_out_of_area_columns(more)])
    grouped = more.episodes if table.startswith("episode_") else more.actions
    if grouped is None:
        return summary.csv_lines(result)
    if table.endswith("_totals"):
        return summary_tables.totals_csv_lines(result, grouped)
    return summary_tables.groups_csv_lines(grouped)


@router.get(
    "/exports/ssda903-missing",
    summary="The SSDA903 missing return",
    description=(
        "CSV with the SSDA903 missing module's columns `CHILD,DOB,MISSING,MIS_START,MIS_END` "
        "(dates `dd/mm/yyyy`, `MISSING` `M` or `A`) for the looked-after children your "
        "authority is responsible for: every episode of the register (notified or recorded, "
        "a duplicate notification counted once) overlapping 1 April to 31 March of the "
        "collection year. Checked first against the DfE validator's Missing-table rules "
        "(`docs/ssda903.md`): a return that would be refused answers 422 listing every "
        "problem. Needs a key with the `returns` scope (or a manager's session)."),
    responses={200: {"content": {"text/csv": {}}}, **PROBLEMS},
)
def ssda903_missing(
    caller: ReturnsCaller,
    session: SessionDep,
    collection_year: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$",
                                          description="From 1 April to 31 March, like 2025-26")],
) -> Response:
    year = ssda903.CollectionYear.parse(collection_year)
    if year is None:
        raise _invalid("collection_year", "invalid_collection_year",
                       "collection_year must name a year from 1 April, like 2025-26")
    rows = ssda903.missing_rows(session, caller.organisation_code, year)
    try:
        body = ssda903.export_csv(rows, year)
    except ssda903.ReturnNotValid as refused:
        # Answered, not raised, so that the audit entry of what was shown is kept.
        _audit(session, caller, "export.ssda903_missing", collection_year=year.label,
               rows=len(rows), refused=True)
        return problem_response(refused)
    _audit(session, caller, "export.ssda903_missing", collection_year=year.label,
           rows=len(rows))
    return Response(body.encode(), media_type=CSV, headers={
        "Content-Disposition": f'attachment; filename="ssda903-missing-{year.label}.csv"'})
