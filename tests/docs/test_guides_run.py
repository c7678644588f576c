"""`docs/analysts.md` and `docs/api-quickstart.md` as written: every fenced block is run against
a real `rhi serve` (`conftest.py`: a database of its own, records of 803 submitted through the
API), or is listed in NOT_RUN with the reason it is not. A block that is neither fails the
test, so a new block cannot slip by.

How a block is run:

- A `$ ` line, or a line of a block of `curl` commands: in bash, in the test's temporary working
  directory, with the virtualenv's `rhi` and `python` first on PATH and the server's database
  in RHI_DATABASE_URL (an administrator's terminal on the server). `export` is kept for the
  lines after it. Output the guide shows under a `$ ` line is compared with the real output,
  except its example values.
- Python: exec'd in a fresh namespace in the same working directory, or, where a block uses
  the names an earlier one made, in that block's namespace (RUN says which).
- SQL: each statement through DuckDB's Python API, in the working directory where the guide's
  `curl` lines saved the Parquet files; every answer also as `.df()`.

Before a block runs, only the guides' placeholders are put in: the example hosts become the
local server, the example keys (`rhi_rk_…`, `rhi_rk_ab12cd34_Yf3...`, `$RHI_KEY`) a key made by
the guide's own `rhi api-keys create` line, and the example ETag of the quickstart's PUT the
one its POST answered. Names a block leaves to the reader's own code
(`key_from_your_secret_store()`, `build_document(case)`, `interview_id`, `last_sync`,
`store`) are given to it in its namespace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.builders import DELETE, make_document
from tests.docs.conftest import CHILDREN, COUNTY_LINES_EVERY, RECORDS_EACH, GuideServer
from tests.docs.guides import (
    Answer,
    Guide,
    Ref,
    Terminal,
    altered,
    blocks_of,
    close_clients,
    commands,
    run_python,
    run_sql,
    the_block,
)

ANALYSTS, QUICKSTART = "analysts.md", "api-quickstart.md"
EXAMPLE_HOSTS = ("https://rhi.example.gov.uk", "https://rhi.example.org")
FEED = "/api/v1/feed/interviews"

# docs/analysts.md, in its order.
FEED_KEY = Ref(ANALYSTS, '$ rhi api-keys create --org 803 --name "Analysts\' feed" --scope feed')
NDJSON_PANDAS = Ref(ANALYSTS, "import io", holding='BASE = "https://rhi.example.gov.uk/api/v1/'
                                                   'feed/interviews"')
AS_TABLES = Ref(ANALYSTS, 'episodes = feed[["interview_id", "child_key", "episodes"]]'
                          '.explode("episodes")')
JSON_PAGES = Ref(ANALYSTS, 'url, params, rows = BASE, {"limit": 5000}, []')
EXCEL_URLS = Ref(ANALYSTS, "https://rhi.example.gov.uk/api/v1/feed/interviews?format=csv")
POWER_QUERY = Ref(ANALYSTS, "let")
SAVE_PARQUET = Ref(ANALYSTS, 'curl -fsS -H "Authorization: Bearer $RHI_KEY" -o rhi-feed.parquet \\')
DUCKDB_SQL = Ref(ANALYSTS, "-- What the file holds: one column per field, typed.")
PARQUET_PANDAS = Ref(ANALYSTS, "import io", holding="def pull_parquet(")
EPISODE_JOIN = Ref(ANALYSTS, 'EPISODES = "https://rhi.example.gov.uk/api/v1/feed/episodes"')
REBUILD = Ref(ANALYSTS, "python -m app.feed.rebuild")

# docs/api-quickstart.md, in its order.
SUBMIT_KEY = Ref(QUICKSTART, '$ rhi api-keys create --org 803 --name "Case system (Mosaic)" '
                             "--scope submit")
HEADER = Ref(QUICKSTART, "Authorization: Bearer rhi_rk_ab12cd34_Yf3...")
CURL_POST = Ref(QUICKSTART, "$ export RHI_KEY='rhi_rk_ab12cd34_Yf3...'")
PROBLEM = Ref(QUICKSTART, '{ "type": "/problems/validation", "title": "The interview is not '
                          'valid", "status": 422,')
SUBMIT_PYTHON = Ref(QUICKSTART, "import time")
PUT_PYTHON = Ref(QUICKSTART, 'answer = client.get(f"{BASE}/interviews/{interview_id}")')
CURL_PUT = Ref(QUICKSTART, "$ curl -sS -i -X PUT https://rhi.example.org/api/v1/interviews/"
                           "3f2b8c1e-5d4a-4e0b-9c3f-2a1b0c9d8e7f \\")
LIST_PYTHON = Ref(QUICKSTART, 'url = f"{BASE}/interviews?updated_since={last_sync}&limit=500"')

RUN: dict[Ref, str] = {
    FEED_KEY: "bash; its key is the analysts' guide's `rhi_rk_…` and `$RHI_KEY`",
    NDJSON_PANDAS: "Python, a fresh namespace (the NDJSON one)",
    AS_TABLES: "Python, in the NDJSON block's namespace (its `feed`)",
    JSON_PAGES: "Python, in the NDJSON block's namespace (its `BASE`, `httpx`, `pd`); again "
                "with `limit` 5, so that it follows `next`",
    SAVE_PARQUET: "bash, each curl command",
    DUCKDB_SQL: "DuckDB's Python API, each statement, over the files the curl lines saved "
                "(and two daily pulls saved as rhi-feed-2026-07-0N.parquet, as it says)",
    PARQUET_PANDAS: "Python, a fresh namespace",
    EPISODE_JOIN: "Python, in the NDJSON block's namespace (its `feed`, `HEADERS`, `io`)",
    REBUILD: "bash",
    SUBMIT_KEY: "bash; its key is the quickstart's `rhi_rk_ab12cd34_Yf3...`",
    CURL_POST: "bash, each `$ ` line; interview.json is written with what `cat` shows",
    SUBMIT_PYTHON: "Python, a fresh namespace given `key_from_your_secret_store()`, "
                   "`build_document()` and `case`; again with the 422 example's mistakes",
    PUT_PYTHON: "Python, in the submitting block's namespace (its `client`, `BASE`), given "
                "`interview_id` (the record it submitted)",
    CURL_PUT: "bash; interview-changed.json made as the guide says, If-Match the POST's ETag",
    LIST_PYTHON: "Python, in the submitting block's namespace, given `last_sync` and `store`; "
                 "again with `limit=5`, so that it follows `next`",
}
NOT_RUN: dict[Ref, str] = {
    EXCEL_URLS: "URLs to paste into Excel's or Power BI's From Web, not commands (each is "
                "still fetched with the key, as From Web would)",
    POWER_QUERY: "Power Query M, run by Excel or Power BI",
    HEADER: "an HTTP header to send, not a command",
    PROBLEM: "an answer shown (a 422 problem document): compared with the real answer to the "
             "same two mistakes",
}


Namespaces = Callable[..., dict[str, Any]]


@pytest.fixture
def namespace() -> Iterator[Namespaces]:
    """`namespace(name, given)`: a fresh namespace for a block to run in, holding the names in
    `given`. The HTTP clients the blocks leave open (a partner system's lives as long as the
    system) are closed after the test."""
    made: list[dict[str, Any]] = []

    def fresh(name: str, given: dict[str, Any] | None = None) -> dict[str, Any]:
        made.append({**(given or {}), "__name__": name})
        return made[-1]

    yield fresh
    close_clients(*made)


def test_every_block_of_the_guides_is_run_or_listed_as_not_run() -> None:
    named = {**RUN, **NOT_RUN}
    for guide in (ANALYSTS, QUICKSTART):
        for block in blocks_of(guide):
            refs = [ref for ref in named if ref.names(block)]
            assert len(refs) == 1, f"{block} is named by {len(refs)} entries of RUN and NOT_RUN"
    for ref in named:
        the_block(ref)  # exactly one block each


# --- docs/analysts.md -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_analysts_guide_runs_as_written(guide_server: GuideServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            namespace: Namespaces) -> None:
    monkeypatch.chdir(tmp_path)
    guide = Guide(ANALYSTS, dict.fromkeys(EXAMPLE_HOSTS, guide_server.base_url))
    terminal = Terminal.beside(tmp_path, guide_server.env)
    seeded = guide_server.ids

    # An administrator makes the analysts' key; the guide's placeholder key is it from here on.
    [make_key] = commands(guide.take(FEED_KEY))
    key = terminal.run(make_key.text).splitlines()[-1]
    assert key.startswith("rhi_rk_")
    guide.placeholders["rhi_rk_…"] = terminal.env["RHI_KEY"] = key

    # pandas over NDJSON: the whole feed, then what changed in the last five minutes.
    ndjson = namespace("analysts_ndjson")
    run_python(guide.take(NDJSON_PANDAS), ndjson)
    feed = ndjson["feed"]
    assert sorted(feed["interview_id"]) == sorted(seeded)
    assert set(ndjson["changes"]["interview_id"]) == seeded  # all submitted minutes ago
    assert set(feed["responsible_authority"]) == {"803"}  # a code, not the number 803

    run_python(guide.take(AS_TABLES), ndjson)
    assert len(ndjson["episodes"]) == len(seeded)  # one episode each
    assert {"type", "started_at", "returned_at", "child_key"} <= set(ndjson["episodes"])
    findings = ndjson["findings"]
    assert {"code", "result", "interview_id"} <= set(findings)
    assert set(findings["interview_id"]) == seeded
    assert "offer-within-72h" in set(findings["code"])

    paging = guide.take(JSON_PAGES)
    run_python(paging, ndjson)
    assert sorted(ndjson["feed"]["interview_id"]) == sorted(seeded)
    assert ndjson["page"]["next"] is None
    # 5,000 a page is more than the test's records: again, 5 a page, following `next`.
    small_pages = namespace("small_pages", ndjson)
    run_python(altered(paging, '{"limit": 5000}', '{"limit": 5}'), small_pages)
    assert sorted(small_pages["feed"]["interview_id"]) == sorted(seeded)

    # Excel's From Web: each URL with the key in the header.
    for url in guide.put_in(the_block(EXCEL_URLS).text).splitlines():
        answer = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert answer.status_code == 200, (url, answer.text)
        assert answer.headers["content-type"].startswith("text/csv")

    # Save the Parquet files with curl, then query them with DuckDB.
    for command in commands(guide.take(SAVE_PARQUET)):
        terminal.run(command.text)
    feed_file, episodes_file = tmp_path / "rhi-feed.parquet", tmp_path / "rhi-episodes.parquet"
    assert pq.ParquetFile(feed_file).metadata.num_rows == len(seeded)
    episode_rows = pq.ParquetFile(episodes_file).metadata.num_rows
    assert episode_rows == len(seeded)  # every record's episode is in the register
    changed = _daily_pulls(guide_server, key, tmp_path)

    with duckdb.connect() as connection:
        answers = list(run_sql(guide.take(DUCKDB_SQL), connection))
        described = {row["column_name"]: row["column_type"] for row in answers[0].named()}
        stored = connection.sql("SELECT interview_id, version FROM feed").fetchall()
    _check_duckdb_answers(answers, described, seeded)
    assert len(stored) == len(seeded)  # each record's latest, once
    assert dict(stored)[changed] == 2

    # pandas over Parquet, typed.
    parquet = namespace("analysts_parquet")
    run_python(guide.take(PARQUET_PANDAS), parquet)
    frame = parquet["feed"]
    assert sorted(frame["interview_id"]) == sorted(seeded)
    # As the block's comment says.
    assert (str(frame["updated_at"].dtype), str(frame["out_of_area"].dtype),
            str(frame["version"].dtype)) == ("datetime64[us, UTC]", "boolean", "Int32")
    assert len(parquet["returns"]) == episode_rows
    assert len(parquet["episodes"]) == len(seeded)
    assert set(parquet["findings"]["interview_id"]) == seeded
    assert set(parquet["joined"]["interview_id"]) == seeded  # every return has its record

    # The episode feed joined to the NDJSON feed (the JSON pages' `feed`, the latest above).
    run_python(guide.take(EPISODE_JOIN), ndjson)
    joined = ndjson["joined"]
    assert len(joined) == episode_rows
    assert set(joined["interview_id"]) == seeded

    # After upgrading: the rebuild changes no row's updated_at, so incremental pulls see nothing.
    before = _updated_at(guide_server, key)
    [rebuild] = commands(guide.take(REBUILD))
    assert terminal.run(rebuild.text).startswith("Feed projection rebuilt:")
    assert _updated_at(guide_server, key) == before

    assert guide.left(NOT_RUN) == []


def _daily_pulls(server: GuideServer, key: str, directory: Path) -> str:
    """Two pulls kept as files a day apart, as the guide's last query reads them: the feed
    before and after one record's change. The changed record's id."""
    headers = {"Authorization": f"Bearer {key}"}
    params = {"format": "parquet"}
    first = httpx.get(f"{server.base_url}{FEED}", params=params, headers=headers, timeout=30)
    (directory / "rhi-feed-2026-07-01.parquet").write_bytes(first.content)
    document = server.documents[0]
    with server.client() as client:
        read = client.get(f"/api/v1/interviews/{document['id']}")
        answer = client.put(f"/api/v1/interviews/{document['id']}",
                            json={**document, "interview": {**document["interview"],
                                                            "seraf_score": 12}},
                            headers={"If-Match": read.headers["ETag"]})
    assert answer.status_code == 200, answer.text
    second = httpx.get(f"{server.base_url}{FEED}", params=params, headers=headers, timeout=30)
    (directory / "rhi-feed-2026-07-02.parquet").write_bytes(second.content)
    changed: str = document["id"]
    return changed


def _check_duckdb_answers(answers: list[Answer], described: dict[str, str],
                          seeded: set[str]) -> None:
    """What each of the guide's queries answers, over the seeded records."""
    assert len(answers) == 7, [a.sql for a in answers]
    assert all(isinstance(answer.frame, pd.DataFrame) for answer in answers)  # `.df()` works
    for name, kind in (("updated_at", "TIMESTAMP WITH TIME ZONE"), ("version", "INTEGER"),
                       ("out_of_area", "BOOLEAN"), ("hours_to_offer", "DOUBLE"),
                       ("risk_indicators", "VARCHAR[]"), ("interview_id", "VARCHAR")):
        assert described[name] == kind, (name, described[name])
    assert described["episodes"].startswith("STRUCT(") and described["episodes"].endswith("[]")

    by_quarter = answers[1].named()
    assert {row["quarter"] for row in by_quarter} == {
        date(2026, month, 1) for month in (1, 4, 7)}
    assert sum(row["records"] for row in by_quarter) == len(seeded)
    assert {row["outcome"] for row in by_quarter} == {"completed", "declined"}
    assert max(row["children"] for row in by_quarter) == CHILDREN

    standards = {row["code"]: row for row in answers[2].named()}
    assert standards["offer-within-72h"]["met"] == len(seeded)
    assert standards["offer-within-72h"]["share_met"] == 1

    assert len(answers[3].rows) == len(seeded)  # one row per episode
    county_lines = len(range(0, CHILDREN, COUNTY_LINES_EVERY)) * RECORDS_EACH
    declined_with_it = sum(1 for child in range(0, CHILDREN, COUNTY_LINES_EVERY) if child % 2)
    assert answers[4].named() == [{"responsible_authority": "803",
                                   "records": county_lines - declined_with_it}]
    returns = answers[5].named()
    assert {row["interview_id"] for row in returns} == seeded
    assert all(isinstance(row["returned_at"], datetime) for row in returns)
    assert answers[6].rows == [(len(seeded),)]  # CREATE OR REPLACE TABLE feed: its rows


def _updated_at(server: GuideServer, key: str) -> dict[str, str]:
    answer = httpx.get(f"{server.base_url}{FEED}", params={"format": "ndjson"},
                       headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    lines = [orjson.loads(line) for line in answer.text.splitlines()]
    return {line["interview_id"]: line["updated_at"] for line in lines}


# --- docs/api-quickstart.md -----------------------------------------------------------------


@pytest.mark.slow
def test_the_quickstart_runs_as_written(guide_server: GuideServer, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        namespace: Namespaces) -> None:
    monkeypatch.chdir(tmp_path)
    guide = Guide(QUICKSTART, dict.fromkeys(EXAMPLE_HOSTS, guide_server.base_url))
    terminal = Terminal.beside(tmp_path, guide_server.env)

    # 1. The administrator makes the key, which prints what the guide shows.
    [make_key] = commands(guide.take(SUBMIT_KEY))
    printed = terminal.run(make_key.text).splitlines()
    assert len(printed) == len(make_key.shown) == 3
    shape = re.compile(r"Created API key rk_\w+ \(Case system \(Mosaic\)\) for 803: "
                       r"scopes submit, expires \d{4}-\d\d-\d\d")
    assert shape.fullmatch(make_key.shown[0]) and shape.fullmatch(printed[0]), printed[0]
    assert printed[1] == make_key.shown[1]
    key = printed[2]
    assert key.startswith("rhi_rk_") and make_key.shown[2].startswith("rhi_rk_")
    guide.placeholders["rhi_rk_ab12cd34_Yf3..."] = key

    # 2. Submit with curl: export, cat (the file is what `cat` shows), curl.
    export, cat, post = commands(guide.take(CURL_POST))
    terminal.run(export.text)
    assert terminal.env["RHI_KEY"] == key
    assert cat.text == "cat interview.json"
    (tmp_path / "interview.json").write_text("\n".join(cat.shown) + "\n")
    assert terminal.run(cat.text).splitlines() == cat.shown
    document = json.loads((tmp_path / "interview.json").read_text())
    status, headers, body = _http(terminal.run(post.text))
    shown_status, shown_headers, _ = _http("\n".join(post.shown))
    assert status == shown_status == "HTTP/1.1 201 Created"
    for name in ("location", "content-type", "cache-control"):
        assert headers[name] == shown_headers[name], name
    etag, example_etag = headers["etag"], shown_headers["etag"]
    assert re.fullmatch(rf'"{document["id"]}-v1-[0-9a-f]{{12}}"', etag)
    assert re.fullmatch(rf'"{document["id"]}-v1-[0-9a-f]{{12}}"', example_etag)
    stored = json.loads(body)
    assert (stored["id"], stored["status"], stored["version"], stored["recorded_by_org"]) == (
        document["id"], "submitted", 1, "803")
    assert {"code": "offer-within-72h", "result": "met"}.items() <= next(
        f for f in stored["standards"] if f["code"] == "offer-within-72h").items()

    # 3. Submit from Python: the partner system's own names are given.
    partner = namespace("partner", {
        "case": "CASE-0042",
        "key_from_your_secret_store": lambda: key,
        "build_document": lambda case: make_document(id=DELETE, child__local_id=case),
    })
    submitting = guide.take(SUBMIT_PYTHON)
    assert run_python(submitting, partner) == ""
    record = partner["record"]
    assert (record["status"], record["version"], record["child"]["local_id"]) == (
        "submitted", 1, "CASE-0042")
    assert partner["etag"].startswith(f'"{record["id"]}-v1-')
    # The same block with the two mistakes of the guide's 422 example prints what it says.
    problem = json.loads(the_block(PROBLEM).text)
    mistaken = {key: value for key, value in document.items() if key != "id"}
    mistaken["child"] = {**document["child"], "gender": "f"}
    mistaken["episodes"] = [{**document["episodes"][0], "returned_at": "2026-01-10T09:00:00Z"}]
    refused = namespace("refused", {**partner, "build_document": lambda case: mistaken})
    printed = run_python(submitting, refused).splitlines()
    assert sorted(printed) == sorted(f"{e['pointer']} {e['code']} {e['message']}"
                                     for e in problem["errors"])
    answered = partner["client"].post(f"{guide_server.base_url}/api/v1/interviews",
                                      json=mistaken).json()
    assert {name: answered[name] for name in problem if name != "errors"} == {
        name: problem[name] for name in problem if name != "errors"}
    assert sorted(answered["errors"], key=str) == sorted(problem["errors"], key=str)

    # 4. Change it: PUT with If-Match, from Python and with curl.
    partner["interview_id"] = record["id"]
    run_python(guide.take(PUT_PYTHON), partner)
    assert partner["answer"].status_code == 200, partner["answer"].text
    assert partner["answer"].json()["interview"]["seraf_score"] == 12
    assert partner["etag"].startswith(f'"{record["id"]}-v2-')

    changed = {**document, "interview": {**document["interview"], "seraf_score": 12}}
    (tmp_path / "interview-changed.json").write_text(json.dumps(changed, indent=2))
    guide.placeholders[example_etag] = etag
    [put] = commands(guide.take(CURL_PUT))
    status, headers, body = _http(terminal.run(put.text))
    assert status == "HTTP/1.1 200 OK", body
    assert headers["etag"].startswith(f'"{document["id"]}-v2-')
    assert json.loads(body)["interview"]["seraf_score"] == 12

    # 5. Follow changes: every record of 803, the guide's and the seeded ones.
    kept: list[dict[str, Any]] = []
    partner |= {"last_sync": "2026-01-01T00:00:00Z", "store": kept.append}
    listing = guide.take(LIST_PYTHON)
    run_python(listing, partner)
    every_record = sorted(guide_server.ids | {document["id"], record["id"]})
    assert sorted(r["id"] for r in kept) == every_record
    # 500 a page is more than the test's records: again, 5 a page, following `next`.
    kept.clear()
    run_python(altered(listing, "limit=500", "limit=5"), partner)
    assert sorted(r["id"] for r in kept) == every_record

    assert guide.left(NOT_RUN) == []


def _http(text: str) -> tuple[str, dict[str, str], str]:
    """`curl -i`'s output (or the guide's picture of it): status line, headers, body."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    status, *lines = head.splitlines()
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body
