# Tests of the flake, with no nixpkgs and no builds: flake.nix's outputs (and nix/packages.nix
# on its own) are evaluated with the fakes of nix/tests/fakes.nix. Expected values are written
# out here, not recomputed the way nix/packages.nix computes them. Run:
#   nix eval --raw --file nix/tests.nix
# It prints "N passed, 0 failed", or fails naming the tests that did not pass.
let
  fakes = import ./tests/fakes.nix;
  nixLib = import ./lib.nix;
  inherit (builtins) attrNames attrValues all any elem filter length listToAttrs;
  sort = builtins.sort builtins.lessThan;

  rev = "0123456789abcdef0123456789abcdef01234567";
  otherRev = "fedcba9876543210fedcba9876543210fedcba98";
  version = (nixLib.readToml ../Cargo.toml).workspace.package.version;

  # The whole matrix, written out: 5 profiles of Cargo.toml x the 4 Linux targets of
  # .cargo/config.toml (built on both Linux systems), and x the 2 macOS ones (each on its Mac).
  linuxNames = [
    "bench-aarch64-gnu"
    "bench-aarch64-musl"
    "bench-x86_64-gnu"
    "bench-x86_64-musl"
    "ci-aarch64-gnu"
    "ci-aarch64-musl"
    "ci-x86_64-gnu"
    "ci-x86_64-musl"
    "dev-aarch64-gnu"
    "dev-aarch64-musl"
    "dev-x86_64-gnu"
    "dev-x86_64-musl"
    "dist-aarch64-gnu"
    "dist-aarch64-musl"
    "dist-x86_64-gnu"
    "dist-x86_64-musl"
    "release-aarch64-gnu"
    "release-aarch64-musl"
    "release-x86_64-gnu"
    "release-x86_64-musl"
  ];
  macNames = arch: map (profile: "${profile}-${arch}-darwin") [ "bench" "ci" "dev" "dist" "release" ];
  matrixNames = sort (linuxNames ++ macNames "aarch64");
  systems = [ "x86_64-linux" "aarch64-linux" ];
  # x86_64-darwin: not a system of the locked nixpkgs (nix/lib.nix).
  macs = {
    aarch64-darwin = "aarch64";
  };
  allSystems = systems ++ attrNames macs;
  namesOn = system: if macs ? ${system} then macNames macs.${system} else linuxNames;

  # flake.nix's outputs for a given `self`.
  flake = import ../flake.nix;
  outputsFor =
    self:
    flake.outputs {
      self = self // { outPath = ../.; };
      inherit (fakes) nixpkgs crane flake-utils rust-overlay advisory-db;
    };
  out = outputsFor {
    inherit rev;
    lastModified = 1700000000;
  };
  outOtherCommit = outputsFor {
    rev = otherRev;
    lastModified = 1800000000;
  };
  outDirty = outputsFor {
    dirtyRev = "${rev}-dirty";
    lastModified = 1700000100;
  };
  outNoRevision = outputsFor { lastModified = 0; };

  x86 = out.packages.x86_64-linux;
  arm = out.packages.aarch64-linux;

  # For the tests of the fakes themselves: a fake crane lib, minimal arguments of a crane build,
  # and whether evaluating a derivation fails.
  fakeCraneProbe = {
    craneLib = x86.release-x86_64-gnu.fakeCraneLib;
    base = {
      pname = "x";
      version = "1";
      src = x86.release-x86_64-gnu.src;
      cargoArtifacts = null;
    };
    fails = v: !(builtins.tryEval (builtins.deepSeq v.outPath true)).success;
  };
  deps = drv: drv.cargoArtifacts;
  lines = s: filter (l: builtins.isString l && l != "") (builtins.split "\n" s);

  # nix/packages.nix alone, on x86_64-linux, for a workspace given as files (relative path ->
  # contents): the dependency builds must not change with the workspace version or the sources.
  realFiles = fakes.realFiles ../.;
  packagesFor =
    files:
    let
      pkgs = fakes.importNixpkgs {
        localSystem = "x86_64-linux";
        overlays = [ fakes.rust-overlay.overlays.default ];
      };
      pkgsByTarget = listToAttrs (
        map
          (triple: {
            name = triple;
            value =
              if triple == "x86_64-unknown-linux-gnu" then
                pkgs
              else
                fakes.importNixpkgs {
                  localSystem = "x86_64-linux";
                  crossSystem.config = triple;
                  overlays = [ fakes.rust-overlay.overlays.default ];
                };
          })
          [ "x86_64-unknown-linux-gnu" "x86_64-unknown-linux-musl" "aarch64-unknown-linux-gnu" "aarch64-unknown-linux-musl" ]
      );
    in
    import ./packages.nix {
      inherit pkgs pkgsByTarget;
      craneLibs = builtins.mapAttrs (_: p: (fakes.crane.mkLib p).overrideToolchain (q: q.rust-bin.fromRustupToolchainFile ../rust-toolchain.toml)) pkgsByTarget;
      hostTriple = "x86_64-unknown-linux-gnu";
      root = {
        outPath = "/fake/tachikoma";
        fakeFiles = files;
      };
      workspace = {
        manifest = files."Cargo.toml";
        lock = files."Cargo.lock";
      };
      inherit revision;
      advisory-db = fakes.advisory-db;
      matrix = nixLib.matrixOf {
        cargoManifest = nixLib.readToml ../Cargo.toml;
        cargoConfig = nixLib.readToml ../.cargo/config.toml;
        keep = nixLib.buildsOn "x86_64-linux";
      };
    };
  revision = {
    hash = rev;
    time = 1700000000;
  };
  # The same workspace at version 9.4.2: what `cargo set-version` changes.
  bumped =
    let
      members = map (p: p.name) (nixLib.workspacePackagesOf realFiles."Cargo.lock");
    in
    realFiles
    // {
      "Cargo.toml" = builtins.replaceStrings [ "version = \"${version}\"" ] [ "version = \"9.4.2\"" ] realFiles."Cargo.toml";
      "Cargo.lock" = builtins.replaceStrings
        (map (m: "name = \"${m}\"\nversion = \"${version}\"") (filter (m: m != "tachikoma-workspace-hack") members))
        (map (m: "name = \"${m}\"\nversion = \"9.4.2\"") (filter (m: m != "tachikoma-workspace-hack") members))
        realFiles."Cargo.lock";
    };
  edited = realFiles // {
    "crates/tachikoma-cli/src/main.rs" = realFiles."crates/tachikoma-cli/src/main.rs" + "\n// an edit\n";
  };
  atRelease = packagesFor realFiles;
  atBump = packagesFor bumped;
  afterEdit = packagesFor edited;

  # Every derivation of a system's packages and checks (crane's, and the runCommand of
  # dist-musl-static), with its dependency build.
  derivationsOf =
    outputs: system:
    let
      top = attrValues outputs.packages.${system} ++ attrValues outputs.checks.${system};
    in
    top ++ filter (d: d != null) (map (d: d.cargoArtifacts or null) top);
  # The distinct values of a list, by their token: a fake package set or crane lib carries one
  # token per instantiation, and tokens are == only when they are the very same value (each holds
  # a function of its own), so this counts instantiations, not equal-looking sets.
  distinct =
    builtins.foldl' (seen: v: if any (s: s.fakeToken == v.fakeToken) seen then seen else seen ++ [ v ]) [ ];
  same = a: b: a.fakeToken == b.fakeToken;

  tests = {
    matrix-lists-every-profile-and-target = attrNames (import ./matrix.nix) == matrixNames;

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
      attrNames m == [ "dev-aarch64-musl" "fast-aarch64-musl" ]
      && m."fast-aarch64-musl".profile == "fast"
      && m."fast-aarch64-musl".static;

    every-matrix-name-is-a-package-on-its-systems =
      attrNames out == [ "apps" "checks" "devShells" "formatter" "packages" ]
      && attrNames out.packages == sort (systems ++ attrNames macs)
      && all (system: attrNames out.packages.${system} == sort (linuxNames ++ [ "default" "node-addon" ])) systems
      && all (system: attrNames out.packages.${system} == sort (macNames macs.${system} ++ [ "default" "node-addon" ])) (attrNames macs)
      && (import ./matrix.nix)."dist-aarch64-darwin".systems == [ "aarch64-darwin" ]
      && (import ./matrix.nix)."dist-x86_64-musl".systems == systems;

    # A Mac builds its own macOS target natively, for the oldest macOS of .cargo/config.toml, with
    # the checks that do not need Linux, and the addon from the .dylib cargo builds there.
    macs-build-their-own-macos-target = all
      (
        system:
        let
          arch = macs.${system};
          p = out.packages.${system};
          dist = p."dist-${arch}-darwin";
        in
        dist.fakeTarget == "${arch}-apple-darwin"
        && dist.pname == "tachikoma-dist-${arch}-darwin"
        # nixpkgs' floor (14.0), above .cargo/config.toml's 11.0, which the hook cannot lower.
        && map (i: i.name) dist.buildInputs == [ "darwin-min-version-hook-14.0" ]
        && map (i: i.name) (deps dist).buildInputs == [ "darwin-min-version-hook-14.0" ]
        && dist.tachikoma.macosMinVersion == "14.0"
        && !(x86.dist-x86_64-gnu.tachikoma ? macosMinVersion)
        && !(dist ? "CARGO_TARGET_${nixLib.cargoEnvTriple "${arch}-apple-darwin"}_RUSTFLAGS")
        && same dist.fakePkgs p.default.fakePkgs
        && p.default == dist
        && lines p.node-addon.postInstall == [ "mv \"$out/lib/libtachikoma_native.dylib\" \"$out/lib/tachikoma.node\"" ]
        && attrNames out.checks.${system} == [ "audit" "clippy" "deny" "dist" "doc" "fmt" "hakari" "macos-floor" "tests" ]
        # The floor the package states is what its binaries must say (LC_BUILD_VERSION).
        && out.checks.${system}.macos-floor.buildCommand == builtins.concatStringsSep ""
          (map
            (file: ''
              minos=$(python3 /nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" (builtins.toJSON (builtins.readFile ../scripts/macho.py)))}-macho.py info "${file}" | jq -r .minos)
              [ "$minos" = "14.0" ] || { echo "${file}: needs macOS $minos, its package says 14.0" >&2; exit 1; }
            '')
            [ "${dist.outPath}/bin/tachikoma" "${dist.outPath}/bin/tachikoma-server" "${p.node-addon.outPath}/lib/tachikoma.node" ]) + ''
          touch "$out"
        ''
      )
      (attrNames macs);

    sample-dist-x86_64-musl =
      let
        p = x86.dist-x86_64-musl;
        d = deps p;
      in
      p.pname == "tachikoma-dist-x86_64-musl"
      && p.version == version
      && p.fakeTarget == "x86_64-unknown-linux-musl"
      && p.fakeProfile == "dist"
      && p.tachikoma.cargoRuns == [ "--locked -p tachikoma-cli" "--locked -p tachikoma-server" ]
      && p.buildPhaseCargoCommand == ''
        cargoBuildLog=$(mktemp cargoBuildLogXXXX.json)
        cargo auditable build --profile dist --message-format json-render-diagnostics --locked -p tachikoma-cli >>"$cargoBuildLog"
        cargo auditable build --profile dist --message-format json-render-diagnostics --locked -p tachikoma-server >>"$cargoBuildLog"
      ''
      && p.CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS or null == "-C target-feature=+crt-static"
      && map (t: t.outPath) p.nativeBuildInputs == [ "/nix/store/fake-cargo-auditable-on-x86_64-unknown-linux-gnu" ]
      && p.TACHIKOMA_GIT_HASH == "0123456789abcdef0123456789abcdef01234567"
      && p.TACHIKOMA_SOURCE_DATE_EPOCH == "1700000000"
      && !p.doCheck
      && p.meta.mainProgram == "tachikoma"
      # A cross build's name carries its host platform, as nixpkgs' mkDerivation makes it.
      && d.name == "tachikoma-dist-x86_64-musl-deps-x86_64-unknown-linux-musl-0.0.0"
      && p.name == "tachikoma-dist-x86_64-musl-x86_64-unknown-linux-musl-${version}"
      && x86.dist-x86_64-gnu.name == "tachikoma-dist-x86_64-gnu-${version}"
      && d.buildPhaseCargoCommand == ''
        cargo auditable build --profile dist --locked -p tachikoma-cli
        cargo auditable build --profile dist --locked -p tachikoma-server
      ''
      && d.fakeProfile == "dist"
      && d.fakeTarget == "x86_64-unknown-linux-musl"
      && d.CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS or null == "-C target-feature=+crt-static"
      && !d.doCheck;

    sample-release-aarch64-gnu-cross =
      let
        p = x86.release-aarch64-gnu;
      in
      p.pname == "tachikoma-release-aarch64-gnu"
      && p.fakeTarget == "aarch64-unknown-linux-gnu"
      && p.fakeProfile == "release"
      && p.environment.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER
      == "/nix/store/fake-cc-for-aarch64-unknown-linux-gnu-on-x86_64-unknown-linux-gnu/bin/aarch64-unknown-linux-gnu-cc"
      && p.environment.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER == "/nix/store/fake-qemu-user-on-x86_64-unknown-linux-gnu/bin/qemu-aarch64"
      && !(p ? CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS)
      && p.nativeBuildInputs == [ ]
      && lines p.buildPhaseCargoCommand == [
        "cargoBuildLog=$(mktemp cargoBuildLogXXXX.json)"
        "cargoWithProfile build --message-format json-render-diagnostics --locked -p tachikoma-cli >>\"$cargoBuildLog\""
        "cargoWithProfile build --message-format json-render-diagnostics --locked -p tachikoma-server >>\"$cargoBuildLog\""
      ]
      && (deps p).fakeTarget == "aarch64-unknown-linux-gnu";

    sample-dist-aarch64-musl-tools-run-on-the-build-machine =
      let
        p = x86.dist-aarch64-musl;
      in
      p.fakeTarget == "aarch64-unknown-linux-musl"
      && map (t: t.outPath) p.nativeBuildInputs == [ "/nix/store/fake-cargo-auditable-on-x86_64-unknown-linux-gnu" ]
      && map (t: t.outPath) (deps p).nativeBuildInputs == [ "/nix/store/fake-cargo-auditable-on-x86_64-unknown-linux-gnu" ]
      && p.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS or null == "-C target-feature=+crt-static";

    sample-native-builds-have-no-cross-environment =
      x86.ci-x86_64-gnu.environment.CARGO_BUILD_TARGET or null == null
      && x86.ci-x86_64-gnu.fakeTarget == "x86_64-unknown-linux-gnu"
      && x86.ci-x86_64-gnu.CARGO_PROFILE == "ci"
      && arm.release-aarch64-gnu.environment.CARGO_BUILD_TARGET or null == null
      && arm.release-aarch64-gnu.fakeTarget == "aarch64-unknown-linux-gnu"
      && arm.dist-x86_64-gnu.fakeTarget == "x86_64-unknown-linux-gnu"
      && arm.dist-x86_64-gnu.environment.CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER == "/nix/store/fake-qemu-user-on-aarch64-unknown-linux-gnu/bin/qemu-x86_64"
      && x86.dev-x86_64-musl.environment.CARGO_BUILD_TARGET == "x86_64-unknown-linux-musl"
      && !(x86.dev-x86_64-musl.environment ? CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUNNER);

    sample-node-addon =
      let
        p = x86.node-addon;
      in
      p.pname == "tachikoma-node-addon"
      && p.fakeProfile == "release"
      && p.fakeTarget == "x86_64-unknown-linux-gnu"
      && p.tachikoma.cargoRuns == [ "--locked -p tachikoma-native" ]
      && (deps p).buildPhaseCargoCommand == "cargoWithProfile build --locked -p tachikoma-native\n"
      && p.postInstall == "mv \"$out/lib/libtachikoma_native.so\" \"$out/lib/tachikoma.node\"\n"
      && arm.node-addon.fakeTarget == "aarch64-unknown-linux-gnu";

    default-is-the-host-dist-build =
      x86.default == x86.dist-x86_64-gnu
      && arm.default == arm.dist-aarch64-gnu
      && out.checks.x86_64-linux.dist == x86.dist-x86_64-gnu;

    apps-run-the-dist-binaries =
      out.apps.x86_64-linux.default.program == "${x86.dist-x86_64-gnu.outPath}/bin/tachikoma"
      && out.apps.x86_64-linux.server.program == "${x86.dist-x86_64-gnu.outPath}/bin/tachikoma-server"
      && out.apps.aarch64-linux.default.program == "${arm.dist-aarch64-gnu.outPath}/bin/tachikoma";

    # Each package and its dependency build, for every name on every system.
    every-package-builds-its-name-profile-and-target = all
      (
        system:
        all
          (
            name:
            let
              p = out.packages.${system}.${name};
              entry = (import ./matrix.nix).${name};
            in
            p.pname == "tachikoma-${name}"
            && p.fakeProfile == entry.profile
            && p.fakeTarget == entry.target
            && p.tachikoma.profile == entry.profile
            && p.tachikoma.target == entry.target
            && p.fakeKind == "package"
          )
          (namesOn system)
      )
      allSystems;

    every-dependency-build-is-what-its-package-consumes = all
      (
        system:
        all
          (
            name:
            let
              p = out.packages.${system}.${name};
              d = deps p;
              command = if p.fakeProfile == "dist" then "cargo auditable build --profile dist" else "cargoWithProfile build";
              rustflags = drv: drv."CARGO_TARGET_${nixLib.cargoEnvTriple p.fakeTarget}_RUSTFLAGS" or null;
            in
            d.fakeKind == "deps"
            && d.pname == p.pname
            && d.version == "0.0.0"
            && d.fakeProfile == p.fakeProfile
            && d.fakeTarget == p.fakeTarget
            # Every variable both builds see is the same but the two only our build script
            # reads: cargo then finds every dependency of the package build up to date.
            && d.environment == removeAttrs p.environment [ "TACHIKOMA_GIT_HASH" "TACHIKOMA_SOURCE_DATE_EPOCH" ]
            && !(p.environment ? SOURCE_DATE_EPOCH)
            && !d.doCheck
            && d.tachikoma.cargoRuns == p.tachikoma.cargoRuns
            && lines d.buildPhaseCargoCommand == map (run: "${command} ${run}") p.tachikoma.cargoRuns
            && lines p.buildPhaseCargoCommand
            == [ "cargoBuildLog=$(mktemp cargoBuildLogXXXX.json)" ]
            ++ map (run: "${command} --message-format json-render-diagnostics ${run} >>\"$cargoBuildLog\"") p.tachikoma.cargoRuns
            && rustflags d == rustflags p
            && (rustflags p == "-C target-feature=+crt-static") == (builtins.match ".*-musl" p.fakeTarget != null)
            && d.nativeBuildInputs == p.nativeBuildInputs
            # Build inputs' setup hooks export variables too (the macOS deployment target).
            && (d.buildInputs or [ ]) == (p.buildInputs or [ ])
            && d.cargoVendorDir == p.cargoVendorDir
            && same p.fakeCraneLib d.fakeCraneLib
          )
          (namesOn system ++ [ "node-addon" ])
      )
      allSystems;

    revision-is-the-full-commit-hash =
      x86.release-x86_64-gnu.TACHIKOMA_GIT_HASH == "0123456789abcdef0123456789abcdef01234567"
      && outDirty.packages.x86_64-linux.release-x86_64-gnu.TACHIKOMA_GIT_HASH == "0123456789abcdef0123456789abcdef01234567-dirty"
      && outNoRevision.packages.x86_64-linux.release-x86_64-gnu.TACHIKOMA_GIT_HASH == "unknown"
      && outOtherCommit.packages.x86_64-linux.release-x86_64-gnu.TACHIKOMA_SOURCE_DATE_EPOCH == "1800000000"
      && !(x86.release-x86_64-gnu ? TACHIKOMA_GIT_BRANCH)
      && !(x86.release-x86_64-gnu ? CI);

    revision-reaches-only-final-derivations = all
      (
        system:
        all
          (
            d:
            !(d ? TACHIKOMA_GIT_HASH)
            && !(d ? TACHIKOMA_SOURCE_DATE_EPOCH)
            && !(d ? SOURCE_DATE_EPOCH)
            && !(builtins.elem rev (builtins.attrValues (builtins.mapAttrs (_: v: if builtins.isString v then v else "") d)))
          )
          (map deps (attrValues out.packages.${system}) ++ [ out.checks.${system}.clippy.cargoArtifacts ])
      )
      allSystems;

    dependency-builds-are-the-same-for-another-commit = all
      (
        system:
        all
          (
            name:
            let
              a = out.packages.${system}.${name};
            in
            all
              (
                other:
                (deps other.packages.${system}.${name}).outPath == (deps a).outPath
                && other.packages.${system}.${name}.outPath != a.outPath
              ) [ outOtherCommit outDirty outNoRevision ]
          )
          (namesOn system ++ [ "node-addon" ])
        && out.checks.${system}.clippy.outPath == outOtherCommit.checks.${system}.clippy.outPath
      )
      allSystems;

    dependency-builds-are-the-same-for-another-workspace-version =
      all
        (
          name:
          (deps atBump.packages.${name}).outPath == (deps atRelease.packages.${name}).outPath
          && atBump.packages.${name}.outPath != atRelease.packages.${name}.outPath
          && atBump.packages.${name}.version == "9.4.2"
        )
        (linuxNames ++ [ "node-addon" ])
      && atBump.checks.clippy.cargoArtifacts.outPath == atRelease.checks.clippy.cargoArtifacts.outPath
      # The bump is a real one: the manifest and the lock file did change.
      && (nixLib.workspacePackagesOf bumped."Cargo.lock") != (nixLib.workspacePackagesOf realFiles."Cargo.lock")
      && (builtins.fromTOML bumped."Cargo.toml").workspace.package.version == "9.4.2";

    dependency-builds-are-the-same-after-a-source-edit = all
      (
        name:
        (deps afterEdit.packages.${name}).outPath == (deps atRelease.packages.${name}).outPath
        && afterEdit.packages.${name}.outPath != atRelease.packages.${name}.outPath
      )
      (linuxNames ++ [ "node-addon" ]);

    dependency-builds-differ-by-profile-and-target =
      (deps x86.dist-x86_64-musl).outPath != (deps x86.release-x86_64-musl).outPath
      && (deps x86.dist-x86_64-musl).outPath != (deps x86.dist-x86_64-gnu).outPath;

    dummy-source-has-no-workspace-version =
      let
        dummy = (deps x86.release-x86_64-gnu).src;
        root = dummy.fakeManifests."Cargo.toml";
        cli = dummy.fakeManifests."crates/tachikoma-cli/Cargo.toml";
        hack = dummy.fakeManifests."crates/tachikoma-workspace-hack/Cargo.toml";
      in
      dummy.fakeKind == "dummySrc"
      && dummy.name == "tachikoma-source"
      && x86.release-x86_64-gnu.src.name == "tachikoma-source"
      && !(root.workspace.package ? version)
      && root.workspace.package.edition == "2021"
      && !(root.workspace.dependencies.tachikoma-common-core ? version)
      && root.workspace.dependencies.tachikoma-common-core.path == "crates/tachikoma-common-core"
      && root.workspace.dependencies.tokio.version == "1.54"
      && !(cli.package ? version)
      && !(cli.dependencies.tachikoma-workspace-hack ? version)
      && cli.dependencies.tachikoma-workspace-hack.path == "../tachikoma-workspace-hack"
      && !(hack.package ? version)
      # The real Cargo.lock is not copied in; the zeroed one is.
      && dummy.fakeCopied == { }
      && dummy.fakeCargoLock != null;

    zeroed-lock-keeps-everything-but-workspace-versions =
      let
        lock = realFiles."Cargo.lock";
        before = (builtins.fromTOML lock).package;
        after = (builtins.fromTOML (nixLib.zeroWorkspaceVersions lock)).package;
      in
      length after == length before
      && filter (p: p ? source) after == filter (p: p ? source) before
      && all (p: p.version == "0.0.0") (filter (p: !(p ? source)) after)
      && elem { name = "tachikoma-cli"; version = "0.0.0"; } (map (p: { inherit (p) name version; }) after)
      && !(builtins.tryEval (nixLib.zeroWorkspaceVersions (builtins.replaceStrings [ "\n" ] [ "\r\n" ] lock))).success
      && !(builtins.tryEval (nixLib.zeroWorkspaceVersions (lock + ''

        [[package]]
        name = "uses-cli"
        version = "1.0.0"
        dependencies = [
         "tachikoma-cli ${version}",
        ]
      ''))).success;

    sources-leave-out-the-debian-cargo-config =
      let
        files = x86.release-x86_64-gnu.src.fakeFiles;
      in
      files ? "Cargo.lock"
      && files ? "crates/tachikoma-cli/src/main.rs"
      # C compiled by a build script (crane's filterCargoSources leaves it out).
      && files ? "crates/tachikoma-common-core/src/memcpy_x86_64_musl.c"
      && files ? ".config/hakari.toml"
      && !(files ? ".cargo/config.toml")
      && !(files ? "README.md")
      && !(files ? "flake.nix");

    cargo-config-holds-only-debian-toolchain-names =
      nixLib.checkCargoConfig (nixLib.readToml ../.cargo/config.toml) == nixLib.readToml ../.cargo/config.toml
      && !(builtins.tryEval (nixLib.checkCargoConfig { build.rustflags = [ "-Ctarget-cpu=native" ]; })).success
      && !(builtins.tryEval (nixLib.checkCargoConfig { env.RUST_LOG = "debug"; })).success
      && !(builtins.tryEval (nixLib.checkCargoConfig { target.x86_64-unknown-linux-gnu.rustflags = [ "-Clink-arg=-s" ]; })).success
      && !(builtins.tryEval (nixLib.checkCargoConfig { target.aarch64-apple-darwin.rustflags = [ "-Clink-arg=-s" ]; })).success
      && (nixLib.checkCargoConfig { target.x86_64-pc-windows-msvc.rustflags = [ "-Ctarget-feature=+crt-static" ]; }) ? target;

    checks-are-the-documented-ones =
      let
        c = out.checks.x86_64-linux;
        d = c.clippy.cargoArtifacts;
      in
      attrNames c == [ "audit" "clippy" "deny" "dist" "dist-musl-static" "doc" "fmt" "hakari" "tests" ]
      && c.doc.cargoArtifacts == d
      && c.tests.cargoArtifacts == d
      && d.pname == "tachikoma-checks"
      && d.doCheck
      && d.fakeProfile == "ci"
      && d.fakeTarget == "x86_64-unknown-linux-gnu"
      && lines d.buildPhaseCargoCommand == [
        "cargoWithProfile check --locked --workspace --all-targets"
        "cargoWithProfile build --locked --workspace "
      ]
      && d.checkPhaseCargoCommand == "cargoWithProfile test --locked --workspace --no-run\n"
      && c.clippy.buildPhaseCargoCommand == "cargoWithProfile clippy --locked --workspace --all-targets -- --deny warnings"
      && c.clippy.fakeProfile == "ci"
      && c.doc.buildPhaseCargoCommand == "cargoWithProfile doc --locked --workspace --no-deps"
      && c.doc.env.RUSTDOCFLAGS == "--deny warnings"
      && c.tests.checkPhaseCargoCommand
      == "cargo nextest run \${CARGO_PROFILE:+--cargo-profile $CARGO_PROFILE} --locked --workspace -E 'not binary(build_metadata) and not binary(binaries_agree) and not package(xtask)'"
      && (c.tests.nativeBuildInputs or [ ]) == [ ]
      && lines c.hakari.buildPhaseCargoCommand == [
        "cargo hakari generate --diff"
        "cargo hakari manage-deps --dry-run"
        "cargo hakari verify"
      ]
      && c.hakari.cargoArtifacts == null
      && map (t: t.outPath) c.hakari.nativeBuildInputs == [ "/nix/store/fake-cargo-hakari-on-x86_64-unknown-linux-gnu" ]
      && c.audit.buildPhaseCargoCommand == "cargo audit -n -d /nix/store/fake-advisory-db --ignore yanked"
      && c.deny.buildPhaseCargoCommand == "cargo --offline  deny  check bans licenses sources";

    # The musl dist binaries of the build machine's architecture, run there: static (no INTERP
    # program header) and reporting the musl target, the dist profile and their own features.
    dist-musl-static-runs-the-host-architecture-musl-dist =
      let
        # scripts/test.sh runs nix/check-static-binary.sh itself, on real binaries.
        # (fakes.nix's writeText names a text by a hash of it: this is the script's own text.)
        checkScript = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" (builtins.toJSON (builtins.readFile ./check-static-binary.sh)))}-check-static-binary.sh";
        script = package: target: ''
          bash ${checkScript} "${package}/bin/tachikoma" '["${target}","dist",["all-backends","claude","gemini","mimalloc","ollama","openai"]]' version --json
          bash ${checkScript} "${package}/bin/tachikoma-server" '["${target}","dist",["mimalloc"]]' --version-json
          touch "$out"
        '';
        onX86 = out.checks.x86_64-linux.dist-musl-static;
        onArm = out.checks.aarch64-linux.dist-musl-static;
      in
      out.checks.x86_64-linux ? dist-musl-static
      && out.checks.aarch64-linux ? dist-musl-static
      && onX86.name == "tachikoma-dist-musl-static"
      && onX86.fakeKind == "runCommand"
      && onX86.buildCommand == script x86.dist-x86_64-musl.outPath "x86_64-unknown-linux-musl"
      && map (p: p.outPath) onX86.nativeBuildInputs == [
        "/nix/store/fake-binutils-on-x86_64-unknown-linux-gnu"
        "/nix/store/fake-jq-on-x86_64-unknown-linux-gnu"
      ]
      && same onX86.fakePkgs x86.default.fakePkgs
      && onArm.name == "tachikoma-dist-musl-static"
      && onArm.buildCommand == script arm.dist-aarch64-musl.outPath "aarch64-unknown-linux-musl"
      && map (p: p.outPath) onArm.nativeBuildInputs == [
        "/nix/store/fake-binutils-on-aarch64-unknown-linux-gnu"
        "/nix/store/fake-jq-on-aarch64-unknown-linux-gnu"
      ]
      # A new commit is a new check (the binaries it runs are new).
      && outOtherCommit.checks.x86_64-linux.dist-musl-static.outPath != onX86.outPath;

    # One nixpkgs instantiation per target per system (see fakes.nix: sets are told apart by
    # identity), and one crane lib per target, shared by every derivation for that target.
    nixpkgs-is-instantiated-once-per-target = all
      (
        system:
        let
          drvs = derivationsOf out system;
          instances = distinct (map (d: d.fakePkgs) drvs ++ map (t: t.fakeInstance) (builtins.concatMap (d: d.nativeBuildInputs or [ ]) drvs));
          craneLibs = distinct (map (d: d.fakeCraneLib) (filter (d: d ? fakeCraneLib) drvs));
          shell = out.devShells.${system}.default;
        in
        length instances == 4
          && sort (map (p: p.stdenv.hostPlatform.config) instances) == [
          "aarch64-unknown-linux-gnu"
          "aarch64-unknown-linux-musl"
          "x86_64-unknown-linux-gnu"
          "x86_64-unknown-linux-musl"
        ]
          && length craneLibs == 4
          && any (same shell.fakePkgs) instances
          && any (same shell.fakeCraneLib) craneLibs
      )
      systems
    && all
      (
        system:
        let
          drvs = derivationsOf out system;
          instances = distinct (map (d: d.fakePkgs) drvs ++ map (t: t.fakeInstance) (builtins.concatMap (d: d.nativeBuildInputs or [ ]) drvs));
        in
        map (p: p.stdenv.hostPlatform.config) instances == [ (if macs.${system} == "aarch64" then "arm64-apple-darwin" else "x86_64-apple-darwin") ]
          && length (distinct (map (d: d.fakeCraneLib) (filter (d: d ? fakeCraneLib) drvs))) == 1
      )
      (attrNames macs);

    dev-shell-sets-every-target-toolchain =
      let
        shell = out.devShells.x86_64-linux.default;
        cc = target: "/nix/store/fake-cc-for-${target}-on-x86_64-unknown-linux-gnu/bin/";
      in
      shell.fakeEnv == {
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER = "${cc "x86_64-unknown-linux-gnu"}cc";
        CC_x86_64_unknown_linux_gnu = "${cc "x86_64-unknown-linux-gnu"}cc";
        CXX_x86_64_unknown_linux_gnu = "${cc "x86_64-unknown-linux-gnu"}c++";
        AR_x86_64_unknown_linux_gnu = "${cc "x86_64-unknown-linux-gnu"}ar";
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER = "${cc "x86_64-unknown-linux-musl"}x86_64-unknown-linux-musl-cc";
        CC_x86_64_unknown_linux_musl = "${cc "x86_64-unknown-linux-musl"}x86_64-unknown-linux-musl-cc";
        CXX_x86_64_unknown_linux_musl = "${cc "x86_64-unknown-linux-musl"}x86_64-unknown-linux-musl-c++";
        AR_x86_64_unknown_linux_musl = "${cc "x86_64-unknown-linux-musl"}x86_64-unknown-linux-musl-ar";
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER = "${cc "aarch64-unknown-linux-gnu"}aarch64-unknown-linux-gnu-cc";
        CC_aarch64_unknown_linux_gnu = "${cc "aarch64-unknown-linux-gnu"}aarch64-unknown-linux-gnu-cc";
        CXX_aarch64_unknown_linux_gnu = "${cc "aarch64-unknown-linux-gnu"}aarch64-unknown-linux-gnu-c++";
        AR_aarch64_unknown_linux_gnu = "${cc "aarch64-unknown-linux-gnu"}aarch64-unknown-linux-gnu-ar";
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER = "/nix/store/fake-qemu-user-on-x86_64-unknown-linux-gnu/bin/qemu-aarch64";
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER = "${cc "aarch64-unknown-linux-musl"}aarch64-unknown-linux-musl-cc";
        CC_aarch64_unknown_linux_musl = "${cc "aarch64-unknown-linux-musl"}aarch64-unknown-linux-musl-cc";
        CXX_aarch64_unknown_linux_musl = "${cc "aarch64-unknown-linux-musl"}aarch64-unknown-linux-musl-c++";
        AR_aarch64_unknown_linux_musl = "${cc "aarch64-unknown-linux-musl"}aarch64-unknown-linux-musl-ar";
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER = "/nix/store/fake-qemu-user-on-x86_64-unknown-linux-gnu/bin/qemu-aarch64";
      }
      && map (p: p.name) shell.fakePackages == [
        "rust-1.95.0"
        "cargo-nextest"
        "cargo-hack"
        "cargo-hakari"
        "cargo-deny"
        "cargo-audit"
        "rust-audit-info"
        "jq"
        "python3-env"
        "sccache"
        "shellcheck"
        "actionlint"
        "zizmor"
        "nodejs"
        "nixpkgs-fmt"
        "deadnix"
        "git"
        "nix"
        "qemu-user"
        "cargo-zigbuild"
        "zig"
      ]
      && sort (map (c: c.name) shell.fakeInputsFrom) == sort (map (c: c.name) (attrValues out.checks.x86_64-linux))
      && out.formatter.x86_64-linux.name == "nixpkgs-fmt"
      # A Mac's shell: its own target's toolchain, no qemu (Linux only) and no Zig (not needed).
      && out.devShells.aarch64-darwin.default.fakeEnv == {
        CARGO_TARGET_AARCH64_APPLE_DARWIN_LINKER = "/nix/store/fake-cc-for-arm64-apple-darwin-on-arm64-apple-darwin/bin/cc";
        CC_aarch64_apple_darwin = "/nix/store/fake-cc-for-arm64-apple-darwin-on-arm64-apple-darwin/bin/cc";
        CXX_aarch64_apple_darwin = "/nix/store/fake-cc-for-arm64-apple-darwin-on-arm64-apple-darwin/bin/c++";
        AR_aarch64_apple_darwin = "/nix/store/fake-cc-for-arm64-apple-darwin-on-arm64-apple-darwin/bin/ar";
      }
      && !(builtins.elem "qemu-user" (map (p: p.name) out.devShells.aarch64-darwin.default.fakePackages));

    # Issue 12: nixConfig names no substituter without its public key.
    no-substituter-without-its-key =
      let
        config = flake.nixConfig or { };
        count = v: if builtins.isList v then length v else if v == null then 0 else 1;
      in
      count (config.extra-substituters or null) + count (config.substituters or null)
      <= count (config.extra-trusted-public-keys or null) + count (config.trusted-public-keys or null);

    # The fakes fail, while evaluating, on mistakes the real crane and nixpkgs fail on too (some
    # only when building), so the tests above can fail on them.
    fakes-reject-what-the-real-ones-reject =
      let
        inherit (fakeCraneProbe) craneLib base fails;
        # mkDerivation cannot turn a function into an environment variable. crane hands
        # cleanCargoTomlFilter to mkDummySrc and to mkDerivation alike (the fake: not an
        # argument of buildDepsOnly); runCommand's attributes go to mkDerivation too.
        functionValued = [
          (craneLib.buildDepsOnly (base // { cleanCargoTomlFilter = _: true; }))
          (craneLib.buildPackage (base // { postInstall = _: ""; }))
          (craneLib.fakePkgs.runCommand "x" { f = _: null; } "touch $out")
        ];
        # crane's install step fails in the build: no cargo build log, nothing installed.
        noBuildLog = craneLib.buildPackage (base // { buildPhaseCargoCommand = "cargo build"; });
        # cargoArtifacts is an argument crane's cargoClippy requires.
        noArtifacts = craneLib.cargoClippy (removeAttrs base [ "cargoArtifacts" ]);
      in
      all fails (functionValued ++ [ noBuildLog noArtifacts ]);

    # The fakes are stricter than crane: they fail on what crane accepts, where that would be a
    # mistake here (a misspelled argument crane passes on unseen as an environment variable, a
    # variable that is not a string, import from derivation, crane's own toolchain).
    fakes-are-stricter-than-crane =
      let
        inherit (fakeCraneProbe) craneLib base fails;
      in
      fails (craneLib.buildPackage (base // { cargoExtraArg = "--locked"; }))
      && fails (craneLib.buildDepsOnly (base // { dosCheck = false; }))
      # mkDerivation would turn the integer into a string.
      && fails (craneLib.buildPackage (base // { SOURCE_DATE_EPOCH = 1700000000; }))
      # crane would read the dummy's Cargo.lock while evaluating (import from derivation). The
      # fake dummy is given files the fake crane could read, so that only this is what fails.
      && fails (craneLib.buildDepsOnly (removeAttrs base [ "src" ] // {
        dummySrc = (deps x86.release-x86_64-gnu).src // { inherit (x86.release-x86_64-gnu.src) fakeFiles; };
      }))
      # crane would build with nixpkgs' rustc and cargo.
      && fails ((fakes.crane.mkLib craneLib.fakePkgs).buildPackage base);

    # The fake nixpkgs is stricter than nixpkgs: it knows the four Linux targets and the two Macs
    # only, and an argument `import nixpkgs` does not know is an error (nixpkgs ignores it).
    fakes-are-stricter-than-nixpkgs =
      let
        fails = v: !(builtins.tryEval (builtins.deepSeq v.stdenv.hostPlatform.config true)).success;
      in
      fails (fakes.importNixpkgs { localSystem = "x86_64-linux"; crossSystem.config = "riscv64-unknown-linux-gnu"; })
      && fails (fakes.importNixpkgs { system = "x86_64-linux"; overlay = [ ]; });
  };

  results = builtins.mapAttrs (_: t: builtins.tryEval t) tests;
  failed = filter (name: !(results.${name}.success && results.${name}.value)) (attrNames tests);
  count = length (attrNames tests);
in
if failed == [ ] then
  "${toString count} passed, 0 failed\n"
else
  throw "nix/tests.nix: ${toString (length failed)} of ${toString count} failed: ${builtins.concatStringsSep ", " failed}"
