#!/usr/bin/env bash
# Fuzz the JSON API against its own OpenAPI document with schemathesis.
#
# Serves the app on 127.0.0.1 (a free port) over a fresh SQLite database in a temporary
# directory, seeds organisation 803 and an API key (scope `submit` unless SCOPES says more),
# runs every check schemathesis has, and fails on any server error, schema violation or
# undocumented answer. Prints how many test cases were generated.
#
#   scripts/schemathesis.sh                  # 30 examples per operation
#   MAX_EXAMPLES=200 scripts/schemathesis.sh
#   SCOPES="submit feed returns" scripts/schemathesis.sh   # the key's scopes (default: submit)
#   scripts/schemathesis.sh --seed 42        # extra arguments go to `schemathesis run`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="$VENV/bin/python"
RHI="$VENV/bin/rhi"
MAX_EXAMPLES="${MAX_EXAMPLES:-30}"
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

[[operations]]
include-operation-id = "changeEpisode"
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
]
TOML

echo "== schemathesis ($MAX_EXAMPLES examples per operation)"
status=0
"$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run \
    "$BASE/api/v1/openapi.json" \
    --include-path-regex '^/api/v1/' \
    --checks all \
    --header "Authorization: Bearer $KEY" \
    --max-examples "$MAX_EXAMPLES" \
    --report ndjson --report-ndjson-path "$WORK/events.ndjson" \
    --no-color \
    "$@" || status=$?

# How many requests schemathesis made, from its event log.
"$PYTHON" - "$WORK/events.ndjson" <<'PY'
import json
import sys

cases = 0
with open(sys.argv[1]) as events:
    for line in events:
        event = json.loads(line)
        for payload in event.values():
            if isinstance(payload, dict) and isinstance(payload.get("recorder"), dict):
                cases += len(payload["recorder"].get("cases", {}))
print(f"== generated test cases: {cases}")
PY

if grep -q "Traceback" "$WORK/server.log"; then
    echo "== the server logged errors:" >&2
    grep -v "^INFO:" "$WORK/server.log" | tail -n 200 >&2
    status=1
fi
exit "$status"
