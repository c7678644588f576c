"""Page weight (docs/performance.md #7): bytes on the wire, gzip, for a first visit to each form
section with every asset it needs, and for one htmx section save.

Targets: a first visit ≤ 100 KB, a save's response ≤ 10 KB (KB = 1,000 bytes here, the stricter
reading). Bytes on the wire = response headers + the body as sent (gzip where the server
compresses), for requests made with `Accept-Encoding: gzip` and an empty cache.

Two measurements, side by side:

- **http**: httpx fetches the section page, then every asset it links (`<link href>`,
  `<script src>`, `<img src>`) and every module the scripts import, once each.
- **browser**: Debian's Chromium through Playwright, from a cold cache: everything the browser
  actually fetched for the page (sizes from Playwright's `Request.sizes()`); and the answer to an
  autosave made by typing in a field. Skipped when /usr/bin/chromium is missing or with
  `--no-browser`.

Run from the project root:

    .venv/bin/python -m bench.page_weight              # its own server on a fresh database
    .venv/bin/python -m bench.page_weight --base-url http://127.0.0.1:8000 \\
        --email interviewer@example.org < password.txt  # an existing server and interviewer

Without `--base-url` it sets up a temporary SQLite database with the `rhi` command line (an
organisation and an interviewer) and runs `rhi serve` on a free port, then stops it.
Prints a table on standard error and one JSON document on standard output; `--check` exits 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script rather than with -m
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.browser.support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    HttpUser,
    Person,
    free_port,
    run_rhi,
    serving,
    sign_in_browser,
    whole_interview,
)

FIRST_VISIT_TARGET = 100_000
SAVE_TARGET = 10_000
SECTIONS = ("child", "episodes", "offer", "interview", "voice", "actions")
# A field on each section to type into for the browser's autosave.
TYPE_INTO = {"child": "#child-given_name", "episodes": None, "offer": "#offer-carer_information",
             "interview": "#interview-where_stayed", "voice": "#interview-child_wishes",
             "actions": None}

LINKED = re.compile(r"<(?:link|script|img)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.IGNORECASE)
IMPORTED = re.compile(  # `import x from '...'`, `import '...'`, `import('...')`
    r"""(?:\bimport\s*(?:[\w{},*\s]+\bfrom\s*)?|\bimport\s*\()\s*['"]([^'"]+)['"]""")


# --- bytes on the wire -----------------------------------------------------------------------


def header_bytes(response: httpx.Response) -> int:
    status_line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    fields = sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return len(status_line) + fields + 2


def wire_bytes(response: httpx.Response) -> int:
    response.read()
    return header_bytes(response) + response.num_bytes_downloaded


def links_in(text: str, content_type: str) -> list[str]:
    if "html" in content_type:
        return [m for m in LINKED.findall(text) if not m.startswith(("data:", "#"))]
    if "javascript" in content_type:
        return IMPORTED.findall(text)
    return []


def first_visit_http(client: httpx.Client, url: str) -> dict[str, Any]:
    """The page and, once each, everything it links and its scripts import."""
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(str(page.url)))
    assets: dict[str, int] = {}
    todo = [(str(page.url), link) for link in links_in(page.text, page.headers["content-type"])]
    while todo:
        referrer, link = todo.pop(0)
        absolute = urljoin(referrer, link)
        if not absolute.startswith(origin) or absolute in assets:
            continue
        answer = client.get(absolute)
        assert answer.status_code == 200, f"{absolute}: {answer.status_code}"
        assets[absolute[len(origin):]] = wire_bytes(answer)
        todo += [(absolute, found) for found in
                 links_in(answer.text, answer.headers.get("content-type", ""))]
    html = wire_bytes(page)
    return {"html": html, "assets": sum(assets.values()), "total": html + sum(assets.values()),
            "files": assets}


def save_http(user: HttpUser, interview_id: str, slug: str, fields: dict[str, Any]) -> int:
    answer = user.client.post(f"/interviews/{interview_id}/{slug}",
                              data={"csrf_token": user.csrf, **fields},
                              headers={"HX-Request": "true", "X-CSRF-Token": user.csrf})
    assert answer.status_code in (200, 422), f"save {slug}: {answer.status_code}"
    return wire_bytes(answer)


def measure_http(base_url: str, person: Person) -> dict[str, Any]:
    user = HttpUser(base_url, person)
    try:
        user.client.headers["Accept-Encoding"] = "gzip"
        interview_id = user.start()
        document = whole_interview("Bench", "Child")
        # Every section saved as a whole interview would be, then each visited filled in.
        saves = {slug: save_http(user, interview_id, slug, document[slug]) for slug in SECTIONS}
        saves["child, with an error"] = save_http(user, interview_id, "child", {
            **document["child"], "child-date_of_birth-day": "31",
            "child-date_of_birth-month": "2"})
        user.save(interview_id, "child", document["child"])
        sections = {slug: first_visit_http(user.client, f"/interviews/{interview_id}/{slug}")
                    for slug in SECTIONS}
    finally:
        user.close()
    return {"interview": interview_id, "first_visit": sections, "save": saves}


# --- the browser -----------------------------------------------------------------------------


def first_visit_browser(browser: Any, base_url: str, storage_state: Any, url: str,
                        type_into: str | None) -> dict[str, Any]:
    """A page from a cold cache in Chromium: every response's headers and encoded body."""
    context = browser.new_context(base_url=base_url, storage_state=storage_state)
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url, wait_until="networkidle")
        files: dict[str, int] = {}
        for request in finished:
            sizes = request.sizes()
            key = urlsplit(request.url).path
            files[key] = files.get(key, 0) + sizes["responseHeadersSize"] + \
                sizes["responseBodySize"]
        html = files.pop(urlsplit(url).path, 0)
        result: dict[str, Any] = {"html": html, "assets": sum(files.values()),
                                  "total": html + sum(files.values()), "files": files}
        if type_into:
            with page.expect_response(lambda r: r.request.method == "POST"
                                      and r.request.headers.get("hx-request") == "true") as got:
                page.locator(type_into).fill("Typed on the tablet")
            sizes = got.value.request.sizes()
            result["save"] = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        return result
    finally:
        context.close()


def measure_browser(base_url: str, person: Person, interview_id: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            return measure_browser_with(browser, base_url, person, interview_id)
        finally:
            browser.close()


def measure_browser_with(browser: Any, base_url: str, person: Person,
                         interview_id: str) -> dict[str, Any]:
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        sign_in_browser(page, person)  # and the second factor, for roles that need one
        state = context.storage_state()
    finally:
        context.close()
    sections = {slug: first_visit_browser(browser, base_url, state,
                                          f"/interviews/{interview_id}/{slug}", TYPE_INTO[slug])
                for slug in SECTIONS}
    saves = {slug: v.pop("save") for slug, v in sections.items() if "save" in v}
    return {"first_visit": sections, "save": saves}


# --- the report ------------------------------------------------------------------------------


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    worst_visit = max(v["total"] for method in ("http", "browser") if results.get(method)
                      for v in results[method]["first_visit"].values())
    worst_save = max(v for method in ("http", "browser") if results.get(method)
                     for v in results[method]["save"].values())
    return {"first_visit_worst": worst_visit, "save_worst": worst_save,
            "first_visit_ok": worst_visit <= FIRST_VISIT_TARGET,
            "save_ok": worst_save <= SAVE_TARGET}


def table(results: dict[str, Any]) -> str:
    lines = ["Page weight (bytes on the wire, gzip, cold cache)",
             f"{'what':<28}{'http':>10}{'browser':>10}{'target':>10}"]
    browser = results.get("browser") or {"first_visit": {}, "save": {}}

    def row(label: str, http: int | None, chromium: int | None, target: int) -> None:
        def cell(value: int | None) -> str:
            return f"{value:,}" if value is not None else "-"
        lines.append(f"{label:<28}{cell(http):>10}{cell(chromium):>10}{target:>10,}")

    for slug in SECTIONS:
        row(f"first visit: {slug}", results["http"]["first_visit"][slug]["total"],
            browser["first_visit"].get(slug, {}).get("total"), FIRST_VISIT_TARGET)
    for slug, size in results["http"]["save"].items():
        row(f"save: {slug}", size, browser["save"].get(slug), SAVE_TARGET)
    v = results["verdict"]
    lines.append(f"worst first visit {v['first_visit_worst']:,} B "
                 f"({'ok' if v['first_visit_ok'] else 'OVER'}); worst save "
                 f"{v['save_worst']:,} B ({'ok' if v['save_ok'] else 'OVER'})")
    return "\n".join(lines)


def measure(base_url: str, person: Person, use_browser: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "page_weight", "base_url": base_url,
        "targets": {"first_visit_bytes": FIRST_VISIT_TARGET, "save_bytes": SAVE_TARGET},
        "http": measure_http(base_url, person), "browser": None,
    }
    if use_browser and CHROMIUM.exists():
        results["browser"] = measure_browser(base_url, person, results["http"]["interview"])
    results["verdict"] = verdict(results)
    return results


def own_server(stack: ExitStack) -> tuple[str, Person]:
    """A fresh database set up with the `rhi` command line, and `rhi serve` on a free port."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rhi-page-weight-")))
    env = {**os.environ, "RHI_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
           "RHI_ENV": "test", "RHI_SECRET_KEY": secrets.token_urlsafe(48),
           "RHI_PSEUDONYM_KEY": secrets.token_urlsafe(48)}
    person = Person("interviewer@bench.example.org", "Bench Interviewer", "interviewer",
                    "bench-rhi", secrets.token_urlsafe(18))
    run_rhi([(["db", "upgrade"], None)], env)
    run_rhi([(["orgs", "create", "--code", code, "--name", name, "--kind", kind], None)
             for code, name, kind in (("bench-rhi", "Bench RHI Service", "rhi_provider"),
                                      ("803", "South Gloucestershire Council", "local_authority"),
                                      ("801", "Bristol City Council", "local_authority"))], env)
    run_rhi([(["users", "create", "--email", person.email, "--name", person.name,
               "--org", person.org, "--role", person.role], person.password + "\n")], env)
    base_url = stack.enter_context(serving(env, tmp / "serve.log", free_port()))
    return base_url, person


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="an existing server (default: start one)")
    parser.add_argument("--email", help="an interviewer on that server; password on stdin")
    parser.add_argument("--no-browser", action="store_true", help="the http measurement only")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if args.base_url:
            if not args.email:
                parser.error("--base-url needs --email (and the password on standard input)")
            person = Person(args.email, "", "interviewer", "", sys.stdin.readline().strip())
            base_url = args.base_url.rstrip("/")
        else:
            base_url, person = own_server(stack)
        results = measure(base_url, person, use_browser=not args.no_browser)
    sys.stderr.write(table(results) + "\n")
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
    ok = results["verdict"]["first_visit_ok"] and results["verdict"]["save_ok"]
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
