"""The board pack (issue 16, "The board pack"): every section's figures on a small dataset whose
answers were worked out by hand (the comments show the sums), in both modes; suppression only in
published figures; each CSV the same as its table; another authority's children never counted;
the PDF a real PDF holding the headline figures, made without touching the network.

The dataset, 2026-Q1 (January to March: UK time is UTC, so hours and days read as written);
offered, interviewed, shared and told are hours after the return:

| ep | child | started (UK)     | away  | offered | interviewed | shared | found | places   |
|----|-------|------------------|-------|---------|-------------|--------|-------|----------|
| R1 | A     | Mon 5 Jan 22:30  | 9.5 h | 2       | 24          | 48     | BS16  | BS1, BS1 |
| R2 | A     | Sat 10 Jan 02:00 | 10 h  | 4       | 30          | 50     | BS16  |          |
| R3 | A     | Sun 1 Feb 14:00  | 6 h   | 6       | 70          | 100    | BS5   | BS1, BS2 |
| R4 | B     | Tue 3 Feb 09:00  | 9 h   | 10      | declined    | 20     |       |          |
| R5 | C     | Mon 2 Mar 19:00  | 12 h  | 80      | declined    |        |       |          |
| N1 | E     | Tue 10 Mar 12:00 | 18 h  | notified, no record: told 3 h after the return |
| N2 | F     | Thu 12 Mar 03:00 | still missing (notified, no record)             |

A: male, White British, disabled, not UASC, foster care, 15. B: female, Black African, not
disabled, UASC, children's home, 16. C: female, 14, nothing else recorded. Another authority
(801) has a child with a record and a notified episode in the same quarter: never in 803's
figures.
"""

from __future__ import annotations

import csv
import io
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts.caller import Caller
from app.audit.models import AuditEntry
from app.core.db import sqlite_reader
from app.episodes import service as episodes
from app.feed import board_pack, pages, projection
from app.feed.board_pack import Times
from app.feed.models import SUMMARY_INDEX, FeedRow
from app.feed.record import ActionState, action_state
from tests.builders import make_user, record, sign_in, template_of
from tests.feed.conftest import feed_key

REPORT = "/reports/quarterly"
PERIOD = {"period": "2026-Q1"}
OWN = {**PERIOD, "mode": "own"}
PUBLISHED = {**PERIOD, "mode": "published"}
LONDON = ZoneInfo("Europe/London")
PACK = re.compile(r'data-pack="([^"]+)"[^>]*>\s*([^<]*?)\s*<')
FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>\s*([^<]*?)\s*<')


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def returned(db: Session, local_id: str, start: str, away_hours: float, *, offer_hours: float,
             interview_hours: float | None = None, share_hours: float | None = None,
             found: str | None = None, places: tuple[str, ...] = (),
             actions: list[dict[str, Any]] | None = None, decline_reason: str | None = None,
             org: str = "803", share_with: str = "social_worker", **child: Any) -> None:
    """A submitted record of one episode of the child `local_id` (of `org`, placed by `org`
    in its own area unless `responsible_authority` and `placement_authority` say otherwise)."""
    started = at(start)
    back = started + timedelta(hours=away_hours)
    offered = back + timedelta(hours=offer_hours)
    overrides: dict[str, Any] = {
        "child__local_id": local_id, "child__responsible_authority": org,
        "child__placement_authority": org,
        **{f"child__{name}": value for name, value in child.items()},
        "episodes": [{"type": "missing", "started_at": moment(started),
                      "returned_at": moment(back), "reported_to_police": True,
                      **({"found_postcode": found} if found else {})}],
        "actions": actions or [],
        "sharing": [] if share_hours is None else [
            {"with": share_with, "at": moment(back + timedelta(hours=share_hours))}],
    }
    if interview_hours is None:
        overrides["offer"] = {"outcome": "declined", "offered_at": moment(offered),
                              "attempts": [{"at": moment(offered), "method": "phone"}],
                              **({"decline_reason": decline_reason} if decline_reason else {})}
        overrides["interview"] = None
    else:
        overrides["offer__offered_at"] = moment(offered)
        overrides["interview__conducted_at"] = moment(back + timedelta(hours=interview_hours))
        overrides["interview__locations"] = [
            {"description": f"A place {i}", "postcode": postcode}
            for i, postcode in enumerate(places)]
    record(db, org, **overrides)


def notified(db: Session, local_id: str, start: str, *, back: str | None, told: str,
             org: str = "803", **child: Any) -> None:
    episodes.notify(db, Caller.system(org), {
        "id": str(uuid4()), "type": "missing", "started_at": start, "notified_at": told,
        **({"returned_at": back} if back else {}),
        "child": {"responsible_authority": org, "local_id": local_id, **child}})


CHILD_A = {"gender": "male", "ethnicity": "wbri", "disability_or_send": "yes", "uasc": False,
           "placement_type": "foster_care", "date_of_birth": "2010-06-01"}
CHILD_B = {"gender": "female", "ethnicity": "bafr", "disability_or_send": "no", "uasc": True,
           "placement_type": "childrens_home", "date_of_birth": "2009-09-01"}


@pytest.fixture
def dataset(db: Session) -> None:
    returned(db, "BP-A", "2026-01-05T22:30:00", 9.5, offer_hours=2, interview_hours=24,
             share_hours=48, found="BS16 1QY", places=("BS1 4DJ", "BS1 5TR"), actions=[
                 {"type": "safety_plan", "status": "planned", "due_at": "2026-01-20T10:00:00Z"},
                 {"type": "mash_referral", "status": "done", "at": "2026-01-06T12:00:00Z",
                  "outcome": "Referred; the case was opened."}], **CHILD_A)
    returned(db, "BP-A", "2026-01-10T02:00:00", 10, offer_hours=4, interview_hours=30,
             share_hours=50, found="BS16 2AB", actions=[
                 {"type": "follow_up_support", "at": "2026-01-11T18:00:00Z"}], **CHILD_A)
    returned(db, "BP-A", "2026-02-01T14:00:00", 6, offer_hours=6, interview_hours=70,
             share_hours=100, found="BS5 1AA", places=("BS1 6XY", "BS2 0JA"), actions=[
                 {"type": "safety_plan", "status": "planned", "due_at": "2099-01-01T10:00:00Z"},
                 {"type": "social_care_referral", "status": "not_done",
                  "outcome": "The family moved away."}], **CHILD_A)
    returned(db, "BP-B", "2026-02-03T09:00:00", 9, offer_hours=10, share_hours=20,
             decline_reason="Did not want to talk.", **CHILD_B)
    returned(db, "BP-C", "2026-03-02T19:00:00", 12, offer_hours=80, date_of_birth="2011-05-04")
    notified(db, "BP-E", "2026-03-10T12:00:00Z", back="2026-03-11T06:00:00Z",
             told="2026-03-11T09:00:00Z")
    notified(db, "BP-F", "2026-03-12T03:00:00Z", back=None, told="2026-03-12T05:00:00Z")
    # Another authority's child, in the same quarter: never 803's.
    returned(db, "OTHER-1", "2026-02-10T10:00:00", 5, offer_hours=1, interview_hours=5,
             share_hours=6, found="GL1 1AA", places=("GL1 2BB",), org="801", **CHILD_A)
    notified(db, "OTHER-2", "2026-02-11T10:00:00Z", back="2026-02-11T12:00:00Z",
             told="2026-02-11T12:30:00Z", org="801")
    db.commit()


def shown(html: str, pattern: re.Pattern[str] = PACK) -> dict[str, str]:
    return dict(pattern.findall(html))


def page(client: TestClient, **params: str) -> str:
    answer = client.get(REPORT, params=params)
    assert answer.status_code == 200, answer.text[:2000]
    return answer.text


@pytest.fixture
def manager(client: TestClient, db: Session) -> TestClient:
    sign_in(client, make_user(db, "manager", org="803"))
    return client


# --- each section's figures, worked out by hand -------------------------------------------------


def test_stage_delays_are_medians_and_90th_percentiles_of_the_registers_returns(
        manager: TestClient, dataset: None) -> None:
    figures = shown(page(manager, **OWN))
    # Told: N1 only, 3 h. Offered: 2, 4, 6, 10, 80 → median 6; p90 at (5-1)×0.9 = 3.6, so
    # 10 + 0.6 × (80 - 10) = 52. Interviewed: 24, 30, 70 → 30; 30 + 0.8 × 40 = 62. Shared: 20,
    # 48, 50, 100 → (48 + 50) / 2 = 49; at 2.7, 50 + 0.7 × 50 = 85.
    expected = {"notified": ("1", "3.0", "3.0"), "offered": ("5", "6.0", "52.0"),
                "interviewed": ("3", "30.0", "62.0"), "shared": ("4", "49.0", "85.0")}
    for stage, (returns, median, p90) in expected.items():
        assert (figures[f"stage-delays.{stage}.returns"],
                figures[f"stage-delays.{stage}.median_hours"],
                figures[f"stage-delays.{stage}.p90_hours"]) == (returns, median, p90), stage
    assert "Returns in the quarter: 6." in page(manager, **OWN)  # N2 has not returned


def test_the_repeat_missing_group_and_its_share_of_episodes(
        manager: TestClient, dataset: None) -> None:
    figures = shown(page(manager, **OWN))
    # A: 3 episodes; B, C, E, F: 1 each. 3 of the 7 episodes: 43%.
    assert [figures[f"repeat-missing.{group}.{column}"]
            for group in ("repeat", "other", "all")
            for column in ("children", "episodes", "share_of_episodes")] == [
        "1", "3", "43%", "4", "4", "57%", "5", "7", "100%"]


def test_hotspots_places_times_of_day_and_days_of_the_week(
        manager: TestClient, dataset: None) -> None:
    figures = shown(page(manager, **OWN))
    assert {k: v for k, v in figures.items() if k.startswith("found-districts.")} == {
        "found-districts.BS16.episodes": "2", "found-districts.BS5.episodes": "1"}
    # R1 names two places in BS1 (counted once for it), R3 one in BS1 and one in BS2.
    assert {k: v for k, v in figures.items() if k.startswith("place-districts.")} == {
        "place-districts.BS1.records": "2", "place-districts.BS2.records": "1"}
    # Starts: 22:30, 02:00, 14:00, 09:00, 19:00, 12:00, 03:00.
    assert [figures[f"time-of-day.{band}.episodes"]
            for band in ("night", "morning", "afternoon", "evening", "all")] == [
        "2", "1", "2", "2", "7"]
    assert [figures[f"day-of-week.{day}.episodes"] for day, _ in board_pack.DAYS] == [
        "2", "2", "0", "1", "0", "1", "1"]
    assert figures["day-of-week.all.share"] == "100%"


def test_themes_declines_and_actions_counted_never_their_words(
        manager: TestClient, dataset: None) -> None:
    html = page(manager, **OWN)
    figures = shown(html)
    assert [figures[f"declined.{key}.records"] for key in ("reason_given", "no_reason",
                                                           "declined")] == ["1", "1", "2"]
    # Five actions: a safety plan overdue (due 20 January) and one planned (due 2099), a MASH
    # referral and follow-up support done, a social care referral not done; outcomes written
    # for the MASH referral (done) and the referral not done.
    assert [(figures[f"actions-by-status.{state}.actions"],
             figures[f"actions-by-status.{state}.with_outcome"])
            for state in ("planned", "overdue", "done", "not_done", "all")] == [
        ("1", "0"), ("1", "0"), ("2", "1"), ("1", "1"), ("5", "2")]
    assert [figures[f"actions-by-type.safety_plan.{column}"]
            for column in ("actions", "planned", "overdue", "done", "not_done")] == [
        "2", "1", "1", "0", "0"]
    assert figures["actions-by-type.social_care_referral.not_done"] == "1"
    assert figures["actions-by-type.follow_up_support.done"] == "1"
    for words in ("Did not want to talk", "the case was opened", "The family moved away"):
        assert words not in html
    assert shown(html, FIGURE)["push-factors.family_conflict"] == "3"  # R1, R2, R3


def test_differences_between_groups(manager: TestClient, dataset: None) -> None:
    figures = shown(page(manager, **OWN))

    def group(table: str, code: str) -> list[str]:
        return [figures[f"{table}.{code}.{column}"] for column in (
            "records", "episodes", "offered_within_72h", "share_offered_within_72h",
            "completed_within_72h", "share_completed_within_72h")]

    # Offered within 72 h: R1 to R4 (R5 at 80 h); completed within 72 h: R1, R2, R3.
    assert group("by-gender", "male") == ["3", "3", "3", "100%", "3", "100%"]
    assert group("by-gender", "female") == ["2", "2", "1", "50%", "0", "0%"]
    assert group("by-gender", "all") == ["5", "5", "4", "80%", "3", "60%"]
    assert group("by-ethnicity", "wbri") == ["3", "3", "3", "100%", "3", "100%"]
    assert group("by-ethnicity", "bafr") == ["1", "1", "1", "100%", "0", "0%"]
    assert group("by-ethnicity", "not_recorded") == ["1", "1", "0", "0%", "0", "0%"]
    assert group("by-disability", "yes")[:3] == ["3", "3", "3"]
    assert group("by-disability", "no")[:3] == ["1", "1", "1"]
    assert group("by-uasc", "true") == ["1", "1", "1", "100%", "0", "0%"]
    assert group("by-uasc", "false") == ["3", "3", "3", "100%", "3", "100%"]
    assert group("by-uasc", "not_recorded")[0] == "1"
    assert group("by-placement-type", "foster_care")[0] == "3"
    assert group("by-placement-type", "childrens_home")[0] == "1"
    # A is 15 at each return, C 14: 13 to 15; B is 16.
    assert group("by-age-band", "13_to_15") == ["4", "4", "3", "75%", "3", "75%"]
    assert group("by-age-band", "16_to_17") == ["1", "1", "1", "100%", "0", "0%"]


def test_the_new_groupings_are_the_summary_apis_too(
        client: TestClient, db: Session, dataset: None) -> None:
    answer = client.get("/api/v1/feed/summary", headers=feed_key(db), params={
        "from": "2026-01-01", "to": "2026-03-31",
        "group_by": "ethnicity,disability_or_send,uasc,placement_type"})
    assert answer.status_code == 200, answer.text
    groups = {tuple(g["group"].values()): g for g in answer.json()["groups"]}
    assert set(groups) == {("wbri", "yes", False, "foster_care"),
                           ("bafr", "no", True, "childrens_home"), (None, None, None, None)}
    # 3 records is a small number: suppressed in the API, as in the published pack.
    assert groups[("wbri", "yes", False, "foster_care")]["interviews"] is None
    csv_answer = client.get("/api/v1/feed/summary", headers=feed_key(db), params={
        "from": "2026-01-01", "to": "2026-03-31", "group_by": "uasc", "format": "csv"})
    assert [row["uasc"] for row in csv.DictReader(io.StringIO(csv_answer.text))] == [
        "false", "true", ""]


# --- the two modes ------------------------------------------------------------------------------


def test_suppression_only_in_published_figures(manager: TestClient, dataset: None) -> None:
    own, published = page(manager, **OWN), page(manager, **PUBLISHED)
    own_figures, published_figures = shown(own), shown(published)
    assert set(own_figures) == set(published_figures)
    assert "c" not in own_figures.values()
    assert "c" not in shown(own, FIGURE).values()
    # Published: every count from 1 to 5 is c, and so are the medians of 5 returns or fewer.
    assert published_figures["repeat-missing.repeat.children"] == "c"
    assert published_figures["repeat-missing.all.episodes"] == "7"
    # 3 of 7 episodes hidden, so the other 4 would give it away: hidden too.
    assert published_figures["repeat-missing.other.episodes"] == "c"
    assert published_figures["stage-delays.offered.median_hours"] == "c"
    assert published_figures["time-of-day.all.episodes"] == "7"
    assert {published_figures[f"time-of-day.{band}.episodes"] for band, _ in
            board_pack.BANDS} == {"c"}
    assert published_figures["by-gender.all.records"] == "c"  # 5 records
    assert published_figures["day-of-week.wednesday.episodes"] == "0"  # a true zero is shown
    for figure, value in own_figures.items():
        if published_figures[figure] != "c":
            assert published_figures[figure] == value, figure


def test_every_page_and_file_says_which_figures_it_holds(
        manager: TestClient, dataset: None) -> None:
    own = page(manager, **OWN)
    assert own.count("OFFICIAL-SENSITIVE: not for publication") >= 2  # top and foot
    assert "(not for publication) – Return Interview Service</title>" in own
    published = page(manager, **PUBLISHED)
    assert "OFFICIAL-SENSITIVE" not in published
    assert published.count(board_pack.MARKINGS["published"]) >= 2
    assert shown(page(manager, **PERIOD)) == shown(published)  # published is the default
    for mode, marking in board_pack.MARKINGS.items():
        answer = manager.get(f"{REPORT}/time-of-day.csv", params={**PERIOD, "mode": mode})
        assert f'rhi-2026-Q1-time-of-day-{mode}.csv' in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows and {row["marking"] for row in rows} == {marking}
        headline = manager.get(f"{REPORT}/headline.csv", params={**PERIOD, "mode": mode})
        assert {row["marking"] for row in csv.DictReader(io.StringIO(headline.text))} == {
            marking}


@pytest.mark.parametrize("path", [REPORT, f"{REPORT}/stage-delays.csv", f"{REPORT}.pdf"])
@pytest.mark.parametrize("mode", ["all", "OWN", "own ", "\x00", "x" * 5000])
def test_a_mode_that_is_not_one_is_a_clear_422_page(
        manager: TestClient, path: str, mode: str) -> None:
    answer = manager.get(path, params={**PERIOD, "mode": mode})
    assert answer.status_code == 422
    assert template_of(answer) == "errors/500.html"
    assert "mode=published" in answer.text and "mode=own" in answer.text


def test_both_modes_are_audited_with_the_mode(
        manager: TestClient, db: Session, dataset: None) -> None:
    manager.get(REPORT, params=OWN)
    manager.get(f"{REPORT}/declined.csv", params=PUBLISHED)
    entries = db.execute(select(AuditEntry).where(col(AuditEntry.action).in_(
        ("report.view", "report.csv"))).order_by(col(AuditEntry.id))).scalars().all()
    assert [(e.action, e.target, e.details) for e in entries] == [
        ("report.view", "2026-Q1", {"mode": "own"}),
        ("report.csv", "2026-Q1", {"table": "declined", "mode": "published"})]


# --- the CSVs -----------------------------------------------------------------------------------


def as_table_text(value: str, column: str) -> str:
    """A CSV value as the table writes it."""
    if value in ("c",):
        return value
    if value == "z":
        return "n/a"
    if column.startswith("share"):
        return f"{round(float(value) * 100)}%"
    if column.endswith("hours"):
        return f"{float(value):,.1f}"
    return f"{int(value):,}"


@pytest.mark.parametrize("mode", ["own", "published"])
def test_each_tables_csv_holds_what_its_table_shows(
        manager: TestClient, dataset: None, mode: str) -> None:
    html = page(manager, **PERIOD, mode=mode)
    figures = shown(html)
    for name in board_pack.TABLES:
        link = f"/reports/quarterly/{name}.csv?period=2026-Q1" + (
            "&amp;mode=own" if mode == "own" else "")  # published: the default
        assert f'href="{link}"' in html, name
        answer = manager.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        reader = csv.DictReader(io.StringIO(answer.text))
        columns = [c for c in reader.fieldnames or () if c not in ("marking", "period", "label")]
        key, *values = columns
        in_csv = {f"{name}.{row[key]}.{column}": as_table_text(row[column], column)
                  for row in reader for column in values}
        in_table = {figure: text for figure, text in figures.items()
                    if figure.startswith(f"{name}.")}
        assert in_csv == in_table, name


# --- whose children -----------------------------------------------------------------------------


def test_another_authoritys_children_are_never_counted(
        client: TestClient, db: Session, dataset: None) -> None:
    sign_in(client, make_user(db, "analyst", org="801"))
    theirs = shown(page(client, **OWN))
    assert theirs["time-of-day.all.episodes"] == "2"  # their record's and their notification
    assert theirs["repeat-missing.all.children"] == "2"
    assert {k for k in theirs if k.startswith("found-districts.")} == {
        "found-districts.GL1.episodes"}
    assert theirs["by-gender.all.records"] == "1"
    assert theirs["stage-delays.notified.median_hours"] == "0.5"
    client.cookies.clear()
    sign_in(client, make_user(db, "manager", org="803"))
    ours = page(client, **OWN)
    assert "GL1" not in ours
    assert shown(ours)["time-of-day.all.episodes"] == "7"


# --- the PDF ------------------------------------------------------------------------------------


def pdf_text(html: str) -> tuple[int, str]:
    """How many pages WeasyPrint lays the pack out on, and their text, the pages' margins
    included (pypdf is not installed: the document object before it is written is read)."""
    document = board_pack.render(html, pages.print_css())
    words = [box.text for page in document.pages for box in page._page_box.descendants()
             if getattr(box, "text", None)]
    return len(document.pages), " ".join(words)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    tried: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        tried.append(address)
        raise OSError("the board pack must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield tried


@pytest.mark.parametrize("mode", ["own", "published"])
def test_the_pdf_is_a_pdf_of_the_pack_with_its_headline_figures(
        manager: TestClient, db: Session, dataset: None, no_network: list[Any],
        mode: str) -> None:
    answer = manager.get(f"{REPORT}.pdf", params={**PERIOD, "mode": mode})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert f"rhi-2026-Q1-board-pack-{mode}.pdf" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF-") and answer.content.rstrip().endswith(b"%%EOF")
    assert no_network == []
    report = pages.build_report(db, "803", pages.Quarter(2026, 1), mode)
    html = pages.report_html_for_print(report, "Test Organisation 803")
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", html)
    count, text = pdf_text(html)
    assert count >= 3
    assert "Return home interviews, January to March 2026" in text
    assert text.count(board_pack.MARKINGS[mode]) >= 2 * count  # top and foot of every page
    headline = {figure.name: figure.text for figure in report.headline}
    assert headline["episodes"] == ("5" if mode == "own" else "c")
    assert f"Missing and away episodes {headline['episodes']}" in text
    assert "Hours from return to each stage" in text and "By ethnicity" in text
    if mode == "own":
        assert "Interview offered 5 6.0 52.0" in text


def test_the_pdfs_fetcher_refuses_everything_but_data(no_network: list[Any]) -> None:
    fetcher = board_pack.nothing_fetched()
    for url in ("https://example.org/style.css", "file:///etc/hostname",
                "http://127.0.0.1/x.png"):
        with pytest.raises(ValueError, match="fetches nothing"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    made = board_pack.pdf('<img src="http://example.org/a.png"><link rel="stylesheet" '
                          'href="file:///etc/hostname"><p>Nothing fetched</p>',
                          '@import url("https://example.org/more.css"); p { color: black }')
    assert made.startswith(b"%PDF-") and no_network == []


# --- the projection's new columns ---------------------------------------------------------------


def test_the_projection_holds_the_new_columns_and_a_rebuild_fills_old_rows(
        db: Session, dataset: None) -> None:
    rows = {row.interview_id: row for row in db.execute(
        select(FeedRow).where(col(FeedRow.recorded_by_org) == "803")).scalars()}
    [first] = [row for row in rows.values() if "mash_referral" in row.action_states]
    assert (first.ethnicity, first.disability_or_send, first.uasc, first.placement_type) == (
        "wbri", "yes", False, "foster_care")
    assert (first.found_districts, first.location_districts) == (";BS16;", ";BS1;")
    assert first.action_states == (
        ";planned|safety_plan|2026-01-20T10:00:00.000000Z|;done|mash_referral||y;")
    assert sorted(row.found_districts for row in rows.values()) == [
        ";", ";", ";BS16;", ";BS16;", ";BS5;"]
    before = {row.interview_id: (row.updated_at, row.json_line) for row in rows.values()}
    db.execute(update(FeedRow).values(ethnicity=None, uasc=None, found_districts=";",
                                      action_states=";", decline_reason_given=False))
    db.flush()
    db.expire_all()

    assert projection.rebuild(db) == 5  # the rows emptied (C's held nothing to empty)
    assert projection.rebuild(db) == 0  # and nothing more to do

    after = {row.interview_id: row for row in db.execute(
        select(FeedRow).where(col(FeedRow.recorded_by_org) == "803")).scalars()}
    assert sorted(row.found_districts for row in after.values()) == [
        ";", ";", ";BS16;", ";BS16;", ";BS5;"]
    assert {row.ethnicity for row in after.values()} == {"wbri", "bafr", None}
    assert sum(row.decline_reason_given for row in after.values()) == 1
    assert {key: (row.updated_at, row.json_line) for key, row in after.items()} == before


# --- pieces -------------------------------------------------------------------------------------


def test_published_differences_hide_a_group_the_total_would_give_away() -> None:
    from collections import Counter

    groups = {"female": Counter(records=10, episodes=12, offered_within_72h=9,
                                completed_within_72h=8),
              "male": Counter(records=2, episodes=2, offered_within_72h=2,
                              completed_within_72h=0)}
    published = board_pack.difference_table("by-gender", "gender", "Sex", "sex",
                                            {"female": "Female", "male": "Male"}, groups,
                                            "published")
    own = board_pack.difference_table("by-gender", "gender", "Sex", "sex",
                                      {"female": "Female", "male": "Male"}, groups, "own")
    cells = {row.key: [cell.text for cell in row.cells] for row in published.rows}
    # Male's 2 records are hidden, so female's 10 are too (12 - 10 = 2); completed: 0 is shown.
    assert cells["male"][:3] == ["c", "c", "c"] and cells["female"][:3] == ["c", "c", "c"]
    assert cells["all"][:2] == ["12", "14"]
    assert cells["male"][4] == "0" and cells["female"][4] == "8"
    assert [cell.text for cell in own.rows[0].cells] == ["10", "12", "9", "90%", "8", "80%"]


def test_percentiles_as_excel_works_them_out() -> None:
    assert board_pack.percentile([7.0], 0.9) == 7.0
    assert board_pack.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert board_pack.percentile([2.0, 4.0, 6.0, 10.0, 80.0], 0.9) == pytest.approx(52.0)
    times = [Times(1, at("2026-01-01T00:00:00"), at("2026-01-01T10:00:00"),
                   at("2026-01-01T08:00:00"), None, None, None)]
    assert board_pack.stage_hours(times)["notified"] == [0.0]  # told while still missing


def test_an_empty_quarter_has_every_table_and_no_error(manager: TestClient) -> None:
    figures = shown(page(manager, period="2020-Q1", mode="own"))
    assert figures["time-of-day.all.episodes"] == "0"
    assert figures["stage-delays.offered.median_hours"] == "n/a"
    assert figures["repeat-missing.all.share_of_episodes"] == "n/a"
    answer = manager.get(f"{REPORT}.pdf", params={"period": "2020-Q1"})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")


def test_on_sqlite_the_groups_are_counted_from_the_narrow_index_of_the_quarter(
        db: Session) -> None:
    if db.get_bind().dialect.name != "sqlite":
        return
    reader = sqlite_reader(db.get_bind().engine.url)
    query = board_pack.grouped("803", pages.Quarter(2026, 1))
    compiled = query.compile(dialect=reader.dialect, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert f"COVERING INDEX {SUMMARY_INDEX} (period_quarter=?)" in plan


# --- children placed out of area (Protect 2) ----------------------------------------------------
#
# 2025-Q4 (October to December; from November UK time is UTC). 803 reads the figures. Offered,
# interviewed and shared are hours after the return; the placing authority is told in time when
# the missing co-ordinator (or the responsible authority) has the findings by the end of the
# first working day after the interview (else the last attempt).
#
# | ret | child     | placed    | returned (UK)    | offered | held  | told             | plan   |
# |-----|-----------|-----------|------------------|---------|-------|------------------|--------|
# | O1  | A (803's) | 803 → 802 | Mon 3 Nov 20:00  | 2       | 20    | +30 h: in time   | done   |
# | O1' | A: a second record of O1's episode, the same; the episode counts once              |
# | O2  | A         | 803 → 802 | Mon 17 Nov 18:00 | 80      | 90    | +200 h: late     | overdue|
# | O3  | B (803's) | 803 → 801 | Wed 10 Dec 09:00 | notified, no record: never offered            |
# | O4  | C (801's) | 801 → 803 | Tue 2 Dec 18:00  | 1       | declined | in time (RA)  | done*  |
# | O5  | D (801's) | 801 → 802 | Wed 24 Dec 15:00 | 3       | 20 (Xmas) | Mon 29: in time | none |
# | O6  | E (803's) | 803 → 802 | Mon 8 Dec 20:00  | 4       | 30    | +100 h: late     | done   |
#
# RA: shared with the responsible authority itself, by the end of Wednesday 3 December (the day
# after the last attempt). *: recorded before actions had a status. O5 is told in time on
# Monday 29 December: Friday 26 (Boxing Day) and the weekend do not count.
#
# O6 was notified by the police with no legal status or placement; its record says looked after
# and placed in 802, and the record counts. Not counted: F (child in need, placed away), G (looked
# after in 803's own area), H (801's record of 801's child: not 803's to see), J (still
# missing), and A's return in September (2025-Q3).

Q4 = {"period": "2025-Q4"}
AWAY = {"legal_status": "looked_after", "responsible_authority": "803",
        "placement_authority": "802"}


@pytest.fixture
def placed_out_of_area(db: Session) -> None:
    done_plan = [{"type": "safety_plan", "status": "done", "at": "2025-11-05T12:00:00Z",
                  "due_at": "2025-11-07T12:00:00.000000Z"}]
    for _ in range(2):  # O1 and O1'
        returned(db, "OA-A", "2025-11-03T10:00:00", 10, offer_hours=2, interview_hours=20,
                 share_hours=30, share_with="missing_coordinator", actions=done_plan, **AWAY)
    returned(db, "OA-A", "2025-11-17T10:00:00", 8, offer_hours=80, interview_hours=90,
             share_hours=200, share_with="missing_coordinator", actions=[
                 {"type": "safety_plan", "status": "planned",
                  "due_at": "2025-12-01T12:00:00.000000Z"}], **AWAY)
    notified(db, "OA-B", "2025-12-09T20:00:00Z", back="2025-12-10T09:00:00Z",
             told="2025-12-10T10:00:00Z", legal_status="looked_after",
             placement_authority="801")
    returned(db, "OA-C", "2025-12-02T12:00:00", 6, offer_hours=1, share_hours=20,
             share_with="responsible_authority", decline_reason="Did not want to talk.",
             actions=[{"type": "safety_plan", "at": "2025-12-03T10:00:00Z"}],
             legal_status="looked_after", responsible_authority="801",
             placement_authority="803")
    returned(db, "OA-D", "2025-12-24T10:00:00", 5, offer_hours=3, interview_hours=20,
             share_hours=115, share_with="missing_coordinator", legal_status="looked_after",
             responsible_authority="801", placement_authority="802")
    notified(db, "OA-E", "2025-12-08T08:00:00Z", back="2025-12-08T20:00:00Z",
             told="2025-12-08T21:00:00Z")
    returned(db, "OA-E", "2025-12-08T08:00:00", 12, offer_hours=4, interview_hours=30,
             share_hours=100, share_with="missing_coordinator", actions=done_plan, **AWAY)
    # Not counted.
    returned(db, "OA-F", "2025-11-10T10:00:00", 5, offer_hours=1, interview_hours=5,
             share_hours=6, share_with="missing_coordinator",
             **{**AWAY, "legal_status": "child_in_need"})
    returned(db, "OA-G", "2025-11-11T10:00:00", 5, offer_hours=1, interview_hours=5,
             share_hours=6, share_with="missing_coordinator", legal_status="looked_after")
    returned(db, "OA-H", "2025-11-12T10:00:00", 5, offer_hours=1, interview_hours=5,
             share_hours=6, share_with="missing_coordinator", org="801",
             legal_status="looked_after", placement_authority="802")
    notified(db, "OA-J", "2025-12-20T03:00:00Z", back=None, told="2025-12-20T05:00:00Z",
             legal_status="looked_after", placement_authority="802")
    returned(db, "OA-A", "2025-09-15T10:00:00", 5, offer_hours=1, interview_hours=5,
             share_hours=6, share_with="missing_coordinator", **AWAY)
    db.commit()


DIRECTIONS = ("placed_away", "placed_here", "other")
OUT_OF_AREA_FIGURES = ("children", "returns", "offered_within_72h", "completed_within_72h",
                       "placing_authority_told", "safety_plan_updated")


def counted_from_the_feeds(client: TestClient, db: Session) -> dict[str, int]:
    """The Protect 2 figures as an analyst would count them from the two feeds, not through the
    pack: each return of the quarter in the episode feed, the child as the latest record
    covering it says (the interview feed, joined on `child_key` and the episode's start), else
    as the episode feed says."""
    headers = feed_key(db)
    returns = client.get("/api/v1/feed/episodes", headers=headers).json()["data"]
    records = client.get("/api/v1/feed/interviews", headers=headers).json()["data"]
    start = datetime(2025, 10, 1, tzinfo=LONDON)
    end = datetime(2026, 1, 1, tzinfo=LONDON)
    children: dict[str, set[str]] = {where: set() for where in (*DIRECTIONS, "all")}
    counts = dict.fromkeys((f"{figure}.{where}" for figure in OUT_OF_AREA_FIGURES
                            for where in (*DIRECTIONS, "all")), 0)
    for episode in returns:
        back = episode["returned_at"]
        if back is None or not start <= datetime.fromisoformat(back) < end:
            continue
        covering = [r for r in records if r["child_key"] == episode["child_key"] and
                    episode["started_at"] in {e["started_at"] for e in r["episodes"]}]
        latest = max(covering, key=lambda r: r["submitted_at"]) if covering else None
        legal_status = (latest or {}).get("legal_status") or episode["legal_status"]
        placed = (latest or {}).get("placement_authority") or episode["placement_authority"]
        responsible = episode["responsible_authority"]
        if legal_status != "looked_after" or not placed or placed == responsible:
            continue
        where = ("placed_away" if responsible == "803" else
                 "placed_here" if placed == "803" else "other")
        told = latest is not None and any(
            f["code"] == "placing-authority-told" and f["result"] == "met"
            for f in latest["standards"])
        plan = latest is not None and any(
            a["type"] == "safety_plan" and a["status"] == "done" for a in latest["actions"])
        for column in (where, "all"):
            children[column].add(episode["child_key"])
            counts[f"returns.{column}"] += 1
            counts[f"offered_within_72h.{column}"] += episode["offer_within_72h"] == "met"
            counts[f"completed_within_72h.{column}"] += episode["interview_within_72h"] == "met"
            counts[f"placing_authority_told.{column}"] += told
            counts[f"safety_plan_updated.{column}"] += plan
    for column, keys in children.items():
        counts[f"children.{column}"] = len(keys)
    return counts


def as_published(counts: dict[str, int]) -> dict[str, int | None]:
    """Suppression worked out again: 1 to 5 hidden; where one of a figure's directions or its
    total is the only one hidden, the smallest non-zero direction still shown is hidden too."""
    shown: dict[str, int | None] = {name: None if 1 <= n <= 5 else n
                                    for name, n in counts.items()}
    for figure in OUT_OF_AREA_FIGURES:
        names = [f"{figure}.{where}" for where in (*DIRECTIONS, "all")]
        if sum(shown[name] is None for name in names) == 1:
            left = [name for name in names[:-1] if shown[name]]
            if left:
                shown[min(left, key=lambda name: counts[name])] = None
    return shown


def table_texts(counts: dict[str, int | None]) -> dict[str, str]:
    """What the table shows for the figures: counts, and each figure's share of all returns."""
    def text(value: int | None) -> str:
        return "c" if value is None else f"{value:,}"

    texts = {f"out-of-area.{figure}.{where}": text(counts[f"{figure}.{where}"])
             for figure in OUT_OF_AREA_FIGURES for where in (*DIRECTIONS, "all")}
    for figure in OUT_OF_AREA_FIGURES:
        part, whole = counts[f"{figure}.all"], counts["returns.all"]
        texts[f"out-of-area.{figure}.share_of_returns"] = (
            "n/a" if figure == "children" else "c" if part is None or whole is None
            else "n/a" if whole == 0 else f"{round(part / whole * 100)}%")
    return texts


def test_the_counts_from_the_feeds_are_the_ones_worked_out_by_hand(
        client: TestClient, db: Session, placed_out_of_area: None) -> None:
    counts = counted_from_the_feeds(client, db)
    # (placed away, placed here, other, all)
    assert [tuple(counts[f"{figure}.{where}"] for where in (*DIRECTIONS, "all"))
            for figure in OUT_OF_AREA_FIGURES] == [
        (3, 1, 1, 5),  # children: A, B, E; C; D
        (4, 1, 1, 6),  # returns: O1 (two records, once), O2, O3, O6; O4; O5
        (2, 1, 1, 4),  # offered within 72 h: O1, O6; O4; O5
        (2, 0, 1, 3),  # held within 72 h: O1, O6; O4 declined; O5
        (1, 1, 1, 3),  # told in time: O1; O4; O5 over Christmas and Boxing Day
        (2, 1, 0, 3),  # safety plan done: O1, O6; O4 (recorded before statuses)
    ]


@pytest.mark.parametrize("mode", ["own", "published"])
def test_children_placed_out_of_area_are_counted_as_the_feeds_count_them(
        manager: TestClient, client: TestClient, db: Session, placed_out_of_area: None,
        mode: str) -> None:
    counts = counted_from_the_feeds(client, db)
    expected = table_texts(dict(counts) if mode == "own" else as_published(counts))
    html = page(manager, **Q4, mode=mode)
    figures = {k: v for k, v in shown(html).items() if k.startswith("out-of-area.")}
    assert figures == expected
    if mode == "own":
        assert "c" not in figures.values()
        assert figures["out-of-area.placing_authority_told.share_of_returns"] == "50%"
    else:
        assert figures["out-of-area.returns.all"] == "6" and (
            figures["out-of-area.returns.placed_away"] == "c")
        assert figures["out-of-area.completed_within_72h.placed_here"] == "0"  # a true zero
    answer = manager.get("/reports/quarterly/out-of-area.csv", params={**Q4, "mode": mode})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {row["marking"] for row in rows} == {board_pack.MARKINGS[mode]}
    assert {f"out-of-area.{row['figure']}.{column}": as_table_text(row[column], column)
            for row in rows for column in (*DIRECTIONS, "all", "share_of_returns")} == expected


def test_published_out_of_area_figures_hide_a_direction_the_total_would_give_away() -> None:
    counts = dict.fromkeys((f"{figure}.{where}" for figure in OUT_OF_AREA_FIGURES
                            for where in (*DIRECTIONS, "all")), 0)
    counts.update({"returns.placed_away": 10, "returns.placed_here": 2, "returns.all": 12,
                   "children.placed_away": 7, "children.placed_here": 2, "children.all": 9,
                   "offered_within_72h.placed_away": 9, "offered_within_72h.all": 9})
    table = board_pack.out_of_area_table(counts, "published")
    cells = {row.key: [cell.text for cell in row.cells] for row in table.rows}
    # 2 placed here is hidden, so 10 placed away is too (12 - 10 = 2); 0 is shown.
    assert cells["returns"] == ["c", "c", "0", "12", "100%"]
    assert cells["children"] == ["c", "c", "0", "9", "n/a"]
    assert cells["offered_within_72h"] == ["9", "0", "0", "9", "75%"]
    own = board_pack.out_of_area_table(counts, "own")
    assert [cell.text for cell in own.rows[1].cells] == ["10", "2", "0", "12", "100%"]


@pytest.mark.parametrize("mode", ["own", "published"])
def test_the_pdf_holds_the_out_of_area_section_and_its_headline(
        manager: TestClient, db: Session, placed_out_of_area: None, no_network: list[Any],
        mode: str) -> None:
    assert manager.get(f"{REPORT}.pdf", params={**Q4, "mode": mode}).status_code == 200
    report = pages.build_report(db, "803", pages.Quarter(2025, 4), mode)
    _, text = pdf_text(pages.report_html_for_print(report, "Test Organisation 803"))
    assert "Children placed out of area (Protect 2)" in text
    children = "5" if mode == "own" else "c"
    assert ("Returns in the quarter of looked-after children placed out of area: 6, of "
            f"{children} children.") in text
    assert "Placing authority told in time" in text


def test_action_states_are_read_with_microseconds(manager: TestClient,
                                                  placed_out_of_area: None) -> None:
    due = "2026-03-05T12:00:00.000000Z"
    assert action_state(f"planned|safety_plan|{due}|y") == ActionState(
        "planned", "safety_plan", at("2026-03-05T12:00:00"), True)
    # As rows written before every moment had its microseconds hold it; and no due date.
    assert action_state("planned|safety_plan|2026-03-05T12:00:00Z|").due_at == at(
        "2026-03-05T12:00:00")
    assert action_state("|follow_up_support||") == ActionState(
        "done", "follow_up_support", None, False)
    assert board_pack._action_state(f"planned|safety_plan|{due}|",
                                    at("2026-03-05T12:00:01"))[0] == "overdue"
    assert board_pack._action_state(f"planned|safety_plan|{due}|",
                                    at("2026-03-05T12:00:00"))[0] == "planned"
    # O2's plan, due 1 December 2025 and stored to the microsecond, is overdue in the pack.
    figures = shown(page(manager, **Q4, mode="own"))
    assert figures["actions-by-type.safety_plan.overdue"] == "1"
    assert figures["actions-by-type.safety_plan.done"] == "4"  # O1, O1', O4, O6


def test_a_total_the_report_holds_back_is_not_given_away_by_the_pack(
        db: Session, placed_out_of_area: None) -> None:
    """The coverage of returns holds the quarter's returns back to protect a small count
    beside them; the stage delays' note must not print the number (episodes − it would give
    the small count away). The same for declined records, held back among the outcomes."""
    own = pages.build_report(db, "803", pages.Quarter(2025, 4), "own")
    returns = next(f.value for f in own.coverage if f.name == "returns")
    assert isinstance(returns, int) and returns > 5  # not small itself: held back beside one
    assert f"Returns in the quarter: {returns}." in own.pack.tables["stage-delays"].intro

    published = pages.build_report(db, "803", pages.Quarter(2025, 4), "published")
    assert next(f.text for f in published.coverage if f.name == "returns") == "c"
    assert "Returns in the quarter: c." in published.pack.tables["stage-delays"].intro
    assert next(f.text for f in published.coverage if f.name == "outcomes.declined") == "c"
    assert {cell.value for row in published.pack.tables["declined"].rows
            for cell in row.cells} == {"c"}
