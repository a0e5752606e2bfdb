#!/usr/bin/env bash
# Builds the Tachikoma binaries for one cargo profile and one target (or every target).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/build-rust.sh [OPTIONS] PROFILE [TARGET|all]

Builds the shipped binaries ($(shipped_binaries | cut -d' ' -f2 | words)) with a cargo profile of
Cargo.toml for TARGET (default: this machine's), or for every supported target with 'all', each
binary in a cargo run of its own so that it has exactly its own features, and reports their sizes.

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
compilers, C flags and cargo settings in the environment are refused, and what only the build
machine knows is left out (git_branch is "unknown", ci is false). sccache is used for dev, test
and ci when installed.

The dist profile builds with cargo-auditable (each binary carries its dependency list) and writes
the release to target/distrib/: tachikoma-<version>-<target>.tar.gz (binaries, README.md,
LICENSE) with its .sha256, a CycloneDX SBOM per binary (tachikoma-<version>-<target>-<binary>.cdx.json)
and SHA256SUMS over them all.
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
cargo_build=(cargo build)
ensure_tools "$mode" jq
if [ "$profile" = dist ]; then
  ensure_tools "$mode" cargo-auditable cargo-cyclonedx
  cargo_build=(cargo auditable build)
fi
version=$(workspace_version)
distrib=$(release_dir)

# The CycloneDX SBOM of PACKAGE built for TARGET, listing exactly the crates compiled into its
# binary: cargo-cyclonedx's document (licenses, purls, hashes) reduced to the packages whose
# code the build compiled for TARGET (UNITS: their package ids, from cargo's own artifact
# messages; host-only proc macros and build scripts are not in the binary). cargo-cyclonedx
# alone lists more, since `cargo metadata` resolves features for the whole workspace and
# activates weak dependencies (reqwest's `quinn?/ring`). It writes next to every member's
# manifest; those files are removed. Local paths become /tachikoma, as in the binaries.
sbom_name=tachikoma-sbom-$$
make_sbom() {
  local package=$1 target=$2 units=$3 out=$4
  cargo cyclonedx -q --manifest-path "crates/$package/Cargo.toml" --format json --spec-version 1.5 \
    --target "$target" --override-filename "$sbom_name" ${cargo_args[@]+"${cargo_args[@]}"}
  jq --slurpfile units "$units" '
    ($units[0]) as $keep
    | def kept: . as $ref | $keep | index($ref) != null;
    .components |= map(select(.["bom-ref"] | kept))
    | .dependencies |= map(select(.ref | kept) | if .dependsOn then .dependsOn |= map(select(kept)) else . end)
    | walk(if type == "string" then split($root) | join("/tachikoma") else . end)
  ' --arg root "$(pwd -P)" "crates/$package/$sbom_name.json" >"$out"
  rm -f crates/*/"$sbom_name".json
}

# The release archive of TARGET (not called in a command substitution, where a failure would not
# stop the script): every shipped binary, README and LICENSE, reproducible (sorted
# entries, fixed mtime, owner and permissions, gzip without a timestamp), and its .sha256.
make_archive() {
  local target=$1 out_dir=$2 name stage binary
  name="tachikoma-$version-$target"
  stage=$(mktemp -d)
  mkdir "$stage/$name"
  for binary in $(shipped_binaries | cut -d' ' -f2); do cp "$out_dir/$binary" "$stage/$name/"; done
  cp README.md LICENSE "$stage/$name/"
  tar --create --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --mode='u+rwX,go+rX,go-w' --format=gnu -C "$stage" "$name" | gzip -n -9 >"$distrib/$name.tar.gz"
  rm -rf "$stage"
  (cd "$distrib" && sha256sum -- "$name.tar.gz" >"$name.tar.gz.sha256")
}

if [ "$profile" = dist ]; then
  # One build's release files, of one commit: several targets are built together ('all').
  rm -rf "$distrib"
  mkdir -p "$distrib"
fi

report=()
messages=$(mktemp) units=$(mktemp)
trap 'rm -f crates/*/"$sbom_name".json "$messages" "$units"' EXIT
for target in "${build_targets[@]}"; do
  ensure_target_prerequisites "$mode" "$target"
  for row in "${binaries[@]}"; do
    read -r package binary <<<"$row"
    log "building $package ($binary), profile $profile, for $target"
    # cargo's own messages say where the binary is (target/<triple>/<profile's directory>/) and
    # which packages it compiled for the target (not host-only proc macros and build scripts):
    # what the SBOM lists.
    "${cargo_build[@]}" --locked --profile "$profile" --target "$target" -p "$package" \
      ${cargo_args[@]+"${cargo_args[@]}"} --message-format=json-render-diagnostics >"$messages"
    path=$(cargo_executable "$binary" <"$messages")
    if [ -z "$path" ] || [ ! -f "$path" ]; then die "cargo reported success but built no $binary"; fi
    path=${path#"$(pwd -P)/"}
    bytes=$(stat -c %s "$path")
    log "  $binary: $bytes bytes ($(numfmt --to=iec "$bytes")) at $path"
    report+=("$(jq -n -c --arg target "$target" --arg profile "$profile" --arg binary "$binary" --arg path "$path" \
      --argjson bytes "$bytes" '{$target, $profile, $binary, $path, $bytes}')")
    if [ "$profile" = dist ]; then
      jq -n -c --arg dir "/$target/" '[inputs | select(.reason == "compiler-artifact")
        | select(any(.filenames[]; contains($dir))) | .package_id] | unique' "$messages" >"$units"
      make_sbom "$package" "$target" "$units" "$distrib/tachikoma-$version-$target-$binary.cdx.json"
    fi
  done
  if [ "$profile" = dist ]; then
    make_archive "$target" "$(dirname "$path")"
    archive=$distrib/tachikoma-$version-$target.tar.gz
    bytes=$(stat -c %s "$archive")
    log "  archive: $bytes bytes ($(numfmt --to=iec "$bytes")) at ${archive#"$(pwd)/"}"
    report+=("$(jq -n -c --arg target "$target" --arg profile "$profile" --arg archive "${archive#"$(pwd)/"}" \
      --argjson bytes "$bytes" '{$target, $profile, $archive, $bytes}')")
  fi
done
if [ "$profile" = dist ]; then
  mapfile -t published < <(cd "$distrib" && find . -maxdepth 1 -type f ! -name '*.sha256' ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort)
  (cd "$distrib" && sha256sum -- "${published[@]}" >SHA256SUMS)
  log "release files in ${distrib#"$(pwd)/"}/ (SHA256SUMS lists them)"
fi

if $json; then
  (IFS=,; printf '[%s]\n' "${report[*]}")
fi
log "done"
