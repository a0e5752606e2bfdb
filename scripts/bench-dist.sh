#!/usr/bin/env bash
# The dist profile's opt-level, decided by numbers: binary sizes and two benchmarks, x86_64 glibc
# against musl, for each opt-level. Writes docs/dist-benchmark.md and .json (or --report's). A benchmark that
# prints numbers, never a test: run it on an otherwise idle machine.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/bench-dist.sh [--runs N] [--opt-levels "3 s z"] [--host-glibc] [--report PATH]

For each opt-level (default: 3, s, z) and for x86_64 glibc and musl, builds the dist binaries as
shipped (each package on its own, default features; glibc linked by Zig against the glibc floor,
as scripts/build-rust.sh does; CARGO_PROFILE_DIST_OPT_LEVEL overrides the profile) and the JSON
example, and with --host-glibc also glibc linked by this machine's cc against its own glibc (the
way before the floor), then measures N times (default 5), interleaved, reporting medians:
  - allocation-bound: crates/tachikoma-cli/examples/json_alloc_bench (conversations/s);
  - not allocation-bound: tachikoma-server answering GET /version on 127.0.0.1 to wrk
    (1 thread, 8 connections, 3 s per run, wrk and the server on a core each: requests/s).
The report goes to PATH.md and PATH.json (default docs/dist-benchmark).
USAGE
}
runs=5 opt_levels="3 s z" host_glibc=false report=docs/dist-benchmark invocation="scripts/bench-dist.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --host-glibc) host_glibc=true ;;
    --report) [ -n "${2:-}" ] || die "--report needs a path (without .md)" 2; report=$2; shift ;;
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive integer" 2; runs=$2; shift ;;
    --opt-levels) [[ ${2:-} =~ ^[0-3sz]( [0-3sz])*$ ]] || die "--opt-levels needs a list like \"3 s z\"" 2; opt_levels=$2; shift ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
cd "$(repo_root)"
ensure_tools check jq wrk taskset
gnu=x86_64-unknown-linux-gnu musl=x86_64-unknown-linux-musl
for target in "$gnu" "$musl"; do ensure_target_prerequisites check "$target"; done
# What is measured: each target as shipped, and (--host-glibc) glibc linked the host's way.
variants=("$gnu" "$musl")
if $host_glibc; then variants+=("$gnu+host-glibc"); fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)} TACHIKOMA_PROFILE=dist
out=target/bench-dist
mkdir -p "$out"

# build OPT VARIANT PACKAGE [--example NAME]: the artifact's path, copied aside (the next opt-level
# overwrites cargo's). VARIANT: a target, built as shipped, or TARGET+host-glibc.
build() {
  local opt=$1 variant=$2 package=$3 name built target=${2%+host-glibc} command cargo_target
  shift 3
  name=${2:-$(shipped_binaries | awk -v p="$package" '$1 == p { print $2 }')}
  command=$(cargo_build_command "$target") cargo_target=$target
  if [ "$variant" != "$target" ]; then command=build
  elif [ "$command" = zigbuild ]; then cargo_target=$(zig_target "$target"); fi
  built=$(CARGO_PROFILE_DIST_OPT_LEVEL=$opt cargo "$command" --locked -q --profile dist --target "$cargo_target" -p "$package" "$@" \
    --message-format=json-render-diagnostics | cargo_executable "$name")
  [ -n "$built" ] || die "no $name built for $variant at opt-level $opt"
  cp "$built" "$out/$name-$opt-$variant"
  echo "$out/$name-$opt-$variant"
}

declare -A size json_bench server_bin samples_json samples_http
for opt in $opt_levels; do
  for target in "${variants[@]}"; do
    log "building opt-level $opt for $target"
    key="$opt $target"
    cli=$(build "$opt" "$target" tachikoma-cli)
    server_bin[$key]=$(build "$opt" "$target" tachikoma-server)
    json_bench[$key]=$(build "$opt" "$target" tachikoma-cli --example json_alloc_bench)
    size[$key]="$(stat -c %s "$cli") $(stat -c %s "${server_bin[$key]}")"
  done
done

# requests/s of SERVER answering GET /version, one wrk run of 3 s on 127.0.0.1 only. The server
# runs on the first core, wrk on the second: the load generator does not take the server's CPU.
http_rate() {
  local listening report rate pid port
  listening=$(mktemp)
  start_server "$1" "$listening" || die "$1 did not say its port"
  pid=${server_pid:-} port=${server_port:-} # set by start_server (lib.sh)
  taskset -p -c 0 "$pid" >/dev/null
  report=$(taskset -c 1 wrk -t1 -c8 -d3s "http://127.0.0.1:$port/version")
  kill "$pid"
  wait "$pid" || true
  rm -f "$listening"
  ! grep -E 'Non-2xx|Socket errors' <<<"$report" >/dev/null || die "wrk saw failed requests: $report"
  rate=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$report")
  [[ $rate =~ ^[0-9]+$ ]] || die "no request rate in wrk's report: $report"
  echo "$rate"
}

for run in $(seq "$runs"); do
  for opt in $opt_levels; do
    for target in "${variants[@]}"; do
      key="$opt $target"
      value=$("${json_bench[$key]}" 4000 | jq .conversations_per_second)
      samples_json[$key]="${samples_json[$key]:-} $value"
      rate=$(http_rate "${server_bin[$key]}")
      samples_http[$key]="${samples_http[$key]:-} $rate"
      log "run $run, opt-level $opt, $target: $value conversations/s, $rate requests/s"
    done
  done
done

rows=() json_rows=()
for opt in $opt_levels; do
  for target in "${variants[@]}"; do
    key="$opt $target"
    read -r cli_bytes server_bytes <<<"${size[$key]}"
    conversations=$(median <<<"${samples_json[$key]}") requests=$(median <<<"${samples_http[$key]}")
    rows+=("| $opt | \`$target\` | $cli_bytes | $server_bytes | $conversations | $requests |")
    json_rows+=("$(printf '{"opt_level":"%s","target":"%s","cli_bytes":%s,"server_bytes":%s,"conversations_per_second":%s,"requests_per_second":%s}' \
      "$opt" "$target" "$cli_bytes" "$server_bytes" "$conversations" "$requests")")
    variable=${target//[-+]/_}
    declare "c_${opt}_$variable=$conversations" "r_${opt}_$variable=$requests"
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "# dist: opt-level, size and speed, glibc against musl"
  echo
  echo "\`$invocation\` on $(nproc) cores, $(date -u +%Y-%m-%d), $(rustc --version)."
  echo "dist binaries as shipped (each package built on its own, default features, mimalloc; glibc linked"
  echo "by Zig against glibc $(platform_floor glibc)$($host_glibc && echo "; +host-glibc: by this machine's cc against its glibc"))."
  echo "Medians of $runs interleaved runs: the JSON example (4000 conversations a thread, every core)"
  echo "and tachikoma-server answering \`GET /version\` to wrk on 127.0.0.1 (1 thread, 8 connections, 3 s;"
  echo "the server pinned to one core, wrk to the other). Sizes: stripped, without cargo-auditable's"
  echo "dependency list (a few KB more in the shipped binaries)."
  echo
  echo "| opt-level | target | tachikoma (B) | tachikoma-server (B) | conversations/s | requests/s |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  for opt in $opt_levels; do
    c_gnu=c_${opt}_${gnu//-/_} c_musl=c_${opt}_${musl//-/_} r_gnu=r_${opt}_${gnu//-/_} r_musl=r_${opt}_${musl//-/_}
    echo "- opt-level $opt, musl against glibc: $(ratio "${!c_musl}" "${!c_gnu}")× (JSON), $(ratio "${!r_musl}" "${!r_gnu}")× (HTTP)"
    if $host_glibc; then
      c_host=c_${opt}_${gnu//-/_}_host_glibc r_host=r_${opt}_${gnu//-/_}_host_glibc
      echo "- opt-level $opt, glibc as shipped (Zig, glibc $(platform_floor glibc)) against the host's glibc: $(ratio "${!c_gnu}" "${!c_host}")× (JSON), $(ratio "${!r_gnu}" "${!r_host}")× (HTTP)"
    fi
  done
} >"$report.md"
(IFS=,; printf '[%s]\n' "${json_rows[*]}") >"$report.json"
cat "$report.md"
