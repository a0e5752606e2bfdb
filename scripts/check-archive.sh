#!/usr/bin/env bash
# Runs what a release archive holds, on the machine it is for: the desktop jobs of the GitHub
# workflows run it on macOS and Windows; scripts/test.sh here, for Linux and under Wine.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-archive.sh TARGET

After scripts/build-rust.sh dist TARGET (or with a release's files in target/distrib/): checks
SHA256SUMS, unpacks TARGET's archive, and runs what it holds on this machine (natively, or under
the target's runner from .cargo/config.toml): each binary reports this commit, TARGET, dist and
exactly its own features, all one build; the Node addon, where one ships, is loaded by Node and
says the same. Fails for a target this machine cannot run. Ends with 'N passed, N failed'.

Targets: $(targets | words)
USAGE
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "" | -*) usage >&2; exit 2 ;;
esac
target=$1
targets | grep -x -- "$target" >/dev/null ||
  die "unknown target '$target'; supported targets (.cargo/config.toml): $(targets | words)" 2
can_run "$target" ||
  die "$target does not run on $(host_target) and has no runner; check it on its own system" 2
cd "$(repo_root)"
ensure_tools check jq

distrib=$(release_dir) archive=$(release_archive "$target")
[ -f "$distrib/$archive" ] || die "no $archive in ${distrib#"$(pwd)/"}/; run: scripts/build-rust.sh dist $target"
if (cd "$distrib" && awk -v name="$archive" '$2 == name' SHA256SUMS | grep . | sha256sum --quiet --strict --check); then
  pass "$archive: its SHA256SUMS line verifies"
else fail "$archive: not in SHA256SUMS, or its checksum differs"; fi

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
python=$(tools_python)
"$python" -c 'import shutil, sys; shutil.unpack_archive(sys.argv[1], sys.argv[2])' "$distrib/$archive" "$unpacked"
dir=$unpacked/${archive%.zip}
dir=${dir%.tar.gz}
new_build_comparison
while read -r package binary; do
  path=$dir/$(executable_name "$target" "$binary")
  # Python's unpacker drops a zip's modes (Windows needs none); a tarball's must be right.
  case "$archive" in *.zip) chmod +x "$path" ;; esac
  if info=$(run_version_json "$target" "$path" "$binary") && [ -n "$info" ]; then
    check_metadata "$target" "$package" "$binary" "$info" "$path" true
  else fail "$target $binary: does not run"; fi
done < <(shipped_binaries)
platform=$(addon_platform "$target")
if [ -n "$platform" ]; then
  node=$(addon_node "$target")
  if [ -z "$node" ]; then
    log "$target: tachikoma.$platform.node not loaded (Node here is for $(host_target))"
  elif info=$(addon_version_json "$node" "$dir/tachikoma.$platform.node") && [ -n "$info" ]; then
    check_metadata "$target" tachikoma-native "tachikoma.$platform.node" "$info" "$dir/tachikoma.$platform.node" true
  else fail "$target: Node cannot load tachikoma.$platform.node"; fi
fi
# MSVC links the C runtime statically (.cargo/config.toml): no Visual C++ runtime DLL imported.
# (Windows runners have that runtime installed, so running the files would not show it.)
case "$target" in
  *-windows-msvc)
    for file in "$dir"/*.exe "$dir"/*.node; do
      [ -e "$file" ] || continue
      if grep -a -i -q -e 'vcruntime140' -e 'api-ms-win-crt-' "$file"; then fail "$target ${file##*/}: imports the Visual C++ runtime"
      else pass "$target ${file##*/}: the C runtime is linked in"; fi
    done ;;
esac
tally
