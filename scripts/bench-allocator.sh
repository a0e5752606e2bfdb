#!/usr/bin/env bash
# The allocation-heavy JSON benchmark, glibc against musl, each allocator on its own, and musl with
# its own memcpy against the project's (release profile). Writes docs/allocator-benchmark.md and
# .json. A benchmark that prints numbers, never a test: run it on an otherwise idle machine. The
# dist binaries as shipped, on this and an HTTP benchmark: scripts/bench-dist.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-allocator.sh [--runs N] [ROUNDS]

Builds crates/tachikoma-cli/examples/json_alloc_bench (every core encodes and decodes ROUNDS
conversations as JSON, default 4000) and runs each variant N times (default 5), one variant
after the other within each run, reporting the median:
  x86_64 glibc and musl (release), each with the system allocator (--no-default-features) and
  with mimalloc (--no-default-features --features mimalloc); musl with mimalloc also with musl's
  own memcpy (TACHIKOMA_MUSL_MEMCPY=musl), the row from before the project's memcpy.
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

# name target allocator memcpy cargo-feature-arguments (release profile). "musl" in the memcpy
# column keeps musl's own memcpy (TACHIKOMA_MUSL_MEMCPY, read by common-core's build script):
# the row from before docs/musl-performance.md's fix.
variants=(
  "glibc-system $gnu system libc --no-default-features"
  "glibc-mimalloc $gnu mimalloc libc --no-default-features --features mimalloc"
  "musl-system $musl system tachikoma --no-default-features"
  "musl-mimalloc-musl-memcpy $musl mimalloc musl --no-default-features --features mimalloc"
  "musl-mimalloc $musl mimalloc tachikoma --no-default-features --features mimalloc"
)
declare -A binary_of
for variant in "${variants[@]}"; do
  read -r name target allocator memcpy features <<<"$variant"
  log "building $name"
  [ "$memcpy" = musl ] && own_memcpy=(TACHIKOMA_MUSL_MEMCPY=musl) || own_memcpy=()
  # shellcheck disable=SC2086 # the feature arguments are words
  built=$(env ${own_memcpy[@]+"${own_memcpy[@]}"} cargo build --locked -q --release --target "$target" -p tachikoma-cli \
    --example json_alloc_bench $features --message-format=json-render-diagnostics | cargo_executable json_alloc_bench)
  [ -n "$built" ] || die "cargo built no json_alloc_bench for $name"
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
  echo "| variant | target | allocator | memcpy | conversations/s (median) | runs |"
  echo "| --- | --- | --- | --- | ---: | --- |"
  for variant in "${variants[@]}"; do
    read -r name target allocator memcpy _ <<<"$variant"
    echo "| $name | \`$target\` | $allocator | $memcpy | ${medians[$name]} |${samples[$name]} |"
  done
  echo
  echo "- musl with its own allocator: $(ratio musl-system glibc-system)× glibc's own"
  echo "- musl with mimalloc, before the memcpy fix (musl's memcpy): $(ratio musl-mimalloc-musl-memcpy glibc-mimalloc)× glibc with mimalloc"
  echo "- **musl with mimalloc, after (the project's memcpy): $(ratio musl-mimalloc glibc-mimalloc)× glibc with mimalloc**"
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
  printf '},"musl_over_glibc_mimalloc_before":%s,"musl_over_glibc_mimalloc_after":%s}\n' \
    "$(ratio musl-mimalloc-musl-memcpy glibc-mimalloc)" "$(ratio musl-mimalloc glibc-mimalloc)"
} >docs/allocator-benchmark.json
cat docs/allocator-benchmark.md
