#!/usr/bin/env bash
# Runs a Windows program under Wine, as cargo's runner for x86_64-pc-windows-gnu
# (.cargo/config.toml) and for the scripts' checks of the Windows binaries.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/wine-run.sh PROGRAM.exe [ARGS...]

Runs PROGRAM.exe with Debian's Wine, in a Wine prefix of the scripts' own, with a test-only
bcryptprimitives.dll (scripts/wine/bcryptprimitives.c, built with MinGW-w64): Debian 12's Wine 8.0
lacks that DLL, which Rust's std imports, and refuses to start any Rust program without it.
USAGE
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac

ensure_tools check wine x86_64-w64-mingw32-gcc

# The stand-in DLL, rebuilt when its source changes.
source_file=$(repo_root)/scripts/wine/bcryptprimitives.c
dll_dir=$(tools_dir)/wine/dll-$(sha256sum "$source_file" | cut -c1-16)
if [ ! -f "$dll_dir/bcryptprimitives.dll" ]; then
  mkdir -p "$dll_dir"
  # Built beside and renamed into place, so concurrent first runs never see half a DLL.
  built=$(mktemp "$dll_dir/build.XXXXXX")
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$built" "$source_file" -ladvapi32
  mv "$built" "$dll_dir/bcryptprimitives.dll"
fi

# WINEPATH adds the DLL's directory to the program's DLL search path.
WINEPREFIX=$(tools_dir)/wine/prefix
export WINEPREFIX WINEDEBUG=-all WINEPATH="Z:${dll_dir//\//\\}"
# A new prefix is set up once, quietly (Wine would report it on the program's stderr).
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wine wineboot --init >/dev/null 2>&1 || die "Wine could not set up its prefix $WINEPREFIX"
fi
exec wine "$@"
