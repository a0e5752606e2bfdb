#!/usr/bin/env bash
# Builds the same commit twice, as two release engineers would, and checks the results are
# bit-identical: different checkout paths, CARGO_HOME, HOME, umask and times.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-reproducible.sh [TARGET]

Clones HEAD twice into different directories, builds each with scripts/build-rust.sh dist TARGET
(default x86_64-unknown-linux-musl) with its own CARGO_HOME, HOME, USER and umask, the second
with --no-sccache, and compares the sha256 of
both binaries and the archive. On a difference it shows what differs (diffoscope if installed,
else section sizes and strings). Ends with 'N passed, N failed'.
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -le 1 ] || { usage >&2; exit 2; }
target=${1:-x86_64-unknown-linux-musl}
targets | grep -x -- "$target" >/dev/null ||
  die "unknown target '$target'; supported targets (.cargo/config.toml): $(targets | words)" 2

root=$(repo_root)
work=$(mktemp -d)
[ -z "${TACHIKOMA_KEEP_WORK:-}" ] || log "keeping $work"
[ -n "${TACHIKOMA_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# The toolchains stay where they are when HOME changes.
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

build_copy() {
  local name=$1 umask_value=$2 sccache_option=$3 dir="$work/$1/checkout-of-$1"
  mkdir -p "$work/$name/home" "$work/$name/cargo-home"
  git clone --quiet --no-local "$root" "$dir"
  # Downloaded crates are reused (copied), so the two builds differ in where they live, not in
  # what they fetched.
  [ -d "$cargo_home/registry" ] && cp -a "$cargo_home/registry" "$work/$name/cargo-home/"
  log "building $name in $dir"
  (cd "$dir" && umask "$umask_value" &&
    env HOME="$work/$name/home" USER="builder-$name" LOGNAME="builder-$name" CARGO_HOME="$work/$name/cargo-home" \
      PATH="$cargo_home/bin:$PATH" scripts/build-rust.sh --install-missing ${sccache_option:+"$sccache_option"} dist "$target" >/dev/null)
}
# The first build runs as it would by default, the second with --no-sccache: the bytes must not
# depend on whether sccache is installed (build-rust.sh keeps it out of release-like builds).
build_copy first 0022 ""
sleep 2 # a different wall-clock second, in case anything still reads the clock
build_copy second 0077 --no-sccache

passed=0 failed=0
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
for file in "target/$target/dist/tachikoma" "target/$target/dist/tachikoma-server" \
  "target/dist/tachikoma-$version-$target.tar.gz" target/dist/SHA256SUMS; do
  a="$work/first/checkout-of-first/$file" b="$work/second/checkout-of-second/$file"
  sum_a=$(sha256sum "$a" | cut -d' ' -f1) sum_b=$(sha256sum "$b" | cut -d' ' -f1)
  if [ "$sum_a" = "$sum_b" ]; then
    passed=$((passed + 1))
    log "PASS $file: $sum_a"
  else
    failed=$((failed + 1))
    printf 'FAIL %s differs: %s vs %s\n' "$file" "$sum_a" "$sum_b" >&2
    if command -v diffoscope >/dev/null 2>&1; then
      diffoscope "$a" "$b" | head -n 60 >&2 || true
    elif [ "${file%.tar.gz}" = "$file" ]; then
      diff <(LC_ALL=C readelf -SW "$a" | awk '{print $2, $6}') <(LC_ALL=C readelf -SW "$b" | awk '{print $2, $6}') | head -n 20 >&2 || true
      diff <(strings -n 8 "$a" | sort -u) <(strings -n 8 "$b" | sort -u) | head -n 40 >&2 || true
    else
      diff <(tar -tvzf "$a") <(tar -tvzf "$b") | head -n 20 >&2 || true
    fi
  fi
done
# No build machine's paths may remain in what ships.
for file in tachikoma tachikoma-server; do
  binary="$work/first/checkout-of-first/target/$target/dist/$file"
  leaked=$(strings -n 6 "$binary" | grep -F -e "$work" -e "$cargo_home" -e "$RUSTUP_HOME" || true)
  if [ -n "$leaked" ]; then
    failed=$((failed + 1))
    printf 'FAIL %s embeds build paths:\n%s\n' "$file" "$(head -n 3 <<<"$leaked")" >&2
  else
    passed=$((passed + 1))
    log "PASS $file embeds no build paths"
  fi
done
# cargo-auditable's dependency list is in every dist binary, for `cargo audit bin`.
for file in tachikoma tachikoma-server; do
  binary="$work/first/checkout-of-first/target/$target/dist/$file"
  if LC_ALL=C readelf -SW "$binary" | grep -F '.dep-v0' >/dev/null; then
    passed=$((passed + 1))
    log "PASS $file carries its dependency list (.dep-v0)"
  else
    failed=$((failed + 1))
    printf 'FAIL %s has no .dep-v0 section: not built with cargo auditable\n' "$file" >&2
  fi
done
# The SBOMs name the binaries' dependencies.
sbom="$work/first/checkout-of-first/target/dist/tachikoma-$version-tachikoma-cli.cdx.json"
if grep -F '"name": "tokio"' "$sbom" >/dev/null || grep -F '"name":"tokio"' "$sbom" >/dev/null; then
  passed=$((passed + 1))
  log "PASS the CLI's SBOM lists its dependencies"
else
  failed=$((failed + 1))
  printf 'FAIL %s does not list tokio\n' "$sbom" >&2
fi
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
