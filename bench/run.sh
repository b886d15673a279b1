#!/usr/bin/env bash
# Bulwark against nginx serving the same bytes, side by side in one run; prints ratios.
#
#   bench/run.sh                      # full table: 1 000 packages, 10 s per endpoint, release build
#   bench/run.sh --packages 100000    # the read table at another scale
#   bench/run.sh --smoke              # seconds, debug build, no targets: keeps this and bench/publish.sh from rotting
#   bench/run.sh --packages 1000000 --warm
#                                     # first reads every package's list, metadata, manifest and archive twice (stored from
#                                     # the second read), so the random rows measure stored responses (steady state)
#
# Installs nginx and wrk from Debian when missing. Everything listens on 127.0.0.1 only, and every
# load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=1000
duration=10
connections=64
config=release
warm=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) packages=50; duration=1; connections=8; config=debug ;;
    --packages) packages=$2; shift ;;
    --duration) duration=$2; shift ;;
    --warm) warm=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
command -v zip >/dev/null || need+=(zip)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [ -n "${BULWARK_BIN:-}" ]; then B=$BULWARK_BIN; else
  swift build -c "$config" --product bulwark >/dev/null
  B=$(swift build -c "$config" --show-bin-path)/bulwark
fi

work=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
server_pid=""; nginx_started=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_started" ] && "$NGINX" -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "seeding $packages packages (10 KiB archives) and one package with a 1 MiB archive…"
"$B" admin seed --data-dir "$work/data" --packages "$packages" --releases 3 --archive-size 10240 >/dev/null
"$B" admin seed --data-dir "$work/data" --scope big --packages 1 --releases 1 --archive-size 1048576 >/dev/null
"$B" admin create-user bench --email bench@example.com --data-dir "$work/data" >/dev/null
token=$("$B" admin create-token --user bench --package 'seed.*' --data-dir "$work/data" | tail -1)

port=$(free_port)
start_ms=$(date +%s%3N)
"$B" serve --data-dir "$work/data" --port "$port" --base-url "http://127.0.0.1:$port" --rate-limit-per-ip 0 --rate-limit-per-token 0 --max-connections-per-ip 0 > "$work/serve.log" 2>&1 &
server_pid=$!
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; echo "bulwark serve died" >&2; exit 1; }
  sleep 0.02
done
startup_ms=$(( $(date +%s%3N) - start_ms ))

if [ -n "$warm" ]; then
  # Every list, metadata, manifest and archive read twice in a row: a response is stored in the
  # database from its second read (an archive's row holds its headers and checksum, not its bytes).
  warm_start=$(date +%s)
  for template in /seed/pkg%06d /seed/pkg%06d /seed/pkg%06d/1.0.0 /seed/pkg%06d/1.0.0 \
                  /seed/pkg%06d/1.0.0/Package.swift /seed/pkg%06d/1.0.0/Package.swift /seed/pkg%06d/1.0.0.zip /seed/pkg%06d/1.0.0.zip; do
    PATH_TEMPLATE="$template" PACKAGES="$packages" CONNECTIONS="$connections" \
      wrk -t1 -c"$connections" -d"$(( packages / 2000 + 60 ))s" -s bench/walk.lua "http://127.0.0.1:$port" >/dev/null 2>&1 || true
  done
  echo "warmed: every package's list, metadata, manifest and archive read twice in $(( $(date +%s) - warm_start )) s"
fi

# The exact bytes Bulwark serves, exported for nginx: every path P is stored as ROOT/P/__self.
export_path() {
  mkdir -p "$work/www$1"
  curl -fs "http://127.0.0.1:$port$1" -o "$work/www$1/__self"
}
export_limit=$(( packages < 1000 ? packages : 1000 ))
for i in $(seq 1 "$export_limit"); do
  p=$(printf "/seed/pkg%06d" "$i")
  export_path "$p"; export_path "$p/1.0.0"; export_path "$p/1.0.0/Package.swift"; export_path "$p/1.0.0.zip"
done
export_path "/big/pkg000001/1.0.0.zip"
export_path "/healthz"
mkdir -p "$work/www/identifiers"
curl -fs "http://127.0.0.1:$port/identifiers?url=https://github.com/seed/pkg000001.git" -o "$work/www/identifiers/__self"

nport=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    default_type application/json;
    location ~ \.zip\$ { default_type application/zip; try_files \$uri/__self =404; }
    location ~ Package\.swift\$ { default_type text/x-swift; try_files \$uri/__self =404; }
    location = /healthz { default_type text/plain; try_files \$uri/__self =404; }
    location / { try_files \$uri/__self =404; }
  }
}
CONF
"$NGINX" -c "$work/nginx.conf" -p "$work" -e "$work/nginx-error.log"
nginx_started=1
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$nport/seed/pkg000001" && break; sleep 0.05; done

# Both must serve the same bytes, or the comparison means nothing.
for path in /healthz /seed/pkg000001 /seed/pkg000001/1.0.0 /seed/pkg000001/1.0.0/Package.swift /seed/pkg000001/1.0.0.zip \
            /big/pkg000001/1.0.0.zip "/identifiers?url=https://github.com/seed/pkg000001.git"; do
  a=$(curl -fs "http://127.0.0.1:$port$path" | sha256sum); b=$(curl -fs "http://127.0.0.1:$nport$path" | sha256sum)
  [ "$a" = "$b" ] || { echo "nginx and bulwark serve different bytes for $path" >&2; exit 1; }
done

# wrk → "req/s p50 p99"
measure() { # url script [env...]
  local url=$1 script=$2; shift 2
  env "$@" wrk -t2 -c"$connections" -d"${duration}s" --latency -s "bench/$script" "$url" 2>/dev/null | awk '
    /Non-2xx/ { bad=1 }
    /Requests\/sec/ { rps=$2 }
    /^ +50%/ { p50=$2 } /^ +99%/ { p99=$2 }
    END { if (bad) rps = "ERR(non-2xx)"; printf "%s %s %s", rps, p50, p99 }'
}

rows=(
  "healthz|/healthz|"
  "release list|/seed/pkg000001|/seed/pkg%06d"
  "release metadata|/seed/pkg000001/1.0.0|/seed/pkg%06d/1.0.0"
  "manifest|/seed/pkg000001/1.0.0/Package.swift|/seed/pkg%06d/1.0.0/Package.swift"
  "archive 10 KiB|/seed/pkg000001/1.0.0.zip|/seed/pkg%06d/1.0.0.zip"
  "archive 1 MiB|/big/pkg000001/1.0.0.zip|"
  "identifiers|/identifiers?url=https://github.com/seed/pkg000001.git|"
)
printf "\n%-32s %12s %12s %7s %18s %18s\n" "endpoint" "bulwark r/s" "nginx r/s" "ratio" "bulwark p50/p99" "nginx p50/p99"
for row in "${rows[@]}"; do
  IFS='|' read -r name path template <<<"$row"
  for auth in anonymous token; do
    bearer=""; [ "$auth" = token ] && bearer=$token
    [ "$auth" = token ] && [ -z "$template" ] && continue
    read -r brps bp50 bp99 <<<"$(measure "http://127.0.0.1:$port$path" fixed.lua BEARER="$bearer")"
    read -r nrps np50 np99 <<<"$(measure "http://127.0.0.1:$nport$path" fixed.lua BEARER="$bearer")"
    ratio=$(awk -v a="$brps" -v b="$nrps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf "%-32s %12s %12s %7s %18s %18s\n" "$name ($auth)" "$brps" "$nrps" "$ratio" "$bp50/$bp99" "$np50/$np99"
    if [ -n "$template" ]; then
      read -r brps bp50 bp99 <<<"$(measure "http://127.0.0.1:$port" random.lua PATH_TEMPLATE="$template" PACKAGES="$packages" BEARER="$bearer")"
      read -r nrps np50 np99 <<<"$(measure "http://127.0.0.1:$nport" random.lua PATH_TEMPLATE="$template" PACKAGES="$export_limit" BEARER="$bearer")"
      ratio=$(awk -v a="$brps" -v b="$nrps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
      printf "%-32s %12s %12s %7s %18s %18s\n" "  random packages" "$brps" "$nrps" "$ratio" "$bp50/$bp99" "$np50/$np99"
    fi
  done
done
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "bulwark serve exited during the run:" >&2; tail -20 "$work/serve.log" >&2; exit 1
fi
rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
echo
echo "packages: $packages × 3 releases; start-up to first 200: ${startup_ms} ms; bulwark peak RSS: $((rss_kib / 1024)) MiB; data dir: $(du -sh "$work/data" | cut -f1)"
echo "wrk -t2 -c$connections -d${duration}s; nginx: 2 workers, sendfile on, access log off; build: $config${warm:+; warmed (stored responses)}"
[ "$packages" -le 1000 ] || echo "note: nginx serves the first 1000 packages only (random rows compare against that set)"

if [ "$config" = debug ]; then
  # The smoke also runs the publish harness for a few seconds, so it can't rot either.
  BULWARK_BIN=$B bench/publish.sh --smoke
  # And the second-factor micro-benchmark, when it was built beside bulwark (swift build --build-tests does).
  crypto="$(dirname "$B")/bulwark-crypto-bench"
  if [ -x "$crypto" ]; then echo; "$crypto" --iterations 200; fi
fi
