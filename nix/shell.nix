# `nix develop`: the pinned toolchain with every target, the C toolchain and runner of each
# target the flake builds on this system, and the programs scripts/test.sh and
# scripts/build-rust.sh run, but for Windows GNU's (MinGW, Wine: Debian's, see README).
{ pkgs
, pkgsByTarget
, craneLib
, checks
,
}:
let
  nixLib = import ./lib.nix;

  # For every target, what cargo and the cc crate read, from that target's own package set. Crane
  # sets these in its builds (mkCrossToolchainEnv), one target per derivation; a shell serves all
  # targets at once, so they are set here per triple (no TARGET_CC, HOST_CC or
  # CARGO_BUILD_TARGET, which would apply to every target). Full store paths, as crane uses them
  # (it no longer puts the cross compilers in nativeBuildInputs, where their setup hooks would
  # change the shell's own CC). The lower-case CC_<triple> is the name the cc crate reads first,
  # and since cargo's [env] table does not override a variable that is already set, it also wins
  # over .cargo/config.toml's Debian names; CARGO_TARGET_<TRIPLE>_LINKER and _RUNNER win over its
  # [target] tables. The runner is nixpkgs' emulator for a target this machine cannot execute
  # (qemu-user, as in crane); it needs no -L sysroot, since a binary linked by a Nix cross gcc
  # names its dynamic loader by store path.
  targetEnv =
    triple: targetPkgs:
    let
      cc = targetPkgs.stdenv.cc;
      tool = name: "${cc}/bin/${cc.targetPrefix}${name}";
      platform = targetPkgs.stdenv.hostPlatform;
      T = nixLib.cargoEnvTriple triple;
      t = nixLib.ccEnvTriple triple;
    in
    {
      "CARGO_TARGET_${T}_LINKER" = tool "cc";
      "CC_${t}" = tool "cc";
      "CXX_${t}" = tool "c++";
      "AR_${t}" = tool "ar";
    }
    // (
      if !(pkgs.stdenv.hostPlatform.canExecute platform) && platform.emulatorAvailable pkgs then
        { "CARGO_TARGET_${T}_RUNNER" = platform.emulator pkgs; }
      else
        { }
    );
in
craneLib.devShell (
  builtins.foldl' (env: triple: env // targetEnv triple pkgsByTarget.${triple}) { } (builtins.attrNames pkgsByTarget)
    // {
    # The checks' build inputs (toolchain included) come along.
    inherit checks;
    packages = with pkgs; [
      cargo-nextest
      cargo-hack
      cargo-hakari
      cargo-deny
      cargo-audit
      rust-audit-info
      jq
      # scripts/check-sbom.py's validator (the scripts put it in a virtual environment of their own)
      (python3.withPackages (ps: [ ps.cyclonedx-python-lib ps.jsonschema ]))
      sccache
      shellcheck
      actionlint
      zizmor
      nodejs
      nixpkgs-fmt
      deadnix
      git
      nix # nix-instantiate and nix eval for scripts/test.sh, also in a `nix develop --ignore-environment`
    ]
    # On Linux: qemu runs the other architecture's binaries (user mode is Linux's only), and Zig
    # links the glibc targets against the glibc floor, the musl addons and the macOS targets
    # (scripts/build-rust.sh uses cargo-zigbuild; in this shell it takes these).
    ++ (if pkgs.stdenv.hostPlatform.isLinux then [ qemu-user cargo-zigbuild zig ] else [ ]);
  }
)
