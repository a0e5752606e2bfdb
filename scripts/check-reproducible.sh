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
  shallow clone, detached HEAD           full clone, on a branch
  CI=true, GITHUB_ACTIONS=true           no CI variable
  CARGO_HOME that does not exist yet     existing CARGO_HOME with its own config
  no compiler wrapper                    RUSTC_WRAPPER=sccache and build.rustc-wrapper = sccache
  HOME without git config                HOME whose ~/.gitconfig sets core.abbrev = 12
  USER=runner, umask 0022                USER=outsider, umask 0077
  one checkout path, one clock time      another path, minutes later

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
trap 'rm -rf "$work"' EXIT
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

# The outsider: a full clone on a branch, an existing CARGO_HOME (downloaded crates reused) whose
# config routes rustc through sccache, as does the environment, and a git config with another
# hash abbreviation.
outsider=$work/outsider
mkdir -p "$outsider/home" "$outsider/cargo-home"
git clone --quiet --no-local "$root" "$outsider/a/longer/path/checkout"
git -C "$outsider/a/longer/path/checkout" checkout --quiet -B outsiders-branch
printf '[core]\n\tabbrev = 12\n' >"$outsider/home/.gitconfig"
printf '[build]\nrustc-wrapper = "sccache"\n' >"$outsider/cargo-home/config.toml"
[ -d "$cargo_home/registry" ] && cp -a "$cargo_home/registry" "$outsider/cargo-home/"
build outsider "$outsider/a/longer/path/checkout" 0077 HOME="$outsider/home" CARGO_HOME="$outsider/cargo-home" \
  RUSTC_WRAPPER=sccache SCCACHE_DIR="$outsider/sccache"

# The outsider's ambient sccache must have compiled nothing: identical bytes alone would not show
# it, since sccache does not always change them. (A server the build started is still running and
# counts its requests; without one, a new server counts none.)
requests=$(SCCACHE_DIR="$outsider/sccache" sccache --show-stats 2>/dev/null | awk '/^Compile requests / { print $3; exit }')
SCCACHE_DIR="$outsider/sccache" sccache --stop-server >/dev/null 2>&1 || true
if [ "${requests:-}" = 0 ]; then pass "the outsider's ambient sccache compiled nothing"
else fail "the outsider's ambient sccache took ${requests:-an unknown number of} compile requests: release-like builds must not go through a wrapper"; fi

a_root=$runner/checkout b_root=$outsider/a/longer/path/checkout
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
    leaked=$(strings -n 6 "$side/$file" | grep -F -e "$work" -e "$cargo_home" -e "$RUSTUP_HOME" || true)
    if [ -n "$leaked" ]; then fail "$file embeds build paths: $(head -n 3 <<<"$leaked")"
    else pass "$file embeds no build paths (${side#"$work"/})"; fi
  done
done
tally
