#!/usr/bin/env bash
# A release tag must name the version it publishes: v + the workspace version of Cargo.toml.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  -h | --help) echo "Usage: scripts/check-release-tag.sh TAG   (fails unless TAG is v<workspace version>)"; exit 0 ;;
  "") die "a tag is required (e.g. v$(workspace_version))" 2 ;;
esac
[ $# -eq 1 ] || die "one tag, please" 2
version=$(workspace_version)
[ -n "$version" ] || die "no version in Cargo.toml's [workspace.package]"
[ "$1" = "v$version" ] ||
  die "tag '$1' does not match the workspace version $version (Cargo.toml): the release would publish tachikoma-$version-*; tag v$version, or bump the version first"
log "tag $1 matches the workspace version"
