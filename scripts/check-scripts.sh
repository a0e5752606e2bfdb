#!/usr/bin/env bash
# Tests of the build scripts as release engineers use them, beyond the release itself
# (scripts/check-release.sh): shared dependencies, the server's handler panic, debug-logging, a
# Nix shell's toolchain variables, and the scripts' error paths.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-scripts.sh [--errors-only]

Checks that the shipped binaries build shared dependencies with the same features, what a
request handler's panic does to the release server, that debug-logging alone compiles debug
events in, that build-rust.sh builds and runs aarch64 with a Nix shell's toolchain variables,
and the scripts' error paths.
--errors-only skips the builds. Needs the targets' prerequisites (scripts/test.sh installs
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
# Building one package after another must not rebuild shared dependencies: on every target,
# every dependency the CLI, the server and the addon share must have the same features in each
# (the workspace-hack crate unifies them; cargo-hakari keeps it current).
dependency_features() {
  cargo tree -q --locked -p "$1" --target "$2" -e normal -f '{p}|{f}' --prefix none --no-dedupe |
    sed 's/ (\*)$//; s/ (proc-macro)$//' | grep -v '^tachikoma' | sort -u
}
packages=(tachikoma-cli tachikoma-server tachikoma-native)
for target in $(targets); do
  for ((i = 0; i < ${#packages[@]}; i++)); do
    for ((j = i + 1; j < ${#packages[@]}; j++)); do
      a=${packages[$i]} b=${packages[$j]}
      differing=$(join -t'|' <(dependency_features "$a" "$target") <(dependency_features "$b" "$target") | awk -F'|' '$2 != $3 { print $1 }')
      if [ -z "$differing" ]; then pass "$target: $a and $b build shared dependencies with the same features"
      else fail "$target: $a and $b build these shared dependencies with different features: $(words <<<"$differing")"; fi
    done
  done
done

# What a request handler's panic does to the server as shipped: release and dist abort on panic
# (README: a supervisor restarts it), so the server ends with SIGABRT and the next request is
# refused. Built with the test-only fault-injection feature (GET /panic panics); the
# debug-logging check below rebuilds the release binaries without it.
http_get() { # PORT PATH: the response, or failure when nothing listens
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&3
  cat <&3 || true
  exec 3<&-
}
if ! $errors_only; then
  host=$(host_target) port=""
  if scripts/build-rust.sh --package tachikoma-server --features fault-injection release "$host" >/dev/null 2>&1; then
    listening=$(mktemp)
    if start_server "target/$host/release/tachikoma-server" "$listening"; then
      port=${server_port:-} pid=${server_pid:-} # set by start_server (lib.sh)
      before=$(http_get "$port" /health | tail -n 1 || true)
      http_get "$port" /panic >/dev/null 2>&1 || true
      # An unwinding server would go on serving: give it 5 s, then stop it.
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill "$pid" 2>/dev/null || true
      status=0
      wait "$pid" || status=$?
      if [ "$before" = ok ] && [ "$status" -eq 134 ] && ! (http_get "$port" /health) 2>/dev/null; then
        pass "a handler panic aborts the release server (SIGABRT); the next request is refused"
      else fail "handler panic: /health before '$before', exit status $status, port $port"; fi
    else fail "the fault-injection server did not say its port"; fi
    rm -f "$listening"
  else fail "build of the server with fault-injection"; fi
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
# In a Nix dev shell the toolchain comes from the environment: the checks of Debian's cross
# toolchain names are skipped.
nix_shell=false
if [ -n "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-}${IN_NIX_SHELL:-}" ]; then
  nix_shell=true
  log "skipped: the checks of Debian's cross toolchain names (this toolchain comes from the environment)"
fi
# The active rustup toolchain, pinned for the runs below with a PATH of their own (none in a
# Nix shell, whose toolchain is on PATH).
toolchain_env=()
if command -v rustup >/dev/null 2>&1; then
  toolchain_env=(RUSTUP_TOOLCHAIN="$(rustup show active-toolchain | cut -d' ' -f1)")
fi
# A linker missing from PATH (the Debian name of .cargo/config.toml): fail before cargo, naming
# the fix.
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
if ! $nix_shell; then
  expect_failure "build-rust: missing linker" 1 "aarch64-linux-gnu-gcc is missing; run: sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" \
    env -u CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER -u CC_aarch64_unknown_linux_musl PATH="$nolinker" \
    ${toolchain_env[@]+"${toolchain_env[@]}"} \
    "$BASH" scripts/build-rust.sh release aarch64-unknown-linux-musl
fi
# A Nix dev shell's toolchain: linker, C compiler and archiver under Nix's names at absolute
# paths, announced in cargo's and the cc crate's variables, a runner of its own, and no Debian
# cross gcc on PATH. Here Nix's programs are stand-ins that run Debian's by absolute path. In a
# real Nix shell this and the Debian-named check below are skipped: the shell's own variables
# are in force.
if ! $errors_only && ! $nix_shell; then
  nix_tools=$(mktemp -d)
  for tool in cc ar; do
    debian_tool=$(command -v "aarch64-linux-gnu-${tool/cc/gcc}")
    printf '#!/bin/sh\nexec %s "$@"\n' "$debian_tool" >"$nix_tools/aarch64-unknown-linux-musl-$tool"
    chmod +x "$nix_tools/aarch64-unknown-linux-musl-$tool"
  done
  nix_env=(PATH="$nolinker" ${toolchain_env[@]+"${toolchain_env[@]}"}
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER="$nix_tools/aarch64-unknown-linux-musl-cc"
    CC_aarch64_unknown_linux_musl="$nix_tools/aarch64-unknown-linux-musl-cc"
    AR_aarch64_unknown_linux_musl="$nix_tools/aarch64-unknown-linux-musl-ar"
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER="qemu-aarch64")
  if (export "${nix_env[@]}"
    json=$("$BASH" scripts/build-rust.sh --json --package tachikoma-cli release aarch64-unknown-linux-musl) &&
      read -r -a runner <<<"$(target_setting aarch64-unknown-linux-musl runner)" &&
      "${runner[@]}" "$(jq -r '.[0].path' <<<"$json")" version --json | grep -F '"target":"aarch64-unknown-linux-musl"' >/dev/null); then
    pass "build-rust: builds and runs with a Nix dev shell's cross toolchain variables"
  else fail "build-rust: builds and runs with a Nix dev shell's cross toolchain variables"; fi
  rm -rf "$nix_tools"
fi
# Zig builds the glibc targets against the glibc floor: a Nix shell's compiler and linker for
# such a target (linked against its own newer glibc) are left out of the cargo run, and said.
if dry=$(CC_x86_64_unknown_linux_gnu=/nix/store/fake-gcc/bin/cc CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=/nix/store/fake-gcc/bin/cc \
  scripts/build-rust.sh --dry-run --package tachikoma-cli release x86_64-unknown-linux-gnu 2>&1) &&
  grep -F -- "env -u CC_x86_64_unknown_linux_gnu -u CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER" <<<"$dry" >/dev/null &&
  grep -F -- "cargo zigbuild --locked --profile release --target x86_64-unknown-linux-gnu.$(platform_floor glibc) " <<<"$dry" >/dev/null &&
  grep -F "CC_x86_64_unknown_linux_gnu=/nix/store/fake-gcc/bin/cc left out: Zig builds x86_64-unknown-linux-gnu" <<<"$dry" >/dev/null; then
  pass "build-rust: a glibc target is linked by Zig against glibc $(platform_floor glibc), an ambient per-target compiler left out"
else fail "build-rust: the glibc target's dry run: $dry"; fi
# bench shares release's output directory: the build metadata still says bench (cargo tells build
# scripts only debug/release; build-rust.sh says the profile), and bench keeps its symbols.
if ! $errors_only; then
  if json=$(scripts/build-rust.sh --json --package tachikoma-cli bench) &&
    bench_binary=$(jq -r '.[0].path' <<<"$json") &&
    [ "$(jq -r .profile <<<"$("$bench_binary" version --json)")" = bench ] && has_in readelf -S "$bench_binary" '.symtab'; then
    pass "build-rust: a bench build reports profile bench and keeps its symbols"
  else fail "build-rust: a bench build does not report bench or lost its symbols (${bench_binary:-no binary})"; fi
fi
expect_failure "build-rust: unknown package" 2 "unknown package 'tachikoma-native'.*tachikoma-server" \
  scripts/build-rust.sh --package tachikoma-native release
expect_failure "build-rust: --package with dist" 2 "does not go with dist" scripts/build-rust.sh --package tachikoma-cli dist
expect_failure "build-rust: MSVC off Windows" 2 "x86_64-pc-windows-msvc cannot be built on" \
  scripts/build-rust.sh release x86_64-pc-windows-msvc
expect_failure "check-archive: a target this machine cannot run" 2 "aarch64-apple-darwin does not run on" \
  scripts/check-archive.sh aarch64-apple-darwin
expect_failure "check-archive: unknown target" 2 "unknown target 'x86_64-unknown-nope'" scripts/check-archive.sh x86_64-unknown-nope
expect_failure "macho: not a Mach-O file" 1 "is not a little-endian 64-bit Mach-O file" python3 scripts/macho.py info Cargo.toml
expect_failure "macho: unknown command" 1 "macho.py fix-uuid FILE" python3 scripts/macho.py sign Cargo.toml
expect_failure "wine-run: no program" 2 "Usage: scripts/wine-run.sh" scripts/wine-run.sh
expect_failure "gnu-env: no command" 2 "Usage: scripts/gnu-env.sh" scripts/gnu-env.sh
# A dist build with a cargo tool at another version than scripts/tools.txt pins: refused, with
# the command that installs the pinned one (its bytes depend on the tool).
fake_home=$(mktemp -d)
mkdir "$fake_home/bin"
printf '#!/bin/sh\nexit 0\n' >"$fake_home/bin/cargo-auditable"
chmod +x "$fake_home/bin/cargo-auditable"
printf '[v1]\n"cargo-auditable 0.0.1 (registry+https://github.com/rust-lang/crates.io-index)" = ["cargo-auditable"]\n' >"$fake_home/.crates.toml"
expect_failure "build-rust: a cargo tool at another version" 1 \
  "cargo-auditable ($fake_home/bin/cargo-auditable) is version 0.0.1, not $(tool_row cargo-auditable | awk '{ print $3 }'), which scripts/tools.txt pins and a reproducible build needs; run: cargo install --locked cargo-auditable --version" \
  env CARGO_HOME="$fake_home" scripts/build-rust.sh dist
# A release-like build of a source tree without git history and without SOURCE_DATE_EPOCH would
# stamp the wall clock: refused.
tarball=$(mktemp -d)
git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$tarball"
expect_failure "build-rust: reproducible build without git or SOURCE_DATE_EPOCH" 1 "set SOURCE_DATE_EPOCH" \
  env -u SOURCE_DATE_EPOCH GIT_CEILING_DIRECTORIES="$tarball" "$tarball/scripts/build-rust.sh" release
# nix-build.sh: an evaluation that fails stops it with Nix's own error, not "no packages".
echo '{ broken' >"$tarball/nix/matrix.nix"
expect_failure "nix-build: a failing evaluation shows Nix's error" 1 "error: syntax error" "$tarball/scripts/nix-build.sh" dist
rm -rf "$fake_home" "$tarball"
# What would change a reproducible build's bytes without being the commit is refused.
expect_failure "build-rust: C flags in the environment of a reproducible build" 1 "CFLAGS would change the bytes" \
  env CFLAGS=-O0 scripts/build-rust.sh release
expect_failure "build-rust: CARGO_INCREMENTAL=1 in the environment of a reproducible build" 1 "CARGO_INCREMENTAL would change the bytes" \
  env CARGO_INCREMENTAL=1 scripts/build-rust.sh release
expect_failure "build-rust: TACHIKOMA_SOURCE_DATE_EPOCH in the environment of a reproducible build" 1 \
  "TACHIKOMA_SOURCE_DATE_EPOCH would change the bytes" env TACHIKOMA_SOURCE_DATE_EPOCH=1 scripts/build-rust.sh release
# MSVC's static C runtime is the target's rustflags, which build-rust.sh carries into
# release-like builds (their CARGO_ENCODED_RUSTFLAGS would drop them otherwise).
if [ "$(target_setting x86_64-pc-windows-msvc rustflags)" = "-C target-feature=+crt-static" ]; then
  pass "target_setting: MSVC's rustflags read from .cargo/config.toml"
else fail "target_setting x86_64-pc-windows-msvc rustflags: '$(target_setting x86_64-pc-windows-msvc rustflags)'"; fi
expect_failure "build-rust: a commit hash that is not the checkout's" 1 "TACHIKOMA_GIT_HASH=0123abc is not this checkout" \
  env TACHIKOMA_GIT_HASH=0123abc scripts/build-rust.sh release
# The source's identity: the full commit, "-dirty" once the work tree differs from it.
identity_repo=$(mktemp -d)
git -C "$identity_repo" init -q && touch "$identity_repo/file" && git -C "$identity_repo" add file &&
  git -C "$identity_repo" -c user.name=t -c user.email=t@t.invalid commit -qm one
clean=$(cd "$identity_repo" && source_commit)
echo change >"$identity_repo/file"
dirty=$(cd "$identity_repo" && source_commit)
if [[ $clean =~ ^[0-9a-f]{40}$ ]] && [ "$dirty" = "$clean-dirty" ]; then pass "source_commit: the full hash, -dirty for a changed work tree"
else fail "source_commit gave '$clean' and, after a change, '$dirty'"; fi
rm -rf "$identity_repo"
expect_failure "check-release-tag: a tag that is not the version" 1 "tag 'v9.9.9' does not match the workspace version $(workspace_version)" \
  scripts/check-release-tag.sh v9.9.9
if scripts/check-release-tag.sh "v$(workspace_version)" 2>/dev/null; then pass "check-release-tag: v<version> passes"
else fail "check-release-tag: v$(workspace_version) refused"; fi
expect_failure "optimize-binary: missing file" 2 "no such file" scripts/optimize-binary.sh /nonexistent/tachikoma
expect_failure "optimize-binary: not ELF" 2 "not an ELF binary" scripts/optimize-binary.sh Cargo.toml
expect_failure "optimize-binary: no argument" 2 "Usage" scripts/optimize-binary.sh

# mingw-linker.sh runs the linker from the profile's directory with the target directory's
# inputs relative (GNU ld orders the import table by input path), others as they are; a response
# file, whose paths it cannot rewrite, is refused.
linker_dir="$nolinker/a target/x86_64-pc-windows-gnu/dist"
mkdir -p "$linker_dir/deps"
printf '#!/bin/sh\npwd\nprintf "%%s\\n" "$@"\n' >"$nolinker/echo-linker"
chmod +x "$nolinker/echo-linker"
if linked=$(TACHIKOMA_MINGW_LINKER="$nolinker/echo-linker" scripts/mingw-linker.sh -o "$linker_dir/deps/t.exe" \
  "$linker_dir/deps/rustcAbC/lib std.dll.a" /usr/lib/gcc/libkernel32.a -nodefaultlibs) &&
  [ "$linked" = "$linker_dir"$'\n-o\n./deps/t.exe\n./deps/rustcAbC/lib std.dll.a\n/usr/lib/gcc/libkernel32.a\n-nodefaultlibs' ]; then
  pass "mingw-linker: links from the profile's directory, its inputs relative"
else fail "mingw-linker: ran the linker as: ${linked:-nothing}"; fi
expect_failure "mingw-linker: a response file is refused" 1 "response file (@$nolinker/args)" \
  env TACHIKOMA_MINGW_LINKER="$nolinker/echo-linker" scripts/mingw-linker.sh "@$nolinker/args"

# The release check's floor check fails a file linked against this machine's glibc (the way
# before the floor: Debian 12's asks for GLIBC_2.34) and a glibc library shipped as the musl
# addon (check-release.sh passes the real files).
floor_failures() { (check_elf_floor "$@" 2>&1 >/dev/null | grep '^FAIL ' || true); }
if ! $errors_only; then
  printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' | cc -x c - -o "$nolinker/host-glibc"
  printf '#include <stdio.h>\nint tachikoma(void) { return puts("hi"); }\n' | cc -x c -shared -fPIC - -o "$nolinker/glibc.node"
  failures=$(floor_failures x86_64-unknown-linux-gnu tachikoma "$nolinker/host-glibc" binary)
  if grep -q -E "needs glibc 2\.[0-9]+, want at most the floor $(platform_floor glibc)" <<<"$failures"; then
    pass "floor check: a binary linked against this machine's glibc fails: $failures"
  else fail "floor check: a binary linked against this machine's glibc ($(readelf -V -W "$nolinker/host-glibc" | grep -o -E 'GLIBC_[0-9.]+' | sort -V | tail -n 1)) gave: ${failures:-no failure}"; fi
  failures=$(floor_failures x86_64-unknown-linux-musl tachikoma.linux-x64-musl.node "$nolinker/glibc.node" addon)
  if grep -q -F "needs libc.so.6 (want only" <<<"$failures"; then
    pass "floor check: a glibc library as the musl addon fails: $failures"
  else fail "floor check: a glibc library as the musl addon gave: ${failures:-no failure}"; fi
fi

# optimize-binary strips an unstripped binary of each architecture (small C programs from the
# same cross compilers the targets use).
for compiler in cc "$(target_tools aarch64-unknown-linux-musl | head -n 1)"; do
  $errors_only && break
  program="$nolinker/hello-${compiler##*/}"
  if printf 'int main(void) { return 0; }\n' | "$compiler" -x c - -o "$program" &&
    has_in readelf -S "$program" '.symtab' &&
    scripts/optimize-binary.sh "$program" 2>/dev/null && ! has_in readelf -S "$program" '.symtab'; then
    pass "optimize-binary: strips a $compiler binary"
  else fail "optimize-binary: strips a $compiler binary"; fi
done

tally
