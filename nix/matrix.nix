# The flake's (profile, target) packages, keyed by name "<profile>-<arch>-<libc>": the profiles
# are Cargo.toml's [profile.NAME] tables, the targets .cargo/config.toml's. A new profile there
# is a new package here. Pure Nix: `nix eval --json --file nix/matrix.nix` prints it.
let
  nixLib = import ./lib.nix;
in
nixLib.matrixOf {
  cargoManifest = nixLib.readToml ../Cargo.toml;
  cargoConfig = nixLib.readToml ../.cargo/config.toml;
}
