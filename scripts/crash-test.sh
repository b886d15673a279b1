#!/usr/bin/env bash
# Crash consistency of publishing (default) or of sign-in state (--sign-in): start `bulwark serve`
# on a persistent data directory, run concurrent requests against it, `kill -9` the server at a
# random moment, restart it and check that nothing acknowledged was lost and nothing half-written
# is visible.
#
#   scripts/crash-test.sh [--iterations N] [--publishes P] [--keep] [--seed S]
#   scripts/crash-test.sh --sign-in [--iterations N] [--clients C] [--keep] [--seed S]
#
# Uses $BULWARK_BIN, else `$(swift build --show-bin-path)/bulwark` (build it first). Publishing
# needs curl, zip, sqlite3 and sha256sum; --sign-in needs python3, oathtool and sqlite3. Prints
# `N passed, M failed` and exits non-zero on any failure.
#
# --sign-in: C clients (4) each drive an account through the JSON API with
# scripts/crash-sign-in.py (sign-up, password + authenticator code / passkey / recovery code, TOTP
# enrolment and confirmation with oathtool codes, regenerated recovery codes, removing the
# authenticator, adding and removing software passkeys, sign-out) until the kill: 0–0.4 s (half
# the iterations) or 0–2 s after the start, or in 3 of 4 iterations after the new accounts'
# sign-ups were answered. After the restart every account of the clients (and two earlier ones;
# all of them at the end) must match what was acknowledged, and a request cut off by the kill
# must have taken effect completely or not at all: an acknowledged sign-up signs in with its password; an acknowledged
# authenticator app is offered and accepts a current code; an enrolment whose confirmation got no
# answer is either inactive (not offered, a code for the pending secret refused with 422) or
# active with its 10 recovery codes; after a regeneration the new codes work and the old ones are
# refused, never a mix; acknowledged passkeys sign in, removed ones don't; `PRAGMA
# integrity_check` prints `ok`; no request before the kill got an unexpected answer.
#
# Publishing: after every restart it checks:
#   - every publish that got 201 is present: release metadata is served, and the SHA-256 of the
#     `.zip` bytes equals both the uploaded file's and the metadata's `checksum`;
#   - every publish that did not get an answer (killed in flight) is either absent (404) or
#     complete as above: no release is visible without its archive or with a truncated one;
#   - `DATA/blobs/tmp` is empty (start-up cleanup of unfinished uploads);
#   - `PRAGMA integrity_check` prints `ok`;
#   - no request got anything but 201 or no answer (a 4xx/5xx before the kill is a bug).
set -uo pipefail

iterations=20
publishes=6
mode=publish
clients=4
keep=0
seed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    --publishes) publishes="$2"; shift 2 ;;
    --sign-in) mode=sign-in; shift ;;
    --clients) clients="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$seed" ] && RANDOM=$seed

tools="curl zip sqlite3 sha256sum"
[ "$mode" = sign-in ] && tools="python3 oathtool sqlite3"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "crash-test: missing tool '$tool'" >&2; exit 3; }
done

cd "$(dirname "$0")/.."
bin="${BULWARK_BIN:-}"
if [ -z "$bin" ]; then bin="$(swift build --show-bin-path)/bulwark"; fi
[ -d "$bin" ] && bin="$bin/bulwark"
[ -x "$bin" ] || { echo "crash-test: no bulwark executable at $bin (run swift build, or set BULWARK_BIN)" >&2; exit 3; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-crash.XXXXXX")
data="$work/data"
mkdir -p "$data" "$work/archives" "$work/results"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -9 "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  if [ "$keep" = 1 ]; then echo "crash-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

serve_args=(--token-cache-seconds 0)
if [ "$mode" = sign-in ]; then
  # Passkeys need a base URL (its host is the WebAuthn rpId, its origin the one the Origin header
  # must carry). The checks try refused codes on purpose, and sign in many times from one IP.
  serve_args+=(--base-url http://localhost --max-failures 1000000 --max-sessions-per-account 0 --rate-limit-per-ip 0)
else
  "$bin" admin create-user crash --email crash@example.com --data-dir "$data" >/dev/null || { echo "crash-test: create-user failed" >&2; exit 1; }
  token=$("$bin" admin create-token --user crash --scope publish --package 'crash.*' --expires 1d --data-dir "$data" | tail -n 1)
  case "$token" in bwk_*) ;; *) echo "crash-test: create-token printed no token" >&2; exit 1 ;; esac
fi

port=""
start_server() {
  local log="$work/server-$1.log"
  "$bin" serve --data-dir "$data" --host 127.0.0.1 --port 0 "${serve_args[@]}" >"$log" 2>&1 &
  server_pid=$!
  local waited=0
  port=""
  while [ $waited -lt 300 ]; do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" 2>/dev/null | head -n 1 | sed 's/.*://')
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1; waited=$((waited + 1))
  done
  echo "crash-test: server did not start; log:" >&2; tail -n 20 "$log" >&2
  return 1
}

# A source archive like `swift package-registry publish` makes: `zip -qry` of one directory.
make_archive() { # name version size out
  local dir="$work/archives/src-$$-$RANDOM"
  mkdir -p "$dir/$1"
  printf '// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: "%s") // %s\n' "$1" "$2" >"$dir/$1/Package.swift"
  head -c "$3" /dev/urandom >"$dir/$1/padding.bin"
  (cd "$dir" && zip -qry "$4" "$1")
  rm -rf "$dir"
}

# Multipart exactly like SwiftPM: parts named source-archive and metadata, no filename=.
publish() { # package version archive result-file
  local scope=${1%%.*} name=${1#*.}
  curl -s -o "$4.body" -w '%{http_code}' --max-time 60 -X PUT \
    -H "Authorization: Bearer $token" -H 'Accept: application/vnd.swift.registry.v1+json' \
    -F "source-archive=<$3;type=application/zip" \
    -F "metadata=<$work/metadata.json;type=application/json" \
    "http://127.0.0.1:$port/$scope/$name/$2" >"$4.status" 2>/dev/null
  # No final answer (connection reset by the kill): 000, also after an interim `100 Continue`.
  case "$(cat "$4.status")" in 1??|"") echo 000 >"$4.status" ;; esac
}
printf '{"description":"crash test","repositoryURLs":["https://github.com/crash/pkg.git"]}' >"$work/metadata.json"

json_checksum() { sed -n 's/.*"checksum" *: *"\([0-9a-f]*\)".*/\1/p' "$1" | head -n 1; }

# Checks one publish; prints a reason and returns 1 on failure.
check_publish() { # package version sha256-of-uploaded-archive status
  local scope=${1%%.*} name=${1#*.} meta="$work/check.json" zipfile="$work/check.zip" code
  local expected=$3
  code=$(curl -s -o "$meta" -w '%{http_code}' --max-time 30 -H 'Accept: application/vnd.swift.registry.v1+json' "http://127.0.0.1:$port/$scope/$name/$2")
  if [ "$code" = 404 ]; then
    if [ "$4" = 201 ]; then echo "$1 $2 got 201 but is missing after the restart"; return 1; fi
    [ "$4" = 000 ] && echo absent >>"$work/results/unanswered"
    return 0
  fi
  [ "$code" = 200 ] || { echo "$1 $2: metadata answered $code"; return 1; }
  local checksum
  checksum=$(json_checksum "$meta")
  [ "$checksum" = "$expected" ] || { echo "$1 $2: metadata checksum '$checksum' != uploaded $expected (status $4)"; return 1; }
  code=$(curl -s -o "$zipfile" -w '%{http_code}' --max-time 30 -H 'Accept: application/vnd.swift.registry.v1+zip' "http://127.0.0.1:$port/$scope/$name/$2.zip")
  [ "$code" = 200 ] || { echo "$1 $2: visible release without its archive (.zip answered $code, status $4)"; return 1; }
  local got
  got=$(sha256sum "$zipfile" | cut -d' ' -f1)
  [ "$got" = "$expected" ] || { echo "$1 $2: archive bytes sha256 $got != $expected (truncated or wrong, status $4)"; return 1; }
  [ "$4" = 000 ] && echo "complete" >>"$work/results/unanswered"
  return 0
}

# Checks after a restart; the publishes of the previous iteration are in $work/results/pending.
verify() { # label
  local bad=0 reasons=""
  local leftovers
  leftovers=$(find "$data/blobs/tmp" -mindepth 1 2>/dev/null | head -n 5)
  [ -z "$leftovers" ] || { reasons+="temporary files left after start-up: $leftovers"$'\n'; bad=1; }
  local integrity
  integrity=$(sqlite3 "$data/bulwark.sqlite3" 'PRAGMA integrity_check' 2>&1)
  [ "$integrity" = ok ] || { reasons+="integrity_check: $integrity"$'\n'; bad=1; }
  if [ -f "$work/results/pending" ]; then
    while read -r package version sha status; do
      case "$status" in 201|000) ;; *) reasons+="$package $version answered $status before the kill: $(head -c 300 "$work/results/$package-$version.body" 2>/dev/null)"$'\n'; bad=1 ;; esac
      local why
      why=$(check_publish "$package" "$version" "$sha" "$status") || { reasons+="$why"$'\n'; bad=1; }
      [ "$status" = 201 ] && echo "$package $version $sha $status" >>"$work/results/acknowledged"
    done <"$work/results/pending"
  fi
  # A few releases acknowledged in earlier iterations, to see that later crashes don't lose them.
  if [ -f "$work/results/acknowledged" ]; then
    while read -r package version sha status; do
      local why
      why=$(check_publish "$package" "$version" "$sha" "$status") || { reasons+="(earlier) $why"$'\n'; bad=1; }
    done < <(shuf -n 3 "$work/results/acknowledged" 2>/dev/null)
  fi
  if [ $bad -ne 0 ]; then printf 'iteration %s FAILED:\n%s' "$1" "$reasons"; return 1; fi
  return 0
}

# --sign-in: the accounts' model lives in $work/sign-in.json (see scripts/crash-sign-in.py).
if [ "$mode" = sign-in ]; then
  helper=scripts/crash-sign-in.py
  state="$work/sign-in.json"
  origin=http://localhost
  passed=0
  failed=0
  started=$(date +%s)
  sign_in_verify() { # label [extra arguments]
    local label=$1 integrity status=0
    shift
    integrity=$(sqlite3 "$data/bulwark.sqlite3" 'PRAGMA integrity_check' 2>&1)
    [ "$integrity" = ok ] || { echo "$label FAILED: integrity_check: $integrity"; status=1; }
    python3 "$helper" verify --state "$state" --port "$port" --origin "$origin" --label "$label FAILED" --seed $RANDOM "$@" || status=1
    return $status
  }
  for ((i = 1; i <= iterations; i++)); do
    start_server "$i" || { failed=$((failed + 1)); echo "iteration $i FAILED: no server"; break; }
    if [ $i -gt 1 ]; then
      if sign_in_verify "iteration $((i - 1))"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    fi
    rm -f "$work/signed-up"
    python3 "$helper" mutate --state "$state" --port "$port" --origin "$origin" --iteration "$i" --clients "$clients" \
      --seed $RANDOM --ready-file "$work/signed-up" >"$work/mutate.out" 2>&1 &
    mutate_pid=$!
    # Kill at a random moment. A sign-up or a password step (bcrypt) takes 0.3–1 s here, the other
    # requests a few milliseconds, so in 3 of 4 iterations the clock starts once every client has
    # its account (the new ones' sign-ups answered); and in half the iterations the kill comes in
    # the first 0.4 s, where the clients' first requests land (a first factor for an account
    # signed up in the previous iteration, say), else in the first 2 s.
    if [ $((RANDOM % 4)) != 0 ]; then
      for ((w = 0; w < 200; w++)); do [ -e "$work/signed-up" ] && break; kill -0 "$mutate_pid" 2>/dev/null || break; sleep 0.05; done
    fi
    if [ $((RANDOM % 2)) = 0 ]; then delay=$((RANDOM % 400)); else delay=$((RANDOM % 2000)); fi
    sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
    if ! wait "$mutate_pid"; then
      failed=$((failed + 1)); echo "iteration $i FAILED: crash-sign-in.py mutate: $(tail -n 3 "$work/mutate.out")"
    fi
    echo "iteration $i: $(tail -n 1 "$work/mutate.out") ($(( $(date +%s) - started )) s)"
  done
  # Final restart: the last iteration and every account.
  if start_server final; then
    if sign_in_verify "iteration $iterations (final check of every account)" --all --summary; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
  else
    failed=$((failed + 1))
  fi
  echo "crash-test --sign-in: $iterations iterations, $clients clients; $(( $(date +%s) - started )) s"
  echo "$passed passed, $failed failed"
  [ $failed -eq 0 ]
  exit
fi

sizes=(4096 16384 131072 524288 1048576 3145728)
packages=(crash.alpha crash.beta crash.gamma)
passed=0
failed=0
leftovers_seen=0
started=$(date +%s)
for ((i = 1; i <= iterations; i++)); do
  start_server "$i" || { failed=$((failed + 1)); echo "iteration $i FAILED: no server"; break; }
  if [ $i -gt 1 ]; then
    if verify $((i - 1)); then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  fi
  rm -f "$work/results/pending" "$work/results"/*.status "$work/results"/*.body
  rm -f "$work/archives"/iter-*.zip
  pids=()
  for ((j = 0; j < publishes; j++)); do
    package=${packages[$((j % ${#packages[@]}))]}
    archive="$work/archives/iter-$i-$j.zip"
    make_archive "${package#*.}" "1.$i.$j" "$(( sizes[RANDOM % ${#sizes[@]}] + RANDOM ))" "$archive"
    echo "$package 1.$i.$j $(sha256sum "$archive" | cut -d' ' -f1)" >>"$work/results/planned-$i"
  done
  j=0
  while read -r package version sha; do
    ( sleep "0.$(printf '%03d' $((RANDOM % 200)))"; publish "$package" "$version" "$work/archives/iter-$i-$j.zip" "$work/results/$package-$version" ) &
    pids+=($!)
    j=$((j + 1))
  done <"$work/results/planned-$i"
  # Kill at a random moment in the first 0.8 s: before, during or after the uploads.
  sleep "0.$(printf '%03d' $((RANDOM % 800)))"
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
  if [ -n "$(find "$data/blobs/tmp" -mindepth 1 2>/dev/null | head -n 1)" ]; then leftovers_seen=$((leftovers_seen + 1)); fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  while read -r package version sha; do
    status=$(cat "$work/results/$package-$version.status" 2>/dev/null || echo 000)
    echo "$package $version $sha $status" >>"$work/results/pending"
  done <"$work/results/planned-$i"
  cut -d' ' -f4 "$work/results/pending" >>"$work/results/history"
  rm -f "$work/results/planned-$i"
  echo "iteration $i: $(cut -d' ' -f4 "$work/results/pending" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
done

# Final restart: check the last iteration and every acknowledged release.
if start_server final; then
  if verify "$iterations"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  all_ok=1
  if [ -f "$work/results/acknowledged" ]; then
    while read -r package version sha status; do
      why=$(check_publish "$package" "$version" "$sha" "$status") || { echo "final check: $why"; all_ok=0; }
    done <"$work/results/acknowledged"
  fi
  [ $all_ok = 1 ] || failed=$((failed + 1))
  acknowledged=$(wc -l <"$work/results/acknowledged" 2>/dev/null || echo 0)
  kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
else
  failed=$((failed + 1)); acknowledged=0
fi

statuses=$(cat "$work/results/history" 2>/dev/null | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
unanswered=$(sort "$work/results/unanswered" 2>/dev/null | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
echo "crash-test: $iterations iterations, publishes answered: ${statuses}(000 = cut off by the kill: ${unanswered:-none}); killed with an unfinished upload in blobs/tmp: $leftovers_seen; $acknowledged acknowledged publishes re-checked at the end; $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
