# shellcheck shell=bash
# check-static-binary.sh BINARY WANT ARGS...: BINARY requests no program interpreter (dynamic
# loader), and run with ARGS prints build metadata whose [.target, .profile, .features] is the
# JSON WANT. The Nix check dist-musl-static runs it on the musl dist binaries; scripts/test.sh
# runs it on the scripts' own, and on a dynamic binary that it must refuse.
set -euo pipefail
binary=$1 want=$2
shift 2
headers=$(mktemp)
info=$(mktemp)
trap 'rm -f "$headers" "$info"' EXIT
# To a file first: with pipefail, `readelf | grep -q` could fail on SIGPIPE and read as "no INTERP".
readelf -l "$binary" >"$headers"
if ! grep -q '^Program Headers:' "$headers"; then
  echo "$binary: readelf shows no program headers" >&2
  exit 1
fi
if grep -q INTERP "$headers"; then
  echo "$binary: dynamically linked:" >&2
  grep -e INTERP -e 'program interpreter' "$headers" >&2
  exit 1
fi
"$binary" "$@" >"$info"
got=$(jq -c '[.target, .profile, .features]' "$info")
if [ "$got" != "$want" ]; then
  echo "$binary: reports $got, want $want" >&2
  exit 1
fi
echo "$binary: static, $got"
