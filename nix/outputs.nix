# The flake's outputs for one build machine (`system`): its package sets, crane libs, packages,
# checks, apps, dev shell and formatter. flake.nix passes the inputs; nix/tests.nix passes fakes.
{ system
, nixpkgs
, crane
, rust-overlay
, advisory-db
, root
, revision
,
}:
let
  nixLib = import ./lib.nix;
  cargoConfig = nixLib.checkCargoConfig (nixLib.readToml (root + "/.cargo/config.toml"));
  overlays = [ rust-overlay.overlays.default ];

  # The build machine's own package set.
  pkgs = import nixpkgs {
    localSystem = system;
    inherit overlays;
  };
  # Rust's name for this machine (nixpkgs' config names Apple silicon arm64-apple-darwin).
  hostTriple = pkgs.stdenv.hostPlatform.rust.rustcTarget;
  # The targets this system builds (nix/lib.nix, buildsOn).
  targets = builtins.filter (nixLib.buildsOn system) (nixLib.targetsOf cargoConfig);

  # One package set per target, instantiated once: native for the build machine's own triple,
  # cross otherwise. An attribute set, so each set is evaluated at most once however many
  # derivations use it (a function called per use would instantiate nixpkgs every time).
  pkgsByTarget = builtins.listToAttrs (
    map
      (target: {
        name = target.triple;
        value =
          if target.triple == hostTriple then
            pkgs
          else
            import nixpkgs {
              localSystem = system;
              crossSystem.config = target.triple;
              inherit overlays;
            };
      })
      targets
  );

  # A crane lib per target, on that target's package set: crane's own cross environment
  # (mkCrossToolchainEnv: CARGO_BUILD_TARGET, linker, CC/CXX/AR for the cc crate, a qemu runner)
  # builds each target. One toolchain pin for rustup and Nix users alike: rust-toolchain.toml.
  craneLibs = builtins.mapAttrs
    (
      _triple: targetPkgs:
        (crane.mkLib targetPkgs).overrideToolchain (p: p.rust-bin.fromRustupToolchainFile (root + "/rust-toolchain.toml"))
    )
    pkgsByTarget;

  builds = import ./packages.nix {
    inherit pkgs pkgsByTarget craneLibs hostTriple root revision advisory-db;
    workspace = {
      manifest = builtins.readFile (root + "/Cargo.toml");
      lock = builtins.readFile (root + "/Cargo.lock");
    };
    matrix = nixLib.matrixOf {
      cargoManifest = nixLib.readToml (root + "/Cargo.toml");
      inherit cargoConfig;
      keep = nixLib.buildsOn system;
    };
  };
  inherit (builds.packages) default;
in
{
  inherit (builds) packages checks;
  apps = {
    default = {
      type = "app";
      program = "${default}/bin/tachikoma";
      meta.description = "The tachikoma CLI (dist build for this machine)";
    };
    server = {
      type = "app";
      program = "${default}/bin/tachikoma-server";
      meta.description = "The tachikoma-server HTTP service (dist build for this machine)";
    };
  };
  devShells.default = import ./shell.nix {
    inherit pkgs pkgsByTarget;
    craneLib = craneLibs.${hostTriple};
    inherit (builds) checks;
  };
  formatter = pkgs.nixpkgs-fmt;
}
