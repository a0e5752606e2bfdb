#!/usr/bin/env bash
# rustc's dlltool for x86_64-pc-windows-gnu (`-C dlltool`, which scripts/build-rust.sh passes):
# MinGW-w64's dlltool, with its temporary files in a directory whose path has no space. dlltool
# runs the assembler through a command line that it splits at spaces, and rustc puts those files
# (--temp-prefix) in the target directory: in a checkout path with a space, windows-sys failed
# to build ("can't open path for reading"). The files keep their names; only the directory
# moves, and they are gone when dlltool is.
set -euo pipefail
case "${1:-}" in
  -h | --help)
    echo "Usage: scripts/mingw-dlltool.sh DLLTOOL-ARGUMENTS... (rustc runs it as -C dlltool)"
    exit 0 ;;
esac
tmp_root=${TMPDIR:-/tmp}
case "$tmp_root" in *" "*) tmp_root=/tmp ;; esac
tmp=$(mktemp -d "$tmp_root/tachikoma-dlltool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t | --temp-prefix)
      [ $# -ge 2 ] || { echo "mingw-dlltool.sh: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$tmp/${2##*/}")
      shift 2 ;;
    --temp-prefix=*) args+=("--temp-prefix=$tmp/${1##*/}"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
"${TACHIKOMA_DLLTOOL:-x86_64-w64-mingw32-dlltool}" "${args[@]}"
