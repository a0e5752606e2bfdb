#!/usr/bin/env bash
# Shrinks a built binary: strip with the strip of its architecture, then optionally UPX.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/optimize-binary.sh BINARY

Strips BINARY in place (the strip for its architecture: x86-64 or AArch64) and, with
USE_UPX=true, compresses it with UPX (Debian: upx-ucl; slower start-up, smaller download).
Prints the size before and after.
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
binary=$1
[ -f "$binary" ] || die "no such file: $binary" 2
[ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$binary is not an ELF binary" 2

machine=$(LC_ALL=C readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
case "$machine" in
  *X86-64*) strip_tool="strip" ;;
  # Debian's cross binutils, or the one beside a Nix dev shell's cross C compiler.
  *AArch64*) strip_tool=aarch64-linux-gnu-strip
    cc=${CC_aarch64_unknown_linux_gnu:-}
    if [ "${cc%-cc}" != "$cc" ] && [ -x "${cc%cc}strip" ]; then strip_tool=${cc%cc}strip; fi ;;
  *) die "$binary is for '$machine', which this project does not target" 2 ;;
esac
command -v "$strip_tool" >/dev/null 2>&1 ||
  die "$strip_tool is missing; run: sudo apt-get install binutils$( [ "$strip_tool" = strip ] || echo -aarch64-linux-gnu)"

before=$(stat -c %s "$binary")
"$strip_tool" --strip-all "$binary"
if [ "${USE_UPX:-false}" = true ]; then
  command -v upx >/dev/null 2>&1 || die "USE_UPX=true but upx is missing; run: sudo apt-get install upx-ucl"
  upx --best --lzma -q "$binary" >&2
fi
after=$(stat -c %s "$binary")
log "$binary: $before -> $after bytes ($(numfmt --to=iec "$before") -> $(numfmt --to=iec "$after"))"
