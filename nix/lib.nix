# Pure helpers (builtins only, no nixpkgs), so the matrix and the tests evaluate anywhere.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    elemAt
    filter
    fromTOML
    head
    isString
    length
    replaceStrings
    split
    stringLength
    substring
    ;

  chars = s: builtins.genList (i: substring i 1 s) (stringLength s);
  toUpper = replaceStrings (chars "abcdefghijklmnopqrstuvwxyz") (chars "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  hasSuffix =
    suffix: s:
    let
      n = stringLength suffix;
      m = stringLength s;
    in
    m >= n && substring (m - n) n s == suffix;

  # A target triple, its system and the short name packages use: "<arch>-<libc>" on Linux (gnu,
  # musl), "<arch>-darwin", "<arch>-windows-<abi>".
  describeTarget =
    triple:
    let
      parts = filter isString (split "-" triple);
      arch = head parts;
      libc = elemAt parts (length parts - 1);
      os =
        if libc == "darwin" then "darwin"
        else if elem "windows" parts then "windows"
        else "linux";
    in
    {
      inherit triple arch libc os;
      name =
        if os == "linux" then "${arch}-${libc}"
        else if os == "darwin" then "${arch}-darwin"
        else "${arch}-windows-${libc}";
      static = libc == "musl";
    };

  # The settings of .cargo/config.toml the Nix builds account for (see nixBuildSource): those
  # that only name Debian's cross toolchain ([target.<triple>] linker/runner, [env]
  # CC_/CXX_/AR_<triple>), [alias], and [env] MACOSX_DEPLOYMENT_TARGET, which the macOS packages
  # ask nixpkgs for (darwinMinVersionHook, which can only raise nixpkgs' own floor).
  isHandledSetting =
    path:
    let
      top = head path;
      depth = length path;
    in
    (top == "alias")
    || (top == "target" && depth == 3 && elem (elemAt path 2) [ "linker" "runner" ])
    || (
      top == "env"
      && depth == 2
      && (builtins.match "(CC|CXX|AR)_[a-z0-9_]+" (elemAt path 1) != null || elemAt path 1 == "MACOSX_DEPLOYMENT_TARGET")
    );
  settingPaths =
    prefix: value:
    if builtins.isAttrs value then
      builtins.concatMap (n: settingPaths (prefix ++ [ n ]) value.${n}) (attrNames value)
    else
      [ prefix ];
in
rec {
  inherit toUpper hasSuffix;

  readToml = path: fromTOML (builtins.readFile path);

  # The supported targets: the [target.<triple>] tables of .cargo/config.toml (parsed).
  targetsOf = cargoConfig: map describeTarget (attrNames cargoConfig.target);

  # The Nix systems the flake has outputs for: those the locked nixpkgs (26.11) builds for.
  # x86_64-darwin is not among them: nixpkgs 26.11 dropped it (its release notes; flake-utils'
  # `nix flake show --all-systems` reports such a system as an error). Intel Macs get the
  # scripts' x86_64-apple-darwin release (README, "Targets").
  systems = [ "x86_64-linux" "aarch64-linux" "aarch64-darwin" ];

  # Whether a Nix system ("x86_64-linux", "aarch64-darwin") builds a target: Linux systems build
  # every Linux target (natively or cross), a Mac its own architecture's macOS target (natively,
  # as crane does). Windows is built by the scripts only (README, "Nix").
  buildsOn =
    system: target:
    let
      parts = filter isString (split "-" system);
    in
    if elemAt parts 1 == "linux" then target.os == "linux"
    else elemAt parts 1 == "darwin" && target.os == "darwin" && target.arch == head parts;

  # Every (profile, target) package, keyed by "<profile>-<target's short name>", from the parsed
  # Cargo.toml (its [profile.NAME] tables) and .cargo/config.toml (its targets, those `keep`
  # holds for).
  matrixOf =
    { cargoManifest, cargoConfig, keep ? _: true }:
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
                inherit (target) arch libc os static;
                systems = filter (system: buildsOn system target) systems;
              }
              # What .cargo/config.toml asks for; the package's floor may be higher (nixpkgs'
              # deployment target): its passthru.tachikoma.macosMinVersion says which.
              // (if target.os == "darwin" then { requestedMacosMinVersion = cargoConfig.env.MACOSX_DEPLOYMENT_TARGET; } else { });
            })
            (filter keep (targetsOf cargoConfig))
        )
        (attrNames cargoManifest.profile)
    );

  # "aarch64-unknown-linux-gnu" -> "AARCH64_UNKNOWN_LINUX_GNU", as in cargo's
  # CARGO_TARGET_<TRIPLE>_LINKER.
  cargoEnvTriple = triple: toUpper (replaceStrings [ "-" ] [ "_" ] triple);

  # "aarch64-unknown-linux-gnu" -> "aarch64_unknown_linux_gnu", as in the cc crate's CC_<triple>.
  ccEnvTriple = triple: replaceStrings [ "-" ] [ "_" ] triple;

  # .cargo/config.toml (parsed), checked to hold nothing but Debian toolchain names. The Nix
  # builds leave the file out (nixBuildSource), so a setting of any other kind would be silently
  # lost there: it is an evaluation error instead, naming the setting.
  checkCargoConfig =
    cargoConfig:
    let
      # A target no system builds (MSVC) may have rustflags: no Nix build drops them.
      unbuilt = triple: !(builtins.any (system: buildsOn system (describeTarget triple)) systems);
      isUnbuiltTargetsRustflags = path: length path == 3 && head path == "target" && elemAt path 2 == "rustflags" && unbuilt (elemAt path 1);
      others = filter (p: !(isHandledSetting p) && !(isUnbuiltTargetsRustflags p)) (settingPaths [ ] cargoConfig);
    in
    if others == [ ] then
      cargoConfig
    else
      throw (
        "nix: .cargo/config.toml has settings the Nix builds would drop: "
        + concatStringsSep ", " (map (concatStringsSep ".") others)
        + ". Teach nix/lib.nix (checkCargoConfig) and nix/packages.nix about them."
      );

  # Whether a file of the workspace goes into the Nix builds' source (on top of crane's
  # filterCargoSources). .cargo/config.toml does not: it names Debian's cross toolchain
  # (aarch64-linux-gnu-gcc, musl-gcc, qemu with a Debian sysroot), and its [env] CC_<triple> would
  # even win over crane's TARGET_CC (the cc crate reads CC_<triple> first, and cargo's [env] only
  # yields to variables that are already set). Without it, crane's cross environment and the
  # native stdenv's cc are all cargo sees.
  nixBuildSource = path: !(hasSuffix "/.cargo/config.toml" path || hasSuffix "/.cargo/config" path);

  # Whether a file crane's filterCargoSources leaves out is read by the build all the same: the C
  # sources build scripts compile with the cc crate (tachikoma-common-core's memcpy for x86_64
  # musl). Without them the build script of such a crate fails in the Nix builds.
  cSource = path: hasSuffix ".c" path || hasSuffix ".h" path;

  # The workspace's own packages: the Cargo.lock entries without a source (path packages).
  workspacePackagesOf = lockText: filter (p: !(p ? source)) (fromTOML lockText).package;

  # Cargo.lock with every workspace package at version 0.0.0, for the dependency builds: a
  # version bump then leaves them unchanged (crane issue 445). Done on the text, so the rest of
  # the file stays byte for byte what cargo wrote (`--locked` compares the text); the result is
  # checked, and anything unexpected (CRLF line ends, a workspace package named with its
  # version in a dependency list) is an error rather than a lock cargo would reject.
  zeroWorkspaceVersions =
    lockText:
    let
      locals = workspacePackagesOf lockText;
      result =
        replaceStrings
          (map (p: "name = \"${p.name}\"\nversion = \"${p.version}\"\n") locals)
          (map (p: "name = \"${p.name}\"\nversion = \"0.0.0\"\n") locals)
          lockText;
      zeroed = p: if p ? source then p else p // { version = "0.0.0"; };
      expected = (fromTOML lockText) // {
        package = map zeroed (fromTOML lockText).package;
      };
      mentionsVersion = builtins.any
        (
          p: builtins.any (q: builtins.match "${q.name} .*" "${p}" != null) locals
        )
        (builtins.concatMap (p: p.dependencies or [ ]) (fromTOML lockText).package);
    in
    if mentionsVersion then
      throw "nix: Cargo.lock names a workspace package with its version in a dependency list; zeroWorkspaceVersions cannot zero it"
    else if fromTOML result == expected then
      result
    else
      throw "nix: zeroWorkspaceVersions could not zero the workspace versions in Cargo.lock (line ends other than LF?)";

  # A crane cleanCargoTomlFilter: `keep` (crane's default filter), less every version of a
  # workspace package, so the dependency build's Cargo.toml files do not change with the
  # workspace version: [package] version and [workspace.package] version (cargo takes 0.0.0 for
  # a package without one, as in the zeroed Cargo.lock), and the `version` requirement beside
  # `path` wherever a workspace package is a dependency ([workspace.dependencies],
  # [dependencies], [target.'cfg'.dev-dependencies]...).
  withoutWorkspaceVersions =
    members: keep: path:
    let
      n = length path;
      from = i: elemAt path (n - i);
      isVersionOfMember =
        n >= 3
        && from 1 == "version"
        && elem (from 2) members
        && elem (from 3) [
          "dependencies"
          "dev-dependencies"
          "dev_dependencies"
          "build-dependencies"
          "build_dependencies"
        ];
    in
    keep path
    && path != [ "package" "version" ]
    && path != [ "workspace" "package" "version" ]
    && !isVersionOfMember;
}
