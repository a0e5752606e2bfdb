# `nix develop`: the pinned toolchain with every target, the cross linkers and the tools
# scripts/test.sh uses.
{ craneLib
, pkgs
, checks
, crossEnv
,
}:
craneLib.devShell (
  crossEnv
    // {
    # The checks' build inputs (toolchain included) come along.
    inherit checks;
    packages = with pkgs; [
      cargo-nextest
      cargo-hack
      cargo-deny
      cargo-audit
      sccache
      qemu
      shellcheck
      nodejs
      nixpkgs-fmt
      deadnix
    ];
  }
)
