# The flake's builds: one package per (profile, target) of nix/matrix.nix, the Node addon, and
# the checks. Everything comes in as arguments (no nixpkgs import here), so nix/tests.nix can call
# this with small fakes and check the wiring without building anything.
#
# Arguments:
#   craneLib     crane's lib with the toolchain of rust-toolchain.toml (rust-overlay)
#   pkgs         nixpkgs of the build machine
#   pkgsFor      triple -> the nixpkgs set that builds for that triple (native or cross)
#   src          the workspace source, cleaned to what cargo needs
#   revision     { hash = short git hash; time = commit time in Unix seconds; }
#   advisory-db  the RustSec advisory database (a flake input), for the audit check
{ craneLib, pkgs, pkgsFor, src, revision, advisory-db, matrix ? import ./matrix.nix }:
let
  nixLib = import ./lib.nix;
  version = (nixLib.readToml ../Cargo.toml).workspace.package.version;
  hostTriple = pkgs.stdenv.hostPlatform.config;

  # Arguments every derivation shares, dependencies-only ones included.
  commonArgs = {
    inherit src version;
    pname = "tachikoma";
    strictDeps = true;
    cargoExtraArgs = "--locked";
    # rustls, no OpenSSL: nothing to find with pkg-config.
  };

  # The linker, C compiler (ring, mimalloc) and archiver of a target, as cargo and the cc crate
  # read them; these take precedence over .cargo/config.toml's Debian names.
  targetEnv =
    { target, static, ... }:
    let
      cc = (pkgsFor target).stdenv.cc;
      prefix = cc.targetPrefix;
      T = nixLib.cargoEnvTriple target;
      t = nixLib.ccEnvTriple target;
    in
    {
      CARGO_BUILD_TARGET = target;
      "CARGO_TARGET_${T}_LINKER" = "${cc}/bin/${prefix}cc";
      "CC_${t}" = "${cc}/bin/${prefix}cc";
      "AR_${t}" = "${cc.bintools}/bin/${prefix}ar";
      HOST_CC = "${pkgs.stdenv.cc}/bin/cc";
    }
    // (if static then { "CARGO_TARGET_${T}_RUSTFLAGS" = "-C target-feature=+crt-static"; } else { });

  # The git revision reaches build.rs only here, in the final derivations: in the dependency
  # derivation it would change its hash on every commit and rebuild every dependency.
  revisionEnv = {
    TACHIKOMA_GIT_HASH = revision.hash;
    SOURCE_DATE_EPOCH = toString revision.time;
  };

  # One dependencies-only build per (profile, target), shared by everything built for that pair.
  dependencyArtifacts = builtins.mapAttrs
    (
      _name: entry: craneLib.buildDepsOnly (commonArgs // targetEnv entry // { CARGO_PROFILE = entry.profile; })
    )
    matrix;

  buildFor =
    name: extraArgs:
    let
      entry = matrix.${name};
    in
    craneLib.buildPackage (
      commonArgs
      // targetEnv entry
      // revisionEnv
      // {
        CARGO_PROFILE = entry.profile;
        cargoArtifacts = dependencyArtifacts.${name};
        doCheck = false; # tests run once, on the host, in checks
      }
      // extraArgs
    );

  binaries = builtins.mapAttrs
    (
      name: _entry:
        buildFor name {
          cargoExtraArgs = "--locked -p tachikoma-cli -p tachikoma-server";
          meta.mainProgram = "tachikoma";
        }
    )
    matrix;

  # The name of a matrix entry for a profile on this machine's own target.
  hostName =
    profile:
    let
      matches = builtins.filter (n: matrix.${n}.profile == profile && matrix.${n}.target == hostTriple) (
        builtins.attrNames matrix
      );
    in
    if matches == [ ] then throw "no ${profile} package for the host ${hostTriple}" else builtins.head matches;

  # `tachikoma.node`: the napi addon, built like the release binaries of the host.
  node-addon = buildFor (hostName "release") {
    pname = "tachikoma-node";
    cargoExtraArgs = "--locked -p tachikoma-native";
    postInstall = ''
      mv "$out/lib/libtachikoma_native.so" "$out/lib/tachikoma.node"
    '';
  };

  # Checks reuse the host ci profile's dependency build (the profile scripts/test.sh tests with).
  ciArgs =
    let
      name = hostName "ci";
    in
    commonArgs
    // targetEnv matrix.${name}
    // {
      CARGO_PROFILE = "ci";
      cargoArtifacts = dependencyArtifacts.${name};
    };

  checks = {
    clippy = craneLib.cargoClippy (ciArgs // { cargoClippyExtraArgs = "--all-targets -- --deny warnings"; });
    doc = craneLib.cargoDoc (ciArgs // { env.RUSTDOCFLAGS = "--deny warnings"; });
    fmt = craneLib.cargoFmt { inherit src; };
    # build_metadata's tests need a git checkout of the workspace, which a Nix build does not
    # have; scripts/test.sh runs them.
    tests = craneLib.cargoNextest (
      ciArgs
      // {
        nativeBuildInputs = [ pkgs.nodejs ];
        cargoNextestExtraArgs = "--workspace -E 'not binary(build_metadata)'";
      }
    );
    audit = craneLib.cargoAudit { inherit src advisory-db; };
    deny = craneLib.cargoDeny { inherit src; };
    dist = binaries.${hostName "dist"};
  };
in
{
  inherit dependencyArtifacts checks;
  packages = binaries // {
    inherit node-addon;
    default = binaries.${hostName "dist"};
  };
  # Environment for the dev shell: every target's linker and C compiler, without picking one.
  crossEnv = builtins.foldl'
    (
      acc: entry: acc // builtins.removeAttrs (targetEnv entry) [ "CARGO_BUILD_TARGET" ]
    )
    { }
    (builtins.attrValues matrix);
}
