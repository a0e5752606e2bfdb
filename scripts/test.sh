#!/usr/bin/env bash
# The whole test suite, with its own set-up: what CI (.ci/run) and developers run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/test.sh [--no-install]

Installs what the tests need when it is missing (the pinned Rust toolchain and its targets, and
scripts/tools.txt's Debian packages, cargo tools and PyPI tools, the latter into a virtual
environment of their own), then runs: rustfmt, clippy, rustdoc and cargo-hack's feature
checks (warnings are errors), cargo-deny, shellcheck, the workflow linters, the Nix checks, the
workspace tests (cargo nextest, profile ci), the release check (every target this machine builds,
run where it can and checked), the archives run as users unpack them, the build-script tests,
the users' conditions and the reproducibility check (x86_64 musl and glibc, Windows GNU, Apple
silicon). --no-install fails on a missing tool instead of installing it.
USAGE
}
install=true
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --no-install) install=false ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

cd "$(repo_root)"
# Each stage's start, in seconds since the suite began: the breakdown of its time.
stage() { log "[${SECONDS} s] $*"; }
command -v cargo >/dev/null 2>&1 || die "cargo is missing; install Rust with rustup: https://rustup.rs"

# What the suite runs, each from scripts/tools.txt at its pinned version, and every target's
# linker and C compiler.
tools=(git node shellcheck qemu-aarch64 wine nix-instantiate sccache jq
  cargo-nextest cargo-hack cargo-hakari cargo-deny cargo-auditable cargo-cyclonedx rust-audit-info
  nixpkgs-fmt deadnix actionlint zizmor)
mapfile -t all_targets < <(targets)
if $install; then
  ensure_toolchain
  mode=install
else
  mode=check
fi
ensure_tools "$mode" "${tools[@]}"
for target in "${all_targets[@]}"; do ensure_target_prerequisites "$mode" "$target"; done
# The addon checks' tables and Node for musl (unpacked, not installed).
ensure_unpacked "$mode" node-api-headers >/dev/null
for target in "${all_targets[@]}"; do
  case "$target" in *-linux-musl) ensure_unpacked "$mode" "musl-node-${target%%-*}" >/dev/null ;; esac
done

stage "cargo xtask lint (its stages below)"
cargo xtask lint
stage "features: each one alone, and every combination of the backends (clippy, warnings are errors)"
cargo hack clippy --locked --workspace --each-feature --profile ci -- -D warnings
cargo hack clippy --locked -p tachikoma-backends --feature-powerset --exclude-features all-backends \
  --profile ci -- -D warnings
stage "cargo-deny: licenses, bans, sources"
cargo deny --locked check licenses bans sources
stage "cargo-deny: advisories"
if advisories=$(cargo deny --locked check advisories 2>&1); then
  log "no known advisories"
elif grep -F "failed to fetch advisory database" <<<"$advisories" >/dev/null; then
  warn "advisories NOT checked: the RustSec database cannot be fetched from this network." \
    "Run 'cargo deny check advisories' where github.com is reachable (the GitHub CI and 'nix flake check' do)."
else
  printf '%s\n' "$advisories" >&2
  die "cargo deny found advisories"
fi
stage "GitHub workflows: actionlint (with shellcheck on every run: script), zizmor"
actionlint
zizmor --offline --quiet --persona=auditor .github/workflows
stage "nix: the flake ships the binaries the scripts do"
nix_eval() { nix --extra-experimental-features nix-command --store dummy:// eval "$@"; }
# The shipped binaries and their features stand in scripts/lib.sh and nix/packages.nix (Nix can
# neither read shell nor run cargo while evaluating).
nix_shipped=$(nix_eval --raw --file nix/tests/shipped-packages.nix)
scripts_shipped=$(shipped_binaries | while read -r package binary; do
  echo "$package $binary $(resolved_features "$package" x86_64-unknown-linux-musl) $(version_json_args "$binary")"
done)
[ "$nix_shipped" = "$scripts_shipped" ] ||
  die "nix/packages.nix ships, as 'package binary features arguments':
$nix_shipped
but scripts/lib.sh's shipped_binaries, with cargo's features and version_json_args:
$scripts_shipped"
stage "workspace tests"
cargo nextest run --locked --workspace --cargo-profile ci
stage "workspace tests of optional features: mimalloc, hot-reload, debug-logging"
cargo nextest run --locked --cargo-profile ci -p tachikoma-common-core -p tachikoma-server \
  --features tachikoma-common-core/mimalloc,tachikoma-server/dev
stage "tests of tachikoma-common-core on x86_64 musl, release profile (its own memcpy, optimized as shipped)"
cargo nextest run --locked --cargo-profile release --target x86_64-unknown-linux-musl -p tachikoma-common-core
mapfile -t memcpy_objects < <(find target/x86_64-unknown-linux-musl/release/build -name libtachikoma_memcpy.a)
[ ${#memcpy_objects[@]} -gt 0 ] || die "no libtachikoma_memcpy.a was built for x86_64 musl"
# A memcpy calls nothing (not even itself: a compiler may turn a copy loop into a call to memcpy):
# its object has no relocation to a function.
for object in "${memcpy_objects[@]}"; do
  ! objdump -dr "$object" | grep -E 'R_X86_64_(PLT32|PC32|GOTPCREL)' ||
    die "$object calls a function: a memcpy must call nothing"
done
stage "the release as it ships: every target built, run and checked, with its SBOMs"
scripts/check-release.sh
stage "nix/check-static-binary.sh, the Nix check dist-musl-static's script, on these dist binaries"
# The dynamic glibc binary gets the expectation it meets (its own target): only its program
# interpreter can make the check refuse it, and it must say so.
reports() { resolved_features "$1" "$2" | jq -Rc --arg target "$2" 'split(",") | [$target, "dist", map(select(. != ""))]'; }
while read -r package binary; do
  read -r -a args <<<"$(version_json_args "$binary")"
  bash nix/check-static-binary.sh "target/x86_64-unknown-linux-musl/dist/$binary" \
    "$(reports "$package" x86_64-unknown-linux-musl)" "${args[@]}"
  if refusal=$(bash nix/check-static-binary.sh "target/x86_64-unknown-linux-gnu/dist/$binary" \
    "$(reports "$package" x86_64-unknown-linux-gnu)" "${args[@]}" 2>&1); then
    die "nix/check-static-binary.sh passed the dynamic glibc $binary"
  fi
  grep -F "dynamically linked" <<<"$refusal" >/dev/null ||
    die "nix/check-static-binary.sh refused the glibc $binary for another reason than its interpreter: $refusal"
done < <(shipped_binaries)
stage "the release archives as users unpack them, run on this machine (natively, qemu, Wine)"
for target in "${all_targets[@]}"; do
  if can_run "$target"; then scripts/check-archive.sh "$target"; fi
done
stage "build-script tests"
scripts/check-scripts.sh
stage "the build under its users' conditions (cargo configs, a Nix shell, git failing, tool versions, every option)"
scripts/check-conditions.sh
stage "reproducible dist build"
scripts/check-reproducible.sh x86_64-unknown-linux-musl x86_64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-apple-darwin
stage "all tests passed"
