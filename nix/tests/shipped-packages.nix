# The packages the flake's binary packages build, one a line, as the fakes of nix/tests/fakes.nix
# see them: scripts/test.sh compares them with scripts/lib.sh's shipped_binaries (the list stands
# in both places, since Nix cannot read shell).
let
  out = import ./outputs.nix;
  runs = out.packages.x86_64-linux.dist-x86_64-musl.tachikoma.cargoRuns;
in
builtins.concatStringsSep "" (map (run: builtins.elemAt (builtins.match ".*-p ([a-z-]+).*" run) 0 + "\n") runs)
