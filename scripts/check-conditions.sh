#!/usr/bin/env bash
# The build under its users' conditions, where no build is needed to show the outcome: a user's
# cargo configuration, a Nix dev shell's environment, a git that fails, a tool of another
# version, every option with every profile, Windows path forms. (The conditions that need a
# build to show the bytes are the same, scripts/check-reproducible.sh's outsider has: a checkout
# owned by another user, paths with spaces, a Nix shell's environment, harmless cargo configs.)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
Usage: scripts/check-conditions.sh

Drives scripts/build-rust.sh (with --dry-run: every check, no compile) under the conditions of
its users' machines and checks what it decides: cargo configuration files that would change a
release's bytes are refused by file and key; a Nix dev shell's stdenv variables are left out,
elsewhere refused; git's own message reaches the user when git fails; a cargo tool of another or
unknown version is refused for dist; every option works with every profile, and --features
reaches the shipped binaries, not the Node addon. Also unit-tests the path helpers with Windows
path forms. Ends with 'N passed, N failed'.
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

cd "$(repo_root)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build=(scripts/build-rust.sh --dry-run)
# copy_checkout DIR [commit]: this work tree, as it is, in DIR, under git of its own; committed
# when asked (a clone would have only what is committed).
copy_checkout() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$1"
  git -C "$1" init --quiet
  git -C "$1" add --all
  [ "${2:-}" != commit ] || git -C "$1" -c user.name=test -c user.email=test@example.invalid commit --quiet -m copy
}

# --- A user's cargo configuration -------------------------------------------------------------
# A parent directory's .cargo/config.toml that changes the dist profile: refused, naming the file
# and the key, before anything is built.
mkdir -p "$work/projects/.cargo"
copy_checkout "$work/projects/checkout" commit
printf '[profile.dist]\nopt-level = "s"\n' >"$work/projects/.cargo/config.toml"
expect_failure "cargo config: a parent directory's [profile.dist] is refused by file and key" 1 \
  "$work/projects/.cargo/config.toml: profile.dist" \
  "$work/projects/checkout/scripts/build-rust.sh" --dry-run dist x86_64-unknown-linux-musl
# CARGO_HOME's config.toml with a target's linker and [env]: both named.
mkdir -p "$work/cargo-home"
printf '[target.x86_64-unknown-linux-gnu]\nlinker = "clang"\n\n[env]\nCFLAGS = "-O0"\n' >"$work/cargo-home/config.toml"
stderr=$(CARGO_HOME="$work/cargo-home" "${build[@]}" release 2>&1 >/dev/null) && code=0 || code=$?
if [ "$code" = 1 ] && grep -F "$work/cargo-home/config.toml: target.x86_64-unknown-linux-gnu.linker" <<<"$stderr" >/dev/null &&
  grep -F "$work/cargo-home/config.toml: env.CFLAGS" <<<"$stderr" >/dev/null; then
  pass "cargo config: CARGO_HOME's target linker and [env] are refused by file and key"
else fail "cargo config: CARGO_HOME's target linker and [env]: exit $code, $stderr"; fi
# The file without the extension, which cargo prefers, and a setting cargo will add tomorrow.
rm "$work/cargo-home/config.toml"
printf '[build]\nrustc = "/opt/other/rustc"\n[newly-invented]\nkey = 1\n' >"$work/cargo-home/config"
stderr=$(CARGO_HOME="$work/cargo-home" "${build[@]}" release 2>&1 >/dev/null) && code=0 || code=$?
if [ "$code" = 1 ] && grep -F "config: build.rustc" <<<"$stderr" >/dev/null && grep -F "config: newly-invented.key" <<<"$stderr" >/dev/null; then
  pass "cargo config: build.rustc and unknown settings are refused (CARGO_HOME/config)"
else fail "cargo config: build.rustc and an unknown setting: exit $code, $stderr"; fi
# An alias shadowing a subcommand the build runs, and a registry's protocol (it names the
# directory the crates unpack to, a path in their panic messages).
printf '[alias]\nauditable = "build"\nb2 = "build"\n[registries.crates-io]\nprotocol = "git"\n' >"$work/cargo-home/config"
stderr=$(CARGO_HOME="$work/cargo-home" "${build[@]}" release 2>&1 >/dev/null) && code=0 || code=$?
if [ "$code" = 1 ] && grep -F "config: alias.auditable" <<<"$stderr" >/dev/null &&
  grep -F "config: registries.crates-io.protocol" <<<"$stderr" >/dev/null && ! grep -F "alias.b2" <<<"$stderr" >/dev/null; then
  pass "cargo config: an alias of a subcommand the build runs and a registry protocol are refused, other aliases pass"
else fail "cargo config: alias and registry protocol: exit $code, $stderr"; fi
# A .cargo/config beside the project's .cargo/config.toml: cargo would read it instead.
touch "$work/projects/checkout/.cargo/config"
expect_failure "cargo config: a .cargo/config beside the project's config.toml is refused" 1 \
  "checkout/.cargo/config: replaces the project's .cargo/config.toml" \
  env -C "$work/projects/checkout" scripts/build-rust.sh --dry-run release
rm "$work/projects/checkout/.cargo/config" "$work/projects/.cargo/config.toml"
printf 'this is [not toml\n' >"$work/cargo-home/config"
expect_failure "cargo config: a file that is not TOML is named" 1 "cargo-home/config: cannot be read as TOML" \
  env CARGO_HOME="$work/cargo-home" "${build[@]}" release
# Settings that cannot change the bytes, or that the build overrides, pass (the outsider of
# check-reproducible.sh shows the bytes stay the same); development builds read any config.
printf '[net]\nretry = 3\n[build]\njobs = 1\nrustflags = ["-C", "target-cpu=native"]\n[alias]\nx = "build"\n' >"$work/cargo-home/config"
if CARGO_HOME="$work/cargo-home" "${build[@]}" release >/dev/null 2>&1 &&
  CARGO_HOME="$work/cargo-home" "${build[@]}" dev >/dev/null 2>&1 &&
  "$work/projects/checkout/scripts/build-rust.sh" --dry-run dev >/dev/null 2>&1; then
  pass "cargo config: harmless or overridden settings pass; dev builds take any config"
else fail "cargo config: harmless settings or a dev build refused"; fi

# --- A Nix dev shell's environment --------------------------------------------------------------
nix_stdenv=(IN_NIX_SHELL=impure CC=gcc CXX=g++ AR=ar NIX_CFLAGS_COMPILE="-frandom-seed=x" MACOSX_DEPLOYMENT_TARGET=14.0)
stderr=$(env "${nix_stdenv[@]}" "${build[@]}" release 2>&1 >/dev/null) && code=0 || code=$?
if [ "$code" = 0 ] && grep -F "CC=gcc (the Nix shell's stdenv) left out" <<<"$stderr" >/dev/null &&
  grep -F "MACOSX_DEPLOYMENT_TARGET=14.0 (the Nix shell's stdenv) left out: the release's macOS floor is $(config_env MACOSX_DEPLOYMENT_TARGET)" <<<"$stderr" >/dev/null; then
  pass "Nix shell: a release-like build leaves stdenv's CC, CXX, AR and macOS version out, and says so"
else fail "Nix shell: stdenv's variables: exit $code, $stderr"; fi
expect_failure "outside a Nix shell, CC for a release-like build is refused" 1 "CC would change the bytes" \
  env CC=gcc "${build[@]}" release
expect_failure "outside a Nix shell, another macOS floor is refused" 1 "MACOSX_DEPLOYMENT_TARGET would change the bytes" \
  env MACOSX_DEPLOYMENT_TARGET=14.0 "${build[@]}" release
if env MACOSX_DEPLOYMENT_TARGET="$(config_env MACOSX_DEPLOYMENT_TARGET)" "${build[@]}" release >/dev/null 2>&1; then
  pass "the project's own macOS floor in the environment is no change"
else fail "MACOSX_DEPLOYMENT_TARGET=$(config_env MACOSX_DEPLOYMENT_TARGET) refused"; fi

# --- Git: its own message reaches the user ----------------------------------------------------
# A source tree put under git but never committed: no commit to embed. git says why.
copy_checkout "$work/uncommitted"
stderr=$("$work/uncommitted/scripts/build-rust.sh" --dry-run release 2>&1 >/dev/null) && code=0 || code=$?
if [ "$code" = 1 ] && grep -F "fatal: " <<<"$stderr" >/dev/null && grep -F "git rev-parse --verify HEAD failed" <<<"$stderr" >/dev/null; then
  pass "git: its own message and the command reach the user when it fails"
else fail "git failing: exit $code, $stderr"; fi
# The source unpacked inside an unrelated repository (a home directory under git): that
# repository's commit is not this source's; a release-like build asks for SOURCE_DATE_EPOCH.
mkdir -p "$work/home/vendor"
git -C "$work/home" init --quiet
touch "$work/home/notes"
git -C "$work/home" add notes
git -C "$work/home" -c user.name=test -c user.email=test@example.invalid commit --quiet -m unrelated
git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$work/home/vendor"
expect_failure "git: a source tree inside an unrelated repository does not take its commit" 1 \
  "there is no git history here; set SOURCE_DATE_EPOCH" "$work/home/vendor/scripts/build-rust.sh" --dry-run release
# A checkout another user owns, built as root (a GitHub container job): git would refuse it
# ("dubious ownership"); the scripts trust exactly their own checkout. (check-reproducible.sh
# builds such a checkout and compares its bytes.)
if [ "$(id -u)" = 0 ]; then
  copy_checkout "$work/owned by another user" commit
  chown -R 4242:4242 "$work/owned by another user"
  if (cd "$work/owned by another user" && ! git status >/dev/null 2>&1) &&
    "$work/owned by another user/scripts/build-rust.sh" --dry-run release >/dev/null 2>&1; then
    pass "git: a checkout another user owns (which git refuses) builds as root"
  else fail "git: a checkout another user owns, built as root: $("$work/owned by another user/scripts/build-rust.sh" --dry-run release 2>&1 >/dev/null | tail -n 3)"; fi
else
  log "not root: a checkout another user owns is not tried (it needs root)"
fi
# The checkout's own trust: exactly this checkout, once, however often lib.sh is sourced.
trusted=$(env | grep -c "^GIT_CONFIG_VALUE_[0-9]*=$(pwd -P)$" || true)
if [ "$trusted" = 1 ] && [ "$(bash -c 'source scripts/lib.sh; echo "${GIT_CONFIG_COUNT:-}"')" = "${GIT_CONFIG_COUNT:-}" ]; then
  pass "git: this checkout, and nothing else, is trusted (safe.directory), once"
else fail "git: safe.directory entries for this checkout: $trusted, GIT_CONFIG_COUNT ${GIT_CONFIG_COUNT:-unset}"; fi

# --- A cargo tool that is not the pinned one --------------------------------------------------
# On PATH but not from cargo install (a Nix shell's, a distribution's): a dist build asks its
# version, and takes only the pinned one.
pinned=$(tool_row cargo-cyclonedx | awk '{ print $3 }')
mkdir -p "$work/tools/bin"
for said in "cargo-cyclonedx 0.0.9" "" "cargo-cyclonedx $pinned"; do
  printf '#!/bin/sh\necho "%s"\n' "$said" >"$work/tools/bin/cargo-cyclonedx"
  chmod +x "$work/tools/bin/cargo-cyclonedx"
  stderr=$(CARGO_HOME="$work/tools" "${build[@]}" dist x86_64-unknown-linux-musl 2>&1 >/dev/null) && code=0 || code=$?
  case "$said" in
    *0.0.9) want="is version 0.0.9, not $pinned" ;;
    "") want="is version unknown, not $pinned" ;;
    *) want="" ;;
  esac
  if { [ -n "$want" ] && [ "$code" = 1 ] && grep -F -- "$want" <<<"$stderr" >/dev/null; } || { [ -z "$want" ] && [ "$code" = 0 ]; }; then
    pass "dist with a cargo-cyclonedx that says '${said:-nothing}': ${want:-taken}"
  else fail "dist with a cargo-cyclonedx that says '${said:-nothing}': exit $code, $stderr"; fi
done

# --- Every option with every profile -----------------------------------------------------------
# The cargo commands each would run: the profile, the binaries' features, and none for the addon.
options=("" "--features debug-logging" "--features=debug-logging" "--no-default-features" "--no-sccache" "--package tachikoma-server" "--json" "--install-missing")
for profile in $(profiles); do
  for option in "${options[@]}"; do
    read -r -a words <<<"$option"
    label="build-rust.sh ${option:+$option }$profile"
    code=0
    commands=$("${build[@]}" ${words[@]+"${words[@]}"} "$profile" 2>"$work/stderr") || code=$?
    if [ "$profile" = dist ] && [ "${words[0]:-}" = --package ]; then
      if [ "$code" = 2 ] && grep -F "does not go with dist" "$work/stderr" >/dev/null; then pass "$label: refused"
      else fail "$label: exit $code, $(cat "$work/stderr")"; fi
      continue
    fi
    problems=$({ grep -F -- "cargo" <<<"$commands" || true; } | awk -v profile="$profile" -v option="$option" '
      { addon = index($0, " -p tachikoma-native ") > 0
        if (index($0, " --profile " profile " ") == 0) print "not profile " profile ": " $0
        if (option ~ /^--(features|no-default)/) {
          flag = option; sub(/=/, " ", flag) # cargo gets --features LIST either way
          if (addon && index($0, flag) > 0) print "the addon gets " flag ": " $0
          if (!addon && index($0, flag) == 0) print "a binary lacks " flag ": " $0
        }
        n++ }
      END { if (n == 0) print "no cargo command" }')
    if [ "$code" = 0 ] && [ -z "$problems" ]; then pass "$label: $(grep -c -F -- ' -p ' <<<"$commands") cargo commands as they should be"
    else fail "$label: exit $code, $problems $(cat "$work/stderr")"; fi
  done
done

# --- Windows path forms ---------------------------------------------------------------------------
# rustc on Windows prints C:\... paths; Git Bash globs need /c/... (posix_path).
while IFS='|' read -r given want; do
  got=$(posix_path "$given")
  if [ "$got" = "$want" ]; then pass "posix_path '$given' is '$want'"
  else fail "posix_path '$given' gave '$got', want '$want'"; fi
done <<'FORMS'
C:\Users\a user\.rustup\toolchains\1.95.0-x86_64-pc-windows-msvc\lib\rustlib\x86_64-pc-windows-msvc\lib|/c/Users/a user/.rustup/toolchains/1.95.0-x86_64-pc-windows-msvc/lib/rustlib/x86_64-pc-windows-msvc/lib
D:/a/tachikoma/target|/d/a/tachikoma/target
\\?\C:\long\path|/c/long/path
c:\|/c/
E:|/e/
/home/user/.rustup|/home/user/.rustup
relative\dir|relative\dir
FORMS
# And a glob over such a directory finds what is there.
mkdir -p "$work/c/rust lib"
touch "$work/c/rust lib/libstd-0123.rlib"
if compgen -G "$(posix_path "$work/c/rust lib")/libstd-*.rlib" >/dev/null; then pass "posix_path keeps a POSIX directory with a space globbable"
else fail "posix_path broke a POSIX directory with a space"; fi

tally
