"""The quarterly board report (`/reports/quarterly?period=2026-Q3`), for analysts and managers.

Its figures come from `summary.summarise`, the code behind `GET /api/v1/feed/summary`, with the
same suppression: the page and the API never disagree. Each chart has the table of its figures
beside it and a CSV of them behind a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.caller import Caller
from app.accounts.deps import allow
from app.audit import service as audit
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.london import london_day
from app.core.templating import templates
from app.core.types import utcnow
from app.feed import summary
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
CHARTS: Final = ("headline", "coverage", "standards", *FACTOR_LISTS)


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
    """The quarter's one group, or zeros when it has no records."""
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


def _offered(values: Mapping[str, int | None]) -> int | None:
    """Interviews offered: completed + declined + not achieved, when all three are published.

    A sum of published figures gives nothing away, but one from 1 to 5 is still shown as `c`,
    as every figure on the page is.
    """
    parts = [values[f"outcomes.{outcome}"] for outcome in ("completed", "declined",
                                                           "not_achieved")]
    if any(part is None for part in parts):
        return None
    total = sum(part for part in parts if part is not None)
    return None if is_small(total) else total


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
    headline: list[Figure]
    rates: dict[str, str]
    coverage: list[Figure]
    coverage_rates: dict[str, str]
    standards: list[StandardLine]
    factors: dict[str, list[Ranked]]
    charts: dict[str, Chart]


def build_report(db: SessionDep, organisation_code: str, quarter: Quarter) -> Report:
    """The report's figures and charts for a quarter, beside the quarter before."""
    now = utcnow()

    def quarter_summary(which: Quarter) -> summary.Summary:
        return summary.summarise(db, organisation_code, date_from=which.start,
                                 date_to=which.end, group_by=("quarter",), now=now)

    found = quarter_summary(quarter)
    published, rates = _published(found)
    before, before_rates = _published(quarter_summary(quarter.previous))
    values = published.values
    headline = [Figure(name, label, values[name], _count_text(values[name])) for name, label in (
        ("episodes", "Missing and away episodes"),
        ("children", "Children"),
        ("interviews", "Records of return interviews"),
    )]
    offered = _offered(values)
    headline.append(Figure("offered", "Interviews offered", offered, _count_text(offered)))
    headline += [Figure(name, label, values[name], _count_text(values[name])) for name, label in (
        ("outcomes.completed", "Interviews completed"),
        ("offered_within_72h", "Offered within 72 hours of return"),
        ("completed_within_72h", "Completed within 72 hours of return"),
        ("out_of_area", "Children placed out of area"),
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
        quarter=quarter, headline=headline,
        rates={name: _percent(rates[f"rates.{name}"], values["interviews"])
               for name in ("offered_within_72h", "completed_within_72h")},
        coverage=coverage,
        coverage_rates={name: _percent(covered.rates[f"rates.{name}"], covered.value("returns"))
                        for name in ("offered_within_72h", "completed_within_72h")},
        standards=standards, factors=factors, charts=charts)


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


@router.get("/reports/quarterly", response_class=HTMLResponse)
def quarterly_report(request: Request, db: SessionDep, user: ReportUser,
                     period: str | None = None) -> Response:
    quarter = _quarter(period)
    report = build_report(db, user.organisation_code, quarter)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="report.view", target=quarter.label)
    return templates.TemplateResponse(request, "reports/quarterly.html", {
        "current_user": user, "csrf_token": user.csrf_token, "report": report,
        "choices": _choices(quarter), "charts": CHARTS,
    })


def report_csv(report: Report, chart: str) -> Iterator[str]:
    """The figures behind one chart (or the headline or coverage table) as CSV, `c` where
    suppressed."""
    if chart in ("headline", "coverage"):
        yield csv_line(("period", "figure", "name", "value"))
        for figure in report.headline if chart == "headline" else report.coverage:
            yield csv_line((report.quarter.label, figure.label, figure.name,
                            SUPPRESSED if figure.value is None else str(figure.value)))
    elif chart == "standards":
        yield csv_line(("standard", "title", "period", "applicable", "share_met",
                        "previous_period", "previous_applicable", "previous_share_met"))
        for line in report.standards:
            yield csv_line((line.code, line.title, report.quarter.label,
                            line.applicable.replace(",", ""), _share(line.share, line.applicable),
                            report.quarter.previous.label,
                            line.previous_applicable.replace(",", ""),
                            _share(line.previous_share, line.previous_applicable)))
    else:
        kind = FACTOR_LISTS[chart][0]
        yield csv_line(("period", kind, "label", "records"))
        for item in report.factors[chart]:
            yield csv_line((report.quarter.label, item.code, item.label,
                            SUPPRESSED if item.value is None else str(item.value)))


def _share(rate: float | None, applicable: str) -> str:
    if rate is not None:
        return str(rate)
    return "z" if applicable == "0" else SUPPRESSED


@router.get("/reports/quarterly/{chart}.csv")
def quarterly_report_csv(db: SessionDep, user: ReportUser, chart: str,
                         period: str | None = None) -> Response:
    if chart not in CHARTS:
        raise NotFound("There is no such table in the report")
    quarter = _quarter(period)
    report = build_report(db, user.organisation_code, quarter)
    audit.record(db, actor=user.label, organisation=user.organisation_code,
                 action="report.csv", target=quarter.label, details={"table": chart})
    return Response("".join(report_csv(report, chart)).encode(),
                    media_type="text/csv; charset=utf-8", headers={
                        "Content-Disposition":
                            f'attachment; filename="rhi-{quarter.label}-{chart}.csv"'})
