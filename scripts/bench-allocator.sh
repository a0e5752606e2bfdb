#!/usr/bin/env bash
# The allocation-heavy JSON benchmark, glibc against musl: each allocator on its own (release),
# and the dist binaries as shipped. Writes docs/allocator-benchmark.md and .json. A benchmark
# that prints numbers, never a test: run it on an otherwise idle machine.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-allocator.sh [--runs N] [ROUNDS]

Builds crates/tachikoma-cli/examples/json_alloc_bench (every core encodes and decodes ROUNDS
conversations as JSON, default 4000) and runs each variant N times (default 5), one variant
after the other within each run, reporting the median:
  release, x86_64 glibc and musl, each with the system allocator (--no-default-features) and
  with mimalloc (--no-default-features --features mimalloc);
  dist, x86_64 glibc and musl, with the CLI's default features (what ships).
Each binary must report the allocator its row names, or the script fails.
USAGE
}
runs=5 rounds=4000
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive integer" 2; runs=$2; shift ;;
    *) [[ $1 =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$1'" 2; rounds=$1 ;;
  esac
  shift
done
cd "$(repo_root)"
ensure_tools check jq
gnu=x86_64-unknown-linux-gnu musl=x86_64-unknown-linux-musl
for target in "$gnu" "$musl"; do ensure_target_prerequisites check "$target"; done

# name profile target allocator cargo-feature-arguments
variants=(
  "glibc-system release $gnu system --no-default-features"
  "glibc-mimalloc release $gnu mimalloc --no-default-features --features mimalloc"
  "musl-system release $musl system --no-default-features"
  "musl-mimalloc release $musl mimalloc --no-default-features --features mimalloc"
  "glibc-dist dist $gnu mimalloc"
  "musl-dist dist $musl mimalloc"
)
declare -A binary_of
for variant in "${variants[@]}"; do
  read -r name profile target allocator features <<<"$variant"
  log "building $name"
  # shellcheck disable=SC2086 # the feature arguments are words
  built=$(cargo build --locked -q --profile "$profile" --target "$target" -p tachikoma-cli --example json_alloc_bench \
    $features --message-format=json-render-diagnostics |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "json_alloc_bench") | .executable // empty' | tail -n 1)
  # Kept aside: the next variant of the same profile and target overwrites cargo's copy.
  path=target/bench-allocator/$name
  mkdir -p target/bench-allocator
  cp "$built" "$path"
  reported=$("$path" 1 | jq -r .allocator)
  [ "$reported" = "$allocator" ] || die "$name was built to use $allocator but reports $reported"
  binary_of[$name]=$path
done

declare -A samples
for run in $(seq "$runs"); do
  for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    value=$("${binary_of[$name]}" "$rounds" | jq .conversations_per_second)
    samples[$name]="${samples[$name]:-} $value"
    log "run $run, $name: $value conversations/s"
  done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A medians
for variant in "${variants[@]}"; do
  read -r name _ <<<"$variant"
  medians[$name]=$(median <<<"${samples[$name]}")
done
ratio() { awk -v a="${medians[$1]}" -v b="${medians[$2]}" 'BEGIN { printf "%.2f", a / b }'; }

{
  echo "# Allocator benchmark"
  echo
  echo "\`scripts/bench-allocator.sh --runs $runs $rounds\` on $(nproc) cores, $(date -u +%Y-%m-%d), $(rustc --version)."
  echo "Every core encodes and decodes $rounds conversations of 24 messages as JSON"
  echo "(\`crates/tachikoma-cli/examples/json_alloc_bench.rs\`). The variants run one after the other"
  echo "within each of the $runs runs; the table gives the median. Each binary reported the allocator"
  echo "its row names."
  echo
  echo "| variant | profile | target | allocator | conversations/s (median) | runs |"
  echo "| --- | --- | --- | --- | ---: | --- |"
  for variant in "${variants[@]}"; do
    read -r name profile target allocator _ <<<"$variant"
    echo "| $name | $profile | \`$target\` | $allocator | ${medians[$name]} |${samples[$name]} |"
  done
  echo
  echo "- musl with its own allocator: $(ratio musl-system glibc-system)× glibc's own"
  echo "- musl with mimalloc: $(ratio musl-mimalloc glibc-mimalloc)× glibc with mimalloc"
  echo "- **dist as shipped (mimalloc), musl: $(ratio musl-dist glibc-dist)× glibc**"
} >docs/allocator-benchmark.md
{
  printf '{"runs":%s,"rounds":%s,"medians":{' "$runs" "$rounds"
  first=true
  for variant in "${variants[@]}"; do
    read -r name _ <<<"$variant"
    $first || printf ','
    first=false
    printf '"%s":%s' "$name" "${medians[$name]}"
  done
  printf '},"musl_dist_over_glibc_dist":%s}\n' "$(ratio musl-dist glibc-dist)"
} >docs/allocator-benchmark.json
cat docs/allocator-benchmark.md
