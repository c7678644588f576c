"""The quarterly board report (`/reports/quarterly?period=2026-Q3`), for analysts and managers,
and the board pack it grows into (`board_pack.py`): as a page, a CSV per table, and a PDF for
board papers (`/reports/quarterly.pdf`).

Its headline figures come from `summary.summarise`, the code behind `GET /api/v1/feed/summary`:
in published figures (`mode=published`, the default) with the same suppression, so the page and
the API never disagree; in the partnership's own (`mode=own`) as counted, marked
OFFICIAL-SENSITIVE and not for publication. Both modes are for the people the report is for
(`ReportUser`: managers and analysts, each seeing their own organisation's figures). Each chart
has the table of its figures beside it and a CSV of them behind a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlmodel import col

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.accounts.models import Organisation
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.london import london_day
from app.core.templating import TEMPLATES_DIR, templates
from app.core.types import utcnow
from app.feed import board_pack, summary
from app.feed.board_pack import BoardPack, Mode
from app.feed.charts import Chart, bar_chart
from app.feed.record import STANDARD_CODES, csv_line
from app.feed.suppression import SUPPRESSED, Published, is_small, suppress
from app.record import codes
from app.standards.params import STANDARDS

router = APIRouter()

ReportUser = Annotated[Caller, Depends(allow(roles=("analyst", "manager")))]

_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
TOP: Final = 5
STANDARD_LABELS: Final = {
    "offer-within-72h": "Offered within 72 hours",
    "interview-within-72h": "Interviewed within 72 hours",
    "independent-interviewer": "Independent interviewer",
    "attempts-recorded": "Attempts recorded",
    "core-content": "Core content covered",
    "child-voice": "Child's own account",
    "sharing-explained": "Sharing explained",
    "harm-followed-up": "Harm followed up",
    "cse-risk-assessed": "CSE risk assessed",
    "report-within-3wd": "Report within 3 working days",
    "report-shared": "Report shared",
    "manager-oversight": "Manager oversight",
    "repeat-missing-reviewed": "Repeat missing reviewed",
    "exploitation-response": "Exploitation response",
    "actions-followed-through": "Follow-up plan carried out",
    "placing-authority-told": "Placing authority told in time",
}
STANDARD_TITLES: Final = {info.code: info.title for info in STANDARDS}
FACTOR_LISTS: Final = {
    "push-factors": ("push_factors", "Push factors", codes.PUSH_FACTORS),
    "pull-factors": ("pull_factors", "Pull factors", codes.PULL_FACTORS),
    "risk-indicators": ("risk_indicators", "Risk indicators", codes.RISK_INDICATORS),
}
# The coverage of returns, from the register (`summary.COVERAGE_NAMES`): each return once.
COVERAGE_LABELS: Final = {
    "episodes": "Missing and away episodes, each counted once",
    "returns": "Returns",
    "still_missing": "Episodes started, child not yet returned",
    "children": "Children who returned",
    "offered_within_72h": "Offered an interview within 72 hours",
    "offer_pending": "Offer not yet due (72 hours not yet ended)",
    "offer_not_met": "Not offered within 72 hours",
    "outcomes.completed": "Interview completed",
    "outcomes.declined": "Interview declined",
    "outcomes.not_achieved": "Interview not achieved",
    "outcomes.not_offered": "Interview not offered",
    "outcomes.no_outcome_yet": "No outcome recorded yet",
    "completed_within_72h": "Interview completed within 72 hours",
}
CHARTS: Final = ("headline", "coverage", "standards", *FACTOR_LISTS, *board_pack.TABLES)


@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        match = _PERIOD.match(text.strip())
        if not match or not 2000 <= int(match.group(1)) <= 2199:
            return None
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.following.start - timedelta(days=1)

    @property
    def title(self) -> str:
        return f"{_MONTHS[3 * self.number - 3]} to {_MONTHS[3 * self.number - 1]} {self.year}"

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year,
                                                                         self.number - 1)

    @property
    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year,
                                                                         self.number + 1)


def latest_complete_quarter() -> Quarter:
    return Quarter.containing(london_day(utcnow())).previous


def _published(found: summary.Summary) -> tuple[Published, dict[str, float | None]]:
    """The quarter's one group, or zeros when it has no records (zero is never held back)."""
    if found.groups:
        group = found.groups[0]
        return group.published, group.rates
    published = suppress(dict.fromkeys(summary.COUNT_NAMES, 0), summary.COUNT_SETS)
    return published, {name: published.rate(*parts) for name, parts in summary.RATES.items()}


def _count_text(value: int | None) -> str:
    return SUPPRESSED if value is None else f"{value:,}"


NOT_APPLICABLE: Final = "n/a"


def _percent(rate: float | None, denominator: int | None) -> str:
    """A share as a whole percentage; `c` when held back, `n/a` when there was nothing to share."""
    if rate is not None:
        return f"{round(rate * 100)}%"
    return NOT_APPLICABLE if denominator == 0 else SUPPRESSED


def _offered(values: Mapping[str, int | None], mode: Mode = "published") -> int | None:
    """Interviews offered: completed + declined + not achieved, when all three are published.

    A sum of published figures gives nothing away, but one from 1 to 5 is still shown as `c`,
    as every published figure on the page is (not in the partnership's own figures).
    """
    parts = [values[f"outcomes.{outcome}"] for outcome in ("completed", "declined",
                                                           "not_achieved")]
    if any(part is None for part in parts):
        return None
    total = sum(part for part in parts if part is not None)
    return None if mode == "published" and is_small(total) else total


@dataclass(frozen=True, slots=True)
class Figure:
    name: str  # the summary's name for it ("episodes"), or "offered"
    label: str
    value: int | None
    text: str


@dataclass(frozen=True, slots=True)
class StandardLine:
    code: str
    label: str
    title: str
    applicable: str
    share: float | None
    share_text: str
    previous_applicable: str
    previous_share: float | None
    previous_text: str
    change: str


@dataclass(frozen=True, slots=True)
class Ranked:
    code: str
    label: str
    value: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Report:
    quarter: Quarter
    mode: Mode
    marking: str
    headline: list[Figure]
    rates: dict[str, str]
    coverage: list[Figure]
    coverage_rates: dict[str, str]
    standards: list[StandardLine]
    factors: dict[str, list[Ranked]]
    charts: dict[str, Chart]
    pack: BoardPack


def build_report(db: SessionDep, organisation_code: str, quarter: Quarter,
                 mode: Mode = board_pack.DEFAULT_MODE) -> Report:
    """The report's figures and charts for a quarter, beside the quarter before, and the board
    pack's tables, in published figures or the partnership's own."""
    now = utcnow()

    def quarter_summary(which: Quarter) -> summary.Summary:
        return summary.summarise(db, organisation_code, date_from=which.start,
                                 date_to=which.end, group_by=("quarter",), now=now,
                                 suppressed=mode == "published")

    found = quarter_summary(quarter)
    published, rates = _published(found)
    before, before_rates = _published(quarter_summary(quarter.previous))
    values = published.values
    headline = [Figure(name, label, values[name], _count_text(values[name])) for name, label in (
        ("episodes", "Missing and away episodes"),
        ("children", "Children"),
        ("interviews", "Records of return interviews"),
    )]
    offered = _offered(values, mode)
    headline.append(Figure("offered", "Interviews offered", offered, _count_text(offered)))
    headline += [Figure(name, label, values[name], _count_text(values[name])) for name, label in (
        ("outcomes.completed", "Interviews completed"),
        ("offered_within_72h", "Offered within 72 hours of return"),
        ("completed_within_72h", "Completed within 72 hours of return"),
        ("out_of_area", "Records of children placed out of area"),
    )]
    standards = []
    for code in STANDARD_CODES:
        share = rates[f"standards.{code}.share_met"]
        previous = before_rates[f"standards.{code}.share_met"]
        change = "" if share is None or previous is None else \
            f"{round(share * 100) - round(previous * 100):+d} points"
        standards.append(StandardLine(
            code, STANDARD_LABELS.get(code, code), STANDARD_TITLES.get(code, code),
            _count_text(values[f"standards.{code}.applicable"]), share,
            _percent(share, values[f"standards.{code}.applicable"]),
            _count_text(before.values[f"standards.{code}.applicable"]), previous,
            _percent(previous, before.values[f"standards.{code}.applicable"]), change))
    factors = {chart: _ranked(values, kind, labels)
               for chart, (kind, _, labels) in FACTOR_LISTS.items()}
    charts = {"standards": bar_chart(
        "chart-standards", "Share of records meeting each standard",
        f"Bars show the share of applicable records that met each practice standard in "
        f"{quarter.title} and in {quarter.previous.title}. The table beside gives the figures.",
        (quarter.title, quarter.previous.title),
        [(line.label, [(line.share, line.share_text),
                       (line.previous_share, line.previous_text)]) for line in standards],
        maximum=1.0)}
    for chart, (_, title, _) in FACTOR_LISTS.items():
        charts[chart] = bar_chart(
            f"chart-{chart}", f"Most recorded {title.lower()}",
            f"Bars show how many records noted each of the {TOP} most recorded "
            f"{title.lower()} in {quarter.title}. The table beside gives the figures.",
            (quarter.title,),
            [(item.label, [(item.value, item.text)]) for item in factors[chart]])
    covered = found.coverage
    coverage = [Figure(name, label, covered.value(name), _count_text(covered.value(name)))
                for name, label in COVERAGE_LABELS.items()]
    return Report(
        quarter=quarter, mode=mode, marking=board_pack.MARKINGS[mode], headline=headline,
        rates={name: _percent(rates[f"rates.{name}"], values["interviews"])
               for name in ("offered_within_72h", "completed_within_72h")},
        coverage=coverage,
        coverage_rates={name: _percent(covered.rates[f"rates.{name}"], covered.value("returns"))
                        for name in ("offered_within_72h", "completed_within_72h")},
        standards=standards, factors=factors, charts=charts,
        pack=board_pack.build(db, organisation_code, quarter, mode, now, frozenset(
            name for name, value in (("returns", covered.value("returns")),
                                     ("declined", values["outcomes.declined"]))
            if value is None)))


def _ranked(values: Mapping[str, int | None], kind: str, labels: Mapping[str, str]
            ) -> list[Ranked]:
    """The most recorded codes: published counts first, largest first; then suppressed ones
    (each somewhere from 1 to 5), when fewer than five counts are published."""
    found = [(code, values[f"{kind}.{code}"]) for code in labels
             if code != "none_identified" and values[f"{kind}.{code}"] != 0]
    found.sort(key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    return [Ranked(code, labels[code], value, _count_text(value))
            for code, value in found[:TOP]]


def _quarter(period: str | None) -> Quarter:
    if period is None or not period.strip():
        return latest_complete_quarter()
    found = Quarter.parse(period)
    if found is None:
        raise NotFound("Choose a period like 2026-Q3: a year and a quarter from Q1 to Q4")
    return found


def _choices(selected: Quarter) -> list[dict[str, Any]]:
    latest = Quarter.containing(london_day(utcnow()))
    quarters = [latest]
    while len(quarters) < 12:
        quarters.append(quarters[-1].previous)
    if selected not in quarters:
        quarters.append(selected)
    return [{"value": q.label, "text": f"{q.label} ({q.title})", "selected": q == selected}
            for q in quarters]


class ModeNotKnown(DomainError):
    status = 422
    type = "/problems/validation"
    title = "There are no such figures"


def _mode(mode: str | None) -> Mode:
    """`published` (the default) or `own`; anything else is a 422 page saying which there are."""
    if mode is None or not mode.strip():
        return board_pack.DEFAULT_MODE
    for known in board_pack.MODES:
        if mode == known:
            return known
    raise ModeNotKnown("Choose mode=published for published figures (numbers from 1 to 5 "
                       "suppressed) or mode=own for the partnership's own real counts, which "
                       "are not for publication.")


def _audit_read(db: SessionDep, user: Caller, action: str, quarter: Quarter, mode: Mode,
                **details: str) -> None:
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action=action, target=quarter.label, details={**details, "mode": mode})


def _context(user: Caller, report: Report) -> dict[str, Any]:
    return {"current_user": user, "csrf_token": user.csrf_token, "report": report,
            "pack": report.pack, "choices": _choices(report.quarter), "charts": CHARTS,
            "modes": board_pack.MODE_NAMES}


@router.get("/reports/quarterly", response_class=HTMLResponse)
def quarterly_report(request: Request, db: SessionDep, user: ReportUser,
                     period: str | None = None, mode: str | None = None) -> Response:
    quarter, chosen = _quarter(period), _mode(mode)
    report = build_report(db, user.organisation_code, quarter, chosen)
    _audit_read(db, user, "report.view", quarter, chosen)
    return templates.TemplateResponse(request, "reports/quarterly.html", _context(user, report))


def report_csv(report: Report, chart: str) -> Iterator[str]:
    """The figures behind one chart (or the headline or coverage table) as CSV, `c` where
    suppressed, each row marked with the figures' mode (`board_pack.MARKINGS`)."""
    if chart in board_pack.TABLES:
        yield from board_pack.csv_lines(report.pack.tables[chart], report.quarter, report.mode)
        return
    marking = report.marking
    if chart in ("headline", "coverage"):
        yield csv_line(("marking", "period", "figure", "name", "value"))
        for figure in report.headline if chart == "headline" else report.coverage:
            yield csv_line((marking, report.quarter.label, figure.label, figure.name,
                            SUPPRESSED if figure.value is None else str(figure.value)))
    elif chart == "standards":
        yield csv_line(("marking", "standard", "title", "period", "applicable", "share_met",
                        "previous_period", "previous_applicable", "previous_share_met"))
        for line in report.standards:
            yield csv_line((marking, line.code, line.title, report.quarter.label,
                            line.applicable.replace(",", ""), _share(line.share, line.applicable),
                            report.quarter.previous.label,
                            line.previous_applicable.replace(",", ""),
                            _share(line.previous_share, line.previous_applicable)))
    else:
        kind = FACTOR_LISTS[chart][0]
        yield csv_line(("marking", "period", kind, "label", "records"))
        for item in report.factors[chart]:
            yield csv_line((marking, report.quarter.label, item.code, item.label,
                            SUPPRESSED if item.value is None else str(item.value)))


def _share(rate: float | None, applicable: str) -> str:
    if rate is not None:
        return str(rate)
    return "z" if applicable == "0" else SUPPRESSED


@router.get("/reports/quarterly/{chart}.csv")
def quarterly_report_csv(db: SessionDep, user: ReportUser, chart: str,
                         period: str | None = None, mode: str | None = None) -> Response:
    if chart not in CHARTS:
        raise NotFound("There is no such table in the report")
    quarter, chosen = _quarter(period), _mode(mode)
    report = build_report(db, user.organisation_code, quarter, chosen)
    _audit_read(db, user, "report.csv", quarter, chosen, table=chart)
    return Response("".join(report_csv(report, chart)).encode(),
                    media_type="text/csv; charset=utf-8", headers={
                        "Content-Disposition": f'attachment; filename="rhi-{quarter.label}-'
                                               f'{chart}-{chosen}.csv"'})


def report_html_for_print(report: Report, organisation: str,
                          env: Jinja2Templates = templates) -> str:
    """The pack as one self-contained HTML document for `board_pack.pdf`: no link, image or
    script to fetch (its CSS is `print_css`, given to WeasyPrint as text)."""
    return env.get_template("reports/quarterly_pdf.html").render(
        report=report, organisation=organisation, made_at=utcnow())


@cache
def print_css() -> str:
    """The PDF's stylesheet, `templates/reports/_pdf.css`, read once."""
    return (TEMPLATES_DIR / "reports" / "_pdf.css").read_text(encoding="utf-8")


@router.get("/reports/quarterly.pdf")
def quarterly_report_pdf(db: SessionDep, user: ReportUser, period: str | None = None,
                         mode: str | None = None) -> Response:
    """The board pack as a PDF for board papers, every page marked with its figures' mode."""
    quarter, chosen = _quarter(period), _mode(mode)
    report = build_report(db, user.organisation_code, quarter, chosen)
    organisation = db.execute(select(col(Organisation.name)).where(
        col(Organisation.code) == user.organisation_code)).scalar_one_or_none()
    pdf = board_pack.pdf(report_html_for_print(report, organisation or user.organisation_code),
                         print_css())
    _audit_read(db, user, "report.view", quarter, chosen, format="pdf")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="rhi-{quarter.label}-board-pack-'
                               f'{chosen}.pdf"'})
