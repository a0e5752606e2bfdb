#!/bin/sh
# Runs a command with GNU bash (4.4 or later) and GNU coreutils first on PATH, as the other scripts
# need: on macOS, which ships bash 3.2 and BSD tools, Homebrew's (installed when missing; their
# current versions, not pinned as scripts/tools.txt pins the rest: any bash 4.4+ and coreutils
# do); elsewhere the command runs as it is. POSIX sh, so macOS's own shell can run it.
set -eu

case "${1:-}" in
  -h | --help)
    echo "Usage: scripts/gnu-env.sh COMMAND [ARGS...]   (e.g. scripts/gnu-env.sh scripts/build-rust.sh dist)"
    exit 0 ;;
  "")
    echo "Usage: scripts/gnu-env.sh COMMAND [ARGS...]" >&2
    exit 2 ;;
esac

if [ "$(uname -s)" = Darwin ]; then
  command -v brew >/dev/null 2>&1 || { echo "gnu-env.sh: Homebrew is missing: https://brew.sh" >&2; exit 1; }
  prefix=$(brew --prefix)
  if [ ! -x "$prefix/bin/bash" ] || [ ! -d "$prefix/opt/coreutils/libexec/gnubin" ]; then
    brew install bash coreutils >&2
  fi
  PATH="$prefix/opt/coreutils/libexec/gnubin:$prefix/bin:$PATH"
  export PATH
fi
exec "$@"
