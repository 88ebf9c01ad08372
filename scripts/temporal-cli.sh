#!/usr/bin/env bash
# Provides the pinned Temporal CLI (dev server + Web UI) without downloading a binary:
# it is built from Go modules with `go install` and cached outside the repository.
#   temporal-cli.sh install   build once, reuse afterwards; prints the path
#   temporal-cli.sh path      print the path, fail if not built
# TEMPORAL_CLI_PATH, when set, overrides everything.
set -euo pipefail

VERSION=v1.5.1   # keep in step with temporal/cli.ts (v1.5.1 is the last release `go install` builds without a wrapper module)
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/openbanking-temporal-cli/$VERSION"
BIN="$CACHE_DIR/temporal"

say() { [ "${QUIET:-0}" = 1 ] || echo "$@" >&2; }

resolve_override() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    if [ ! -x "$TEMPORAL_CLI_PATH" ]; then
      echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2
      exit 1
    fi
    echo "$TEMPORAL_CLI_PATH"
    exit 0
  fi
}

cmd="${1:-install}"
case "$cmd" in
  path)
    resolve_override
    if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
    echo "Temporal CLI $VERSION is not built yet: run 'npm run temporal:install' (needs Go) or set TEMPORAL_CLI_PATH" >&2
    exit 1
    ;;
  install)
    resolve_override
    if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "${VERSION#v}"; then
      say "Temporal CLI $VERSION: $BIN (cached)"
      echo "$BIN"
      exit 0
    fi
    if ! command -v go >/dev/null 2>&1; then
      cat >&2 <<MSG
The Temporal CLI $VERSION is not built and Go is not installed.
Either install Go 1.23 or newer (https://go.dev/doc/install, or 'apt-get install golang' where recent enough)
and run 'npm run temporal:install', or set TEMPORAL_CLI_PATH to an existing temporal binary.
MSG
      exit 1
    fi
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR.lock"
    flock 9   # two test runs starting at once build once
    if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "${VERSION#v}"; then echo "$BIN"; exit 0; fi
    say "Building Temporal CLI $VERSION from Go modules (first time only, a few minutes)..."
    tmp="$(mktemp -d "$CACHE_DIR.build.XXXXXX")"
    start=$(date +%s)
    GOBIN="$tmp" GOFLAGS=-mod=mod go install \
      -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${VERSION#v}" \
      "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
    mv -f "$tmp/temporal" "$BIN"
    rmdir "$tmp"
    say "Built $("$BIN" --version) in $(( $(date +%s) - start ))s: $BIN ($(du -h "$BIN" | cut -f1))"
    echo "$BIN"
    ;;
  *)
    echo "usage: $0 install|path" >&2
    exit 2
    ;;
esac
