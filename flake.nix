{
  description = "Tachikoma: the workspace's builds, one package per cargo profile and target";

  # The project's binary cache. Add its public key (extra-trusted-public-keys) when the cache is
  # created; until then Nix skips it and builds locally. See README, "Nix".
  nixConfig.extra-substituters = [ "https://tachikoma.cachix.org" ];

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

  # Wiring only: the logic lives in nix/.
  outputs =
    { self
    , nixpkgs
    , crane
    , flake-utils
    , rust-overlay
    , advisory-db
    ,
    }:
    flake-utils.lib.eachSystem [ "x86_64-linux" "aarch64-linux" ] (
      system:
      let
        overlays = [ (import rust-overlay) ];
        pkgs = import nixpkgs { inherit system overlays; };
        # Native for the build machine's own triple, cross otherwise.
        pkgsFor =
          triple:
          if triple == pkgs.stdenv.hostPlatform.config then
            pkgs
          else
            import nixpkgs {
              inherit overlays;
              localSystem = system;
              crossSystem.config = triple;
            };
        # One pin for rustup and Nix users alike: rust-toolchain.toml (with every target).
        craneLib = (crane.mkLib pkgs).overrideToolchain (p: p.rust-bin.fromRustupToolchainFile ./rust-toolchain.toml);
        builds = import ./nix/packages.nix {
          inherit craneLib pkgs pkgsFor advisory-db;
          src = craneLib.cleanCargoSource ./.;
          revision = {
            hash = self.shortRev or self.dirtyShortRev or "unknown";
            time = self.lastModified or 0;
          };
        };
      in
      {
        inherit (builds) packages checks;
        apps = {
          default = flake-utils.lib.mkApp { drv = builds.packages.default; };
          server = flake-utils.lib.mkApp {
            drv = builds.packages.default;
            exePath = "/bin/tachikoma-server";
          };
        };
        devShells.default = import ./nix/shell.nix {
          inherit craneLib pkgs;
          inherit (builds) checks crossEnv;
        };
        formatter = pkgs.nixpkgs-fmt;
      }
    );
}
