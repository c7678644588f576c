"""#7 Page weight: run `bench/page_weight.py` (its own server and database) and take its figures.

`page_weight.py` measures bytes on the wire (gzip, cold cache) for a first visit to each form
section with every asset, and for each htmx section save, over HTTP and in Chromium when it is
installed. Targets: a first visit ≤ 100 KB, a save's answer ≤ 10 KB (1 KB = 1,000 bytes).
Baselines, measured by #6 on its server with page_weight's own functions: the sign-in page's
first visit (the lightest page on the same layout and assets), and a `/healthz` answer (headers
and a tiny body: the floor of any answer).

Without `bench/page_weight.py` this measures the first visit to one section and one save itself
(HTTP only), on #6's server.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bench.common import PYTHON, ROOT, Figure, log

FIRST_VISIT_TARGET = 100_000
SAVE_TARGET = 10_000


def run_page_weight(use_browser: bool, timeout_s: float = 420) -> dict[str, Any]:
    """page_weight's JSON document; with Chromium if asked and it works, else HTTP only."""
    attempts: list[list[str]] = [[], ["--no-browser"]] if use_browser else [["--no-browser"]]
    problem = ""
    for extra in attempts:
        try:
            done = subprocess.run([PYTHON, "-m", "bench.page_weight", *extra],  # noqa: S603
                                  cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            problem = f"page_weight {' '.join(extra)} took over {timeout_s:.0f} s"
            log(problem)
            continue
        if done.returncode == 0:
            result: dict[str, Any] = json.loads(done.stdout)
            result["stderr_table"] = done.stderr.strip().splitlines()[-16:]
            return result
        problem = f"page_weight {' '.join(extra)} exited {done.returncode}: " \
                  f"{done.stderr.strip()[-600:]}"
        log(problem)
    return {"error": problem}


def available() -> bool:
    return (ROOT / "bench" / "page_weight.py").exists()


def figures(result: dict[str, Any], baseline: dict[str, Any] | None) -> list[Figure]:
    if "error" in result:
        return [Figure(key="7", what="page weight", value=None, unit="",
                       notes=f"not measured: {result['error'][:200]}")]
    verdict = result["verdict"]
    method = "http + Chromium" if result.get("browser") else "http"
    visit, save = verdict["first_visit_worst"], verdict["save_worst"]
    login = baseline.get("login_first_visit") if baseline else None
    health = baseline.get("healthz_bytes") if baseline else None
    http_visits = result["http"]["first_visit"]
    html_max = max(v["html"] for v in http_visits.values())
    return [
        Figure(key="7a", what=f"page weight: first visit, worst section ({method})",
               value=visit / 1000, unit="KB gz", baseline=login / 1000 if login else None,
               baseline_what="sign-in page first visit", ratio=visit / login if login else None,
               ratio_note="section ÷ sign-in", target="≤ 100 KB",
               ok=visit <= FIRST_VISIT_TARGET,
               notes=f"HTML ≤ {html_max:,} B, assets "
                     f"{next(iter(http_visits.values()))['assets']:,} B",
               extra={"first_visit": {k: v["total"] for k, v in http_visits.items()}}),
        Figure(key="7b", what=f"page weight: htmx section save answer, worst ({method})",
               value=save / 1000, unit="KB gz", baseline=health / 1000 if health else None,
               baseline_what="GET /healthz answer", ratio=save / health if health else None,
               ratio_note="save ÷ healthz", target="≤ 10 KB", ok=save <= SAVE_TARGET,
               extra={"save": result["http"]["save"]}),
    ]


def fallback(server_base_url: str, cookie: str, csrf: str, interview_id: str) -> dict[str, Any]:
    """Without page_weight.py: one section's first visit and one save, HTTP only."""
    import re
    from urllib.parse import urljoin

    import httpx

    def wire(response: httpx.Response) -> int:
        response.read()
        head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 17
        return head + response.num_bytes_downloaded

    with httpx.Client(base_url=server_base_url, headers={"Accept-Encoding": "gzip",
                                                         "Cookie": cookie}) as client:
        page = client.get(f"/interviews/{interview_id}/child")
        assets = {}
        for link in re.findall(r"<(?:link|script)\b[^>]*?\b(?:href|src)=\"(/static/[^\"]+)\"",
                               page.text):
            assets[link] = wire(client.get(urljoin(str(page.url), link)))
        save = client.post(f"/interviews/{interview_id}/child",
                           data={"csrf_token": csrf, "child-given_name": "Weight"},
                           headers={"HX-Request": "true", "X-CSRF-Token": csrf})
        total = wire(page) + sum(assets.values())
        saved = wire(save)
    return {"verdict": {"first_visit_worst": total, "save_worst": saved},
            "http": {"first_visit": {"child": {"html": total - sum(assets.values()),
                                               "assets": sum(assets.values()),
                                               "total": total}},
                     "save": {"child": saved}}, "browser": None}
