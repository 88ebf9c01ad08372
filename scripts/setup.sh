#!/usr/bin/env bash
# Everything a fresh clone needs before `npm start` or `npm test`, idempotent and quick when done:
# Node version check, npm dependencies, the pinned Temporal CLI and the Java time-skipping test server.
set -euo pipefail
cd "$(dirname "$0")/.."

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
export QUIET
say() { [ "$QUIET" = 1 ] || echo "$@" >&2; }

node_version="$(node -p 'process.versions.node')"
node -e '
const [maj, min] = process.versions.node.split(".").map(Number);
if (!((maj === 20 && min >= 18) || maj >= 22)) {
  console.error(`Node ${process.versions.node} is not supported: use Node 20.18+ or 22+`);
  process.exit(1);
}'
say "Node $node_version"

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm ci; better-sqlite3 compiles from source, about a minute)..." >&2
  bash scripts/install-deps.sh >&2
fi

bash scripts/temporal-cli.sh install >/dev/null

# The workflow tests' time-skipping server: Temporal's Java test server, resolved with Maven (no download by the SDK).
bash scripts/temporal-test-server.sh install >/dev/null ||
  echo "The workflow tests (test/workflows) will fail until the Temporal test server is installed (message above)" >&2

# The browser test drives Debian's chromium (no browser download at run time).
if [ "${WITH_BROWSER:-1}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser test (apt-get, once)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends chromium >&2; } ||
      echo "chromium could not be installed: the browser test will fail until Debian's 'chromium' is installed" >&2
  else
    echo "chromium is not installed at /usr/bin/chromium: install Debian's 'chromium' package for the browser test" >&2
  fi
fi
