{
  description = "Tachikoma: the workspace's builds, one package per cargo profile and target";

  # No nixConfig: a substituter is named here only together with its public key, once the binary
  # cache exists (README, "Nix").

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    crane.url = "github:ipetkov/crane";
    flake-utils.url = "github:numtide/flake-utils";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    advisory-db = {
      url = "github:rustsec/advisory-db";
      flake = false;
    };
  };

  # Wiring only: the logic lives in nix/ (nix/outputs.nix for one build machine).
  outputs =
    { self
    , nixpkgs
    , crane
    , flake-utils
    , rust-overlay
    , advisory-db
    ,
    }:
    flake-utils.lib.eachSystem (import ./nix/lib.nix).systems (
      system:
      import ./nix/outputs.nix {
        inherit system nixpkgs crane rust-overlay advisory-db;
        root = ./.;
        # The full commit hash (a dirty tree's ends in "-dirty"), and the commit time.
        revision = {
          hash = self.rev or self.dirtyRev or "unknown";
          time = self.lastModified or 0;
        };
      }
    );
}
