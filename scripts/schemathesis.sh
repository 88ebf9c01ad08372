#!/usr/bin/env bash
# Schemathesis (4.x, all checks) against the API's own /openapi.json: no undocumented status, no
# content-type mismatch, no schema-valid data rejected, no 5xx. Starts the whole service
# (scripts/schemathesis-service.ts: Temporal dev server, sandbox banks, worker, API) on free
# ports in a temporary folder, with a fresh API key, and stops it afterwards.
#
#   bash scripts/schemathesis.sh                 # 100 cases per operation, 10 minutes at most
#   MAX_EXAMPLES=300 MAX_SECONDS=1200 bash scripts/schemathesis.sh
#   bash scripts/schemathesis.sh --include-path-regex '^/v1/connections'   # extra schemathesis options
#
# Schemathesis lives in a virtualenv under ~/.cache (pip install from PyPI on first use).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/schemathesis-venv}"
MAX_EXAMPLES="${MAX_EXAMPLES:-100}"
MAX_SECONDS="${MAX_SECONDS:-600}"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "Installing schemathesis 4.x into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet 'schemathesis==4.*'
fi

LOG="$(mktemp -t ob-schemathesis-service.XXXXXX)"
node --import tsx scripts/schemathesis-service.ts >"$LOG" 2>&1 &
# node itself, not npx: the SIGTERM below reaches the service, which stops its Temporal dev server.
SERVICE_PID=$!
cleanup() {
  kill -TERM "$SERVICE_PID" 2>/dev/null || true
  wait "$SERVICE_PID" 2>/dev/null || true
  rm -f "$LOG"
}
trap cleanup EXIT

for _ in $(seq 1 180); do
  if grep -q '^SERVICE ' "$LOG"; then break; fi
  if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
    echo "the service did not start:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 1
done
read -r _ API_URL API_KEY < <(grep '^SERVICE ' "$LOG" | head -1)
if [ -z "${API_URL:-}" ]; then
  echo "the service did not report its URL within 180 s" >&2
  cat "$LOG" >&2
  exit 1
fi
echo "Service at $API_URL" >&2

# Schemathesis keeps its cache in the working directory: a temporary one, not the repository.
WORK="$(mktemp -d -t ob-schemathesis.XXXXXX)"
exec_status=0
(cd "$WORK" && timeout --signal=INT "$MAX_SECONDS" "$VENV/bin/schemathesis" run "$API_URL/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $API_KEY" \
  --max-examples "$MAX_EXAMPLES" \
  --request-timeout 30 \
  --suppress-health-check all \
  --no-color \
  "$@") || exec_status=$?
rm -rf "$WORK"
exit "$exec_status"
