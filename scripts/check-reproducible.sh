#!/usr/bin/env bash
# Builds HEAD twice, once the way .github/workflows/release.yml does and once the way README's
# "Verifying a release" recipe does, and checks that the release files are bit-identical.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-reproducible.sh [TARGET...]

Builds HEAD with scripts/build-rust.sh dist TARGET... (default x86_64-unknown-linux-musl) twice
and compares every release file (archives, .sha256, SBOMs, SHA256SUMS) and the binaries:

  release runner                         outsider following README
  shallow clone, detached HEAD           full clone, on a branch, owned by uid 4242 (as root)
  CI=true, GITHUB_ACTIONS=true           no CI variable
  CARGO_HOME that does not exist yet     existing CARGO_HOME whose config.toml sets rustflags,
                                         build.incremental and build.rustc-wrapper = sccache
  no compiler wrapper                    RUSTC_WRAPPER=sccache
  no cargo config but the project's      a parent directory's .cargo/config.toml (alias, term)
  HOME without git config                HOME whose ~/.gitconfig sets core.abbrev = 12
  plain environment                      a Nix dev shell's: IN_NIX_SHELL, CC, CXX, AR,
                                         NIX_CFLAGS_COMPILE, per-target CC_/AR_/LINKER by path
  USER=runner, umask 0022                USER=outsider, umask 0077
  one checkout path, one clock time      a path with spaces (HOME, CARGO_HOME and TMPDIR too),
                                         on the other side of /usr in sort order
                                         (/var/tmp or /tmp), minutes later

On a difference it shows what differs (diffoscope if installed). Also checks that no
build-machine path is left in the binaries and that the outsider's sccache compiled nothing.
Ends with 'N passed, N failed'.
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; -*) usage >&2; exit 2 ;; esac
build_targets=("$@")
[ $# -gt 0 ] || build_targets=(x86_64-unknown-linux-musl)
for target in "${build_targets[@]}"; do
  targets | grep -x -- "$target" >/dev/null ||
    die "unknown target '$target'; supported targets (.cargo/config.toml): $(targets | words)" 2
done
ensure_tools check git sccache

root=$(repo_root)
work=$(mktemp -d)
outsider=
trap 'rm -rf "$work" ${outsider:+"$outsider"}' EXIT
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# The toolchains stay where they are when HOME changes; the pinned tools too (PATH).
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

# build NAME CLONE_DIR UMASK ENV...: scripts/build-rust.sh dist TARGET... in CLONE_DIR as NAME, with
# only the environment given (plus PATH and RUSTUP_HOME).
build() {
  local name=$1 dir=$2 umask_value=$3
  shift 3
  log "building as the $name in $dir"
  # A toolchain set up through the environment (a Nix dev shell's linkers, C compilers and
  # runners) is part of the machine both builders share.
  local toolchain
  mapfile -t toolchain < <(env | grep -E '^(CARGO_TARGET_[A-Z0-9_]+_(LINKER|RUNNER)|(CC|CXX|AR)_[a-z0-9_]+|IN_NIX_SHELL)=' || true)
  (cd "$dir" && umask "$umask_value" &&
    env -i PATH="$PATH" RUSTUP_HOME="$RUSTUP_HOME" TERM=dumb LOGNAME="$name" USER="$name" \
      ${toolchain[@]+"${toolchain[@]}"} "$@" scripts/build-rust.sh --install-missing dist "${build_targets[@]}" >/dev/null)
}

# The release runner: actions/checkout makes a shallow clone with a detached HEAD; GitHub sets CI;
# a fresh cache directory is a CARGO_HOME that does not exist yet.
runner=$work/runner
mkdir -p "$runner/home"
git clone --quiet --depth 1 "file://$root" "$runner/checkout"
git -C "$runner/checkout" checkout --quiet --detach
build runner "$runner/checkout" 0022 HOME="$runner/home" CARGO_HOME="$runner/cargo-home-not-yet-created" \
  CI=true GITHUB_ACTIONS=true

sleep 2 # the clock moves on, in case anything still reads it

# The outsider: a full clone on a branch, in a path with spaces (so are its HOME, CARGO_HOME and
# temporary directory), owned by another user when this runs as root (a GitHub container job's
# checkout); an existing CARGO_HOME (downloaded crates reused) whose config routes rustc through
# sccache, as does the environment, and sets flags the build must override; a parent
# directory's cargo config with settings that cannot change the bytes; a git config with another
# hash abbreviation; and a Nix dev shell's environment: nixpkgs' stdenv CC, CXX and AR, its
# compiler wrapper's flags, and per-target compilers by absolute path (this machine's, so the
# toolchain is the same).
# Its place sorts on the other side of /usr (where MinGW's and other system libraries are) from
# the runner's: a linker that orders its inputs by path must not make the bytes depend on it.
# (Byte order, as ld sorts, not the locale's.)
if [ "$(printf '%s\n' "$work" /usr | LC_ALL=C sort | head -n 1)" != /usr ]; then outsider_parent=/var/tmp; else outsider_parent=/tmp; fi
outsider=$(mktemp -d "$outsider_parent/tachikoma-outsider.XXXXXX")
checkout="$outsider/a path with spaces/checkout"
mkdir -p "$outsider/home dir" "$outsider/cargo home" "$outsider/tmp dir" "$outsider/a path with spaces/.cargo"
git clone --quiet --no-local "$root" "$checkout"
git -C "$checkout" checkout --quiet -B outsiders-branch
printf '[core]\n\tabbrev = 12\n' >"$outsider/home dir/.gitconfig"
cat >"$outsider/cargo home/config.toml" <<'CONFIG'
[build]
rustc-wrapper = "sccache"
rustflags = ["-C", "target-cpu=native"]
incremental = true
jobs = 2

[target.x86_64-unknown-linux-musl]
rustflags = ["-C", "target-cpu=native"]

[net]
retry = 5
CONFIG
printf '[alias]\nxb = "build"\n\n[term]\ncolor = "never"\n' >"$outsider/a path with spaces/.cargo/config.toml"
[ -d "$cargo_home/registry" ] && cp -a "$cargo_home/registry" "$outsider/cargo home/"
if [ "$(id -u)" = 0 ]; then
  chown -R 4242:4242 "$outsider/a path with spaces"
  log "the outsider's checkout belongs to uid 4242; root builds it"
else
  log "not root: the outsider's checkout is not given to another user (the ownership condition needs root)"
fi
nix_like=(IN_NIX_SHELL=impure CC=gcc CXX=g++ AR=ar NIX_CFLAGS_COMPILE="-frandom-seed=outsider" NIX_LDFLAGS="")
for target in "${build_targets[@]}"; do
  triple=${target//-/_}
  # A Nix shell sets a compiler and linker for its glibc targets too, which Zig must replace.
  case "$(cargo_build_command "$target") $target" in
    "zigbuild "*-linux-gnu)
      nix_like+=("CC_$triple=$(command -v cc)" "$(target_variable "$target" linker)=$(command -v cc)") ;;
  esac
  [ "$(cargo_build_command "$target")" = build ] || continue
  compiler=$(config_env "CC_$triple")
  compiler=$(command -v "${compiler:-cc}")
  nix_like+=("CC_$triple=$compiler")
  archiver=$(config_env "AR_$triple")
  [ -z "$archiver" ] || nix_like+=("AR_$triple=$(command -v "$archiver")")
  linker=$(target_setting "$target" linker)
  [ -z "$linker" ] || nix_like+=("$(target_variable "$target" linker)=$(command -v "$linker")")
done
# The outsider's sccache server listens on a port of its own: a developer's own server (on the
# default port) must neither serve this build nor answer for it below.
sccache_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
build outsider "$checkout" 0077 HOME="$outsider/home dir" CARGO_HOME="$outsider/cargo home" \
  TMPDIR="$outsider/tmp dir" RUSTC_WRAPPER=sccache SCCACHE_DIR="$outsider/sccache" \
  SCCACHE_SERVER_PORT="$sccache_port" "${nix_like[@]}"

# The outsider's ambient sccache must have compiled nothing: identical bytes alone would not show
# it, since sccache does not always change them. (A server the build started is still running and
# counts its requests; without one, a new server counts none.)
export SCCACHE_DIR="$outsider/sccache" SCCACHE_SERVER_PORT=$sccache_port
requests=$(sccache --show-stats 2>/dev/null | awk '/^Compile requests / { print $3; exit }')
sccache --stop-server >/dev/null 2>&1 || true
unset SCCACHE_DIR SCCACHE_SERVER_PORT
if [ "${requests:-}" = 0 ]; then pass "the outsider's ambient sccache compiled nothing"
else fail "the outsider's ambient sccache took ${requests:-an unknown number of} compile requests: release-like builds must not go through a wrapper"; fi

a_root=$runner/checkout b_root=$checkout
distrib=$(realpath -m --relative-to="$root" "$(release_dir)")
files_a=$(cd "$a_root/$distrib" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
files_b=$(cd "$b_root/$distrib" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
if [ "$files_a" = "$files_b" ]; then pass "both builds published the same files: $(words <<<"$files_a")"
else fail "the builds published different files: $(words <<<"$files_a") / $(words <<<"$files_b")"; fi

# The binaries as cargo left them too: the archives could hide a difference the packing evens out.
shipped_files() {
  for target in "${build_targets[@]}"; do
    shipped_binaries | while read -r _ binary; do echo "target/$target/dist/$(executable_name "$target" "$binary")"; done
  done
}
mapfile -t compared < <(while read -r file; do echo "$distrib/$file"; done <<<"$files_a"; shipped_files)
for file in "${compared[@]}"; do
  a="$a_root/$file" b="$b_root/$file"
  sum_a=$(sha256sum "$a" | cut -d' ' -f1) sum_b=$(sha256sum "$b" 2>/dev/null | cut -d' ' -f1)
  if [ "$sum_a" = "$sum_b" ]; then
    pass "$file: $sum_a"
  else
    fail "$file differs: $sum_a vs ${sum_b:-missing}"
    if command -v diffoscope >/dev/null 2>&1; then
      diffoscope "$a" "$b" 2>&1 | head -n 60 >&2 || true
    else
      cmp "$a" "$b" | head -n 3 >&2 || true
    fi
  fi
done

# No build machine's paths may remain in what ships.
for file in $(shipped_files); do
  for side in "$a_root" "$b_root"; do
    leaked=$(strings -n 6 "$side/$file" | grep -F -e "$work" -e "$outsider" -e "$root/" -e "$cargo_home" -e "$RUSTUP_HOME" || true)
    if [ -n "$leaked" ]; then fail "$file embeds build paths: $(head -n 3 <<<"$leaked")"
    else pass "$file embeds no build paths (${side#"$work"/})"; fi
  done
done
tally
