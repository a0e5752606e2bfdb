#!/usr/bin/env bash
# The release as it ships: scripts/build-rust.sh dist all, then every file of every target run
# where this machine can (qemu, Wine) and checked, with the release directory, its checksums and
# its SBOMs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-release.sh

Builds the release (scripts/build-rust.sh dist all) and checks: target/distrib holds exactly the
release files and their checksums verify; every archive holds the files that were checked; each
binary and Node addon reports (run natively, under qemu or Wine; the addon in Node for this
machine) this commit, its target, dist, exactly its own features and no development one, and the
same build as the other files of its target (macOS files, which cannot run here, must embed the
commit and target; the musl addons load in Node for musl); each file is what its target promises
by its headers and asks no more of its system than the platform floors (README): ELF:
architecture, glibc symbol versions, NEEDED and INTERP (musl binaries static, the musl addon on
musl's libc.so); PE: x86_64, subsystem version, Windows' DLLs only; Mach-O: architecture, minimum
macOS, UUID, valid signature, system libraries only; an addon: Node-API functions), stripped and
free of build-machine paths; each SBOM and build record states the floors; each SBOM is valid
CycloneDX 1.5 and lists exactly the crates cargo tree says are compiled in, and Rust's std, musl
or MinGW-w64 where linked in (Zig's runtime in what Zig links for Linux); the embedded
cargo-auditable list omits none; each build record names the commit, toolchain, pinned tools and
C toolchain packages, and its pre-check (build-rust.sh --check-record) passes here and fails for
a changed package version. Needs the targets' prerequisites (scripts/test.sh installs them). Ends with 'N passed, N failed'.
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

# check_format TARGET NAME PATH KIND: what a file built for TARGET is, by its headers: the right
# architecture, an executable or (KIND addon) a shared library, linked as the target promises,
# stripped, and needing nothing but the system's libraries.
check_format() {
  local target=$1 name=$2 path=$3 kind=$4 arch=${1%%-*} os
  os=$(target_os "$target")
  case "$os" in
    linux)
      local machine=X86-64
      [ "$arch" = x86_64 ] || machine=AArch64
      if has_in readelf -h "$path" "$machine"; then pass "$target $name: ELF for $arch"
      else fail "$target $name: not an ELF file for $arch"; fi
      if [ "$kind" = addon ]; then
        if has_in readelf -h "$path" 'DYN (Shared object file)'; then pass "$target $name: a shared library"
        else fail "$target $name: not a shared library"; fi
      fi
      check_elf_floor "$target" "$name" "$path" "$kind"
      if has_in readelf -S "$path" '.symtab'; then fail "$target $name: not stripped"
      else pass "$target $name: stripped"; fi ;;
    windows)
      local dlls
      if has_in x86_64-w64-mingw32-objdump -f "$path" 'file format pei-x86-64'; then pass "$target $name: PE32+ for x86_64"
      else fail "$target $name: not a PE32+ x86_64 file"; fi
      if has_in x86_64-w64-mingw32-objdump -h "$path" '.debug_'; then fail "$target $name: not stripped (debug sections)"
      else pass "$target $name: stripped"; fi
      # MinGW's own runtime DLLs (libgcc_s, libwinpthread, libstdc++) are on no Windows machine.
      dlls=$(x86_64-w64-mingw32-objdump -p "$path" | sed -n 's/^[[:space:]]*DLL Name: //p' | words)
      if [ -n "$dlls" ] && ! grep -qiE 'lib(gcc|winpthread|stdc)' <<<"$dlls"; then pass "$target $name: needs Windows' own DLLs only ($dlls)"
      else fail "$target $name: imports $dlls"; fi
      # The Windows its header asks for (Windows refuses a newer subsystem version than its own).
      local subsystem floor
      subsystem=$(x86_64-w64-mingw32-objdump -p "$path" | awk '$1 == "MajorSubsystemVersion" { major = $2 } $1 == "MinorSubsystemVersion" { print major "." $2 }')
      floor=$(platform_floor windows)
      if [ -n "$subsystem" ] && at_most "$subsystem" "$floor"; then pass "$target $name: asks for Windows subsystem $subsystem, within the floor (Windows $floor)"
      else fail "$target $name: asks for Windows subsystem ${subsystem:-(none)}, above the floor (Windows $floor)"; fi ;;
    macos)
      local info want_cpu=$arch want_type=execute minos python
      [ "$arch" = x86_64 ] || want_cpu=arm64
      [ "$kind" != addon ] || want_type=dylib
      minos=$(config_env MACOSX_DEPLOYMENT_TARGET)
      python=$(tools_python)
      if ! info=$("$python" scripts/macho.py info "$path"); then fail "$target $name: not a Mach-O file"; return; fi
      if [ "$(jq -c '[.cpu, .filetype, .platform, .minos]' <<<"$info")" = "[\"$want_cpu\",\"$want_type\",\"macos\",\"$minos\"]" ]; then
        pass "$target $name: Mach-O $want_type for $want_cpu, macOS $minos (the floor) or later"
      else fail "$target $name: Mach-O says $info"; fi
      # Apple silicon runs signed code only; the linker signs ad hoc.
      if jq -e --arg cpu "$want_cpu" '(.signed or $cpu == "x86_64") and .signature_valid != false and .uuid != null' <<<"$info" >/dev/null; then
        pass "$target $name: a UUID, and a valid signature where macOS requires one"
      else fail "$target $name: UUID or signature missing or invalid (Apple silicon refuses unsigned code): $info"; fi
      # The shipped file's UUID is already the hash of its contents (build-rust.sh's fix): fixing a
      # copy changes nothing.
      local copy
      copy=$(mktemp)
      cp "$path" "$copy"
      if "$python" scripts/macho.py fix-uuid "$copy" && cmp -s "$path" "$copy"; then pass "$target $name: LC_UUID is the hash of its contents"
      else fail "$target $name: LC_UUID is not the hash of its contents (not reproducible)"; fi
      rm -f "$copy"
      if jq -e '.local_symbols == 0 and all(.dylibs[]; startswith("/usr/lib/") or startswith("/System/Library/"))' <<<"$info" >/dev/null; then
        pass "$target $name: stripped, loads the system's libraries only"
      else fail "$target $name: symbols or libraries: $info"; fi ;;
  esac
  # No path of this machine: the build remaps them (a user's home, the checkout, CARGO_HOME).
  if grep -a -q -F -e "$(pwd -P)" -e "$HOME/" "$path"; then fail "$target $name: holds a path of the build machine"
  else pass "$target $name: holds no path of the build machine"; fi
}

# check_node_api TARGET NAME PATH: the Node-API functions the addon calls are all in the Node-API
# floor (node_api_floor), by the Node project's table of functions per version (node-api-headers'
# symbols.js). Read from the file's strings: the names it imports, or looks up by name (Windows).
check_node_api() {
  local target=$1 name=$2 path=$3 floor headers used above
  floor=$(node_api_floor)
  headers=$(ensure_unpacked check node-api-headers)
  used=$(strings -n 6 "$path" | sed -n -E 's/^_?((napi|node_api)_[a-z0-9_]+)$/\1/p' |
    { grep -v -x -e napi_register_module_v1 -e node_api_module_get_api_version_v1 || true; } | LC_ALL=C sort -u)
  # shellcheck disable=SC2016 # JavaScript's template string
  if ! above=$(node -e '
    const v = require(process.argv[1]).symbols["v" + process.argv[2]];
    if (!v) throw new Error(`node-api-headers has no Node-API ${process.argv[2]}`);
    const known = new Set([...v.js_native_api_symbols, ...v.node_api_symbols]);
    for (const name of process.argv[3].split("\n")) if (name && !known.has(name)) console.log(name);
  ' "$headers" "$floor" "$used"); then
    fail "$target $name: Node-API functions not checked (node failed, its message is above)"
    return
  fi
  if [ -n "$used" ] && [ -z "$above" ]; then pass "$target $name: its $(wc -l <<<"$used") Node-API functions are all in Node-API $floor (the floor)"
  else fail "$target $name: calls Node-API functions beyond Node-API $floor: $(words <<<"${above:-(none found at all)}")"; fi
}

# check_sbom TARGET PACKAGE NAME PATH: the SBOM of PACKAGE's file NAME lists exactly the crates
# cargo compiles into it, and the embedded cargo-auditable list omits none of them.
check_sbom() {
  local target=$1 package=$2 name=$3 path=$4 expected sbom problems audit linked want kind=binary floors
  expected=$(mktemp)
  compiled_crates "$package" "$target" >"$expected"
  sbom="$distrib/tachikoma-$version-$target-$name.cdx.json"
  if problems=$("$(tools_python)" scripts/check-sbom.py "$sbom" "$expected"); then
    pass "$target $name: SBOM is valid CycloneDX 1.5 and lists exactly its $(wc -l <"$expected") crates"
  else fail "$target $name: $problems"; fi
  # What is linked in besides crates is listed too: Rust's std at this toolchain's release, and
  # musl in a musl binary, Zig's runtime in a glibc file, MinGW-w64's runtime in a Windows GNU one.
  linked=$(jq -c '[.components[] | select(.purl | startswith("pkg:cargo/") | not) | "\(.name) \(.version)"] | sort' "$sbom")
  [ "$package" != tachikoma-native ] || kind=addon
  want=$(linked_components "$target" "$kind" | jq -c 'map("\(.name) \(.version)") | sort')
  # Its floors, for packagers (target_floors), as the file's own properties.
  floors=$(jq -c '[.metadata.component.properties[]? | select(.name | startswith("tachikoma:floor:"))
    | {key: (.name | ltrimstr("tachikoma:floor:")), value}] | from_entries' "$sbom")
  if [ "$floors" = "$(target_floors "$target" "$kind" | jq -c 'map_values(tostring)')" ]; then pass "$target $name: SBOM states its floors $floors"
  else fail "$target $name: SBOM states the floors $floors, want $(target_floors "$target" "$kind")"; fi
  if [ "$linked" = "$want" ] && jq -e --arg std "rust-std $(rustc_release)" --arg target "$target" --arg kind "$kind" '
      index($std) != null
      and (($target | endswith("-musl") | not) or $kind == "addon" or any(.[]; startswith("musl ")))
      and (($target | endswith("-linux-gnu") | not) or any(.[]; startswith("zig-runtime ")))
      and (($target | endswith("-windows-gnu") | not) or any(.[]; startswith("mingw-w64-x86-64-dev ")))' <<<"$linked" >/dev/null; then
    pass "$target $name: SBOM lists what is linked in besides crates: $(jq -r 'join(", ")' <<<"$linked")"
  else fail "$target $name: SBOM lists $linked linked in besides crates, want $want"; fi
  # The embedded dependency list (cargo-auditable), read by a real client. It cannot be exact
  # (cargo-auditable reads `cargo metadata`, see README): it must at least omit nothing.
  if audit=$(rust-audit-info "$path" | jq -r '.packages[] | select(.kind != "build") | "\(.name) \(.version)"' | LC_ALL=C sort -u) &&
    [ -z "$(LC_ALL=C comm -23 "$expected" <(printf '%s\n' "$audit"))" ]; then
    pass "$target $name: embedded dependency list has every compiled crate ($(LC_ALL=C comm -13 "$expected" <(printf '%s\n' "$audit") | grep -vc "^$package " || true) more)"
  else fail "$target $name: embedded dependency list lacks: $(LC_ALL=C comm -23 "$expected" <(printf '%s\n' "${audit:-}") | words)"; fi
  rm -f "$expected"
}

# The dist files of TARGET as they ship (binaries, and the Node addon where one ships): what
# they report, how they are linked, what they carry, their SBOMs, and the archive holding them.
check_target() {
  local target=$1 package binary path info ran platform archive name unpacked want same=true node
  new_build_comparison
  local -a contents=()
  while read -r package binary; do
    path=target/$target/dist/$(executable_name "$target" "$binary")
    contents+=("$path $(basename "$path")")
    info="" ran=false
    if can_run "$target"; then
      ran=true
      if ! info=$(run_version_json "$target" "$path" "$binary"); then fail "$target $binary: run"; continue; fi
    fi
    check_metadata "$target" "$package" "$binary" "$info" "$path" $ran
    check_format "$target" "$binary" "$path" binary
    check_sbom "$target" "$package" "$binary" "$path"
  done < <(shipped_binaries)
  platform=$(addon_platform "$target")
  if [ -n "$platform" ]; then
    path=$(compgen -G "target/$target/dist/*tachikoma_native.@(so|dylib|dll)" | head -n 1 || true)
    if [ -z "$path" ]; then
      fail "$target: no Node addon (tachikoma.$platform.node) in target/$target/dist"
      return
    fi
    contents+=("$path tachikoma.$platform.node")
    info="" ran=false node=$(addon_node "$target")
    if [ -n "$node" ]; then
      ran=true
      info=$(addon_version_json "$node" "$path") || fail "$target addon: Node ($node) cannot load it"
    fi
    check_metadata "$target" tachikoma-native "tachikoma.$platform.node" "$info" "$path" $ran
    check_format "$target" "tachikoma.$platform.node" "$path" addon
    check_node_api "$target" "tachikoma.$platform.node" "$path"
    check_sbom "$target" tachikoma-native "tachikoma.$platform.node" "$path"
  fi
  # The archive holds exactly the files checked above, README.md and LICENSE.
  archive=$(release_archive "$target") name=tachikoma-$version-$target
  unpacked=$(mktemp -d)
  case "$archive" in
    *.zip) "$(tools_python)" -m zipfile -e "$distrib/$archive" "$unpacked" ;;
    *) tar -xzf "$distrib/$archive" -C "$unpacked" ;;
  esac
  want=$(for entry in "${contents[@]}" "- LICENSE" "- README.md"; do echo "${entry#* }"; done | LC_ALL=C sort)
  for entry in "${contents[@]}"; do cmp -s "$unpacked/$name/${entry#* }" "${entry%% *}" || same=false; done
  if [ "$(cd "$unpacked" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)" = "$(printf '%s\n' "$name" "$want" | sed "2,\$s|^|$name/|")" ] && $same; then
    pass "$target: $archive holds the files checked here, README.md and LICENSE"
  else fail "$target: $archive holds $(cd "$unpacked" && find . -mindepth 1 -printf '%P\n' | words), the files identical: $same"; fi
  rm -rf "$unpacked"
}

# check_record TARGET: TARGET's build record names this commit, this toolchain, the pinned tools
# the build ran and, for a target built with this machine's C toolchain, the packages holding it;
# and README's pre-check (build-rust.sh --check-record) accepts it here and names a package
# whose version differs.
check_record() {
  local target=$1 record edited stderr code=0 want=() commit program package files
  record=$distrib/$(release_record "$target")
  commit=$(source_commit)
  if jq -e --arg commit "$commit" --arg rustc "$(rustc -vV | head -n 1)" \
    --arg auditable "$(tool_row cargo-auditable | awk '{ print $3 }')" --arg target "$target" '
      .commit == $commit and .target == $target and .rust.rustc == $rustc
      and .tools["cargo-auditable"] == $auditable and (.source_date_epoch | type) == "number"' "$record" >/dev/null; then
    pass "$target: build record names this commit, toolchain and the pinned tools"
  else fail "$target: build record $(jq -c . "$record" 2>&1 | head -c 600)"; fi
  # One entry per shipped file: each binary and the addon where one ships.
  files=$(shipped_binaries | wc -l)
  [ -z "$(addon_platform "$target")" ] || files=$((files + 1))
  if jq -e --argjson binary "$(target_floors "$target")" --argjson addon "$(target_floors "$target" addon)" \
    --arg platform "$(addon_platform "$target")" --argjson files "$files" '.floors | length == $files and all(to_entries[];
      .value == (if .key | endswith(".node") then $addon else $binary end))
      and (($platform == "") or has("tachikoma.\($platform).node"))' "$record" >/dev/null; then
    pass "$target: build record states the floor of each file: $(jq -c .floors "$record")"
  else fail "$target: build record's floors: $(jq -c .floors "$record")"; fi
  if [ "$(cargo_build_command "$target")" = build ] && [ -z "${IN_NIX_SHELL:-}" ]; then
    # The packages of the programs the target's build runs (its C compilers, archiver, linker and
    # the host's cc), as dpkg names them.
    while read -r program; do
      # (Zig, for the musl addon, is a pinned tool: the record names it by version.)
      case "$(tool_row "$program" | awk '{ print $1 }')" in cargo | pypi) continue ;; esac
      program=$(dpkg_owner "$(realpath "$(command -v "$program")")")
      want+=("${program%%:*}") # the record names a package without its architecture
    done < <(target_tools "$target"; echo cc)
    if jq -e --args '.debian_packages as $p | $ARGS.positional | all(. as $name | $p[$name].version | type == "string")' \
      "${want[@]}" <"$record" >/dev/null; then
      pass "$target: build record lists the Debian packages of its C toolchain (${want[*]}, $(jq '.debian_packages | length' "$record") in all)"
    else fail "$target: build record lacks one of ${want[*]}: $(jq -c .debian_packages "$record")"; fi
  fi
  [ "$target" = x86_64-unknown-linux-musl ] || return 0
  if scripts/build-rust.sh --dry-run --check-record "$record" dist "$target" >/dev/null 2>&1; then
    pass "$target: build-rust.sh --check-record accepts this machine for its build record"
  else fail "$target: build-rust.sh --check-record refuses this machine for its own build record"; fi
  edited=$(mktemp)
  package=$(jq -r '.debian_packages | keys[0] // empty' "$record")
  jq --arg p "$package" '.debian_packages[$p].version = "0.0.0-older"' "$record" >"$edited"
  stderr=$(scripts/build-rust.sh --dry-run --check-record "$edited" dist "$target" 2>&1 >/dev/null) || code=$?
  if [ -n "$package" ] && [ "$code" = 1 ] &&
    grep -F "debian_packages.$package.version: the release has 0.0.0-older, this machine $(jq -r --arg p "$package" '.debian_packages[$p].version' "$record")" <<<"$stderr" >/dev/null; then
    pass "$target: build-rust.sh --check-record refuses a machine whose $package differs, naming both versions"
  else fail "$target: --check-record with another ${package:-(no package)} version: exit $code, $stderr"; fi
  rm -f "$edited"
}

# The release directory holds exactly what a release publishes, with checksums that verify.
check_release_dir() {
  local expected actual
  expected=$({
    echo SHA256SUMS
    for target in "${built_targets[@]}"; do release_files "$target"; done
  } | LC_ALL=C sort)
  actual=$(cd "$distrib" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
  if [ "$actual" = "$expected" ]; then pass "target/distrib holds exactly the release files ($(wc -l <<<"$actual"))"
  else fail "target/distrib holds: $(words <<<"$actual"); want: $(words <<<"$expected")"; fi
  if (cd "$distrib" && sha256sum --quiet --strict --check SHA256SUMS && cat ./*.sha256 | sha256sum --quiet --strict --check) &&
    [ "$(awk '{ print $2 }' "$distrib/SHA256SUMS" | LC_ALL=C sort)" = "$(grep -v -e '\.sha256$' -e '^SHA256SUMS$' <<<"$expected")" ]; then
    pass "SHA256SUMS and every .sha256 verify, and SHA256SUMS covers every archive and SBOM"
  else fail "checksums in target/distrib do not verify or do not cover every file"; fi
}

shopt -s extglob
version=$(workspace_version) distrib=$(release_dir)
built_targets=()
for target in $(targets); do [ -z "$(cargo_build_command "$target")" ] || built_targets+=("$target"); done
if scripts/build-rust.sh dist all >/dev/null; then
  pass "scripts/build-rust.sh dist all"
  check_release_dir
  for target in "${built_targets[@]}"; do check_target "$target"; check_record "$target"; done
else fail "scripts/build-rust.sh dist all"; fi
tally
