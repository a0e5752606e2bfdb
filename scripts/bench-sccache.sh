#!/usr/bin/env bash
# A shared build cache across machines: sccache with a Redis backend. Two "machines" (separate
# checkouts, target directories, CARGO_HOMEs and sccache servers) share one Redis on loopback;
# the first builds cold, the second should find its compilations in the cache. Prints the hit
# rate and the wall-time ratio and writes docs/sccache-redis.md. A benchmark, not a unit test,
# but it fails (exit 1) when the second build hits less than 90 % of dependency crates.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-sccache.sh [PROFILE]   (default: release)

Needs redis-server (Debian) and an sccache built with Redis support
(cargo install --locked sccache --no-default-features --features redis; Debian's sccache 0.4
has no Redis backend). Starts its own Redis on 127.0.0.1 and stops it afterwards.
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
profile=${1:-release}
profiles | grep -x -- "$profile" >/dev/null || die "unknown profile '$profile'; known: $(profiles | words)" 2
command -v redis-server >/dev/null 2>&1 || die "redis-server is missing; run: sudo apt-get install redis-server"
command -v sccache >/dev/null 2>&1 ||
  die "sccache is missing; run: cargo install --locked sccache --no-default-features --features redis"

root=$(repo_root)
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
cleanup() {
  for machine in first second; do
    SCCACHE_SERVER_PORT=$(port_of "$machine") sccache --stop-server >/dev/null 2>&1 || true
  done
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
port_of() { if [ "$1" = first ]; then echo $((port + 1)); else echo $((port + 2)); fi; }
trap cleanup EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null 2>&1 || die "redis-server did not start: $(cat "$work/redis.log")"

cargo_home=${CARGO_HOME:-$HOME/.cargo}
# build_on MACHINE: a clean build on a "machine" of its own; prints "seconds hits misses".
build_on() {
  local machine=$1 dir="$work/$1"
  mkdir -p "$dir/cargo-home"
  git clone --quiet --no-local "$root" "$dir/tachikoma"
  [ -d "$cargo_home/registry" ] && cp -a "$cargo_home/registry" "$dir/cargo-home/"
  export SCCACHE_REDIS_ENDPOINT="redis://127.0.0.1:$port" SCCACHE_REDIS="redis://127.0.0.1:$port"
  export SCCACHE_SERVER_PORT
  SCCACHE_SERVER_PORT=$(port_of "$machine")
  SCCACHE_DIR="$dir/sccache-local" sccache --start-server >/dev/null
  sccache --zero-stats >/dev/null
  local start seconds stats
  start=$(date +%s.%N)
  (cd "$dir/tachikoma" && CARGO_HOME="$dir/cargo-home" PATH="$cargo_home/bin:$PATH" RUSTC_WRAPPER=sccache \
    cargo build --locked -q --workspace --profile "$profile" >&2)
  seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  stats=$(sccache --show-stats)
  sccache --stop-server >/dev/null
  printf '%s %s %s\n' "$seconds" \
    "$(awk '/^Cache hits +[0-9]/ && !/rate/ { print $NF; exit }' <<<"$stats")" \
    "$(awk '/^Cache misses +[0-9]/ { print $NF; exit }' <<<"$stats")"
}

log "machine 1: cold build (profile $profile), filling the Redis cache"
read -r cold_seconds cold_hits cold_misses < <(build_on first)
log "  $cold_seconds s, $cold_hits hits, $cold_misses misses"
log "machine 2: clean build from the shared cache"
read -r warm_seconds warm_hits warm_misses < <(build_on second)
log "  $warm_seconds s, $warm_hits hits, $warm_misses misses"

rate=$(awk -v h="$warm_hits" -v m="$warm_misses" 'BEGIN { printf "%.1f", (h + m) ? 100 * h / (h + m) : 0 }')
ratio=$(awk -v c="$cold_seconds" -v w="$warm_seconds" 'BEGIN { printf "%.2f", w / c }')
mkdir -p "$root/docs"
cat >"$root/docs/sccache-redis.md" <<REPORT
# Shared build cache: sccache with Redis

\`scripts/bench-sccache.sh $profile\` on $(nproc) cores, $(date -u +%Y-%m-%d), $(sccache --version).
Two clean builds of the workspace on two "machines" (separate clones, target directories,
CARGO_HOMEs and sccache servers) sharing one Redis on 127.0.0.1.

| build | wall time (s) | sccache hits | misses |
| --- | ---: | ---: | ---: |
| machine 1, cold | $cold_seconds | $cold_hits | $cold_misses |
| machine 2, from the cache | $warm_seconds | $warm_hits | $warm_misses |

Hit rate on machine 2: **$rate %** of cacheable compilations; wall time $ratio× the cold build.
sccache cannot cache the crates that run build scripts' outputs into linking or proc-macro
dylibs in every case, nor the final link of binaries: those remain the floor.
REPORT
cat "$root/docs/sccache-redis.md"
awk -v r="$rate" 'BEGIN { exit !(r >= 90) }' || die "hit rate $rate % is below the 90 % target"
