# The flake's builds on one build machine: one package per (profile, target) of nix/matrix.nix,
# the Node addon, and the checks. Everything comes in as arguments (no nixpkgs import here), so
# nix/tests.nix calls this with fakes of crane and nixpkgs and checks the wiring without building.
#
# Arguments (nix/outputs.nix passes them):
#   pkgs          nixpkgs of the build machine (native)
#   pkgsByTarget  triple -> the one nixpkgs set that builds for that triple (native or cross)
#   craneLibs     triple -> crane.mkLib of that set, with the toolchain of rust-toolchain.toml
#   hostTriple    the build machine's own triple
#   root          the workspace (the flake's source tree)
#   workspace     { manifest = text of Cargo.toml; lock = text of Cargo.lock; }
#   revision      { hash = full commit hash ("<hash>-dirty", "unknown"); time = commit time, Unix seconds; }
#   advisory-db   the RustSec advisory database (a flake input), for the audit check
#   matrix        nix/matrix.nix's value
{ pkgs
, pkgsByTarget
, craneLibs
, hostTriple
, root
, workspace
, revision
, advisory-db
, matrix
,
}:
let
  nixLib = import ./lib.nix;
  inherit (pkgs) lib;
  hostCraneLib = craneLibs.${hostTriple};
  inherit ((builtins.fromTOML workspace.manifest).workspace.package) version;
  lines = f: list: builtins.concatStringsSep "\n" (map f list) + "\n";

  # The shipped binaries, each built by a cargo run of its own with its default features: one run
  # for several packages unifies the features of the crates they share (tachikoma-common-core),
  # and each binary would then report the others' (issue 11). scripts/build-rust.sh does the same
  # (scripts/lib.sh's shipped_binaries). `features` is what the binary reports: the features cargo
  # resolves for its package alone. Written out, since evaluation cannot run cargo; scripts/test.sh
  # fails when either differs from the scripts' list and cargo's resolution.
  shipped = [
    {
      package = "tachikoma-cli";
      binary = "tachikoma";
      versionJsonArgs = "version --json";
      features = [ "all-backends" "claude" "gemini" "mimalloc" "ollama" "openai" ];
    }
    {
      package = "tachikoma-server";
      binary = "tachikoma-server";
      versionJsonArgs = "--version-json";
      features = [ "mimalloc" ];
    }
  ];
  binaryRuns = map (s: "--locked -p ${s.package}") shipped;
  addonRuns = [ "--locked -p tachikoma-native" ];
  # The checks cover the whole workspace (Cargo.toml's default-members is the CLI alone).
  workspaceArgs = "--locked --workspace";

  # The source of every build. One name for it and for the dependency builds' dummy source, so
  # both unpack to the same directory and cargo's fingerprints of the dependencies match.
  sourceWith =
    keep:
    lib.cleanSourceWith {
      name = "tachikoma-source";
      src = lib.cleanSource root;
      filter = path: type: (hostCraneLib.filterCargoSources path type || nixLib.cSource path) && nixLib.nixBuildSource path && keep path;
    };
  src = sourceWith (_: true);

  # The dependency builds' source: crane's dummy of the workspace (manifests and lock file only),
  # independent of the commit and of the workspace version, so a new commit or a version bump
  # rebuilds our crates and no dependency (crane issue 445). The Cargo.lock comes zeroed, and the
  # real one is kept out of the source the dummy is made from: mkDummySrc copies the source's
  # Cargo.lock into the dummy too, and it would reach the derivation even when overwritten.
  dummySrc = hostCraneLib.mkDummySrc {
    src = sourceWith (path: baseNameOf path != "Cargo.lock");
    cargoLock = pkgs.writeText "Cargo.lock" (nixLib.zeroWorkspaceVersions workspace.lock);
    cleanCargoTomlFilter = nixLib.withoutWorkspaceVersions
      (map (p: p.name) (nixLib.workspacePackagesOf workspace.lock))
      hostCraneLib.filters.cargoTomlDefault;
  };

  # The crates.io sources, vendored once for every build (crane vendors registry packages only,
  # so the workspace version does not matter). Passed explicitly: crane's default for a build
  # from dummySrc would read the dummy's Cargo.lock while evaluating (import from derivation).
  cargoVendorDir = hostCraneLib.vendorCargoDeps { cargoLockContents = workspace.lock; };

  commonArgs = {
    strictDeps = true;
    inherit cargoVendorDir;
  };

  # What crane's environment (crane.mkLib on the target's package set) does not do for a target.
  # Musl: say that its binaries are static. With this toolchain the flag
  # only restates the default: rust-overlay ships upstream's rustc, whose musl targets already
  # default to +crt-static. It is said because static linking is what the musl packages promise
  # (checks.dist-musl-static checks it on the build machine's architecture), while the default
  # is the rustc's: nixpkgs' own rustc, for one, is built with crt-static = the platform's
  # isStatic, so on these musl package sets (not pkgsStatic) it would link dynamically. crane's
  # cross-musl example sets it too. For the target only (CARGO_TARGET_<TRIPLE>_RUSTFLAGS), so
  # build scripts and proc macros stay host-native.
  # macOS: the oldest version the binaries run on (macosFloor), through nixpkgs' hook rather than
  # the variable, which the darwin stdenv sets itself.
  # Both the dependency build and the final build get these, so cargo's fingerprints match.
  targetArgs =
    entry:
    if entry.static then
      { "CARGO_TARGET_${nixLib.cargoEnvTriple entry.target}_RUSTFLAGS" = "-C target-feature=+crt-static"; }
    else if entry.os == "darwin" then
      { buildInputs = [ (pkgsByTarget.${entry.target}.darwinMinVersionHook (macosFloor entry)) ]; }
    else
      { };

  # The oldest macOS a darwin package runs on: .cargo/config.toml's MACOSX_DEPLOYMENT_TARGET (the
  # scripts' release: 11.0) where nixpkgs allows it, else nixpkgs' own deployment target, since
  # darwinMinVersionHook can only raise that, never lower it (nixpkgs 25.11 and later: 14.0).
  # checks.macos-floor reads it from the built binaries.
  macosFloor =
    entry:
    let
      nixpkgsFloor = pkgsByTarget.${entry.target}.stdenv.hostPlatform.darwinMinVersion;
    in
    if builtins.compareVersions entry.requestedMacosMinVersion nixpkgsFloor > 0 then entry.requestedMacosMinVersion else nixpkgsFloor;

  # dist binaries carry their dependency list for `cargo audit bin`, as the scripts' dist does
  # (cargo-auditable; the build machine's, since it runs there). Its wrapper takes the profile
  # after `build` (crane's cargoWithProfile would put it before). The dependency build runs the
  # same command, so the final build finds every dependency up to date.
  cargoBuildOf =
    entry:
    if entry.profile == "dist" then "cargo auditable build --profile dist" else "cargoWithProfile build";
  toolsOf =
    entry: if entry.profile == "dist" then [ pkgsByTarget.${entry.target}.buildPackages.cargo-auditable ] else [ ];

  # The commit reaches build.rs only here, in the final derivations: in a dependency derivation it
  # would change its hash on every commit and rebuild every dependency. No branch is passed
  # (release-like builds report "unknown"; the sandbox has no .git anyway) and CI is not set.
  # The commit time goes in a variable only our build script reads: SOURCE_DATE_EPOCH stays
  # stdenv's constant, as in the dependency derivation, since the cc crate makes cargo rerun the
  # build scripts of ring and libmimalloc-sys (and recompile everything above them) when it
  # changes.
  revisionEnv = {
    TACHIKOMA_GIT_HASH = revision.hash;
    TACHIKOMA_SOURCE_DATE_EPOCH = toString revision.time;
  };

  # The dependencies of exactly the given cargo runs, for the given profile and target: the same
  # commands as the final build (one `cargo build` per run, no `cargo check`, no tests, since the
  # package consumes none of that).
  dependenciesOf =
    { pname, entry, runs }:
    craneLibs.${entry.target}.buildDepsOnly (
      commonArgs
      // targetArgs entry
      // {
        inherit pname dummySrc;
        version = "0.0.0";
        CARGO_PROFILE = entry.profile;
        # The build metadata's profile, said rather than guessed from cargo's output directory
        # (bench shares release's); here too, so the two derivations' environments match.
        TACHIKOMA_PROFILE = entry.profile;
        doCheck = false;
        nativeBuildInputs = toolsOf entry;
        buildPhaseCargoCommand = lines (run: "${cargoBuildOf entry} ${run}") runs;
        passthru.tachikoma = {
          inherit (entry) profile target;
          cargoRuns = runs;
        };
      }
    );

  # One derivation for several cargo runs in one target directory: shared dependencies are built
  # once (cargo-hakari's workspace-hack gives them one feature set in every run), where separate
  # derivations joined together would each build them. Installed from cargo's build log, as
  # crane's buildPackage does for its single run.
  packageOf =
    { pname, entry, runs, shippedBinaries ? [ ], extraArgs ? { } }:
    craneLibs.${entry.target}.buildPackage (
      commonArgs
      // targetArgs entry
      // revisionEnv
      // {
        inherit pname version src;
        cargoArtifacts = dependenciesOf { inherit pname entry runs; };
        CARGO_PROFILE = entry.profile;
        TACHIKOMA_PROFILE = entry.profile;
        doCheck = false; # tests run once, on the host, in checks
        nativeBuildInputs = toolsOf entry;
        buildPhaseCargoCommand =
          "cargoBuildLog=$(mktemp cargoBuildLogXXXX.json)\n"
          + lines (run: "${cargoBuildOf entry} --message-format json-render-diagnostics ${run} >>\"$cargoBuildLog\"") runs;
        passthru.tachikoma = {
          inherit (entry) profile target;
          shipped = shippedBinaries;
          cargoRuns = runs;
        }
        // (if entry.os == "darwin" then { macosMinVersion = macosFloor entry; } else { });
      }
      // extraArgs
    );

  binaries = builtins.mapAttrs
    (
      name: entry:
        packageOf {
          pname = "tachikoma-${name}";
          inherit entry;
          runs = binaryRuns;
          shippedBinaries = shipped;
          extraArgs.meta = {
            mainProgram = "tachikoma";
            description = "tachikoma and tachikoma-server, cargo profile ${entry.profile}, for ${entry.target}";
          };
        }
    )
    matrix;

  # The name of the matrix entry that `pred` holds for (the first one; `what` names it otherwise).
  nameWhere =
    what: pred:
    let
      matches = builtins.filter (n: pred matrix.${n}) (builtins.attrNames matrix);
    in
    if matches == [ ] then throw "no ${what}" else builtins.head matches;
  # A profile's package for this machine's own target, and its musl package for this machine's
  # architecture (static, so this machine runs it).
  hostName = profile: nameWhere "${profile} package for the host ${hostTriple}" (e: e.profile == profile && e.target == hostTriple);
  hostMuslName =
    profile:
    nameWhere "${profile} musl package for the architecture of ${hostTriple}" (
      e: e.profile == profile && e.libc == "musl" && e.arch == matrix.${hostName profile}.arch
    );

  # `lib/tachikoma.node`: the napi addon, built like the release binaries of the host.
  node-addon = packageOf {
    pname = "tachikoma-node-addon";
    entry = matrix.${hostName "release"};
    runs = addonRuns;
    extraArgs.postInstall = ''
      mv "$out/lib/libtachikoma_native${if pkgs.stdenv.hostPlatform.isDarwin then ".dylib" else ".so"}" "$out/lib/tachikoma.node"
    '';
  };

  # What clippy, rustdoc and the tests reuse: the whole workspace's dependencies in the ci profile
  # (scripts/test.sh's), with crane's default commands (cargo check --all-targets, cargo build,
  # cargo test --no-run), since these checks consume all three.
  checkDependencies = hostCraneLib.buildDepsOnly (
    commonArgs
    // {
      pname = "tachikoma-checks";
      version = "0.0.0";
      inherit dummySrc;
      CARGO_PROFILE = "ci";
      cargoExtraArgs = workspaceArgs;
      doCheck = true;
    }
  );
  checkArgs = commonArgs // {
    inherit src version;
    pname = "tachikoma";
    CARGO_PROFILE = "ci";
    cargoArtifacts = checkDependencies;
    cargoExtraArgs = workspaceArgs;
  };

  # The musl dist binaries are what they claim, checked on this machine's architecture (it runs
  # them; another architecture's would need qemu): static, and built for the musl target, in the
  # dist profile, each with its own features, as their build metadata says.
  distMuslStatic =
    let
      name = hostMuslName "dist";
      package = binaries.${name};
      # Written to the store from its text (rather than `${./file}`), which pure evaluation without
      # a store (nix/tests.nix) can follow too.
      script = pkgs.writeText "check-static-binary.sh" (builtins.readFile ./check-static-binary.sh);
      check = s: ''
        bash ${script} "${package}/bin/${s.binary}" '${builtins.toJSON [ matrix.${name}.target "dist" s.features ]}' ${s.versionJsonArgs}
      '';
    in
    pkgs.runCommand "tachikoma-dist-musl-static"
      {
        nativeBuildInputs = [ pkgs.binutils pkgs.jq ];
      }
      (builtins.concatStringsSep "" (map check shipped) + ''
        touch "$out"
      '');

  # The darwin dist binaries and the Node addon need no newer macOS than their packages say
  # (macosFloor): the minimum in their LC_BUILD_VERSION (scripts/macho.py, as the scripts'
  # release check reads it).
  macosFloorCheck =
    let
      macho = pkgs.writeText "macho.py" (builtins.readFile ../scripts/macho.py);
      check = file: floor: ''
        minos=$(python3 ${macho} info "${file}" | jq -r .minos)
        [ "$minos" = "${floor}" ] || { echo "${file}: needs macOS $minos, its package says ${floor}" >&2; exit 1; }
      '';
      dist = hostName "dist";
    in
    pkgs.runCommand "tachikoma-macos-floor"
      {
        nativeBuildInputs = [ (pkgs.python3.withPackages (_: [ ])) pkgs.jq ];
      }
      (builtins.concatStringsSep "" (map (s: check "${binaries.${dist}}/bin/${s.binary}" (macosFloor matrix.${dist})) shipped)
        + check "${node-addon}/lib/tachikoma.node" (macosFloor matrix.${hostName "release"})
        + ''
        touch "$out"
      '');

  checks = {
    clippy = hostCraneLib.cargoClippy (checkArgs // { cargoClippyExtraArgs = "--all-targets -- --deny warnings"; });
    doc = hostCraneLib.cargoDoc (checkArgs // { env.RUSTDOCFLAGS = "--deny warnings"; });
    # Two test binaries need git and the workspace's .git, which a Nix build has neither of:
    # build_metadata (git repositories made from the workspace, nested cargo builds) and
    # binaries_agree (the commit's time from `git log -1 --format=%ct`, nested cargo builds of
    # the CLI, the server and the addon, and node, which no other test runs). scripts/test.sh
    # runs both. And xtask, the repository's automation, whose tests read README.md, docs/ and
    # .cargo/config.toml (the Nix source leaves them out) and run git.
    tests = hostCraneLib.cargoNextest (
      checkArgs
        // {
        cargoNextestExtraArgs = "-E 'not binary(build_metadata) and not binary(binaries_agree) and not package(xtask)'";
      }
    );
    fmt = hostCraneLib.cargoFmt {
      inherit src version;
      pname = "tachikoma";
    };
    audit = hostCraneLib.cargoAudit {
      inherit src advisory-db version;
      pname = "tachikoma";
    };
    deny = hostCraneLib.cargoDeny (
      commonArgs
        // {
        inherit src version;
        pname = "tachikoma";
      }
    );
    # The workspace-hack is current (crane has no function for it; its quick-start-workspace
    # example runs the same commands), as scripts/test.sh checks.
    hakari = hostCraneLib.mkCargoDerivation (
      commonArgs
        // {
        inherit src version;
        pname = "tachikoma-hakari";
        cargoArtifacts = null;
        doInstallCargoArtifacts = false;
        nativeBuildInputs = [ pkgs.cargo-hakari ];
        buildPhaseCargoCommand = ''
          cargo hakari generate --diff
          cargo hakari manage-deps --dry-run
          cargo hakari verify
        '';
      }
    );
    dist = binaries.${hostName "dist"};
  }
  # Static musl binaries are Linux's; the macOS floor is a Mac's.
  // (if pkgs.stdenv.hostPlatform.isLinux then { dist-musl-static = distMuslStatic; } else { macos-floor = macosFloorCheck; });
in
{
  inherit checks;
  packages = binaries // {
    inherit node-addon;
    default = binaries.${hostName "dist"};
  };
}
