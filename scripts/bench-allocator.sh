#!/usr/bin/env bash
# Measures the global allocator's effect: the JSON encode/decode benchmark on every core, for
# x86_64 musl (its own allocator, then mimalloc) and x86_64 glibc. Writes
# docs/allocator-benchmark.md. A benchmark script, not a test: it prints numbers.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  -h | --help)
    echo "Usage: scripts/bench-allocator.sh [ROUNDS]   (default 4000 conversations per thread; median of 3 runs)"
    exit 0 ;;
esac
rounds=${1:-4000}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$rounds'" 2
cd "$(repo_root)"
ensure_target_prerequisites install x86_64-unknown-linux-musl

variants=("x86_64-unknown-linux-gnu:" "x86_64-unknown-linux-musl:" "x86_64-unknown-linux-musl:mimalloc" "x86_64-unknown-linux-gnu:mimalloc")
rows=() medians=() labels=() targets_run=()
for variant in "${variants[@]}"; do
  target=${variant%%:*} features=${variant#*:}
  log "building the benchmark for $target ${features:+with $features}"
  cargo build --locked -q --release -p tachikoma-cli --example json_alloc_bench --target "$target" \
    ${features:+--features "$features"}
  binary="target/$target/release/examples/json_alloc_bench"
  runs=()
  for _ in 1 2 3; do
    runs+=("$("$binary" "$rounds" | sed -n 's/.*"conversations_per_second":\([0-9]*\).*/\1/p')")
  done
  median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
  allocator=$("$binary" 1 | sed -n 's/.*"allocator":"\([a-z]*\)".*/\1/p')
  [ "$allocator" = system ] && allocator=$([ "${target##*-}" = musl ] && echo "musl (system)" || echo "glibc (system)")
  log "$target, $allocator: ${runs[*]} conversations/s"
  rows+=("| \`$target\` | $allocator | $median | ${runs[*]} |")
  medians+=("$median") labels+=("$allocator") targets_run+=("$target")
done

{
  echo "# Allocator benchmark"
  echo
  echo "\`scripts/bench-allocator.sh $rounds\` on $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%d)."
  echo "Each thread encodes and decodes $rounds conversations of 24 messages as JSON"
  echo "(\`crates/tachikoma-cli/examples/json_alloc_bench.rs\`); release profile; median of 3 runs."
  echo
  echo "| target | allocator | conversations/s (median) | runs |"
  echo "| --- | --- | ---: | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  for i in 1 2 3; do
    ratio=$(awk -v a="${medians[$i]}" -v b="${medians[0]}" 'BEGIN { printf "%.2f", a / b }')
    echo "- ${targets_run[$i]} with ${labels[$i]}: ${ratio}× the throughput of glibc's allocator"
  done
} > docs/allocator-benchmark.md
cat docs/allocator-benchmark.md
