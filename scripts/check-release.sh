#!/usr/bin/env bash
# The release as it ships: scripts/build-rust.sh dist all, then every binary of every target run
# (qemu for aarch64) and checked, with the release directory, its checksums and its SBOMs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-release.sh

Builds the release (scripts/build-rust.sh dist all) and checks: target/distrib holds exactly the
release files and their checksums verify; every archive holds the binaries that were checked;
each binary reports its target, dist and exactly its own features, and the same build metadata
as the other binaries; musl binaries are static, gnu ones dynamic, all stripped; each SBOM is
valid CycloneDX 1.5 and lists exactly the crates cargo tree says are compiled into the binary;
the embedded cargo-auditable list omits none of them. Needs the targets' prerequisites
(scripts/test.sh installs them). Ends with 'N passed, N failed'.
USAGE
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac
cd "$(repo_root)"

# The crates compiled into PACKAGE built for TARGET, "name version" a line: cargo's own
# dependency tree, normal dependencies only, without proc macros (they run at build time, on
# the build machine) and without PACKAGE itself.
compiled_crates() {
  cargo tree -q --locked -p "$1" --target "$2" -e normal,no-proc-macro --prefix none -f '{p}' |
    sed 's/ (.*//; s/ v/ /' | grep -v "^$1 " | LC_ALL=C sort -u
}

# The dist binaries of TARGET as they ship: what they report, how they are linked, what they
# carry, and their SBOMs.
check_target() {
  local target=$1 package binary path runner info args features sbom expected audit build first_build
  read -r -a runner <<<"$(target_setting "$target" runner)"
  while read -r package binary; do
    path="target/$target/dist/$binary"
    read -r -a args <<<"$(version_json_args "$binary")"
    if ! info=$(${runner[@]+"${runner[@]}"} "$path" "${args[@]}"); then fail "$target $binary: run"; continue; fi
    features=$(resolved_features "$package" "$target" | jq -Rc 'split(",") | map(select(. != ""))')
    if [ "$(jq -c '[.target, .profile, .features]' <<<"$info")" = "[\"$target\",\"dist\",$features]" ]; then
      pass "$target $binary: reports its target, dist and exactly its own features"
    else fail "$target $binary: version JSON is $info"; fi
    # Development and test features never ship (a package's defaults could name one).
    if jq -e '.features - ["debug-logging", "hot-reload", "fault-injection"] == .features' <<<"$info" >/dev/null; then
      pass "$target $binary: no development or test feature"
    else fail "$target $binary: a development or test feature ships: $(jq -c .features <<<"$info")"; fi
    # One build: every binary of the target describes it alike, but for its features.
    build=$(jq -c 'del(.features)' <<<"$info")
    if [ "$build" = "${first_build:=$build}" ]; then pass "$target $binary: the same build metadata as the other binaries"
    else fail "$target $binary: build metadata $build differs from $first_build"; fi
    # Static: no program interpreter (dynamic loader) requested.
    local linking=static want=dynamic
    if has_in readelf -l "$path" 'INTERP'; then linking=dynamic; fi
    case "$target" in *-musl) want=static ;; esac
    if [ $linking = $want ]; then pass "$target $binary: linked $linking"; else fail "$target $binary: linked $linking, want $want"; fi
    if has_in readelf -S "$path" '.symtab'; then fail "$target $binary: not stripped"
    else pass "$target $binary: stripped"; fi
    expected=$(mktemp)
    compiled_crates "$package" "$target" >"$expected"
    sbom="$distrib/tachikoma-$version-$target-$binary.cdx.json"
    if problems=$("$(tools_python)" scripts/check-sbom.py "$sbom" "$expected"); then
      pass "$target $binary: SBOM is valid CycloneDX 1.5 and lists exactly its $(wc -l <"$expected") crates"
    else fail "$target $binary: $problems"; fi
    # The embedded dependency list (cargo-auditable), read by a real client. It cannot be exact
    # (cargo-auditable reads `cargo metadata`, see README): it must at least omit nothing.
    if audit=$(rust-audit-info "$path" | jq -r '.packages[] | select(.kind != "build") | "\(.name) \(.version)"' | LC_ALL=C sort -u) &&
      [ -z "$(LC_ALL=C comm -23 "$expected" <(printf '%s\n' "$audit"))" ]; then
      pass "$target $binary: embedded dependency list has every compiled crate ($(LC_ALL=C comm -13 "$expected" <(printf '%s\n' "$audit") | grep -vc "^$package " || true) more)"
    else fail "$target $binary: embedded dependency list lacks: $(LC_ALL=C comm -23 "$expected" <(printf '%s\n' "${audit:-}") | words)"; fi
    rm -f "$expected"
  done < <(shipped_binaries)
  # The archive holds exactly the binaries checked above, README.md and LICENSE.
  local name unpacked want same=true
  name="tachikoma-$version-$target"
  unpacked=$(mktemp -d)
  tar -xzf "$distrib/$name.tar.gz" -C "$unpacked"
  want=$(for file in "" LICENSE README.md $(shipped_binaries | cut -d' ' -f2); do echo "$name${file:+/$file}"; done | LC_ALL=C sort)
  while read -r _ binary; do cmp -s "$unpacked/$name/$binary" "target/$target/dist/$binary" || same=false; done < <(shipped_binaries)
  if [ "$(cd "$unpacked" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)" = "$want" ] && $same; then
    pass "$target: the archive holds the binaries checked here, README.md and LICENSE"
  else fail "$target: the archive holds $(tar -tzf "$distrib/$name.tar.gz" | words), binaries identical: $same"; fi
  rm -rf "$unpacked"
}

# The release directory holds exactly what a release publishes, with checksums that verify.
check_release_dir() {
  local expected actual target binary
  expected=$({
    echo SHA256SUMS
    while read -r target; do
      echo "tachikoma-$version-$target.tar.gz" "tachikoma-$version-$target.tar.gz.sha256"
      while read -r _ binary; do echo "tachikoma-$version-$target-$binary.cdx.json"; done < <(shipped_binaries)
    done < <(targets)
  } | tr ' ' '\n' | LC_ALL=C sort)
  actual=$(cd "$distrib" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
  if [ "$actual" = "$expected" ]; then pass "target/distrib holds exactly the release files ($(wc -l <<<"$actual"))"
  else fail "target/distrib holds: $(words <<<"$actual"); want: $(words <<<"$expected")"; fi
  if (cd "$distrib" && sha256sum --quiet --strict --check SHA256SUMS && cat ./*.sha256 | sha256sum --quiet --strict --check) &&
    [ "$(awk '{ print $2 }' "$distrib/SHA256SUMS" | LC_ALL=C sort)" = "$(grep -v -e '\.sha256$' -e '^SHA256SUMS$' <<<"$expected")" ]; then
    pass "SHA256SUMS and every .sha256 verify, and SHA256SUMS covers every archive and SBOM"
  else fail "checksums in target/distrib do not verify or do not cover every file"; fi
}

version=$(workspace_version) distrib=$(release_dir)
if scripts/build-rust.sh dist all >/dev/null; then
  pass "scripts/build-rust.sh dist all"
  check_release_dir
  while read -r target; do check_target "$target"; done < <(targets)
else fail "scripts/build-rust.sh dist all"; fi
tally
