#!/usr/bin/env bash
# swiftpm-isolated.sh: run one command (normally `swift ...`) against a throwaway home
# directory while trusting an extra test certificate authority. The machine's real user
# state and its trust store are left untouched.
#
# Usage:
#   SWIFTPM_HOME=/tmp/e2e/home TEST_CA=/tmp/e2e/ca.pem \
#     scripts/swiftpm-isolated.sh swift package-registry login https://127.0.0.1:8443 --token T --no-confirm
#
# Environment:
#   SWIFTPM_HOME              existing directory that stands in for the user's home directory.
#                             Reuse it across calls so that credentials written by `login` persist.
#   TEST_CA                   PEM file with the test CA that signed the registry's TLS certificate.
#   SWIFTPM_ISOLATED_TIMEOUT  optional. Seconds before the command is killed, together with its
#                             whole process tree. Exit status 124 means it timed out.
#   SWIFTPM_SYSTEM_CA_BUNDLE  optional. The CA bundle the client reads, by default
#                             /etc/ssl/certs/ca-certificates.crt (Debian and Ubuntu).
#
# Why exporting HOME=... and SSL_CERT_FILE=... is not enough on Linux:
#   * SwiftPM finds "~" through the password database, not $HOME. `login` would append to
#     the real ~/.netrc and edit the real ~/.swiftpm. Caches land in the real ~/.cache.
#   * The client's HTTP stack (FoundationNetworking on libcurl) ignores SSL_CERT_FILE and
#     only reads the system CA bundle.
# So the command runs in a private mount namespace (`unshare --mount`, which needs root or
# CAP_SYS_ADMIN). Inside it, SWIFTPM_HOME is bind-mounted over the real home directory,
# and a bundle made of the system CAs plus TEST_CA is bind-mounted over the system bundle.
# The mounts exist only inside that namespace and go away when the command exits.
set -euo pipefail

die() { echo "swiftpm-isolated.sh: $*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: SWIFTPM_HOME=DIR TEST_CA=ca.pem $0 COMMAND [ARGS...]"
[[ -n "${SWIFTPM_HOME:-}" ]] || die "set SWIFTPM_HOME to a directory that acts as the home directory"
[[ -n "${TEST_CA:-}" ]] || die "set TEST_CA to the PEM file of the test certificate authority"
[[ -d "$SWIFTPM_HOME" ]] || die "SWIFTPM_HOME '$SWIFTPM_HOME' is not a directory"
[[ -f "$TEST_CA" ]] || die "TEST_CA '$TEST_CA' is not a file"
grep -q -- '-----BEGIN CERTIFICATE-----' "$TEST_CA" || die "TEST_CA '$TEST_CA' is not a PEM certificate"
[[ "$(id -u)" == 0 ]] || die "needs root: private mount namespaces and bind mounts need CAP_SYS_ADMIN"
command -v unshare >/dev/null || die "unshare (util-linux) is not installed"

system_bundle="${SWIFTPM_SYSTEM_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[[ -f "$system_bundle" ]] || die "system CA bundle '$system_bundle' not found (set SWIFTPM_SYSTEM_CA_BUNDLE)"

fake_home="$(cd "$SWIFTPM_HOME" && pwd -P)"
real_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
[[ -n "$real_home" && -d "$real_home" ]] || die "cannot find the home directory of uid $(id -u) in the password database"
real_home="$(cd "$real_home" && pwd -P)"
[[ "$fake_home" != "$real_home" ]] || die "SWIFTPM_HOME must not be the real home directory"

# The command has to stay reachable once the real home is hidden. A toolchain installed
# under the home (for example by swiftly) would disappear, so refuse that clearly.
command_path="$(command -v -- "$1")" || die "command '$1' not found on PATH"
if [[ "$command_path" == /* ]]; then
  resolved="$(readlink -f -- "$command_path")"
  case "$resolved/" in
    "$real_home"/*) die "'$1' resolves to $resolved, inside $real_home, which is hidden by the isolation" ;;
  esac
fi

# The bundle is rebuilt on every call, so a changed TEST_CA takes effect. It lives in the
# fake home, which needs no extra cleanup.
mkdir -p "$fake_home/.swiftpm-isolated"
bundle="$fake_home/.swiftpm-isolated/ca-bundle.crt"
cat "$system_bundle" > "$bundle"
printf '\n' >> "$bundle"
cat "$TEST_CA" >> "$bundle"

timeout_seconds="${SWIFTPM_ISOLATED_TIMEOUT:-}"
if [[ -n "$timeout_seconds" ]]; then
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || die "SWIFTPM_ISOLATED_TIMEOUT must be a whole number of seconds"
  command -v timeout >/dev/null || die "timeout (coreutils) is needed for SWIFTPM_ISOLATED_TIMEOUT"
fi

# Inside the namespace: mount the CA bundle first, while the paths under the real home
# still point where we expect, then the home directory. Clear the XDG variables so that
# caches and configuration fall back to the (now fake) home. `timeout` puts the command
# in its own process group and kills that whole group when the time runs out.
exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  bundle=$1 system_bundle=$2 fake_home=$3 real_home=$4 timeout_seconds=$5
  shift 5
  mount --bind "$bundle" "$system_bundle"
  mount --bind "$fake_home" "$real_home"
  export HOME="$real_home"
  unset XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME
  if [[ -n "$timeout_seconds" ]]; then
    exec timeout --kill-after=15 "$timeout_seconds" "$@"
  fi
  exec "$@"
' swiftpm-isolated "$bundle" "$system_bundle" "$fake_home" "$real_home" "$timeout_seconds" "$@"
