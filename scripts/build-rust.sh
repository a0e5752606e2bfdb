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
  --no-sccache             do not use sccache even when it is installed
  --features LIST          cargo features to enable (comma-separated)
  --no-default-features    build without the default features
  --json                   print the report as JSON on stdout (logs stay on stderr)
  -h, --help               show this help

sccache is used when installed (RUSTC_WRAPPER) for dev, test and ci, never required, never for
release-like profiles (it made their C objects' __TIME__ depend on it). Release-like profiles build
reproducibly: SOURCE_DATE_EPOCH defaults to the last commit's time and local paths are remapped.
The dist profile also embeds the dependency list (cargo-auditable) and writes
target/dist/tachikoma-<version>-<target>.tar.gz (binaries, README.md, LICENSE) and
target/dist/SHA256SUMS.
USAGE
}

install_missing=false json=false use_sccache=true cargo_args=() positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --install-missing) install_missing=true ;;
    --json) json=true ;;
    --no-sccache) use_sccache=false ;;
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
# The toolchain of rust-toolchain.toml, with its components and targets (a no-op when present).
if $install_missing; then rustup toolchain install >&2; fi


# Release-like profiles build reproducibly: the same commit gives the same bytes whatever the
# checkout path, CARGO_HOME, user or clock.
reproducible=false
case "$profile" in dev | test | ci) ;; *) reproducible=true ;; esac
if $reproducible; then
  if [ -z "${SOURCE_DATE_EPOCH:-}" ] && epoch=$(git log -1 --format=%ct 2>/dev/null); then
    export SOURCE_DATE_EPOCH=$epoch
  fi
  # Paths compiled into panic messages and debug info, made machine-independent. (Set only here:
  # other rustflags would otherwise be replaced, and .cargo/config.toml sets none.)
  [ -z "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ] || die "RUSTFLAGS is set; unset it for a reproducible $profile build"
  cargo_home=${CARGO_HOME:-$HOME/.cargo}
  rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
  CARGO_ENCODED_RUSTFLAGS=$(printf '%s\x1f' \
    "--remap-path-prefix=$(cd "$cargo_home" && pwd -P)=/cargo" \
    "--remap-path-prefix=$(cd "$rustup_home" 2>/dev/null && pwd -P || echo "$rustup_home")=/rustup" \
    "--remap-path-prefix=$(pwd -P)=/tachikoma")
  export CARGO_ENCODED_RUSTFLAGS=${CARGO_ENCODED_RUSTFLAGS%$'\x1f'}
fi

# sccache for the fast profiles only. A release-like build through sccache was not
# reproducible: sccache compiles C (ring, mimalloc) with its server's environment, and a
# __DATE__/__TIME__ ignored this build's SOURCE_DATE_EPOCH (measured: the only difference from a
# build without sccache, even with a server started for the build). Shipped bytes must not
# depend on whether sccache is installed.
if $use_sccache && ! $reproducible && command -v sccache >/dev/null 2>&1 && [ -z "${RUSTC_WRAPPER:-}" ]; then
  export RUSTC_WRAPPER=sccache
  log "using sccache"
fi

# Shipped binaries carry their dependency list for `cargo audit bin` (cargo-auditable), and a
# release has an SBOM (cargo-cyclonedx).
cargo_build=(cargo build)
if [ "$profile" = dist ]; then
  for tool in cargo-auditable cargo-cyclonedx; do
    command -v "$tool" >/dev/null 2>&1 && continue
    if $install_missing; then ensure_cargo_tool "$tool" "$tool"
    else die "dist builds need $tool; run: cargo install --locked $tool"; fi
  done
  cargo_build=(cargo auditable build)
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

# target/dist/tachikoma-<version>-<target>.tar.gz with both binaries, README and LICENSE, and
# target/dist/SHA256SUMS over every archive there. The archive is reproducible too: sorted
# entries, fixed mtime, owner and permissions, gzip without a timestamp.
make_archive() {
  local target=$1 out_dir=$2 name stage
  name="tachikoma-$version-$target"
  stage=$(mktemp -d)
  mkdir "$stage/$name"
  cp "$out_dir/tachikoma" "$out_dir/tachikoma-server" README.md LICENSE "$stage/$name/"
  mkdir -p target/dist
  tar --create --sort=name --mtime="@${SOURCE_DATE_EPOCH:-0}" --owner=0 --group=0 --numeric-owner \
    --mode='u+rwX,go+rX,go-w' --format=gnu -C "$stage" "$name" | gzip -n -9 >"target/dist/$name.tar.gz"
  rm -rf "$stage"
  write_checksums
  echo "target/dist/$name.tar.gz"
}

write_checksums() {
  (cd target/dist && sha256sum -- *.tar.gz *.cdx.json >SHA256SUMS)
}

# target/dist/tachikoma-<version>-<package>.cdx.json: CycloneDX 1.5 SBOMs of the two binaries'
# dependency graphs, all targets. cargo-cyclonedx writes next to the manifest and names packages
# by their local path; the path is replaced so that the SBOM, like the binaries, is the same
# wherever it is built.
make_sboms() {
  local package root
  root=$(pwd -P)
  mkdir -p target/dist
  for package in tachikoma-cli tachikoma-server; do
    cargo cyclonedx -q --manifest-path "crates/$package/Cargo.toml" --format json --spec-version 1.5 \
      --target all --override-filename "$package.sbom" ${cargo_args[@]+"${cargo_args[@]}"}
    sed "s|$root|/tachikoma|g" "crates/$package/$package.sbom.json" >"target/dist/tachikoma-$version-$package.cdx.json"
    rm "crates/$package/$package.sbom.json"
  done
  log "  SBOMs: target/dist/tachikoma-$version-{tachikoma-cli,tachikoma-server}.cdx.json"
}

report=()
[ "$profile" != dist ] || make_sboms
for target in "${build_targets[@]}"; do
  if $install_missing; then ensure_target_prerequisites "$target"; else check_prerequisites "$target"; fi
  log "building profile $profile for $target"
  "${cargo_build[@]}" --locked --profile "$profile" --target "$target" \
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
  if [ "$profile" = dist ]; then
    archive=$(make_archive "$target" "$out_dir")
    bytes=$(stat -c %s "$archive")
    log "  archive: $bytes bytes ($(numfmt --to=iec "$bytes")) at $archive"
    report+=("$(printf '{"target":"%s","profile":"%s","archive":"%s","bytes":%s}' "$target" "$profile" "$archive" "$bytes")")
  fi
done

if $json; then
  (IFS=,; printf '[%s]\n' "${report[*]}")
fi
log "done"
