#!/usr/bin/env bash
# Build-speed benchmark: clean builds per profile, incremental dev rebuilds after real edits,
# binary sizes, start-up time. Writes docs/build-benchmarks.md and docs/build-benchmarks.json.
# A benchmark that prints numbers, never a test; run it on an otherwise idle machine.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-build.sh [--runs N] [--profiles "dev ci release dist"] [--config KEY=VALUE]... [--out NAME]

In a fresh clone of HEAD with its own target directory (dependencies already downloaded):
  - a clean build of the workspace for each profile (one run each: they take minutes);
  - incremental dev rebuilds, median of N runs (default 3), after a code edit (a new item) in
    (a) the CLI's main.rs, (b) tachikoma-common-core's public API, which every other crate
    depends on, (c) a git commit (the build-info path);
  - the size of each binary per profile, and of the release binaries per target when built;
  - the start-up time of 'tachikoma --version' (mean of 200 runs).
--config passes a cargo --config override to every build (to compare profile settings);
--out names the report: docs/NAME.md and docs/NAME.json (default build-benchmarks).
USAGE
}
runs=3 bench_profiles="dev ci release dist" cargo_config=() out=build-benchmarks
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive integer" 2; runs=$2; shift ;;
    --profiles) [ -n "${2:-}" ] || die "--profiles needs a list" 2; bench_profiles=$2; shift ;;
    --config) [ -n "${2:-}" ] || die "--config needs KEY=VALUE" 2; cargo_config+=(--config "$2"); shift ;;
    --out) [[ ${2:-} =~ ^[a-z0-9-]+$ ]] || die "--out needs a name like build-benchmarks" 2; out=$2; shift ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for profile in $bench_profiles; do
  profiles | grep -x -- "$profile" >/dev/null || die "unknown profile '$profile'; known: $(profiles | words)" 2
done

ensure_tools check jq
root=$(repo_root)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-local "$root" "$work/tachikoma"
cd "$work/tachikoma"
git config user.email bench@tachikoma.invalid
git config user.name "Build benchmark"
export CARGO_TARGET_DIR="$work/target"

now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
build() {
  cargo build --locked -q --workspace --profile "$1" ${cargo_config[@]+"${cargo_config[@]}"} \
    --message-format=json-render-diagnostics >"$work/messages.json"
}
# The executable NAME of the last build, where cargo says it put it.
executable() { cargo_executable "$1" <"$work/messages.json"; }

json_rows=() md_clean=() md_sizes=()
for profile in $bench_profiles; do
  rm -rf "$CARGO_TARGET_DIR"
  log "clean build, profile $profile"
  start=$(now)
  build "$profile"
  seconds=$(elapsed "$start")
  log "  $seconds s"
  md_clean+=("| $profile | $seconds |")
  json_rows+=("{\"measure\":\"clean_build_seconds\",\"profile\":\"$profile\",\"value\":$seconds}")
  cli=$(executable tachikoma)
  for binary in $(shipped_binaries | cut -d' ' -f2); do
    bytes=$(stat -c %s "$(executable "$binary")")
    md_sizes+=("| $profile | $(host_target) | \`$binary\` | $bytes |")
    json_rows+=("{\"measure\":\"binary_bytes\",\"profile\":\"$profile\",\"target\":\"$(host_target)\",\"binary\":\"$binary\",\"value\":$bytes}")
  done
done

# Incremental dev rebuilds (the dev profile's artifacts are rebuilt first if dev was not last).
build dev
# A real code edit, not a comment: a new item (public in the library, so every dependent
# crate must be rebuilt too).
edit() {
  local n=$RANDOM$RANDOM
  case $1 in
    *lib.rs) printf '\n#[doc(hidden)]\npub const BENCH_EDIT_%s: u64 = %s;\n' "$n" "$n" >>"$1" ;;
    *) printf '\n#[allow(dead_code)]\nconst BENCH_EDIT_%s: u64 = %s;\n' "$n" "$n" >>"$1" ;;
  esac
}
md_incremental=()
for case_name in cli-main common-core git-commit; do
  samples=()
  for _ in $(seq "$runs"); do
    case $case_name in
      cli-main) edit crates/tachikoma-cli/src/main.rs ;;
      common-core) edit crates/tachikoma-common-core/src/lib.rs ;;
      git-commit) git commit --quiet --allow-empty -m "benchmark commit" ;;
    esac
    start=$(now)
    build dev
    samples+=("$(elapsed "$start")")
  done
  value=$(printf '%s\n' "${samples[@]}" | median)
  log "incremental dev rebuild after $case_name: $value s (${samples[*]})"
  md_incremental+=("| $case_name | $value | ${samples[*]} |")
  json_rows+=("{\"measure\":\"incremental_dev_seconds\",\"edit\":\"$case_name\",\"value\":$value}")
done

# Release binaries per target, where scripts/build-rust.sh built them in the main checkout.
for target in $(targets); do
  for binary in $(shipped_binaries | cut -d' ' -f2); do
    path="$root/target/$target/release/$binary"
    [ -f "$path" ] || continue
    bytes=$(stat -c %s "$path")
    md_sizes+=("| release (build-rust.sh) | $target | \`$binary\` | $bytes |")
    json_rows+=("{\"measure\":\"binary_bytes\",\"profile\":\"release\",\"target\":\"$target\",\"binary\":\"$binary\",\"value\":$bytes}")
  done
done

# Start-up: the last profile's CLI.
last_profile=${bench_profiles##* }
start=$(now)
for _ in $(seq 200); do "$cli" --version >/dev/null; done
startup_ms=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", (e - s) * 1000 / 200 }')
json_rows+=("{\"measure\":\"startup_ms\",\"profile\":\"$last_profile\",\"value\":$startup_ms}")

machine="$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(rustc --version)"
mkdir -p "$root/docs"
(IFS=,; printf '{"machine":"%s","date":"%s","results":[%s]}\n' "$machine" "$(date -u +%Y-%m-%d)" "${json_rows[*]}") \
  >"$root/docs/$out.json"
{
  echo "# Build benchmarks"
  echo
  echo "\`scripts/bench-build.sh\` on $machine, $(date -u +%Y-%m-%d). Fresh clone, own target"
  echo "directory, dependencies already downloaded. Raw numbers: \`$out.json\`."
  [ ${#cargo_config[@]} -eq 0 ] || echo "Cargo overrides: \`${cargo_config[*]}\`."
  echo
  echo "## Clean build of the workspace"
  echo
  echo "| profile | seconds |"
  echo "| --- | ---: |"
  printf '%s\n' "${md_clean[@]}"
  echo
  echo "## Incremental dev rebuild (median of $runs)"
  echo
  echo "| after an edit of | seconds | runs |"
  echo "| --- | ---: | --- |"
  printf '%s\n' "${md_incremental[@]}"
  echo
  echo "## Binary sizes"
  echo
  echo "| profile | target | binary | bytes |"
  echo "| --- | --- | --- | ---: |"
  printf '%s\n' "${md_sizes[@]}"
  echo
  echo "## Start-up"
  echo
  echo "\`tachikoma --version\` ($last_profile profile): $startup_ms ms (mean of 200 runs)."
} >"$root/docs/$out.md"
cat "$root/docs/$out.md"
