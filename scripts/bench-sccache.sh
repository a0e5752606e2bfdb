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
# sccache's keys include absolute paths (CARGO_MANIFEST_DIR and the like; SCCACHE_BASEDIRS did
# not change that for Rust: measured 15 % hits). Real CI runners share their paths, so each
# "machine" is its own directory, mounted at the same path in a mount namespace of its own.
if ! command -v unshare >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then die "each machine is simulated in its own mount namespace: run as root with unshare (util-linux)"; fi
mount_point="$work/machine"
mkdir -p "$mount_point"

# build_on MACHINE: a clean build on a "machine" of its own; prints "seconds hits misses".
build_on() {
  local machine=$1 dir="$work/$1"
  mkdir -p "$dir/cargo-home"
  git clone --quiet --no-local "$root" "$dir/tachikoma"
  [ -d "$cargo_home/registry" ] && cp -a "$cargo_home/registry" "$dir/cargo-home/"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount bash -c '
    set -euo pipefail
    mount --bind "$1" "$2"
    cd "$2/tachikoma"
    export CARGO_HOME="$2/cargo-home" SCCACHE_DIR="$2/sccache-local" SCCACHE_SERVER_PORT=$3
    export SCCACHE_REDIS_ENDPOINT=$4 RUSTC_WRAPPER=sccache PATH="$6/bin:$PATH"
    sccache --start-server >/dev/null
    sccache --zero-stats >/dev/null
    start=$(date +%s.%N)
    cargo build --locked -q --workspace --profile "$5" >&2
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" "BEGIN { printf \"%.1f\", e - s }")
    stats=$(sccache --show-stats)
    sccache --stop-server >/dev/null
    printf "%s %s %s\n" "$seconds" \
      "$(awk "/^Cache hits +[0-9]/ && !/rate/ { print \$NF; exit }" <<<"$stats")" \
      "$(awk "/^Cache misses +[0-9]/ { print \$NF; exit }" <<<"$stats")"
  ' _ "$dir" "$mount_point" "$(port_of "$machine")" "redis://127.0.0.1:$port" "$profile" "$cargo_home"
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
CARGO_HOMEs and sccache servers, each mounted at the same path in its own mount namespace, as
identical CI runners have the same paths) sharing one Redis on 127.0.0.1.

| build | wall time (s) | sccache hits | misses |
| --- | ---: | ---: | ---: |
| machine 1, cold | $cold_seconds | $cold_hits | $cold_misses |
| machine 2, from the cache | $warm_seconds | $warm_hits | $warm_misses |

Hit rate on machine 2: **$rate %** of cacheable compilations; wall time $ratio× the cold build.
Paths matter: sccache's keys include absolute paths, so machines must build at the same paths
(checkout and CARGO_HOME). With the two machines at different paths the hit rate was 15 %, with
or without \`SCCACHE_BASEDIRS\`.
REPORT
cat "$root/docs/sccache-redis.md"
awk -v r="$rate" 'BEGIN { exit !(r >= 90) }' || die "hit rate $rate % is below the 90 % target"
