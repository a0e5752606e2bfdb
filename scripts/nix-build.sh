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
# Pure evaluation needs no store: the dummy one lets a user without a Nix daemon evaluate too.
system=$(nix --extra-experimental-features nix-command --store dummy:// eval --impure --raw --expr builtins.currentSystem)
# Into a variable first: an evaluation that fails stops the script with Nix's own error (a
# process substitution would hide it and read as "no packages").
names=$(nix --extra-experimental-features nix-command --store dummy:// eval --raw --file nix/matrix.nix \
  --apply "m: builtins.concatStringsSep \"\\n\" (builtins.filter (n: m.\${n}.profile == \"$profile\" && builtins.elem \"$system\" m.\${n}.systems) (builtins.attrNames m))") ||
  die "nix could not evaluate nix/matrix.nix (its error is above)"
mapfile -t packages < <(sed '/^$/d' <<<"$names")
[ ${#packages[@]} -gt 0 ] ||
  die "no packages for profile '$profile'; the profiles of Cargo.toml are: $(profiles | words)" 2
log "nix build ${packages[*]}"
nix --extra-experimental-features 'nix-command flakes' build -L --no-link "${packages[@]/#/.#}"
