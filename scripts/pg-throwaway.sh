#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from Debian's binaries.
#
#   scripts/pg-throwaway.sh start DIR [PORT]   # initdb into DIR (created), start, print the URL
#   scripts/pg-throwaway.sh stop DIR           # stop it and delete DIR
#   scripts/pg-throwaway.sh pause DIR          # stop the server, keep DIR (tests of a lost database)
#   scripts/pg-throwaway.sh resume DIR         # start it again on the same port
#
# The server listens on TCP 127.0.0.1 only (PORT, default: a free one) with its unix socket inside
# DIR, trusts local connections (tests only!) and skips fsync. initdb refuses to run as root, so
# as root the cluster belongs to the `postgres` user (runuser). The URL printed on stdout is what
# BULWARK_TEST_POSTGRES_URL expects: postgres://postgres@127.0.0.1:PORT/postgres
set -eu

BIN=${PG_BIN:-}
if [ -z "$BIN" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && BIN=$candidate
  done
fi
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "pg-throwaway: no PostgreSQL server binaries (install Debian's postgresql package)" >&2
  exit 1
fi

usage() { echo "usage: $0 start DIR [PORT] | stop DIR | pause DIR | resume DIR" >&2; exit 2; }

# Runs a server binary as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts the server. Descriptors beyond stdin/out/err are closed first: the postmaster would
# inherit them and outlive us, and a caller that waits for them to close (Foundation's Process
# watches a socket it hands to the child) would wait forever.
start_server() {
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      case $fd in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
    exec </dev/null
    as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  ) || {
    cat "$dir/server.log" >&2
    exit 1
  }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

[ $# -ge 2 ] || usage
command=$1
dir=$2

case "$command" in
start)
  port=${3:-$(free_port)}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -e "$dir/PG_VERSION" ]; then
    echo "pg-throwaway: $dir already holds a cluster" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  as_owner "$BIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 || {
    cat "$dir.initdb.log" >&2
    exit 1
  }
  rm -f "$dir.initdb.log"
  # In the cluster's own configuration, so that `resume` (a plain pg_ctl start) keeps them.
  as_owner sh -c "cat >>'$dir/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  start_server
  echo "postgres://postgres@127.0.0.1:$port/postgres"
  ;;
pause)
  as_owner "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  ;;
resume)
  start_server
  ;;
stop)
  if [ -e "$dir/PG_VERSION" ]; then
    as_owner "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  usage
  ;;
esac
