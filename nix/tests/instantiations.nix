# Every output of flake.nix on every system, forced once with the fakes of nix/tests/fakes.nix:
# with TACHIKOMA_TRACE_NIXPKGS=1 the fake `import nixpkgs` traces each instantiation, so
#   TACHIKOMA_TRACE_NIXPKGS=1 nix eval --raw --file nix/tests/instantiations.nix 2>&1 >/dev/null |
#     grep -c '^trace: fake-nixpkgs: instantiated'
# counts them: one per target per system (4 on each Linux, 1 on each Mac: 10), however many
# derivations use each set.
# (nix/tests.nix checks the same by identity, without traces.)
let
  out = import ./outputs.nix;
  forced =
    system:
    builtins.concatMap (drv: [ drv.outPath (drv.cargoArtifacts.outPath or "") ])
      (
        builtins.attrValues out.packages.${system} ++ builtins.attrValues out.checks.${system}
      )
    ++ [
      (builtins.toJSON out.devShells.${system}.default.fakeEnv)
      out.apps.${system}.default.program
      out.formatter.${system}.outPath
    ];
  all = builtins.concatMap forced (import ../lib.nix).systems;
in
builtins.deepSeq all "${toString (builtins.length all)} values forced\n"
