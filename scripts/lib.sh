# shellcheck shell=bash
# Shared by the scripts in this folder: logging, the target and profile tables, and idempotent
# installers. Source it; it defines functions and puts the pinned tools first on PATH.

# A failure inside $(...) fails the script too, as everywhere else under set -e.
shopt -s inherit_errexit

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

host_target() { rustc -vV | sed -n 's/^host: //p'; }

# The workspace version ([workspace.package] of Cargo.toml), which every crate takes.
workspace_version() {
  sed -n '/^\[workspace\.package\]$/,/^\[/s/^version = "\(.*\)"$/\1/p' "$(repo_root)/Cargo.toml"
}

# The commit the current directory's work tree is, in full, with "-dirty" when the tree differs
# from it (changed or untracked files); fails without git history.
source_commit() {
  local commit
  commit=$(git rev-parse --verify -q HEAD 2>/dev/null) && [ -n "$commit" ] || return 1
  if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit=$commit-dirty; fi
  echo "$commit"
}

# reproducible_environment PROFILE: sets up this shell for a build whose bytes depend only on the
# commit and the pinned toolchain and tools (scripts/build-rust.sh, release-like profiles), or
# fails naming what stands in the way. Run from the checkout's root.
reproducible_environment() {
  local ambient toolchain channel commit epoch cargo_home sysroot remaps mapping dir
  # What would change the bytes without being the commit is refused, never silently used:
  # compilers, their flags and cargo's settings from the environment. A per-target toolchain in
  # the environment (a Nix dev shell's CC_<triple>, CARGO_TARGET_<TRIPLE>_LINKER) is the
  # machine's toolchain: used, and said. The compiler must be rust-toolchain.toml's.
  ambient=$(env | grep -E '^(CC|CXX|AR|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS|CRATE_CC_NO_DEFAULTS|(TARGET|HOST)_(CC|CXX|AR|CFLAGS|CXXFLAGS)|(CFLAGS|CXXFLAGS)_[a-z0-9_]+|RUSTC|RUSTC_LINKER|RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_INCREMENTAL|CARGO_TARGET_DIR|CARGO_BUILD_[A-Z_]+|CARGO_PROFILE_[A-Z0-9_]+|CARGO_TARGET_[A-Z0-9_]+_RUSTFLAGS|TACHIKOMA_MUSL_MEMCPY)=' |
    cut -d= -f1 | words || true)
  [ -z "$ambient" ] || die "set in the environment, $ambient would change the bytes of a reproducible $1 build; unset it"
  toolchain=$(env | grep -E '^((CC|CXX|AR)_[a-z0-9_]+|CARGO_TARGET_[A-Z0-9_]+_LINKER)=' | cut -d= -f1 | words || true)
  [ -z "$toolchain" ] || log "toolchain from the environment: $toolchain (the bytes match builds with the same toolchain)"
  channel=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
  case "$(rustc --version)" in
    "rustc $channel "*) ;;
    *) die "rustc is $(rustc --version), not rust-toolchain.toml's $channel (RUSTUP_TOOLCHAIN or a toolchain override?)" ;;
  esac
  # The source's identity from git: the full commit hash (never an abbreviation, whose length
  # depends on the clone), "-dirty" when the work tree differs from it, and the commit's time.
  # Without git (a source tarball) both must be given.
  if commit=$(source_commit); then
    [ -z "${TACHIKOMA_GIT_HASH:-}" ] || [ "$TACHIKOMA_GIT_HASH" = "$commit" ] ||
      die "TACHIKOMA_GIT_HASH=$TACHIKOMA_GIT_HASH is not this checkout ($commit); unset it"
    epoch=$(git log -1 --format=%ct)
    [ -z "${SOURCE_DATE_EPOCH:-}" ] || [ "$SOURCE_DATE_EPOCH" = "$epoch" ] ||
      log "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH ignored: a reproducible build takes the commit's time ($epoch)"
    export TACHIKOMA_GIT_HASH=$commit SOURCE_DATE_EPOCH=$epoch
  elif [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    die "a reproducible $1 build takes its time from git, and there is no git history here; set SOURCE_DATE_EPOCH (the commit's Unix time)"
  fi
  # What only the build machine knows stays out of the bytes: CI is set on a release runner and
  # not in a user's shell; the branch depends on how the commit was checked out (a release tag
  # is a detached HEAD).
  unset CI
  export TACHIKOMA_GIT_BRANCH=unknown
  # No compiler wrapper, whether from the environment or a cargo config (~/.cargo/config.toml's
  # build.rustc-wrapper): an empty RUSTC_WRAPPER overrides both. sccache made these builds
  # irreproducible (it compiled C with its server's environment, so __TIME__ ignored
  # SOURCE_DATE_EPOCH).
  export RUSTC_WRAPPER="" RUSTC_WORKSPACE_WRAPPER=""
  # Paths compiled into panic messages and debug info, made machine-independent, as the shell
  # names them and as they really are (a symlinked CARGO_HOME or checkout). cargo creates a new
  # CARGO_HOME itself; it must exist now for its path to be remapped.
  cargo_home=${CARGO_HOME:-$HOME/.cargo}
  mkdir -p "$cargo_home"
  sysroot=$(rustc --print sysroot) || die "rustc cannot tell its sysroot"
  remaps=()
  for mapping in "$cargo_home=/cargo" "$sysroot=/rust" "$(pwd)=/tachikoma"; do
    dir=${mapping%=*}
    remaps+=("--remap-path-prefix=$(cd "$dir" && pwd)=${mapping##*=}")
    [ "$(cd "$dir" && pwd)" = "$(cd "$dir" && pwd -P)" ] || remaps+=("--remap-path-prefix=$(cd "$dir" && pwd -P)=${mapping##*=}")
  done
  CARGO_ENCODED_RUSTFLAGS=$(printf '%s\x1f' "${remaps[@]}")
  export CARGO_ENCODED_RUSTFLAGS=${CARGO_ENCODED_RUSTFLAGS%$'\x1f'}
}

# What ships: each package and its binary. Each is built in a cargo run of its own, so that its
# features are its own (one run unifies the features of the crates the packages share).
shipped_binaries() { printf '%s\n' "tachikoma-cli tachikoma" "tachikoma-server tachikoma-server"; }

# Where a dist build puts what a release publishes (archives, checksums, SBOMs), and nothing
# else; cargo's own output stays in target/<triple>/<profile>/.
# The features tachikoma-common-core, the crate that reports them, is compiled with when PACKAGE
# is built alone for TARGET, comma-separated: cargo's own resolution, which a shipped binary's
# build metadata must report exactly (one cargo run per binary, so nothing of the others).
resolved_features() {
  cargo tree -q --locked -p "$1" --target "$2" -e normal -i tachikoma-common-core --depth 0 --prefix none -f '{f}'
}

# The arguments with which BINARY prints its build metadata (one line of JSON).
version_json_args() { case "$1" in tachikoma) echo "version --json" ;; *) echo "--version-json" ;; esac; }

release_dir() { echo "$(repo_root)/target/distrib"; }

# A target's setting as cargo sees it, as words: `linker` gives the linker, `runner` the runner
# command and its arguments. The environment (CARGO_TARGET_<TRIPLE>_<KEY>, as a Nix dev shell
# sets it) outranks .cargo/config.toml, as it does for cargo.
target_setting() {
  local target=$1 key=$2 variable
  variable=CARGO_TARGET_$(tr 'a-z.-' 'A-Z__' <<<"$target")_$(tr 'a-z-' 'A-Z_' <<<"$key")
  if [ -n "${!variable:-}" ]; then
    echo "${!variable}"
    return
  fi
  awk -v section="[target.$target]" -v key="$key" '
    $0 == section { inside = 1; next }
    /^\[/ { inside = 0 }
    inside && $1 == key { sub(/^[^=]*= */, ""); gsub(/[]["]/, ""); gsub(/,/, ""); print; exit }
  ' "$(repo_root)/.cargo/config.toml"
}

# The programs building for TARGET needs: its linker and C compiler, when not the host's. The C
# compiler is CC_<triple> of the environment (the cc crate's variable; a Nix dev shell sets it),
# else of .cargo/config.toml's [env] (which never overrides the environment).
target_tools() {
  local target=$1 variable
  variable=CC_${target//-/_}
  { target_setting "$target" linker
    if [ -n "${!variable:-}" ]; then echo "${!variable}"
    else sed -n "s/^$variable *= *\"\(.*\)\"$/\1/p" "$(repo_root)/.cargo/config.toml"; fi
  } | awk '!seen[$0]++'
}

# ---------------------------------------------------------------------------------------------
# Tools: scripts/tools.txt is the one table of what is installed, from where, at which version.
# ---------------------------------------------------------------------------------------------

# The rows of scripts/tools.txt as "source package version program", comments dropped.
tool_rows() { sed 's/#.*//; /^[[:space:]]*$/d' "$(repo_root)/scripts/tools.txt"; }

# The row of PROGRAM; fails for a program the table does not know.
tool_row() {
  local row
  row=$(tool_rows | awk -v program="$1" '$4 == program { print; exit }')
  [ -n "$row" ] || return 1
  printf '%s\n' "$row"
}

# The version `cargo install` recorded for the PROGRAM found on PATH (empty when it was not
# installed by cargo install, e.g. a distribution's package).
cargo_tool_version() {
  local program=$1 package=$2 path root
  path=$(command -v "$program") || return 0
  root=$(dirname "$(dirname "$path")")
  [ -f "$root/.crates.toml" ] || return 0
  awk -v package="\"$package" -v program="\"$program\"" '$1 == package && index($0, program) { print $2; exit }' "$root/.crates.toml"
}

# Where the PyPI tools live: a virtual environment of the scripts' own (Debian's python3 refuses
# `pip install` outside one, PEP 668).
python_tools_dir() { echo "${TACHIKOMA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tachikoma}/python"; }

# The command that installs a table row, for a user to run (mode check) or to run (mode install).
install_command() {
  local source=$1 package=$2 version=$3
  case "$source" in
    debian) echo "sudo apt-get install ${package//,/ }" ;;
    cargo) echo "cargo install --locked $package --version $version" ;;
    pypi) echo "scripts/test.sh (installs the PyPI tools into $(python_tools_dir))" ;;
  esac
}

# ensure_tools install|check PROGRAM...: every PROGRAM present at its pinned version. "install"
# installs what is missing (apt, cargo install --locked, a venv for the PyPI tools) and does
# nothing when all is present; "check" fails on the first missing one with the command that
# installs it. Programs outside the table (linkers Nix provides, say) must just be on PATH.
ensure_tools() {
  local mode=$1 program row source package version packages found debian=() cargo_rows=() python=false
  shift
  for program in "$@"; do
    if ! row=$(tool_row "$program"); then
      command -v "$program" >/dev/null 2>&1 || die "$program is missing (it is not in scripts/tools.txt: install it yourself)"
      continue
    fi
    read -r source package version _ <<<"$row"
    case "$source" in
      debian) command -v "$program" >/dev/null 2>&1 && continue ;;
      cargo)
        found=$(cargo_tool_version "$program" "$package")
        [ "$found" = "$version" ] && continue
        # Present but not from cargo install (a Nix dev shell's, a distribution's): its version
        # is not known, so it is used, with a warning; a known wrong version is refused.
        if [ "$mode" = check ] && [ -z "$found" ] && command -v "$program" >/dev/null 2>&1; then
          warn "$program is not the one scripts/tools.txt pins ($version): its version is unknown"
          continue
        fi ;;
      pypi)
        python_tools_current && continue
        if [ "$mode" = check ] && command -v "$program" >/dev/null 2>&1; then
          warn "$program is not from the scripts' Python environment: its version is unknown"
          continue
        fi ;;
    esac
    if [ "$mode" != install ]; then
      [ "$version" = - ] || program="$program $version (pinned in scripts/tools.txt)"
      die "$program is missing; run: $(install_command "$source" "$package" "$version")"
    fi
    case "$source" in
      debian) IFS=, read -r -a packages <<<"$package"; debian+=("${packages[@]}") ;;
      cargo) cargo_rows+=("$package $version") ;;
      pypi) python=true ;;
    esac
  done
  # cargo install links with the C compiler: on a fresh machine it comes with the Debian packages.
  if [ ${#cargo_rows[@]} -gt 0 ] && ! command -v cc >/dev/null 2>&1; then
    IFS=, read -r -a packages <<<"$(tool_row cc | awk '{ print $2 }')"
    debian+=("${packages[@]}")
  fi
  [ ${#debian[@]} -eq 0 ] || install_debian_packages "${debian[@]}"
  for row in ${cargo_rows[@]+"${cargo_rows[@]}"}; do
    read -r package version <<<"$row"
    log "installing $package $version from crates.io"
    cargo install --locked --quiet "$package" --version "$version" >&2
  done
  if $python; then install_python_tools; fi
  hash -r
}

install_debian_packages() {
  command -v apt-get >/dev/null 2>&1 || die "missing $*: install them with your system's package manager"
  log "installing Debian packages: $*"
  local sudo=()
  # sudo drops the environment: DEBIAN_FRONTEND goes through env.
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The PyPI rows of the table, one "package==version" a line: what the environment must hold.
python_requirements() { tool_rows | awk '$1 == "pypi" { print $2 "==" $3 }'; }

python_tools_current() {
  [ "$(cat "$(python_tools_dir)/requirements.txt" 2>/dev/null)" = "$(python_requirements)" ]
}

install_python_tools() {
  local dir python
  dir=$(python_tools_dir)
  # The machine's python3, not the old environment's (first on PATH, and about to be removed).
  python=$(PATH=${PATH//"$dir/bin:"/} command -v python3) || {
    install_debian_packages python3-venv
    python=$(PATH=${PATH//"$dir/bin:"/} command -v python3)
  }
  # Debian splits ensurepip, which venv needs, into python3-venv.
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then install_debian_packages python3-venv; fi
  log "installing the PyPI tools into $dir"
  rm -rf "$dir"
  "$python" -m venv "$dir" >&2
  python_requirements >"$dir/requirements.in"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$dir/requirements.in" >&2
  mv "$dir/requirements.in" "$dir/requirements.txt"
  hash -r
}

# The programs of the PyPI tools and the pinned cargo tools come first on PATH; in a Nix dev
# shell its own toolchain and tools do (rustup's proxies in ~/.cargo/bin would shadow them).
if [ -z "${IN_NIX_SHELL:-}" ]; then PATH="$(python_tools_dir)/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"; fi

# Whether the active rustc has TARGET's standard library (rustup's toolchain or a Nix one).
has_rust_std() {
  local dir
  dir=$(rustc --print target-libdir --target "$1" 2>/dev/null) && compgen -G "$dir/libstd-*.rlib" >/dev/null
}

# ensure_target_prerequisites install|check TARGET: its std, its linker and its C compiler.
ensure_target_prerequisites() {
  local mode=$1 target=$2 tools
  if ! has_rust_std "$target"; then
    command -v rustup >/dev/null 2>&1 ||
      die "this Rust toolchain ($(command -v rustc)) has no standard library for $target; use rustup (https://rustup.rs) or the toolchain of 'nix develop', which have every target of rust-toolchain.toml"
    [ "$mode" = install ] || die "the Rust standard library for $target is not installed; run: rustup target add $target"
    log "installing the Rust standard library for $target"
    rustup target add "$target" >&2
  fi
  mapfile -t tools < <(target_tools "$target")
  ensure_tools "$mode" cc ${tools[@]+"${tools[@]}"}
}

# The Python that has the PyPI tools' libraries: the scripts' environment, else (a Nix dev
# shell) the python3 on PATH.
tools_python() {
  if [ -x "$(python_tools_dir)/bin/python" ]; then echo "$(python_tools_dir)/bin/python"; else command -v python3; fi
}

# The toolchain of rust-toolchain.toml with its components and targets, when rustup manages Rust
# (a no-op when present; a Nix dev shell brings its own).
ensure_toolchain() {
  local out
  command -v rustup >/dev/null 2>&1 || return 0
  out=$(rustup toolchain install 2>&1) || { printf '%s\n' "$out" >&2; die "rustup could not install the toolchain of rust-toolchain.toml"; }
  grep -q "using existing install" <<<"$out" || printf '%s\n' "$out" >&2
}

# ---------------------------------------------------------------------------------------------
# Test scripts: a tally of checks, closing with the line 'N passed, N failed'.
# ---------------------------------------------------------------------------------------------
pass() { passed=$((${passed:-0} + 1)); log "PASS $1"; }
fail() { failed=$((${failed:-0} + 1)); printf 'FAIL %s\n' "$1" >&2; }
tally() { printf '%s passed, %s failed\n' "${passed:-0}" "${failed:-0}"; [ "${failed:-0}" -eq 0 ]; }

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

# ---------------------------------------------------------------------------------------------
# Benchmarks and checks: numbers, cargo's artifacts, a server on loopback.
# ---------------------------------------------------------------------------------------------
# The median of the numbers on standard input (one a line or separated by spaces).
median() {
  tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cargo_executable NAME: the path of executable NAME in the cargo JSON messages on standard input.
cargo_executable() {
  jq -r --arg name "$1" 'select(.reason == "compiler-artifact" and .target.name == $name) | .executable // empty' |
    tail -n 1
}

# start_server BINARY OUT_FILE: starts BINARY on 127.0.0.1:0 with its output in OUT_FILE and sets
# server_pid and server_port, or fails when it has not said its port within 10 s.
start_server() {
  "$1" --bind 127.0.0.1:0 >"$2" 2>/dev/null &
  server_pid=$! server_port=""
  for _ in $(seq 100); do
    server_port=$(sed -n 's/^listening on http:\/\/127.0.0.1://p' "$2")
    [ -z "$server_port" ] || return 0
    sleep 0.1
  done
  kill "$server_pid" 2>/dev/null || true
  return 1
}
