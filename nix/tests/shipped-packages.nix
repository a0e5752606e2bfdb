# What the flake's binary packages ship, a line each: "PACKAGE BINARY FEATURES ARGS" (features
# comma-separated, as `cargo tree -f '{f}'` prints them; ARGS print the build metadata), from the
# dist package for x86_64 musl as the fakes of nix/tests/fakes.nix see it. scripts/test.sh
# compares the lines with scripts/lib.sh's shipped_binaries and version_json_args and with
# cargo's resolution of each package's features (the list stands in both places, since Nix can
# neither read shell nor run cargo while evaluating).
let
  out = import ./outputs.nix;
  inherit (out.packages.x86_64-linux.dist-x86_64-musl) tachikoma;
in
builtins.concatStringsSep "" (map (s: "${s.package} ${s.binary} ${builtins.concatStringsSep "," s.features} ${s.versionJsonArgs}\n") tachikoma.shipped)
