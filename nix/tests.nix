# Tests of the flake's logic, with no nixpkgs and no builds: nix/packages.nix is called with
# fakes of crane and nixpkgs that record their arguments. Run:
#   nix eval --raw --file nix/tests.nix
# It prints "N passed, 0 failed", or fails naming the tests that did not pass.
let
  nixLib = import ./lib.nix;
  matrix = import ./matrix.nix;
  host = "x86_64-unknown-linux-gnu";
  revision = {
    hash = "c0ffee1";
    time = 1700000000;
  };

  fakeCc = triple: {
    outPath = "/fake/${triple}-cc";
    targetPrefix = if triple == host then "" else "${triple}-";
    bintools.outPath = "/fake/${triple}-bintools";
  };
  record = kind: args: { inherit kind args; };
  craneLib = {
    buildDepsOnly = record "deps";
    buildPackage = record "package";
    cargoClippy = record "clippy";
    cargoDoc = record "doc";
    cargoFmt = record "fmt";
    cargoNextest = record "nextest";
    cargoAudit = record "audit";
    cargoDeny = record "deny";
  };
  builds = import ./packages.nix {
    inherit craneLib revision matrix;
    pkgs = {
      stdenv = {
        hostPlatform.config = host;
        cc = fakeCc host;
      };
      nodejs = "nodejs";
    };
    pkgsFor = triple: { stdenv.cc = fakeCc triple; };
    src = "/fake/src";
    advisory-db = "/fake/advisory-db";
  };

  names = builtins.attrNames matrix;
  all = pred: builtins.all pred names;
  pkgArgs = name: builds.packages.${name}.args;
  depArgs = name: builds.dependencyArtifacts.${name}.args;
  hasInfix = infix: s: builtins.length (builtins.split infix s) > 1;

  tests = {
    matrix-covers-every-profile-and-target =
      let
        profiles = builtins.attrNames (nixLib.readToml ../Cargo.toml).profile;
        targets = builtins.attrNames (nixLib.readToml ../.cargo/config.toml).target;
      in
      builtins.length names == builtins.length profiles * builtins.length targets
      && matrix ? "dist-x86_64-musl"
      && matrix."dist-x86_64-musl".target == "x86_64-unknown-linux-musl"
      && matrix."release-aarch64-gnu".profile == "release";

    a-new-cargo-profile-is-a-new-package =
      let
        m = nixLib.matrixOf {
          cargoManifest.profile = {
            dev = { };
            fast = { };
          };
          cargoConfig.target."aarch64-unknown-linux-musl" = { };
        };
      in
      builtins.attrNames m == [
        "dev-aarch64-musl"
        "fast-aarch64-musl"
      ]
      && m."fast-aarch64-musl".profile == "fast"
      && m."fast-aarch64-musl".static;

    every-package-builds-its-profile-and-target = all (
      name:
      let
        args = pkgArgs name;
        T = nixLib.cargoEnvTriple matrix.${name}.target;
      in
      builds.packages.${name}.kind == "package"
      && args.CARGO_PROFILE == matrix.${name}.profile
      && args.CARGO_BUILD_TARGET == matrix.${name}.target
      && args."CARGO_TARGET_${T}_LINKER" == "/fake/${matrix.${name}.target}-cc/bin/${
        (fakeCc matrix.${name}.target).targetPrefix
      }cc"
    );

    dependency-builds-match-their-package = all (
      name:
      (depArgs name).CARGO_PROFILE == matrix.${name}.profile
      && (depArgs name).CARGO_BUILD_TARGET == matrix.${name}.target
    );

    musl-packages-are-static = all (
      name:
      let
        flags = (pkgArgs name)."CARGO_TARGET_${nixLib.cargoEnvTriple matrix.${name}.target}_RUSTFLAGS" or "";
      in
      hasInfix "crt-static" flags == matrix.${name}.static
    );

    revision-reaches-only-final-packages = all (
      name:
      !(hasInfix revision.hash (builtins.toJSON (depArgs name)))
      && !((depArgs name) ? SOURCE_DATE_EPOCH)
      && (pkgArgs name).TACHIKOMA_GIT_HASH == revision.hash
      && (pkgArgs name).SOURCE_DATE_EPOCH == "1700000000"
    );

    a-pair-shares-one-dependency-build = all (name: (pkgArgs name).cargoArtifacts == builds.dependencyArtifacts.${name});

    checks-reuse-the-host-ci-dependency-build = builtins.all
      (
        check: builds.checks.${check}.args.cargoArtifacts == builds.dependencyArtifacts."ci-x86_64-gnu"
      ) [ "clippy" "doc" "tests" ];

    addon-reuses-the-host-release-dependency-build =
      builds.packages.node-addon.args.cargoArtifacts == builds.dependencyArtifacts."release-x86_64-gnu"
      && hasInfix "-p tachikoma-native" builds.packages.node-addon.args.cargoExtraArgs;

    default-is-the-host-dist-build =
      builds.packages.default == builds.packages."dist-x86_64-gnu"
      && builds.checks.dist == builds.packages."dist-x86_64-gnu";

    dev-shell-gets-every-linker = builtins.all
      (
        target: builds.crossEnv ? "CARGO_TARGET_${nixLib.cargoEnvTriple target}_LINKER"
      )
      (map (n: matrix.${n}.target) names);
  };

  failed = builtins.filter (name: !tests.${name}) (builtins.attrNames tests);
  count = builtins.length (builtins.attrNames tests);
in
if failed == [ ] then
  "${toString count} passed, 0 failed\n"
else
  throw "nix/tests.nix: ${toString (builtins.length failed)} failed: ${builtins.concatStringsSep ", " failed}"
