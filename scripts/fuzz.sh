#!/usr/bin/env bash
# Runs the libFuzzer targets under Fuzz/ (one per parser that sees untrusted bytes).
#
#   scripts/fuzz.sh [--seconds S] [TARGET…]
#
# TARGET is any of FuzzMultipart FuzzArchive FuzzCBOR FuzzVersions FuzzWebAuthn FuzzHeaders
# FuzzLockfiles (default: all), each run for S
# seconds (default 60) from its seed corpus in Fuzz/corpus/<target>/ (read-only: new inputs go to
# the scratch directory). Builds with `swift build -c debug --sanitize=fuzzer -Xswiftc -DFUZZING` into
# .build-fuzz (or $FUZZ_SCRATCH), so the normal .build is untouched. Fails on any crash, timeout or
# out-of-memory; the reproducer is kept under .build-fuzz/artifacts/<target>/ and can be replayed
# with the normal build: `$(swift build --show-bin-path)/<target> FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
all=(FuzzMultipart FuzzArchive FuzzCBOR FuzzVersions FuzzWebAuthn FuzzHeaders FuzzLockfiles)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export SWIFT_BACKTRACE=enable=no  # with AddressSanitizer, the backtracer reports a false use-after-free
scratch="${FUZZ_SCRATCH:-.build-fuzz}"  # FUZZ_SCRATCH overrides the scratch path
failed=()
for target in "${targets[@]}"; do
  [ -d "Fuzz/$target" ] || { echo "fuzz: no target Fuzz/$target" >&2; exit 2; }
  echo "== building $target"
  swift build -c debug --sanitize=fuzzer -Xswiftc -DFUZZING --product "$target" --scratch-path "$scratch"
  bin="$(swift build -c debug --sanitize=fuzzer -Xswiftc -DFUZZING --scratch-path "$scratch" --show-bin-path)/$target"
  corpus="$scratch/corpus/$target"
  artifacts="$scratch/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  echo "== running $target for $seconds s"
  log="$scratch/$target.log"
  set +e
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "Fuzz/corpus/$target" >"$log" 2>&1
  status=$?
  set -e
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY|Fatal error|==[0-9]+==' "$log" | head -n 20 || true
  if [ $status -ne 0 ]; then
    echo "== $target FAILED (exit $status); log: $log; reproducer(s):"; ls -1 "$artifacts"
    tail -n 40 "$log"
    failed+=("$target")
  else
    echo "== $target: no crash in $seconds s"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: FAILED: ${failed[*]}"; exit 1; fi
echo "fuzz: ${#targets[@]} target(s), $seconds s each, no crash"
