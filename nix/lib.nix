# Pure helpers (builtins only, no nixpkgs), so the matrix evaluates anywhere.
let
  chars = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);
  toUpper = builtins.replaceStrings (chars "abcdefghijklmnopqrstuvwxyz") (chars "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

  # A target triple with the short name packages use: "<arch>-<libc>".
  describeTarget =
    triple:
    let
      parts = builtins.filter builtins.isString (builtins.split "-" triple);
      arch = builtins.head parts;
      libc = builtins.elemAt parts (builtins.length parts - 1);
    in
    {
      inherit triple arch libc;
      name = "${arch}-${libc}";
      static = libc == "musl";
    };
in
rec {
  inherit toUpper;

  readToml = path: builtins.fromTOML (builtins.readFile path);

  # The supported targets: the [target.<triple>] tables of .cargo/config.toml (parsed).
  targetsOf = cargoConfig: map describeTarget (builtins.attrNames cargoConfig.target);

  # Every (profile, target) package, keyed by "<profile>-<arch>-<libc>", from the parsed
  # Cargo.toml (its [profile.NAME] tables) and .cargo/config.toml (its targets).
  matrixOf =
    { cargoManifest, cargoConfig }:
    builtins.listToAttrs (
      builtins.concatMap
        (
          profile:
          map
            (target: {
              name = "${profile}-${target.name}";
              value = {
                inherit profile;
                target = target.triple;
                inherit (target) arch libc static;
              };
            })
            (targetsOf cargoConfig)
        )
        (builtins.attrNames cargoManifest.profile)
    );

  # "aarch64-unknown-linux-gnu" -> "AARCH64_UNKNOWN_LINUX_GNU", as in cargo's
  # CARGO_TARGET_<TRIPLE>_LINKER.
  cargoEnvTriple = triple: toUpper (builtins.replaceStrings [ "-" ] [ "_" ] triple);

  # "aarch64-unknown-linux-gnu" -> "aarch64_unknown_linux_gnu", as in the cc crate's CC_<triple>.
  ccEnvTriple = triple: builtins.replaceStrings [ "-" ] [ "_" ] triple;
}
