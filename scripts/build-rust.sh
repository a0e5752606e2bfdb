#!/usr/bin/env bash
# Builds the Tachikoma binaries for one cargo profile and some targets (or every target).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/build-rust.sh [OPTIONS] PROFILE [TARGET...|all]

Builds the shipped binaries ($(shipped_binaries | cut -d' ' -f2 | words)) with a cargo profile of
Cargo.toml for each TARGET (default: this machine's), or with 'all' for every supported target
this machine can build (Linux: all but MSVC; a Mac: macOS; Windows: MSVC), each binary in a cargo
run of its own so that it has exactly its own features, and reports their sizes. Off a Mac,
macOS targets are linked with cargo-zigbuild.

Profiles: $(profiles | words)
Targets:  $(targets | words)

Options:
  --install-missing        install what is missing (target std, linker, pinned cargo tools)
                           instead of failing with the command that installs it
  --package PACKAGE        build only this package ($(shipped_binaries | cut -d' ' -f1 | words));
                           not with dist, whose archives hold every binary
  --no-sccache             do not use sccache even when it is installed
  --features LIST          cargo features of each package built (comma-separated)
  --no-default-features    build without the default features
  --json                   print the report as JSON on stdout (logs stay on stderr)
  -h, --help               show this help

Release-like profiles (every one but dev, test and ci) build reproducibly: the bytes depend only
on the commit and the pinned toolchain and tools. The commit's full hash ("-dirty" for a changed
work tree) and time are embedded (without git, SOURCE_DATE_EPOCH must be set), local paths are
remapped, no compiler wrapper is used (not sccache, not RUSTC_WRAPPER or build.rustc-wrapper),
compilers, C flags and cargo settings in the environment are refused (CARGO_INCREMENTAL=0,
which these profiles do anyway, excepted), and what only the build
machine knows is left out (git_branch is "unknown", ci is false). sccache is used for dev, test
and ci when installed.

The dist profile builds with cargo-auditable (each binary carries its dependency list), also
builds the Node addon where one ships (tachikoma.<napi-rs platform>.node: Linux glibc, macOS,
Windows MSVC), and writes the release to target/distrib/: per target an archive
tachikoma-<version>-<target>.tar.gz (.zip for Windows) with the binaries, the addon, README.md
and LICENSE, its .sha256, a CycloneDX SBOM per binary and addon
(tachikoma-<version>-<target>-<file>.cdx.json); and SHA256SUMS over them all.
USAGE
}

install_missing=false json=false use_sccache=true cargo_args=() positional=() only_package=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --install-missing) install_missing=true ;;
    --json) json=true ;;
    --no-sccache) use_sccache=false ;;
    --no-default-features) cargo_args+=(--no-default-features) ;;
    --features) [ $# -ge 2 ] || die "--features needs a value" 2; cargo_args+=(--features "$2"); shift ;;
    --features=*) cargo_args+=(--features "${1#--features=}") ;;
    --package) [ $# -ge 2 ] || die "--package needs a value" 2; only_package=$2; shift ;;
    -*) die "unknown option $1 (see --help)" 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
if [ ${#positional[@]} -lt 1 ]; then usage >&2; exit 2; fi
profile=${positional[0]}
requested_targets=("${positional[@]:1}")
[ ${#requested_targets[@]} -gt 0 ] || requested_targets=("$(host_target)")

profiles | grep -x -- "$profile" >/dev/null ||
  die "unknown profile '$profile'; the profiles of Cargo.toml are: $(profiles | words)" 2
build_targets=()
if [ "${requested_targets[*]}" = all ]; then
  for target in $(targets); do
    if [ -n "$(cargo_build_command "$target")" ]; then build_targets+=("$target")
    else log "not building $target: it is built on its own system (README, \"Targets\")"; fi
  done
else
  for target in "${requested_targets[@]}"; do
    targets | grep -x -- "$target" >/dev/null ||
      die "unknown target '$target'; supported targets (.cargo/config.toml): $(targets | words), or all" 2
    [ -n "$(cargo_build_command "$target")" ] ||
      die "$target cannot be built on $(host_target): it needs its own system's linker and SDK (README, \"Targets\")" 2
    build_targets+=("$target")
  done
fi
mapfile -t binaries < <(shipped_binaries)
if [ -n "$only_package" ]; then
  mapfile -t binaries < <(shipped_binaries | awk -v p="$only_package" '$1 == p')
  [ ${#binaries[@]} -gt 0 ] ||
    die "unknown package '$only_package'; the shipped packages are: $(shipped_binaries | cut -d' ' -f1 | words)" 2
  [ "$profile" != dist ] || die "--package does not go with dist: a dist archive holds every shipped binary" 2
fi
mode=check
if $install_missing; then mode=install; fi

cd "$(repo_root)"
command -v cargo >/dev/null 2>&1 || die "cargo is missing; install Rust with rustup: https://rustup.rs"
if $install_missing; then ensure_toolchain; fi

# Release-like profiles build reproducibly: the same commit gives the same bytes whatever the
# checkout, its path, CARGO_HOME, user, environment or clock.
reproducible=false
case "$profile" in dev | test | ci) ;; *) reproducible=true ;; esac
if $reproducible; then
  reproducible_environment "$profile"
elif $use_sccache && command -v sccache >/dev/null 2>&1 && [ -z "${RUSTC_WRAPPER:-}" ]; then
  export RUSTC_WRAPPER=sccache
  log "using sccache"
fi

# The build metadata's profile, said rather than guessed from cargo's output directory (bench
# shares release's).
export TACHIKOMA_PROFILE=$profile
# Shipped binaries carry their dependency list for `cargo audit bin` (cargo-auditable), and a
# release has an SBOM per binary (cargo-cyclonedx, cut down to what the build compiled: jq).
cargo=(cargo)
ensure_tools "$mode" jq
if [ "$profile" = dist ]; then
  ensure_tools "$mode" cargo-auditable cargo-cyclonedx
  cargo=(cargo auditable)
fi
version=$(workspace_version)
distrib=$(release_dir)

# build PACKAGE TARGET: one cargo run, whose messages say where its artifacts are
# (target/<triple>/<profile's directory>/) and which packages it compiled for the target (not
# host-only proc macros and build scripts): what the SBOM lists. Leaves the messages in $messages.
build() {
  local command rustflags variables=()
  command=$(cargo_build_command "$2")
  # cargo-zigbuild picks Zig's macOS version from its own environment, before cargo's [env]
  # reaches rustc: without this, Zig's newest.
  [ "$command" != zigbuild ] ||
    variables+=("MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-$(config_env MACOSX_DEPLOYMENT_TARGET)}")
  # The target's rustflags of .cargo/config.toml, which the reproducible builds' path remapping
  # (CARGO_ENCODED_RUSTFLAGS) would otherwise replace.
  rustflags=$(target_setting "$2" rustflags)
  if [ -n "${CARGO_ENCODED_RUSTFLAGS:-}" ] && [ -n "$rustflags" ]; then
    # shellcheck disable=SC2086 # one word per flag
    variables+=("CARGO_ENCODED_RUSTFLAGS=$CARGO_ENCODED_RUSTFLAGS$(printf '\x1f%s' $rustflags)")
  fi
  env ${variables[@]+"${variables[@]}"} "${cargo[@]}" "$command" --locked --profile "$profile" --target "$2" -p "$1" \
    ${cargo_args[@]+"${cargo_args[@]}"} --message-format=json-render-diagnostics >"$messages"
  [ "$command" != zigbuild ] || fix_macho_uuids "$messages"
  # (Paths with / or \ (Windows); the triple without slashes, which Git Bash would rewrite.)
  if [ "$profile" = dist ]; then
    jq -n -c --arg target "$2" '[inputs | select(.reason == "compiler-artifact")
      | select(any(.filenames[]; gsub("\\\\"; "/") | contains("/" + $target + "/"))) | .package_id] | unique' \
      "$messages" >"$units"
  fi
}

# report_file KIND PATH: KIND (binary, addon, archive) and its size, in the log and the JSON
# report ({target, profile, kind, path, bytes}).
report_file() {
  local bytes path=${2#"$(pwd -P)/"}
  bytes=$(wc -c <"$2" | tr -d ' ')
  log "  $1: $bytes bytes at $path"
  report+=("$(jq -n -c --arg target "$target" --arg profile "$profile" --arg kind "$1" --arg path "$path" \
    --argjson bytes "$bytes" '{$target, $profile, $kind, $path, $bytes}')")
}

if [ "$profile" = dist ]; then
  # One build's release files, of one commit: several targets are built together ('all').
  rm -rf "$distrib"
  mkdir -p "$distrib"
fi

report=()
messages=$(mktemp) units=$(mktemp) archive_files=$(mktemp)
trap 'rm -f "$messages" "$units" "$archive_files"' EXIT
for target in "${build_targets[@]}"; do
  ensure_target_prerequisites "$mode" "$target"
  : >"$archive_files"
  for row in "${binaries[@]}"; do
    read -r package binary <<<"$row"
    log "building $package ($binary), profile $profile, for $target"
    build "$package" "$target"
    path=$(cargo_executable "$binary" <"$messages")
    if [ -z "$path" ] || [ ! -f "$path" ]; then die "cargo reported success but built no $binary"; fi
    report_file binary "$path"
    if [ "$profile" = dist ]; then
      make_sbom "$package" "$target" "$units" "$distrib/tachikoma-$version-$target-$binary.cdx.json" ${cargo_args[@]+"${cargo_args[@]}"}
      echo "$path $(basename "$path")" >>"$archive_files"
    fi
  done
  # The Node addon, in the release, named as napi-rs names its platform packages' files.
  platform=$(addon_platform "$target")
  if [ "$profile" = dist ] && [ -n "$platform" ]; then
    log "building tachikoma-native (the Node addon, tachikoma.$platform.node), profile $profile, for $target"
    build tachikoma-native "$target"
    path=$(jq -r 'select(.reason == "compiler-artifact" and .target.name == "tachikoma_native")
      | .filenames[] | select(test("\\.(so|dylib|dll)$"))' "$messages" | tail -n 1)
    if [ -z "$path" ] || [ ! -f "$path" ]; then die "cargo reported success but built no Node addon"; fi
    report_file addon "$path"
    make_sbom tachikoma-native "$target" "$units" "$distrib/tachikoma-$version-$target-tachikoma.$platform.node.cdx.json" ${cargo_args[@]+"${cargo_args[@]}"}
    echo "$path tachikoma.$platform.node" >>"$archive_files"
  fi
  if [ "$profile" = dist ]; then
    make_archive "$target" "$archive_files"
    report_file archive "$(cat "$archive_files")"
  fi
done
if [ "$profile" = dist ]; then
  published=()
  for file in "$distrib"/*; do
    case "$file" in *.sha256 | */SHA256SUMS) ;; *) published+=("${file##*/}") ;; esac
  done
  mapfile -t published < <(printf '%s\n' "${published[@]}" | LC_ALL=C sort)
  (cd "$distrib" && sha256sum --text -- "${published[@]}" >SHA256SUMS)
  log "release files in ${distrib#"$(pwd)/"}/ (SHA256SUMS lists them)"
fi

if $json; then
  (IFS=,; printf '[%s]\n' "${report[*]}")
fi
log "done"
