#!/usr/bin/env bash
# Publish latency and throughput: 10 KiB and 5 MiB archives, 1 and 16 concurrent clients.
#
#   bench/publish.sh                  # 10 s per row, release build
#   bench/publish.sh --duration 20
#   bench/publish.sh --smoke          # a few seconds, debug build, no targets: keeps the harness from rotting
#
# Durability stays as shipped: every publish fsyncs the archive and its directory, and SQLite
# commits with synchronous=FULL. Each request is a new version with its own archive (a new blob).
# Client-side latency comes from bench/publish.py; server-side latency from the server's own
# per-request log line (LOG_LEVEL=debug, `duration_ms`, measured from the request's head to the
# response, so it includes receiving the body). Loopback only, every run bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
config=release
sizes="10240 5242880"
clients="1 16"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) duration=1; config=debug; sizes="10240 1048576" ;;
    --duration) duration=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --clients) clients=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

if [ -n "${BULWARK_BIN:-}" ]; then B=$BULWARK_BIN; else
  swift build -c "$config" --product bulwark >/dev/null
  B=$(swift build -c "$config" --show-bin-path)/bulwark
fi

work=$(mktemp -d /tmp/bulwark-publish-bench.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$B" admin create-user bench --email bench@example.com --data-dir "$work/data" >/dev/null
token=$("$B" admin create-token --user bench --package 'pub.*' --data-dir "$work/data" | tail -1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG_LEVEL=debug "$B" serve --data-dir "$work/data" --port "$port" --base-url "http://127.0.0.1:$port" \
  --rate-limit-per-ip 0 --rate-limit-per-token 0 --max-connections-per-ip 0 > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 500); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; echo "bulwark serve died" >&2; exit 1; }
  sleep 0.02
done

# Server-side p50/p99 (ms) of the 201 publishes logged after line $1 of serve.log.
server_latency() {
  tail -n +"$(( $1 + 1 ))" "$work/serve.log" | python3 -c '
import re, sys
values = sorted(float(m.group(1)) for line in sys.stdin
                if "method=PUT" in line and "status=201" in line
                for m in [re.search(r"duration_ms=([0-9.]+)", line)] if m)
def pct(p):
    return values[min(len(values) - 1, max(0, int(p / 100 * len(values) + 0.5) - 1))] if values else 0
print(f"{pct(50):.2f}ms/{pct(99):.2f}ms {len(values)}")'
}

printf "\n%-26s %8s %7s %10s %20s %20s\n" "archive, clients" "ok" "errors" "publish/s" "client p50/p99" "server p50/p99"
for size in $sizes; do
  for c in $clients; do
    before=$(wc -l < "$work/serve.log")
    result=$(python3 bench/publish.py --url "http://127.0.0.1:$port" --token "$token" --scope pub \
      --name "s$size-n$c" --size "$size" --concurrency "$c" --duration "$duration")
    read -r server logged <<<"$(server_latency "$before")"
    label=$(awk -v s="$size" -v c="$c" 'BEGIN { if (s >= 1048576) printf "%g MiB, %d", s / 1048576, c; else printf "%g KiB, %d", s / 1024, c }')
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
client = "%sms/%sms" % (r["p50_ms"], r["p99_ms"])
print("%-26s %8d %7d %10s %20s %20s" % (sys.argv[2], r["ok"], r["errors"], r["rps"], client, sys.argv[3]))
if r["first_error"]: print("  first error:", r["first_error"])
' "$result" "$label" "$server"
    [ "$logged" -gt 0 ] || { echo "no publish was logged: the server's log format changed?" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
  done
done
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "bulwark serve exited during the run:" >&2; tail -20 "$work/serve.log" >&2; exit 1
fi
rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
echo
echo "each row ${duration} s; fsync on (archive + directory + SQLite synchronous=FULL); bulwark peak RSS: $((rss_kib / 1024)) MiB; data dir: $(du -sh "$work/data" | cut -f1); build: $config"
