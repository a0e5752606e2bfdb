# flake.nix's outputs with the fakes of nix/tests/fakes.nix in place of its inputs, for a fixed
# revision: what nix/tests/instantiations.nix and nix/tests/shipped-packages.nix evaluate.
let
  fakes = import ./fakes.nix;
in
(import ../../flake.nix).outputs {
  self = {
    rev = "0123456789abcdef0123456789abcdef01234567";
    lastModified = 1700000000;
    outPath = ../..;
  };
  inherit (fakes) nixpkgs crane flake-utils rust-overlay advisory-db;
}
