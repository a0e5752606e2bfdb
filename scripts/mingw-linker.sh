#!/usr/bin/env bash
# rustc's linker for x86_64-pc-windows-gnu in release-like builds (scripts/build-rust.sh sets it):
# the MinGW-w64 gcc it wraps, run in the profile's directory of the target dir with the paths
# inside that directory made relative. GNU ld lays out the import table (.idata) sorted by the
# names of its input files, as given; rustc passes the import libraries it writes for raw-dylib
# imports (std's and windows-link's) by absolute path, in a temporary directory under the target
# directory, and MinGW's import libraries are under /usr. So the .exe's bytes depended on where
# the checkout was: one under /home or /tmp sorts before /usr, one under /work or /srv after
# (measured: the import table in another order, same size and strings). Relative names ("./...")
# sort before any absolute one, wherever the target directory is. (The toolchain's own rlibs, under
# RUSTUP_HOME, hold no import table of their own: scripts/check-reproducible.sh keeps RUSTUP_HOME
# for both sides, so a toolchain elsewhere is not tested.)
set -euo pipefail
case "${1:-}" in
  -h | --help)
    cat <<'USAGE'
Usage: scripts/mingw-linker.sh LINKER-ARGUMENTS... (rustc runs it as the linker)

Runs $TACHIKOMA_MINGW_LINKER (default x86_64-w64-mingw32-gcc) with the arguments, from the
directory above the output's (target/<triple>/<profile>), naming the files under it relatively.
USAGE
    exit 0 ;;
esac
linker=${TACHIKOMA_MINGW_LINKER:-x86_64-w64-mingw32-gcc}
output='' previous=''
for arg in "$@"; do
  case "$arg" in
    # rustc writes the arguments to a response file only when the command line is too long for
    # the system: its paths would stay absolute, and the bytes depend on the checkout's place.
    @*) echo "mingw-linker.sh: error: rustc passed a response file ($arg), whose paths cannot be made relative; link from a checkout with a shorter path" >&2
      exit 1 ;;
  esac
  [ "$previous" != -o ] || output=$arg
  previous=$arg
done
# Without an output in a deps/ directory (cargo's layout) there is nothing to anchor: as is.
case "$output" in
  /*/deps/*) base=${output%/deps/*} ;;
  *) exec "$linker" "$@" ;;
esac
args=()
for arg in "$@"; do
  case "$arg" in
    "$base"/*) args+=("./${arg#"$base"/}") ;;
    *) args+=("$arg") ;;
  esac
done
cd "$base"
exec "$linker" "${args[@]}"
