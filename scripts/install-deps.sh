#!/usr/bin/env bash
# `npm ci`, with one workaround: the package registry reachable here serves only this
# platform's builds of native packages (@swc/core-*, @rollup/rollup-*), so the lockfile has
# no entries for the others. npm 10 accepts that; npm 11.19 refuses the lockfile as "not in
# sync". Then npm 10's `ci` installs the very same lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
if npm ci --no-audit --no-fund 2>"$log"; then
  rm -f "$log"
  exit 0
fi
if grep -q 'can only install packages when your package.json and package-lock.json' "$log"; then
  echo "npm $(npm --version) refuses the lockfile's missing foreign-platform entries; installing with npm 10's ci" >&2
  rm -f "$log"
  exec npx -y npm@10.9.9 ci --no-audit --no-fund
fi
cat "$log" >&2
rm -f "$log"
exit 1
