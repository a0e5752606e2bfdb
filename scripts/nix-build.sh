#!/usr/bin/env bash
# Builds with Nix every package of one cargo profile that this system builds: nix build .#PROFILE-<target>...
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  -h | --help)
    echo "Usage: scripts/nix-build.sh PROFILE   (builds .#PROFILE-<target> for every target this system builds)"
    exit 0 ;;
  "") die "a profile is required; the profiles of Cargo.toml are: $(profiles | words)" 2 ;;
esac
profile=$1
cd "$(repo_root)"
command -v nix >/dev/null 2>&1 || die "nix is missing: https://nixos.org/download"
# The package names come from nix/matrix.nix, the same matrix the flake builds: this system's.
system=$(nix --extra-experimental-features nix-command eval --impure --raw --expr builtins.currentSystem)
mapfile -t packages < <(nix --extra-experimental-features nix-command eval --raw --file nix/matrix.nix \
  --apply "m: builtins.concatStringsSep \"\\n\" (builtins.filter (n: m.\${n}.profile == \"$profile\" && builtins.elem \"$system\" m.\${n}.systems) (builtins.attrNames m))")
[ ${#packages[@]} -gt 0 ] ||
  die "no packages for profile '$profile'; the profiles of Cargo.toml are: $(profiles | words)" 2
log "nix build ${packages[*]}"
nix --extra-experimental-features 'nix-command flakes' build -L --no-link "${packages[@]/#/.#}"
