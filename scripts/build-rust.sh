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
run of its own so that it has exactly its own features, and reports their sizes. Linux glibc
targets are linked with cargo-zigbuild against the glibc floor of Cargo.toml
([workspace.metadata.floors]: glibc $(platform_floor glibc)), and so are macOS targets off a Mac
and the musl Node addons.

Profiles: $(profiles | words)
Targets:  $(targets | words)

Options:
  --install-missing        install what is missing (target std, linker, pinned cargo tools)
                           instead of failing with the command that installs it
  --package PACKAGE        build only this package ($(shipped_binaries | cut -d' ' -f1 | words));
                           not with dist, whose archives hold every binary
  --no-sccache             do not use sccache even when it is installed
  --features LIST          cargo features of each shipped binary built (comma-separated;
                           not of the Node addon, which has none)
  --no-default-features    build the shipped binaries without their default features
  --dry-run                check everything, then print each cargo command on stdout instead
                           of running it
  --check-record FILE      before building, require this machine to be the one a release's
                           build record FILE describes (tachikoma-<version>-<target>.buildinfo.json:
                           the commit, toolchain, pinned tools and Debian packages), naming
                           each difference; give one per target rebuilt
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
builds the Node addon where one ships (tachikoma.<napi-rs platform>.node: every target but
Windows GNU; for musl, linked against musl's libc.so as Node on Alpine loads it), and writes the
release to target/distrib/: per target an archive
tachikoma-<version>-<target>.tar.gz (.zip for Windows) with the binaries, the addon, README.md
and LICENSE, its .sha256, a CycloneDX SBOM per binary and addon
(tachikoma-<version>-<target>-<file>.cdx.json: the crates compiled in, Rust's std, and musl or
the MinGW-w64 runtime where they are linked in), its build record
(tachikoma-<version>-<target>.buildinfo.json: what shaped the bytes besides the commit, and
each file's platform floor); and
SHA256SUMS over them all.
USAGE
}

install_missing=false json=false dry_run=false use_sccache=true feature_args=() positional=() only_package="" records=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --install-missing) install_missing=true ;;
    --json) json=true ;;
    --no-sccache) use_sccache=false ;;
    --dry-run) dry_run=true ;;
    --no-default-features) feature_args+=(--no-default-features) ;;
    --features) [ $# -ge 2 ] || die "--features needs a value" 2; feature_args+=(--features "$2"); shift ;;
    --features=*) feature_args+=(--features "${1#--features=}") ;;
    --package) [ $# -ge 2 ] || die "--package needs a value" 2; only_package=$2; shift ;;
    --check-record) [ $# -ge 2 ] || die "--check-record needs a file" 2; records+=("$2"); shift ;;
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
  require_pinned_tools
  # Python reads the machine's cargo configuration (scripts/cargo-config-check.py) and writes
  # the archives: a fresh Debian container has none.
  ensure_tools "$mode" python3
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

# build PACKAGE TARGET [CARGO_ARGS...]: one cargo run, whose messages say where its artifacts are
# (target/<triple>/<profile's directory>/) and which packages it compiled for the target (not
# host-only proc macros and build scripts): what the SBOM lists. Leaves the messages in $messages.
# With --dry-run it prints the command instead.
build() {
  local package=$1 target=$2 command rustflags variables=() unset=() cargo_target=$2 variable
  shift 2
  command=$(cargo_build_command "$target")
  [ "$package" != tachikoma-native ] || command=$(addon_build_command "$target")
  if [ "$command" = zigbuild ]; then
    cargo_target=$(zig_target "$target")
    # cargo-zigbuild picks Zig's macOS version from its own environment, before cargo's [env]
    # reaches rustc: without this, Zig's newest.
    [ "$(target_os "$target")" != macos ] ||
      variables+=("MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-$(config_env MACOSX_DEPLOYMENT_TARGET)}")
    # Zig is this target's compiler and linker; a per-target one of the environment (a Nix
    # shell's, linked against its own newer glibc) would win over cargo-zigbuild's.
    for variable in "CC_${target//-/_}" "CXX_${target//-/_}" "$(target_variable "$target" linker)"; do
      [ -z "${!variable:-}" ] || { log "$variable=${!variable} left out: Zig builds $target"; unset+=(-u "$variable"); }
    done
  fi
  # The target's rustflags of .cargo/config.toml, which the reproducible builds' path remapping
  # (CARGO_ENCODED_RUSTFLAGS) would otherwise replace.
  rustflags=$(target_setting "$target" rustflags)
  local encoded=${CARGO_ENCODED_RUSTFLAGS:-}
  if [ -n "$encoded" ] && [ -n "$rustflags" ]; then
    # shellcheck disable=SC2086 # one word per flag
    encoded=$encoded$(printf '\x1f%s' $rustflags)
  fi
  # Windows GNU: MinGW's dlltool cannot work in a path with a space (scripts/mingw-dlltool.sh
  # moves its temporary files). Encoded, since the script's own path may hold a space: in every
  # release-like build, and in others where the checkout's path has a space and no RUSTFLAGS
  # would be overridden.
  case "$target" in
    *-windows-gnu)
      if [ -n "$encoded" ] || { [[ $(pwd) == *" "* ]] && [ -z "${RUSTFLAGS:-}" ]; }; then
        encoded=${encoded:+$encoded$'\x1f'}-C$'\x1f'dlltool=$(repo_root)/scripts/mingw-dlltool.sh
      fi
      # GNU ld orders the import table by its input files' paths: scripts/mingw-linker.sh makes
      # the target directory's relative, so the bytes do not depend on the checkout's place.
      if $reproducible; then
        variable=$(target_variable "$target" linker)
        variables+=("TACHIKOMA_MINGW_LINKER=$(target_setting "$target" linker)" "$variable=$(repo_root)/scripts/mingw-linker.sh")
      fi ;;
  esac
  # The musl addon is loaded into Node's process, which has its own musl: linked against musl's
  # libc.so, not with a libc of its own (musl's default, crt-static, is for executables).
  case "$package $target" in
    "tachikoma-native "*-linux-musl) encoded=${encoded:+$encoded$'\x1f'}-C$'\x1f'target-feature=-crt-static ;;
  esac
  [ "$encoded" = "${CARGO_ENCODED_RUSTFLAGS:-}" ] || variables+=("CARGO_ENCODED_RUSTFLAGS=$encoded")
  local run=(env ${unset[@]+"${unset[@]}"} ${variables[@]+"${variables[@]}"} "${cargo[@]}" "$command" --locked --profile "$profile"
    --target "$cargo_target" -p "$package" "$@" --message-format=json-render-diagnostics)
  if $dry_run; then
    printf '%q ' "${run[@]}" | sed 's/ $//'
    echo
    return
  fi
  "${run[@]}" >"$messages"
  [ "$command $(target_os "$target")" != "zigbuild macos" ] || fix_macho_uuids "$messages"
  # (Paths with / or \ (Windows); the triple without slashes, which Git Bash would rewrite.)
  if [ "$profile" = dist ]; then
    jq -n -c --arg target "$target" '[inputs | select(.reason == "compiler-artifact")
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

# A verifier's rebuild: this machine must be the one each given build record describes, before
# anything is built (a rebuild elsewhere gives other bytes, and would not say why).
for record in ${records[@]+"${records[@]}"}; do
  $reproducible || die "--check-record goes with a release-like profile (dist), not $profile" 2
  [ -f "$record" ] || die "no such build record: $record" 2
  target=$(jq -r '.target // empty' "$record" 2>/dev/null) ||
    die "$record is not a build record (JSON with a target)" 2
  printf '%s\n' "${build_targets[@]}" | grep -x -F -- "$target" >/dev/null ||
    die "$record is the record of $target, which this build does not build (${build_targets[*]})" 2
  ensure_target_prerequisites "$mode" "$target"
  differences=$(jq -n -r --slurpfile want "$record" --argjson have "$(build_record "$target")" '
    def leaves: [paths(scalars) as $p | {key: ($p | map(tostring) | join(".")), value: getpath($p)}] | from_entries;
    ($want[0] | leaves) as $w | ($have | leaves) as $h
    | ($w + $h | keys_unsorted | unique)[]
    | select($w[.] != $h[.])
    | "  \(.): the release has \($w[.] // "nothing"), this machine \($h[.] // "nothing")"')
  [ -z "$differences" ] ||
    die "this machine differs from the build record $record, so it would not rebuild the release's bytes:
$differences
Install each Debian package at the release's version (apt-get install NAME=VERSION; Debian's
snapshot archive has every version ever published), the pinned tools with --install-missing,
and check out the release's commit."
  log "this machine matches the build record $record"
done

release=false
if [ "$profile" = dist ] && ! $dry_run; then
  release=true
  # One build's release files, of one commit: several targets are built together ('all').
  rm -rf "$distrib"
  mkdir -p "$distrib"
fi

report=()
messages=$(mktemp) units=$(mktemp)
trap 'rm -f "$messages" "$units"' EXIT
for target in "${build_targets[@]}"; do
  ensure_target_prerequisites "$mode" "$target"
  archive_files=() # PATH NAME pairs
  for row in "${binaries[@]}"; do
    read -r package binary <<<"$row"
    log "building $package ($binary), profile $profile, for $target"
    build "$package" "$target" ${feature_args[@]+"${feature_args[@]}"}
    ! $dry_run || continue
    path=$(cargo_executable "$binary" <"$messages")
    if [ -z "$path" ] || [ ! -f "$path" ]; then die "cargo reported success but built no $binary"; fi
    report_file binary "$path"
    if $release; then
      make_sbom "$package" "$target" "$units" "$distrib/tachikoma-$version-$target-$binary.cdx.json" ${feature_args[@]+"${feature_args[@]}"}
      archive_files+=("$path" "$(basename "$path")")
    fi
  done
  # The Node addon, in the release, named as napi-rs names its platform packages' files. It has
  # no features of its own: --features and --no-default-features are the binaries'.
  platform=$(addon_platform "$target")
  if [ "$profile" = dist ] && [ -n "$platform" ]; then
    log "building tachikoma-native (the Node addon, tachikoma.$platform.node), profile $profile, for $target"
    build tachikoma-native "$target"
    if ! $dry_run; then
      path=$(jq -r 'select(.reason == "compiler-artifact" and .target.name == "tachikoma_native")
        | .filenames[] | select(test("\\.(so|dylib|dll)$"))' "$messages" | tail -n 1)
      if [ -z "$path" ] || [ ! -f "$path" ]; then die "cargo reported success but built no Node addon"; fi
      report_file addon "$path"
      make_sbom tachikoma-native "$target" "$units" "$distrib/tachikoma-$version-$target-tachikoma.$platform.node.cdx.json"
      archive_files+=("$path" "tachikoma.$platform.node")
    fi
  fi
  if $release; then
    make_archive "$target" "${archive_files[@]}"
    report_file archive "$distrib/$(release_archive "$target")"
    build_record "$target" >"$distrib/$(release_record "$target")"
  fi
done
if $release; then
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
