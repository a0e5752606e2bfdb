#!/usr/bin/env bash
# Builds the Tachikoma binaries for one cargo profile and one target (or every target).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/build-rust.sh [OPTIONS] PROFILE [TARGET|all]

Builds tachikoma and tachikoma-server with a cargo profile of Cargo.toml for TARGET (default:
this machine's), or for every supported target with 'all', and reports the binaries' sizes.

Profiles: $(profiles | words)
Targets:  $(targets | words)

Options:
  --install-missing        install a missing target std (rustup) or linker (apt) instead of failing
  --features LIST          cargo features to enable (comma-separated)
  --no-default-features    build without the default features
  --json                   print the report as JSON on stdout (logs stay on stderr)
  -h, --help               show this help

sccache is used when installed (RUSTC_WRAPPER), never required. For release-like profiles,
SOURCE_DATE_EPOCH defaults to the last commit's time, so rebuilds stamp the same build time.
USAGE
}

install_missing=false json=false cargo_args=() positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --install-missing) install_missing=true ;;
    --json) json=true ;;
    --no-default-features) cargo_args+=(--no-default-features) ;;
    --features) [ $# -ge 2 ] || die "--features needs a value" 2; cargo_args+=(--features "$2"); shift ;;
    --features=*) cargo_args+=(--features "${1#--features=}") ;;
    -*) die "unknown option $1 (see --help)" 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
if [ ${#positional[@]} -lt 1 ] || [ ${#positional[@]} -gt 2 ]; then usage >&2; exit 2; fi
profile=${positional[0]}
target=${positional[1]:-$(host_target)}

profiles | grep -x -- "$profile" >/dev/null ||
  die "unknown profile '$profile'; the profiles of Cargo.toml are: $(profiles | words)" 2
if [ "$target" = all ]; then
  mapfile -t build_targets < <(targets)
else
  targets | grep -x -- "$target" >/dev/null ||
    die "unknown target '$target'; supported targets (.cargo/config.toml): $(targets | words)" 2
  build_targets=("$target")
fi

# Fail fast, before cargo, with the command that fixes what is missing.
check_prerequisites() {
  local target=$1 tool
  if ! rustup target list --installed 2>/dev/null | grep -x "$target" >/dev/null; then
    die "the Rust standard library for $target is not installed; run: rustup target add $target"
  fi
  while read -r tool; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool, the linker or C compiler for $target, is missing; run: sudo apt-get install $(debian_package_of "$tool")"
  done < <(target_tools "$target")
}

cd "$(repo_root)"
command -v cargo >/dev/null 2>&1 || die "cargo is missing; install Rust with rustup: https://rustup.rs"

if command -v sccache >/dev/null 2>&1 && [ -z "${RUSTC_WRAPPER:-}" ]; then
  export RUSTC_WRAPPER=sccache
  log "using sccache"
fi
case "$profile" in
  dev | test | ci) ;;
  *)
    if [ -z "${SOURCE_DATE_EPOCH:-}" ] && epoch=$(git log -1 --format=%ct 2>/dev/null); then
      export SOURCE_DATE_EPOCH=$epoch
    fi
    ;;
esac

report=()
for target in "${build_targets[@]}"; do
  if $install_missing; then ensure_target_prerequisites "$target"; else check_prerequisites "$target"; fi
  log "building profile $profile for $target"
  cargo build --locked --profile "$profile" --target "$target" \
    -p tachikoma-cli -p tachikoma-server ${cargo_args[@]+"${cargo_args[@]}"} >&2
  out_dir="target/$target/$(profile_dir "$profile")"
  for binary in tachikoma tachikoma-server; do
    path="$out_dir/$binary"
    [ -f "$path" ] || die "cargo reported success but $path is missing"
    bytes=$(stat -c %s "$path")
    log "  $binary: $bytes bytes ($(numfmt --to=iec "$bytes")) at $path"
    report+=("$(printf '{"target":"%s","profile":"%s","binary":"%s","path":"%s","bytes":%s}' \
      "$target" "$profile" "$binary" "$path" "$bytes")")
  done
done

if $json; then
  (IFS=,; printf '[%s]\n' "${report[*]}")
fi
log "done"
