#!/usr/bin/env bash
# Fuzz the JSON API against its own OpenAPI document with schemathesis.
#
# Serves the app on 127.0.0.1 (a free port) over a fresh SQLite database in a temporary
# directory, seeds organisation 803 and an API key (scope `submit` unless SCOPES says more),
# runs every check schemathesis has, and fails on any server error, schema violation or
# undocumented answer. Prints how many test cases were generated.
#
# Two runs against the same server. The first has all four phases: examples, coverage,
# fuzzing, then the stateful phase, which follows the OpenAPI links (create -> read, change
# with the ETag as If-Match, versions) from real answers, each scenario up to STATEFUL_STEPS
# calls (default 8). One stateful pass draws only a few dozen scenarios, so a second run
# repeats the stateful phase alone for STATEFUL_TIME seconds (default 150; 0 skips it). The
# whole script takes about 4 minutes. It fails when a link of the document was never followed
# in either run (`LINKS=0` to skip that check).
#
#   scripts/schemathesis.sh                  # 30 examples per operation
#   MAX_EXAMPLES=200 scripts/schemathesis.sh
#   STATEFUL_TIME=600 scripts/schemathesis.sh   # a longer stateful run
#   SCOPES="submit feed returns" scripts/schemathesis.sh   # the key's scopes (default: submit)
#   scripts/schemathesis.sh --seed 42        # extra arguments go to `schemathesis run`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="$VENV/bin/python"
RHI="$VENV/bin/rhi"
MAX_EXAMPLES="${MAX_EXAMPLES:-30}"
STATEFUL_STEPS="${STATEFUL_STEPS:-8}"
STATEFUL_TIME="${STATEFUL_TIME:-150}"
LINKS="${LINKS:-1}"
read -r -a SCOPES <<<"${SCOPES:-submit}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rhi-schemathesis.XXXXXX")"
SERVER_PID=""
status=1
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${status:-1}" == 0 ]]; then
        rm -rf "$WORK"
    else
        echo "== kept for a look: $WORK (server.log, events.ndjson)" >&2
    fi
}
trap cleanup EXIT

# Synthetic everything: a throwaway database and secrets that live as long as this run.
export RHI_DATABASE_URL="sqlite:///$WORK/rhi.sqlite3"
export RHI_ENV=test
RHI_SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')"
RHI_PSEUDONYM_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export RHI_SECRET_KEY RHI_PSEUDONYM_KEY

PORT="${PORT:-$("$PYTHON" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"

echo "== database and seed data ($WORK)"
"$RHI" db upgrade
# The OpenAPI example document belongs to a child of 803, so the examples phase can succeed.
"$RHI" orgs create --code 803 --name "Test Council" --kind local_authority
if "$RHI" api-keys list >/dev/null 2>&1; then
    API_KEYS=("$RHI" api-keys)
else  # until `rhi` has the api-keys commands
    API_KEYS=("$PYTHON" -m app.accounts.api_keys_cli api-keys)
fi
SCOPE_ARGS=()
for scope in "${SCOPES[@]}"; do SCOPE_ARGS+=(--scope "$scope"); done
KEY="$("${API_KEYS[@]}" create --org 803 --name "schemathesis" "${SCOPE_ARGS[@]}" \
       --expires-days 1 | tail -n 1)"
[[ "$KEY" == rhi_rk_* ]] || { echo "could not create an API key" >&2; exit 1; }

echo "== serving on $BASE"
"$RHI" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('$BASE/healthz', timeout=1)" \
            2>/dev/null; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done

# What JSON Schema cannot say is answered 422 to well-formed input (an organisation that does
# not exist, a return before the start, overlapping episodes), and a PUT needs the ETag it
# read (412, or 428 without one): schema-valid requests may get those, as documented.
# A cursor is opaque: only one the API made is valid, any other string answers 400. A PUT's
# If-Match is judged before its body (RFC 9110 13.2.2), so a stale one answers 412 whatever
# the body holds.
cat >"$WORK/schemathesis.toml" <<'TOML'
[generation]
max-examples = MAX_EXAMPLES

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422", "428"]

[[operations]]
include-operation-id = "listInterviews"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "422"]

[[operations]]
include-operation-id = "listEpisodes"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "422"]

[[operations]]
# `If-None-Match` with the current ETag (or `*`) answers 304, as documented.
include-path-regex = "^/api/v1/feed/(interviews|episodes|summary)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "422"]

[[operations]]
include-operation-id = "replaceInterview"
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
]
# `If-Match` is required: without it the answer is the 428 problem (RFC 6585), nothing else.
checks.missing_required_header.expected-statuses = ["428"]

[[operations]]
include-operation-id = "changeEpisode"
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
]
checks.missing_required_header.expected-statuses = ["428"]

[phases.stateful]
max-steps = STATEFUL_STEPS
TOML
# (In the file, not on the command line: `--max-examples` would be the stateful phase's too.)
sed -i "s/STATEFUL_STEPS/$STATEFUL_STEPS/; s/= MAX_EXAMPLES/= $MAX_EXAMPLES/" \
    "$WORK/schemathesis.toml"

# The stateful phase starts its chains from creates. A generated interview document or
# notification is almost never one the service accepts (JSON Schema cannot say that a return
# comes after its start), so no chain would get past its first call: in that phase only, of
# the positive cases, most creates send a document the service accepts (the OpenAPI example,
# with a new id and a new child, or again as a retry, which answers 200), and a change of a
# record made in this run sends its document back. Every other case is as generated.
cat >"$WORK/rhi_stateful_hooks.py" <<'PY'
import copy
import itertools
import threading
import uuid
from collections import defaultdict

import schemathesis
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.modes import GenerationMode

from app.episodes.openapi import EXAMPLE as NOTIFICATION
from app.interviews.openapi import EXAMPLE_DOCUMENT

_lock = threading.Lock()
_counts: dict[str, itertools.count] = defaultdict(itertools.count)
_last: dict[str, dict] = {}  # operation id -> the last body made afresh
_records: dict[str, dict] = {}  # interview id -> the document that made it
_episodes: set[str] = set()  # ids of episodes made from the example notification
RETURN = {"returned_at": "2026-01-11T09:30:00Z", "found_at": "2026-01-11T08:45:00Z"}


def _operation_id(case):
    return case.operation.definition.raw.get("operationId")


def _fresh(operation_id, n):
    body = copy.deepcopy(EXAMPLE_DOCUMENT if operation_id == "createInterview"
                         else NOTIFICATION)
    body["id"] = str(uuid.uuid4())
    body["child"]["local_id"] = f"TEST-ST-{operation_id[:6]}-{n:06d}"
    return body


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if (meta is None or meta.phase.name != TestPhase.STATEFUL
            or meta.generation.mode != GenerationMode.POSITIVE):
        return case
    operation_id = _operation_id(case)
    with _lock:
        n = next(_counts[operation_id])
        path = case.path_parameters or {}
        if operation_id in ("createInterview", "notifyEpisode"):
            if n % 4 == 0:
                return case  # as generated
            if n % 4 == 1 and operation_id in _last:
                case.body = copy.deepcopy(_last[operation_id])  # a retry: 200
            else:
                case.body = _last[operation_id] = _fresh(operation_id, n)
        elif operation_id == "replaceInterview" and n % 4:
            made = _records.get(str(path.get("interview_id")))
            if made is not None:
                case.body = copy.deepcopy(made)
        elif operation_id == "changeEpisode" and n % 3 \
                and str(path.get("episode_id")) in _episodes:
            case.body = dict(RETURN)
    return case


@schemathesis.hook
def after_call(context, case, response):
    operation_id = _operation_id(case)
    if response.status_code not in (200, 201) or not isinstance(case.body, dict):
        return
    with _lock:
        if operation_id == "createInterview":
            _records[str(case.body.get("id"))] = copy.deepcopy(case.body)
        elif operation_id == "notifyEpisode" and \
                case.body.get("started_at") == NOTIFICATION["started_at"]:
            _episodes.add(str(case.body.get("id")))
PY

schemathesis_run() {
    PYTHONPATH="$WORK:$ROOT${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=rhi_stateful_hooks \
    "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run \
        "$BASE/api/v1/openapi.json" \
        --include-path-regex '^/api/v1/' \
        --checks all \
        --header "Authorization: Bearer $KEY" \
        --no-color \
        "$@"
}

echo "== schemathesis ($MAX_EXAMPLES examples per operation)"
status=0
schemathesis_run --report ndjson --report-ndjson-path "$WORK/events.ndjson" "$@" || status=$?
EVENTS=("$WORK/events.ndjson")
if [[ "$STATEFUL_TIME" != 0 ]]; then
    echo "== schemathesis: the stateful phase again, for $STATEFUL_TIME s"
    schemathesis_run --phases stateful --max-time "$STATEFUL_TIME" \
        --report ndjson --report-ndjson-path "$WORK/stateful.ndjson" "$@" || status=$?
    EVENTS+=("$WORK/stateful.ndjson")
fi

# How many requests schemathesis made, and which links of the document the stateful phase
# followed, from its event log. A link never followed fails the run (unless LINKS=0).
"$PYTHON" - "$BASE/api/v1/openapi.json" "$LINKS" "${EVENTS[@]}" <<'PY' || status=1
import json
import sys
import urllib.request

document_url, check_links, events_paths = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
cases = 0
followed: dict[str, int] = {}
for events_path in events_paths:
    with open(events_path) as events:
        for line in events:
            event = json.loads(line)
            for payload in event.values():
                if isinstance(payload, dict) and isinstance(payload.get("recorder"), dict):
                    recorded = payload["recorder"].get("cases", {})
                    cases += len(recorded)
                    for case in recorded.values():
                        transition = case.get("transition")
                        if transition and case.get("is_transition_applied"):
                            followed[transition["id"]] = followed.get(transition["id"], 0) + 1
print(f"== generated test cases: {cases}")

with urllib.request.urlopen(document_url, timeout=30) as answer:
    document = json.load(answer)
operations = {op["operationId"]: f"{method.upper()} {path}"
              for path, methods in document["paths"].items()
              for method, op in methods.items() if "operationId" in op}
links = [f"{operations[source['operationId']]} -> [{status}] {name} -> "
         f"{operations[link['operationId']]}"
         for source in (op for methods in document["paths"].values() for op in methods.values())
         if "operationId" in source
         for status, response in source.get("responses", {}).items()
         for name, link in response.get("links", {}).items()]
missed = [link for link in links if not followed.get(link)]
print(f"== OpenAPI links followed in the stateful phases: {len(links) - len(missed)} of "
      f"{len(links)}")
for link in links:
    print(f"   {followed.get(link, 0):4d}  {link}")
if check_links and missed:
    print("== never followed (the run fails):", *missed, sep="\n   ", file=sys.stderr)
    sys.exit(1)
PY

if grep -q "Traceback" "$WORK/server.log"; then
    echo "== the server logged errors:" >&2
    grep -v "^INFO:" "$WORK/server.log" | tail -n 200 >&2
    status=1
fi
exit "$status"
