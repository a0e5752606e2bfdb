#!/usr/bin/env bash
# What each dist-profile setting buys in binary size: the CLI built with the dist profile, then
# with one setting at a time turned back to release's value (or to a smaller opt-level).
# Writes docs/dist-size.md. A measurement, not a test.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  -h | --help) echo "Usage: scripts/bench-size.sh [TARGET]   (default: this machine's; builds the CLI ~8 times)"; exit 0 ;;
esac
target=${1:-$(host_target)}
targets | grep -x -- "$target" >/dev/null || die "unknown target '$target'; supported: $(targets | words)" 2
cd "$(repo_root)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/bench-size"

# label|cargo --config overrides of the dist profile (space-separated)
variants=(
  "dist as configured (fat LTO, 1 codegen unit, opt-level 3, panic abort, stripped)|"
  "release (thin LTO, 16 codegen units)|profile.dist.lto=\"thin\" profile.dist.codegen-units=16"
  "dist with thin LTO|profile.dist.lto=\"thin\""
  "dist with 16 codegen units|profile.dist.codegen-units=16"
  "dist with opt-level \"s\"|profile.dist.opt-level=\"s\""
  "dist with opt-level \"z\"|profile.dist.opt-level=\"z\""
  "dist with panic = \"unwind\"|profile.dist.panic=\"unwind\""
  "dist not stripped|profile.dist.strip=false"
)
rows=()
for variant in "${variants[@]}"; do
  label=${variant%%|*} overrides=${variant#*|} config=()
  for override in $overrides; do config+=(--config "$override"); done
  log "building: $label"
  start=$(date +%s.%N)
  cargo build --locked -q --profile dist --target "$target" -p tachikoma-cli ${config[@]+"${config[@]}"}
  seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  bytes=$(stat -c %s "$CARGO_TARGET_DIR/$target/dist/tachikoma")
  [ ${#rows[@]} -gt 0 ] || base=$bytes
  delta=$(awk -v b="$bytes" -v a="$base" 'BEGIN { printf "%+.1f %%", 100 * (b - a) / a }')
  rows+=("| $label | $bytes | $delta | $seconds |")
done
{
  echo "# What the dist profile's settings buy"
  echo
  echo "\`scripts/bench-size.sh $target\`: the \`tachikoma\` CLI (default features), $(nproc) cores,"
  echo "$(date -u +%Y-%m-%d). Sizes are exact; build times are indicative only (a variant reuses"
  echo "whatever crates the previous one left with the same settings)."
  echo
  echo "| build | bytes | vs dist | build (s) |"
  echo "| --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} >docs/dist-size.md
cat docs/dist-size.md
