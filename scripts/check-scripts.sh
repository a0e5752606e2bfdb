#!/usr/bin/env bash
# Tests of the build scripts as release engineers use them: every supported target built in the
# release profile and run (qemu for aarch64), and the scripts' error paths.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-scripts.sh [--errors-only]

Builds tachikoma for every target of .cargo/config.toml with scripts/build-rust.sh release, runs
each binary and checks what it reports, its linking and stripping; then checks the scripts' error
paths. --errors-only skips the builds. Needs the targets' prerequisites (scripts/test.sh installs
them). Ends with 'N passed, N failed'.
USAGE
}
errors_only=false
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --errors-only) errors_only=true ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

cd "$(repo_root)"
passed=0 failed=0
pass() { passed=$((passed + 1)); log "PASS $1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1" >&2; }
# expect_failure NAME EXIT PATTERN COMMAND...: COMMAND exits EXIT and says PATTERN on stderr.
expect_failure() {
  local name=$1 want=$2 pattern=$3 stderr code=0
  shift 3
  stderr=$("$@" 2>&1 >/dev/null) || code=$?
  if [ "$code" = "$want" ] && grep -q -- "$pattern" <<<"$stderr"; then pass "$name"
  else fail "$name: exit $code (want $want), stderr: $stderr"; fi
}

# has_in COMMAND ARG... TEXT: COMMAND's output contains TEXT. (Not `| grep -q`: with pipefail,
# grep quitting early can kill COMMAND with SIGPIPE and fail the pipeline.)
has_in() {
  local text=${*: -1}
  LC_ALL=C "${@:1:$#-1}" | grep -F -- "$text" >/dev/null
}

check_target() {
  local target=$1 binary json runner
  if ! json=$(scripts/build-rust.sh --json release "$target"); then fail "$target: build"; return; fi
  binary=$(sed -n 's/.*"binary":"tachikoma","path":"\([^"]*\)".*/\1/p' <<<"$json")
  [ -f "$binary" ] || { fail "$target: no tachikoma binary in the report: $json"; return; }
  read -r -a runner <<<"$(target_setting "$target" runner)"
  local info
  if ! info=$(${runner[@]+"${runner[@]}"} "$binary" version --json); then fail "$target: run"; return; fi
  if grep -q "\"target\":\"$target\"" <<<"$info" && grep -q '"profile":"release"' <<<"$info"; then
    pass "$target: reports its target and profile"
  else fail "$target: version --json said $info"; fi
  # Static: no program interpreter (dynamic loader) requested.
  local linking=static want=dynamic
  if has_in readelf -l "$binary" 'INTERP'; then linking=dynamic; fi
  case "$target" in *-musl) want=static ;; esac
  if [ $linking = $want ]; then pass "$target: linked $linking"; else fail "$target: linked $linking, want $want"; fi
  if grep -E '"(test-utils|mocks|debug-logging)"' <<<"$info" >/dev/null; then
    fail "$target: test or debug features in a release binary: $info"
  else pass "$target: no test or debug features"; fi
  if has_in readelf -S "$binary" '.symtab'; then fail "$target: not stripped"
  else pass "$target: stripped"; fi
}

# One list of targets: rust-toolchain.toml must install exactly the targets .cargo/config.toml
# configures (rustup cannot read the latter, so the list stands twice, checked here).
toolchain_targets=$(sed -n '/^targets = \[/,/^\]/s/^ *"\([^"]*\)",*$/\1/p' rust-toolchain.toml | sort)
if [ -n "$toolchain_targets" ] && [ "$toolchain_targets" = "$(targets | sort)" ]; then
  pass "rust-toolchain.toml installs every target of .cargo/config.toml"
else fail "rust-toolchain.toml targets ($toolchain_targets) differ from .cargo/config.toml ($(targets | words))"; fi

# Building one package after another must not rebuild shared dependencies: every dependency
# the CLI, the server and the addon share must have the same features in each (the
# workspace-hack crate unifies them; cargo-hakari keeps it current).
dependency_features() {
  cargo tree -q --locked -p "$1" -e normal -f '{p}|{f}' --prefix none --no-dedupe |
    sed 's/ (\*)$//; s/ (proc-macro)$//' | grep -v '^tachikoma' | sort -u
}
packages=(tachikoma-cli tachikoma-server tachikoma-native)
for ((i = 0; i < ${#packages[@]}; i++)); do
  for ((j = i + 1; j < ${#packages[@]}; j++)); do
    a=${packages[$i]} b=${packages[$j]}
    differing=$(join -t'|' <(dependency_features "$a") <(dependency_features "$b") | awk -F'|' '$2 != $3 { print $1 }')
    if [ -z "$differing" ]; then pass "$a and $b build shared dependencies with the same features"
    else fail "$a and $b build these shared dependencies with different features: $(words <<<"$differing")"; fi
  done
done

if ! $errors_only; then
  while read -r target; do check_target "$target"; done < <(targets)
fi

# debug-logging: without it a release build has no debug events at all (their text included).
if ! $errors_only; then
  marker="tachikoma debug-logging is compiled in"
  host=$(host_target)
  if scripts/build-rust.sh --features debug-logging release "$host" 2>/dev/null &&
    grep -F "$marker" "target/$host/release/tachikoma" >/dev/null &&
    scripts/build-rust.sh release "$host" 2>/dev/null && ! grep -F "$marker" "target/$host/release/tachikoma" >/dev/null; then
    pass "debug-logging compiles debug events in, and only it"
  else fail "debug-logging compiles debug events in, and only it"; fi
fi

expect_failure "build-rust: unknown profile" 2 "unknown profile 'fastest'.*dist" scripts/build-rust.sh fastest
expect_failure "build-rust: unknown target" 2 "unknown target 'riscv64gc-unknown-linux-gnu'.*aarch64-unknown-linux-musl" \
  scripts/build-rust.sh release riscv64gc-unknown-linux-gnu
expect_failure "build-rust: no arguments" 2 "Usage" scripts/build-rust.sh
expect_failure "build-rust: unknown option" 2 "unknown option --fast" scripts/build-rust.sh --fast release
# A linker missing from PATH: fail before cargo, naming the fix.
nolinker=$(mktemp -d)
trap 'rm -rf "$nolinker"' EXIT
# Every program on PATH but the aarch64 cross gcc.
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  for program in "$dir"/*; do
    name=${program##*/}
    if [ "$name" != aarch64-linux-gnu-gcc ] && [ -x "$program" ] && [ ! -e "$nolinker/$name" ]; then
      ln -s "$program" "$nolinker/$name"
    fi
  done
done
expect_failure "build-rust: missing linker" 1 "aarch64-linux-gnu-gcc, the linker or C compiler for aarch64-unknown-linux-gnu, is missing; run: sudo apt-get install gcc-aarch64-linux-gnu" \
  env PATH="$nolinker" RUSTUP_TOOLCHAIN="$(rustup show active-toolchain | cut -d' ' -f1)" \
  "$BASH" scripts/build-rust.sh release aarch64-unknown-linux-gnu
expect_failure "optimize-binary: missing file" 2 "no such file" scripts/optimize-binary.sh /nonexistent/tachikoma
expect_failure "optimize-binary: not ELF" 2 "not an ELF binary" scripts/optimize-binary.sh Cargo.toml
expect_failure "optimize-binary: no argument" 2 "Usage" scripts/optimize-binary.sh

# optimize-binary strips an unstripped binary of each architecture (small C programs from the
# same cross compilers the targets use).
for compiler in gcc aarch64-linux-gnu-gcc; do
  $errors_only && break
  program="$nolinker/hello-$compiler"
  if printf 'int main(void) { return 0; }\n' | "$compiler" -x c - -o "$program" &&
    has_in readelf -S "$program" '.symtab' &&
    scripts/optimize-binary.sh "$program" 2>/dev/null && ! has_in readelf -S "$program" '.symtab'; then
    pass "optimize-binary: strips a $compiler binary"
  else fail "optimize-binary: strips a $compiler binary"; fi
done

printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
