# The flake's (profile, target) packages, keyed by name "<profile>-<target's short name>"
# ("dist-x86_64-musl", "dist-aarch64-darwin"), each with the Nix systems that build it: the
# profiles are Cargo.toml's [profile.NAME] tables, the targets .cargo/config.toml's that some
# system builds (nix/lib.nix, buildsOn). A new profile there is a new package here. Pure Nix:
# `nix eval --json --file nix/matrix.nix` prints it.
let
  nixLib = import ./lib.nix;
in
nixLib.matrixOf {
  cargoManifest = nixLib.readToml ../Cargo.toml;
  cargoConfig = nixLib.readToml ../.cargo/config.toml;
  keep = target: builtins.any (system: nixLib.buildsOn system target) nixLib.systems;
}
