#!/usr/bin/env bash
# A throw-away PostgreSQL server from Debian's packages, for the tests and for trying `npm start` on
# PostgreSQL. The server runs as a non-root user (PostgreSQL refuses root: as root it runs as the
# `postgres` user), in DIR, on a free port of 127.0.0.1, with its unix socket in DIR too.
#   postgres.sh install          make sure initdb/pg_ctl exist (apt-get install postgresql when root)
#   postgres.sh start DIR [DB]   initdb + start in DIR (a new or empty directory), create database DB
#                                (default openbanking); prints the URL (postgres://…) on stdout
#   postgres.sh stop DIR         stop the server started in DIR and remove DIR
# Example: DATABASE_URL=$(bash scripts/postgres.sh start /tmp/ob-pg) npm start; then stop it likewise.
# POSTGRES_BIN_DIR, when set, names the directory holding initdb, pg_ctl and postgres.
# POSTGRES_WATCH_PID, when set at start, is a process (the test runner) whose end stops and removes
# the server even if it never calls stop (killed with SIGKILL): no server outlives its owner.
set -euo pipefail

say() { [ "${QUIET:-0}" = 1 ] || echo "$@" >&2; }
die() {
  echo "postgres.sh: $*" >&2
  exit 1
}

# Debian installs the server binaries under /usr/lib/postgresql/<major>/bin, off the PATH.
find_bin_dir() {
  if [ -n "${POSTGRES_BIN_DIR:-}" ]; then
    [ -x "$POSTGRES_BIN_DIR/initdb" ] && [ -x "$POSTGRES_BIN_DIR/pg_ctl" ] ||
      die "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR holds no initdb/pg_ctl"
    echo "$POSTGRES_BIN_DIR"
    return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  return 1
}

install() {
  if find_bin_dir >/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's postgresql for the PostgreSQL tests (apt-get, once)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends postgresql >&2; } ||
      die "apt-get install postgresql failed"
    find_bin_dir >/dev/null || die "postgresql is installed but initdb/pg_ctl were not found"
    return 0
  fi
  die "PostgreSQL's initdb/pg_ctl were not found (looked in /usr/lib/postgresql/*/bin and on PATH): install Debian's 'postgresql' package"
}

# Runs a command as the server's user: ourselves, or `postgres` when we are root.
as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local dir="${1:?usage: postgres.sh start DIR [DB]}" db="${2:-openbanking}"
  install
  local bin
  bin="$(find_bin_dir)"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' user to run the server as"
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_server_user test -w "$dir" || die "the server's user cannot write $dir (a parent directory is closed to it): use one under /tmp"
  as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -5 "$dir/initdb.log")"
  local port attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # fsync off: a test server's data is thrown away; listen on 127.0.0.1 only, socket in DIR.
    if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      as_server_user "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE DATABASE \"$db\"" >/dev/null || {
        stop_server "$dir"
        die "could not create database $db"
      }
      if [ -n "${POSTGRES_WATCH_PID:-}" ]; then
        # Detached from our stdout/stderr so that the caller's read of the URL ends now.
        nohup bash "$0" watch "$dir" "$POSTGRES_WATCH_PID" </dev/null >/dev/null 2>&1 &
      fi
      say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') in $dir on 127.0.0.1:$port"
      echo "postgres://postgres@127.0.0.1:$port/$db"
      return 0
    fi
    say "PostgreSQL did not start on port $port (attempt $attempt): $(tail -2 "$dir/server.log" 2>/dev/null)"
  done
  die "PostgreSQL did not start: $(tail -5 "$dir/server.log" 2>/dev/null)"
}

stop_server() {
  local dir="$1" bin
  bin="$(find_bin_dir)" || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

stop() {
  local dir="${1:?usage: postgres.sh stop DIR}"
  [ -d "$dir" ] || return 0
  stop_server "$dir"
  rm -rf "$dir"
}

# Stops and removes the server in DIR once PID has ended (or DIR is gone: stopped already).
watch() {
  local dir="$1" pid="$2"
  while kill -0 "$pid" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
  stop "$dir"
}

case "${1:-}" in
  install) install ;;
  watch) watch "${2:?}" "${3:?}" ;;
  start) start "${2:-}" "${3:-}" ;;
  stop) stop "${2:-}" ;;
  *) die "usage: postgres.sh install | start DIR [DB] | stop DIR" ;;
esac
