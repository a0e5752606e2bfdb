#!/usr/bin/env bash
# What each cargo feature costs: the binary's size and a clean build's wall time, release
# profile, this machine's target. Writes docs/features.md. A measurement, not a test.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  -h | --help) echo "Usage: scripts/measure-features.sh   (clean release builds; takes minutes)"; exit 0 ;;
  "") ;;
  *) die "no arguments expected (see --help)" 2 ;;
esac
cd "$(repo_root)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# package:binary:features ("" = none)
configurations=(
  "tachikoma-cli:tachikoma:"
  "tachikoma-cli:tachikoma:claude"
  "tachikoma-cli:tachikoma:all-backends"
  "tachikoma-cli:tachikoma:mimalloc"
  "tachikoma-cli:tachikoma:debug-logging"
  "tachikoma-cli:tachikoma:all-backends,mimalloc"
  "tachikoma-server:tachikoma-server:"
  "tachikoma-server:tachikoma-server:hot-reload"
  "tachikoma-server:tachikoma-server:mimalloc"
)
rows=()
for configuration in "${configurations[@]}"; do
  IFS=: read -r package binary features <<<"$configuration"
  target_dir="$scratch/target"
  rm -rf "$target_dir"
  log "clean release build of $package with features: ${features:-(none)}"
  start=$(date +%s.%N)
  cargo build --locked -q --release -p "$package" --no-default-features ${features:+--features "$features"} \
    --target-dir "$target_dir"
  seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  bytes=$(stat -c %s "$target_dir/release/$binary")
  rows+=("| \`$binary\` | ${features:-(none)} | $bytes | $seconds |")
done
{
  echo "# What features cost"
  echo
  echo "\`scripts/measure-features.sh\`: clean \`--release\` builds (\`--no-default-features\` plus the"
  echo "features named), $(host_target), $(nproc) cores, $(date -u +%Y-%m-%d), dependencies already downloaded."
  echo
  echo "| binary | features | stripped size (bytes) | clean build (s) |"
  echo "| --- | --- | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} > docs/features.md
cat docs/features.md
