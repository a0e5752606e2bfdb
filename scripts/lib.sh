# shellcheck shell=bash
# Shared by the scripts in this folder: logging, the target table, and idempotent installers.
# Source it; it defines functions and sets nothing else.

# Colour only for a terminal.
_paint() { if [ -t 2 ]; then printf '\033[%sm%s\033[0m' "$1" "$2"; else printf '%s' "$2"; fi; }
log() { printf '%s %s\n' "$(_paint '1;32' '[tachikoma]')" "$*" >&2; }
warn() { printf '%s %s\n' "$(_paint '1;33' '[tachikoma] warning:')" "$*" >&2; }
# die MESSAGE [EXIT]: the message goes to stderr; exit 1 unless told (2 for usage errors).
die() { printf '%s %s\n' "$(_paint '1;31' '[tachikoma] error:')" "$1" >&2; exit "${2:-1}"; }
# A list as one line: "a b c".
words() { tr '\n' ' ' | sed 's/ $//'; }

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# The supported targets: the [target.<triple>] tables of .cargo/config.toml, the one list.
targets() {
  sed -n 's/^\[target\.\([a-z0-9_.-]*\)\]$/\1/p' "$(repo_root)/.cargo/config.toml"
}

# The cargo profiles: built-in ones plus every [profile.NAME] of Cargo.toml.
profiles() {
  { printf '%s\n' dev release bench test
    sed -n 's/^\[profile\.\([a-zA-Z0-9_-]*\)\]$/\1/p' "$(repo_root)/Cargo.toml"; } | awk '!seen[$0]++'
}

# The directory cargo writes a profile's artifacts to (dev and test share debug/, bench release/).
profile_dir() {
  case "$1" in
    dev | test) echo debug ;;
    bench) echo release ;;
    *) echo "$1" ;;
  esac
}

host_target() { rustc -vV | sed -n 's/^host: //p'; }

# A value from a target's table in .cargo/config.toml, as words: `linker` gives the linker,
# `runner` the runner command and its arguments.
target_setting() {
  local target=$1 key=$2
  awk -v section="[target.$target]" -v key="$key" '
    $0 == section { inside = 1; next }
    /^\[/ { inside = 0 }
    inside && $1 == key { sub(/^[^=]*= */, ""); gsub(/[]["]/, ""); gsub(/,/, ""); print; exit }
  ' "$(repo_root)/.cargo/config.toml"
}

# The programs building for TARGET needs: its linker and C compiler, when not the host's.
target_tools() {
  local target=$1
  { target_setting "$target" linker
    sed -n "s/^CC_${target//-/_} *= *\"\(.*\)\"$/\1/p" "$(repo_root)/.cargo/config.toml"; } | awk '!seen[$0]++'
}

# The Debian package that provides a program the build needs.
debian_package_of() {
  case "$1" in
    musl-gcc) echo musl-tools ;;
    aarch64-linux-gnu-gcc) echo "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
    qemu-aarch64) echo qemu-user ;;
    shellcheck) echo shellcheck ;;
    nix-instantiate) echo nix-bin ;;
    node) echo nodejs ;;
    git) echo git ;;
    *) return 1 ;;
  esac
}

# ensure_programs PROGRAM...: installs (apt) the Debian packages of the missing ones.
ensure_programs() {
  local program packages=()
  for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 && continue
    # shellcheck disable=SC2207 # package names never contain spaces
    packages+=($(debian_package_of "$program")) || die "no known Debian package provides $program"
  done
  [ ${#packages[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${packages[*]}: install them with your system's package manager"
  log "installing Debian packages: ${packages[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
}

# ensure_rust_targets TARGET...: the toolchain of rust-toolchain.toml with these targets' std.
ensure_rust_targets() {
  local installed missing=() target
  installed=$(rustup target list --installed 2>/dev/null) || die "rustup is needed: https://rustup.rs"
  for target in "$@"; do
    grep -qx "$target" <<<"$installed" || missing+=("$target")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Rust std for: ${missing[*]}"
  rustup target add "${missing[@]}" >&2
}

# ensure_cargo_tool BINARY CRATE [VERSION]: `cargo install --locked` when BINARY is missing.
ensure_cargo_tool() {
  local binary=$1 crate=$2 version=${3:-}
  command -v "$binary" >/dev/null 2>&1 && return 0
  log "installing $crate from crates.io"
  cargo install --locked --quiet "$crate" ${version:+--version "$version"} >&2
}

# ensure_pip_tool BINARY PACKAGE: `pip install` when BINARY is missing.
ensure_pip_tool() {
  local binary=$1 package=$2 python
  command -v "$binary" >/dev/null 2>&1 && return 0
  python=$(command -v python3) || die "python3 is needed to install $package"
  log "installing $package from PyPI"
  "$python" -m pip install --quiet --disable-pip-version-check "$package" >&2 ||
    "$python" -m pip install --quiet --disable-pip-version-check --user "$package" >&2
  hash -r
  command -v "$binary" >/dev/null 2>&1 || die "$package installed but $binary is not on PATH"
}

# The prerequisites of building for TARGET: its std, its linker and its C compiler.
ensure_target_prerequisites() {
  local target=$1 tools
  ensure_rust_targets "$target"
  mapfile -t tools < <(target_tools "$target")
  [ ${#tools[@]} -eq 0 ] || ensure_programs "${tools[@]}"
}
