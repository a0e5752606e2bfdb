# Fakes of the flake's inputs for nix/tests.nix: nixpkgs (its `import nixpkgs { ... }`), crane,
# rust-overlay, flake-utils. No builds: a fake derivation is an attribute set with a store path
# that is a hash of everything its real counterpart would be made from (its arguments, its
# sources' contents, the toolchain, the cross environment), so two derivations with the same
# path would be the same derivation, and a change that would rebuild one changes its path.
#
# They are stricter than the real ones where a mistake would otherwise pass unseen:
# - a crane function rejects an argument that is neither in its signature (crane's lib/*.nix at
#   the locked revision), nor mkCargoDerivation's, nor a standard derivation attribute, nor an
#   environment variable name (crane itself would quietly pass a misspelled argument on to the
#   build environment); it requires what crane requires; it rejects a function-valued argument
#   (the real mkDerivation cannot turn it into an environment variable), an environment variable
#   that is not a string (mkDerivation would convert it), a derivation read at evaluation time
#   (import from derivation, which crane does when it has to) and a build with crane's own
#   toolchain (overrideToolchain not called);
# - a fake package set has only the attributes of nixpkgs that the flake may use, so a
#   misspelled package name is an evaluation error, as it is with nixpkgs;
# - `import nixpkgs` accepts nixpkgs' arguments only (nixpkgs ignores unknown ones) and the four
#   Linux triples of .cargo/config.toml and the two Macs only, and can trace every instantiation
#   ("fake-nixpkgs: instantiated ...", with TACHIKOMA_TRACE_NIXPKGS=1) so that they can be counted.
# nix/tests.nix tells apart what the real ones reject too (fakes-reject-what-the-real-ones-reject)
# from where the fakes are stricter (fakes-are-stricter-than-crane, -than-nixpkgs).
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    fromTOML
    hasAttr
    head
    isAttrs
    isFunction
    isList
    isString
    length
    listToAttrs
    mapAttrs
    readDir
    readFile
    replaceStrings
    split
    substring
    throw
    toJSON
    ;
  nixLib = import ../lib.nix;

  fix = f: let x = f x; in x;
  hash = x: substring 0 32 (builtins.hashString "sha256" (toJSON x));
  filterAttrs = pred: set: listToAttrs (map (n: { name = n; value = set.${n}; }) (filter (n: pred n set.${n}) (attrNames set)));
  isEnvName = n: builtins.match "[A-Z][A-Za-z0-9_]*" n != null;
  isDrv = v: isAttrs v && (v.type or null) == "derivation";
  fail = what: msg: throw "fake ${what}: ${msg}";

  # --- nixpkgs -------------------------------------------------------------------------------

  # nixpkgs' own names: Apple silicon's config is arm64-apple-darwin (Rust's aarch64-apple-darwin).
  configOfSystem = {
    "x86_64-linux" = "x86_64-unknown-linux-gnu";
    "aarch64-linux" = "aarch64-unknown-linux-gnu";
    "x86_64-darwin" = "x86_64-apple-darwin";
    "aarch64-darwin" = "arm64-apple-darwin";
  };

  # lib.systems.elaborate, for the four Linux triples of .cargo/config.toml and the two Macs.
  elaborate =
    config:
    let
      parts = filter isString (split "-" config);
      darwin = length parts == 3 && elemAt parts 1 == "apple" && elemAt parts 2 == "darwin";
      cpu = if darwin && elemAt parts 0 == "arm64" then "aarch64" else elemAt parts 0;
      kernel = if darwin then "darwin" else elemAt parts 2;
      abi = if darwin then "darwin" else elemAt parts 3;
      rustcTarget = if darwin then "${cpu}-apple-darwin" else config;
      platform = {
        inherit config;
        system = "${cpu}-${kernel}";
        parsed = {
          cpu.name = cpu;
          kernel.name = kernel;
          abi.name = abi;
        };
        isLinux = !darwin;
        isDarwin = darwin;
        # The default deployment target of nixpkgs 25.11 and later (apple-sdk 14.4), the oldest
        # macOS its darwin packages run on: darwinMinVersionHook can raise it, never lower it.
        darwinMinVersion = if darwin then "14.0" else fail "nixpkgs" "darwinMinVersion of a Linux platform";
        isMusl = abi == "musl";
        isMinGW = false;
        isStatic = false;
        canExecute = other: other.parsed.cpu.name == cpu && other.parsed.kernel.name == kernel;
        emulatorAvailable = _pkgs: !darwin;
        emulator =
          pkgs:
          if pkgs.stdenv.hostPlatform.canExecute platform then
            "${pkgs.writeShellScriptBin "exec" ''exec "$@"''}/bin/exec"
          else
            "${pkgs.qemu-user}/bin/qemu-${cpu}";
        rust = {
          inherit rustcTarget;
          cargoShortTarget = rustcTarget;
          cargoEnvVarTarget = nixLib.cargoEnvTriple rustcTarget;
        };
      };
    in
    if darwin && elem config [ "x86_64-apple-darwin" "arm64-apple-darwin" ] then
      platform
    else if length parts == 4 && elem cpu [ "x86_64" "aarch64" ] && kernel == "linux" && elem abi [ "gnu" "musl" ] then
      platform
    else
      fail "nixpkgs" "no platform ${config} in this fake";

  # The nixpkgs packages the flake may use (every name checked to exist in nixpkgs).
  packageNames = [
    "actionlint"
    "binutils"
    "cargo-audit"
    "cargo-auditable"
    "cargo-cyclonedx"
    "cargo-deny"
    "cargo-hack"
    "cargo-hakari"
    "cargo-nextest"
    "cargo-zigbuild"
    "deadnix"
    "git"
    "jq"
    "nix"
    "nixpkgs-fmt"
    "nodejs"
    "qemu"
    "qemu-user"
    "rust-audit-info"
    "sccache"
    "shellcheck"
    "zig"
    "zizmor"
  ];

  fakePackage =
    instance: hostPlatform: name:
    {
      type = "derivation";
      inherit name;
      outPath = "/nix/store/fake-${name}-on-${hostPlatform.config}";
      fakeInstance = instance;
    };

  # One package set. `instance` is the top-level set of the `import nixpkgs` it belongs to (a
  # cross set's build stage belongs to the cross set's instantiation).
  mkPkgs =
    { buildPlatform, hostPlatform, overlays, instance ? null }:
    let
      isCross = buildPlatform.config != hostPlatform.config;
      # One token per `import nixpkgs`: sets (and packages) of one instantiation share it, and
      # tokens of two instantiations are never == (each holds its own function).
      token = if instance == null then { instantiation = _: null; } else instance.fakeToken;
      base =
        final:
        let
          self = if instance == null then final else instance;
          buildStage =
            if isCross then
              mkPkgs
                {
                  inherit overlays;
                  buildPlatform = buildPlatform;
                  hostPlatform = buildPlatform;
                  instance = self;
                }
            else
              final;
          targetPrefix = if isCross then "${hostPlatform.config}-" else "";
        in
        {
          lib = fakeLib;
          stdenv = {
            inherit buildPlatform hostPlatform;
            targetPlatform = hostPlatform;
            cc = {
              type = "derivation";
              name = "${targetPrefix}gcc-wrapper";
              outPath = "/nix/store/fake-cc-for-${hostPlatform.config}-on-${buildPlatform.config}";
              inherit targetPrefix;
              fakeInstance = self;
              bintools = {
                type = "derivation";
                name = "${targetPrefix}binutils-wrapper";
                outPath = "/nix/store/fake-bintools-for-${hostPlatform.config}-on-${buildPlatform.config}";
                inherit targetPrefix;
              };
            };
          };
          buildPackages = buildStage;
          pkgsBuildBuild = buildStage;
          pkgsBuildHost = buildStage;
          pkgsBuildTarget = buildStage;
          pkgsHostHost = final;
          pkgsHostTarget = final;
          pkgsTargetTarget = final;
          writeText = name: text: {
            type = "derivation";
            inherit name text;
            outPath = "/nix/store/${hash text}-${name}";
          };
          # trivial-builders' runCommand: a name, the derivation's attributes (which
          # mkDerivation turns into environment variables, so no functions), a build script.
          runCommand =
            name: env: buildCommand:
            if !(isString name && isAttrs env && isString buildCommand) then
              fail "nixpkgs" "runCommand takes a name, an attribute set and a script"
            else if builtins.any (n: isFunction env.${n}) (attrNames env) then
              fail "nixpkgs" "runCommand: function-valued attributes would reach mkDerivation"
            else
              env
              // {
                type = "derivation";
                fakeKind = "runCommand";
                inherit name buildCommand;
                outPath = "/nix/store/${hash { inherit name env buildCommand; }}-${name}";
                fakePkgs = self;
              };
          writeShellScriptBin = name: text: {
            type = "derivation";
            inherit name;
            outPath = "/nix/store/${hash text}-${name}";
          };
          # python3.withPackages, with the Python packages the flake may use.
          python3.withPackages =
            select:
            let
              chosen = select (listToAttrs (map (n: { name = n; value = fakePackage self hostPlatform "python3.10-${n}"; }) [ "cyclonedx-python-lib" "jsonschema" ]));
            in
            if builtins.all isDrv chosen then fakePackage self hostPlatform "python3-env" else fail "nixpkgs" "python3.withPackages: not packages";
          # nixpkgs' hook that sets the oldest macOS a build targets (a build input).
          darwinMinVersionHook =
            version:
            if hostPlatform.isDarwin && isString version then
              fakePackage self hostPlatform "darwin-min-version-hook-${version}"
            else
              fail "nixpkgs" "darwinMinVersionHook: a macOS version, on a darwin package set";
          fakeDescription = "${hostPlatform.config} on ${buildPlatform.config}";
          fakeToken = token;
        }
        // listToAttrs (map (n: { name = n; value = fakePackage self hostPlatform n; }) packageNames);
    in
    fix (final: foldl' (prev: overlay: prev // overlay final prev) (base final) overlays);

  # With TACHIKOMA_TRACE_NIXPKGS=1 in the environment, every instantiation is traced on stderr
  # (nix/tests/instantiations.nix counts them); quiet otherwise.
  traceInstantiation = if builtins.getEnv "TACHIKOMA_TRACE_NIXPKGS" == "1" then builtins.trace else (_: v: v);

  nixpkgsArgs = [
    "localSystem"
    "system"
    "crossSystem"
    "config"
    "overlays"
    "crossOverlays"
  ];

  # `import nixpkgs`.
  importNixpkgs =
    args:
    let
      unknown = filter (n: !(elem n nixpkgsArgs)) (attrNames args);
      localSystem = args.localSystem or args.system or (fail "nixpkgs" "no localSystem");
      local = if isAttrs localSystem then localSystem.system else localSystem;
      cross = args.crossSystem or null;
      buildPlatform = elaborate (configOfSystem.${local} or (fail "nixpkgs" "unknown system ${local}"));
      hostPlatform = if cross == null then buildPlatform else elaborate cross.config;
      overlays = args.overlays or [ ];
    in
    if unknown != [ ] then
      fail "nixpkgs" "unknown arguments ${toJSON unknown}"
    else if !(isList overlays) || !(builtins.all isFunction overlays) then
      fail "nixpkgs" "overlays must be a list of functions"
    else
      traceInstantiation "fake-nixpkgs: instantiated ${local} -> ${if cross == null then "native" else cross.config}" (mkPkgs {
        inherit buildPlatform hostPlatform overlays;
      });

  # --- nixpkgs lib: sources ------------------------------------------------------------------

  # The files of a real source tree the tests look at: the top-level files cargo and the flake
  # read, and everything under crates/ (the contents are read when hashed).
  realFiles =
    root:
    let
      listDir =
        rel:
        let
          entries = readDir (root + "/${rel}");
        in
        builtins.concatMap
          (
            n:
            if entries.${n} == "directory" then
              (if n == "target" then [ ] else listDir "${rel}/${n}")
            else
              [ "${rel}/${n}" ]
          )
          (attrNames entries);
      top = filter (rel: builtins.pathExists (root + "/${rel}")) [
        "Cargo.toml"
        "Cargo.lock"
        ".cargo/config.toml"
        ".config/hakari.toml"
        "deny.toml"
        "rust-toolchain.toml"
        "README.md"
        "flake.nix"
      ];
    in
    listToAttrs (map (rel: { name = rel; value = readFile (root + "/${rel}"); }) (top ++ listDir "crates"));

  # A source's files (relative path -> contents), its root as a string, and its filter.
  sourceOf =
    src:
    if src._isLibCleanSourceWith or false then
      src
    else if src ? fakeFiles then
      {
        origSrc = src;
        rootString = src.outPath;
        allFiles = src.fakeFiles;
        filter = _: _: true;
        name = "source";
      }
    else if builtins.isPath src then
      {
        origSrc = src;
        rootString = toString src;
        allFiles = realFiles src;
        filter = _: _: true;
        name = "source";
      }
    else
      fail "lib" "not a source: ${toJSON src}";

  parentDirs =
    rel:
    let
      parts = filter isString (split "/" rel);
    in
    builtins.genList (i: concatStringsSep "/" (builtins.genList (j: elemAt parts j) (i + 1))) (length parts - 1);

  keeps =
    source: pred: rel:
    builtins.all (d: pred "${source.rootString}/${d}" "directory") (parentDirs rel)
    && pred "${source.rootString}/${rel}" "regular";

  fakeLib = {
    cleanSourceWith =
      { src
      , filter ? _: _: true
      , name ? null
      ,
      }:
      let
        base = sourceOf src;
        combined = path: type: base.filter path type && filter path type;
        sourceName = if name == null then base.name else name;
        files = filterAttrs (rel: _: keeps base combined rel) base.allFiles;
      in
      {
        _isLibCleanSourceWith = true;
        inherit (base) origSrc rootString allFiles;
        filter = combined;
        name = sourceName;
        fakeFiles = files;
        outPath = "/nix/store/${hash files}-${sourceName}";
      };
    # nixpkgs' cleanSource drops VCS directories, editor backups and result links: none of them
    # are among the files above.
    cleanSource = src: fakeLib.cleanSourceWith { inherit src; };
  };

  # --- crane -----------------------------------------------------------------------------------

  # crane's filterCargoSources: Rust sources, TOML files, Cargo.lock, .cargo/config.
  filterCargoSources =
    path: type:
    let
      base = baseNameOf path;
    in
    type == "directory"
    || nixLib.hasSuffix ".rs" base
    || nixLib.hasSuffix ".toml" base
    || base == "Cargo.lock"
    || (baseNameOf (dirOf path) == ".cargo" && base == "config");

  # crane's default (conservative) Cargo.toml filter: what it drops, for the keys our
  # manifests use. It keeps names, versions, dependencies, features, workspace and targets.
  cargoTomlDefault =
    path:
    let
      n = length path;
      first = head path;
      second = elemAt path 1;
      targetKinds = [ "lib" "bin" "example" "test" "bench" ];
    in
      !(
        elem first [ "badges" "lints" ]
        || (n >= 2 && first == "package" && elem second [
          "authors"
          "build"
          "description"
          "documentation"
          "homepage"
          "keywords"
          "license"
          "license-file"
          "links"
          "metadata"
          "publish"
          "readme"
          "repository"
          "rust-version"
        ])
        || (n >= 2 && first == "workspace" && elem second [ "lints" "metadata" ])
        || (n >= 2 && elem first targetKinds && elem (elemAt path (n - 1)) [ "test" "doctest" "bench" "doc" "required-features" ])
      );

  # cleanCargoToml: the parsed manifest with every path the filter rejects removed.
  cleanToml =
    keep: value:
    let
      go =
        path: v:
        if isAttrs v then
          listToAttrs
            (
              map (n: { name = n; value = go (path ++ [ n ]) v.${n}; }) (filter (n: keep (path ++ [ n ])) (attrNames v))
            )
        else if isList v then
          map (go path) v
        else
          v;
    in
    go [ ] value;

  # Derivation attributes (stdenv.mkDerivation) the flake may pass.
  derivationAttrs = [
    "buildInputs"
    "doCheck"
    "env"
    "meta"
    "nativeBuildInputs"
    "passthru"
    "postInstall"
    "src"
    "strictDeps"
  ];

  # mkCargoDerivation's own arguments and those its setup hooks read.
  mkCargoDerivationArgs = [
    "buildPhaseCargoCommand"
    "cargoArtifacts"
    "cargoLock"
    "cargoLockContents"
    "cargoLockParsed"
    "cargoVendorDir"
    "checkPhaseCargoCommand"
    "doIncludeCrossToolchainEnv"
    "doInstallCargoArtifacts"
    "doNotLinkInheritedArtifacts"
    "doNotPostBuildInstallCargoBinaries"
    "installCargoArtifactsMode"
    "installPhaseCommand"
    "outputHashes"
    "pname"
    "pnameSuffix"
    "stdenv"
    "version"
  ];

  checkArgs =
    fn: { allowed, required ? [ ] }: args:
    let
      names = attrNames args;
      unknown = filter (n: !(elem n allowed) && !(elem n mkCargoDerivationArgs) && !(elem n derivationAttrs) && !(isEnvName n)) names;
      missing = filter (n: !(hasAttr n args)) required;
      functions = filter (n: isFunction args.${n}) names;
      badEnv = filter (n: isEnvName n && !(isString args.${n})) names
        ++ map (n: "env.${n}") (filter (n: !(isString args.env.${n})) (attrNames (args.env or { })));
    in
    if unknown != [ ] then
      fail "crane" "${fn}: unknown arguments ${toJSON unknown}"
    else if missing != [ ] then
      fail "crane" "${fn}: missing arguments ${toJSON missing}"
    else if functions != [ ] then
      fail "crane" "${fn}: function-valued arguments ${toJSON functions} would reach mkDerivation"
    else if badEnv != [ ] then
      fail "crane" "${fn}: environment variables that are not strings: ${toJSON badEnv}"
    else
      args;

  # Reading a derivation's output while evaluating: import from derivation.
  readAtEvaluation = what: v: if isDrv v then fail "crane" "${what} reads ${v.name} at evaluation time (import from derivation)" else v;

  mkCrane =
    { pkgs, toolchain ? null }:
    let
      craneLib = {
        # One token per crane lib value (see mkPkgs).
        fakeToken = { craneLib = _: null; };
        fakePkgs = pkgs;
        fakeToolchain = toolchain;
        inherit filterCargoSources;
        filters.cargoTomlDefault = cargoTomlDefault;

        overrideToolchain =
          f:
          let
            # crane calls it with every spliced package set; the build stage's toolchain runs.
            built = f pkgs.pkgsBuildHost;
            target = pkgs.stdenv.hostPlatform.rust.rustcTarget;
          in
          if !(isFunction f) then
            fail "crane" "overrideToolchain needs a function of a package set when cross-compiling"
          else if !(elem target (built.fakeTargets or [ ])) then
            fail "crane" "the toolchain has no std for ${target}"
          else
            builtins.seq (f pkgs) (mkCrane {
              inherit pkgs;
              toolchain = built;
            });

        # mkCrossToolchainEnv (p: p.stdenv), without the __CRANE_EXPORT_ prefix.
        crossEnv =
          let
            inherit (pkgs.stdenv) buildPlatform hostPlatform;
            varsFor =
              kind: stagePkgs:
              let
                cc = stagePkgs.stdenv.cc;
                prefix = "${cc}/bin/${cc.targetPrefix}";
                T = stagePkgs.stdenv.hostPlatform.rust.cargoEnvVarTarget;
                runner =
                  !(stagePkgs.stdenv.buildPlatform.canExecute stagePkgs.stdenv.hostPlatform)
                  && stagePkgs.stdenv.hostPlatform.emulatorAvailable pkgs.pkgsBuildBuild;
              in
              {
                "CARGO_TARGET_${T}_LINKER" = "${prefix}cc";
                "CC_${T}" = "${prefix}cc";
                "CXX_${T}" = "${prefix}c++";
                "AR_${T}" = "${prefix}ar";
                "${kind}_CC" = "${prefix}cc";
                "${kind}_CXX" = "${prefix}c++";
                "${kind}_AR" = "${prefix}ar";
              }
              // (if runner then { "CARGO_TARGET_${T}_RUNNER" = stagePkgs.stdenv.hostPlatform.emulator pkgs.pkgsBuildBuild; } else { });
          in
          if buildPlatform.config == hostPlatform.config then
            { }
          else
            { CARGO_BUILD_TARGET = hostPlatform.rust.rustcTarget; } // varsFor "HOST" pkgs.pkgsBuildHost // varsFor "TARGET" pkgs.pkgsHostTarget;

        # A derivation of crane's: the arguments, crane's defaults, the cross environment.
        derivation =
          { kind, args, defaults }:
          let
            attrs = defaults // args;
            # A variable the derivation sets wins over crane's cross environment.
            # (mkDerivation's `env` attribute sets variables too.)
            environment = craneLib.crossEnv // (args.env or { }) // filterAttrs (n: v: isEnvName n && v != "") args;
            identity = {
              inherit kind;
              args = builtins.removeAttrs attrs [ "passthru" "meta" ];
              crossEnv = craneLib.crossEnv;
              toolchain = toolchain.outPath;
            };
            # As nixpkgs' mkDerivation names it: a cross build's host platform after the pname.
            hostSuffix =
              if pkgs.stdenv.hostPlatform.config == pkgs.stdenv.buildPlatform.config then "" else "-${pkgs.stdenv.hostPlatform.config}";
            name = "${attrs.pname}${attrs.pnameSuffix or ""}${hostSuffix}-${attrs.version}";
          in
          if toolchain == null then
            fail "crane" "${kind}: crane's own toolchain in use (overrideToolchain was not called)"
          else if !(attrs ? pname && attrs ? version) then
            fail "crane" "${kind}: no pname/version (crane would guess them from Cargo.toml)"
          else
            attrs
            // (attrs.passthru or { })
            // {
              type = "derivation";
              fakeKind = kind;
              inherit name environment;
              outPath = "/nix/store/${hash identity}-${name}";
              # What cargo builds for: CARGO_BUILD_TARGET, else the build machine.
              fakeTarget = environment.CARGO_BUILD_TARGET or pkgs.stdenv.buildPlatform.rust.rustcTarget;
              # configureCargoCommonVars' default profile.
              fakeProfile = attrs.CARGO_PROFILE or "release";
              fakePkgs = pkgs;
              fakeCraneLib = craneLib;
            };

        mkDummySrc =
          args:
          let
            # Like crane's, it takes any argument (buildDepsOnly passes it all of its own).
            a = if args ? src then args else fail "crane" "mkDummySrc: missing arguments [\"src\"]";
            source = sourceOf a.src;
            files = if a.src._isLibCleanSourceWith or false then a.src.fakeFiles else source.allFiles;
            keep = args.cleanCargoTomlFilter or cargoTomlDefault;
            manifests = mapAttrs (_: text: cleanToml keep (fromTOML text)) (filterAttrs (rel: _: baseNameOf rel == "Cargo.toml") files);
            # mkDummySrc copies the source's .cargo/config.toml files and Cargo.lock, then the
            # cargoLock given, over it.
            copied = filterAttrs (rel: _: rel == "Cargo.lock" || nixLib.hasSuffix ".cargo/config.toml" rel) files;
            identity = {
              inherit manifests copied;
              cargoLock = if a ? cargoLock && a.cargoLock != null then a.cargoLock.outPath or (toString a.cargoLock) else null;
              name = source.name or a.src.name;
            };
          in
          builtins.seq a {
            type = "derivation";
            fakeKind = "dummySrc";
            name = identity.name;
            outPath = "/nix/store/${hash identity}-${identity.name}";
            fakeManifests = manifests;
            fakeCopied = copied;
            fakeCargoLock = identity.cargoLock;
          };

        vendorCargoDeps =
          args:
          let
            # Like crane's, it takes any argument and reads the ones it knows.
            a = args;
            lock =
              if a ? cargoLockParsed then
                a.cargoLockParsed
              else if a ? cargoLockContents then
                fromTOML a.cargoLockContents
              else if a ? cargoLock then
                fromTOML (readFile (readAtEvaluation "vendorCargoDeps" a.cargoLock))
              else if a ? src then
                fromTOML ((sourceOf (readAtEvaluation "vendorCargoDeps" a.src)).allFiles."Cargo.lock")
              else
                fail "crane" "vendorCargoDeps: no Cargo.lock";
            # Only registry packages are vendored (crane drops path packages), and any
            # .cargo/config.toml of the source (for its registries).
            configs = if a ? src then filterAttrs (rel: _: nixLib.hasSuffix ".cargo/config.toml" rel) (readAtEvaluation "vendorCargoDeps" a.src).fakeFiles or { } else { };
            identity = {
              packages = map (p: { inherit (p) name version source; checksum = p.checksum or null; }) (filter (p: p ? source) lock.package);
              inherit configs;
            };
          in
          {
            type = "derivation";
            fakeKind = "vendor";
            name = "vendor-cargo-deps";
            outPath = "/nix/store/${hash identity}-vendor-cargo-deps";
          };

        buildDepsOnly =
          args:
          let
            a = checkArgs "buildDepsOnly"
              {
                allowed = [
                  "cargoBuildCommand"
                  "cargoCheckCommand"
                  "cargoExtraArgs"
                  "cargoBuildExtraArgs"
                  "cargoTestCommand"
                  "cargoTestExtraArgs"
                  "cargoCheckExtraArgs"
                  "dummySrc"
                  "outputs"
                  "cargoLock"
                  "extraDummyScript"
                  "dummyrs"
                  "dummyBuildrs"
                ];
              }
              args;
            doCheck = a.doCheck or true;
            extra = a.cargoExtraArgs or "--locked";
            dummySrc =
              if a ? dummySrc then
                (if a ? src then fail "crane" "buildDepsOnly: src is ignored when dummySrc is given" else a.dummySrc)
              else
                craneLib.mkDummySrc a;
            rest = builtins.removeAttrs a [
              "cargoBuildCommand"
              "cargoCheckCommand"
              "cargoCheckExtraArgs"
              "cargoExtraArgs"
              "cargoBuildExtraArgs"
              "cargoTestCommand"
              "cargoTestExtraArgs"
              "outputHashes"
              "dummySrc"
              "outputs"
            ];
          in
          craneLib.derivation {
            kind = "deps";
            args = rest // {
              inherit doCheck;
              src = dummySrc;
              pnameSuffix = "-deps";
              cargoArtifacts = null;
              doInstallCargoArtifacts = true;
              # From dummySrc only when the caller gave one (then its Cargo.lock is read).
              cargoVendorDir = a.cargoVendorDir or (craneLib.vendorCargoDeps (if a ? dummySrc then a // { src = a.dummySrc; } else a));
              buildPhaseCargoCommand =
                a.buildPhaseCargoCommand or ''
                  ${a.cargoCheckCommand or "cargoWithProfile check"} ${extra} ${a.cargoCheckExtraArgs or (if doCheck then "--all-targets" else "")}
                  ${a.cargoBuildCommand or "cargoWithProfile build"} ${extra} ${a.cargoBuildExtraArgs or ""}
                '';
              checkPhaseCargoCommand =
                a.checkPhaseCargoCommand or "${a.cargoTestCommand or "cargoWithProfile test"} ${extra} ${a.cargoTestExtraArgs or "--no-run"}\n";
            };
            defaults = { };
          };

        buildPackage =
          args:
          let
            a = checkArgs "buildPackage"
              {
                allowed = [ "cargoBuildCommand" "cargoExtraArgs" "cargoBuildExtraArgs" "cargoTestCommand" "cargoTestExtraArgs" ];
                required = [ "src" ];
              }
              args;
            extra = a.cargoExtraArgs or "--locked";
            command =
              a.buildPhaseCargoCommand or ''
                cargoBuildLog=$(mktemp cargoBuildLogXXXX.json)
                ${a.cargoBuildCommand or "cargoWithProfile build"} --message-format json-render-diagnostics ${extra} ${a.cargoBuildExtraArgs or ""} >"$cargoBuildLog"
              '';
            rest = builtins.removeAttrs a [ "cargoBuildCommand" "cargoExtraArgs" "cargoBuildExtraArgs" "cargoTestCommand" "cargoTestExtraArgs" "outputHashes" ];
          in
          # The install step reads $cargoBuildLog (installFromCargoBuildLogHook).
          if builtins.match ".*cargoBuildLog=.*" (replaceStrings [ "\n" ] [ " " ] command) == null && !(a ? installPhaseCommand) then
            fail "crane" "buildPackage: buildPhaseCargoCommand does not write $cargoBuildLog, so nothing would be installed"
          else
            craneLib.derivation {
              kind = "package";
              args = rest // {
                doCheck = a.doCheck or true;
                doInstallCargoArtifacts = a.doInstallCargoArtifacts or false;
                cargoVendorDir = a.cargoVendorDir or (craneLib.vendorCargoDeps a);
                cargoArtifacts = a.cargoArtifacts or (craneLib.buildDepsOnly (a // { pname = a.pname or "crate"; }));
                buildPhaseCargoCommand = command;
              };
              defaults = { };
            };

        mkCargoDerivation =
          args:
          craneLib.derivation {
            kind = "mkCargoDerivation";
            args = checkArgs "mkCargoDerivation" { allowed = [ ]; required = [ "cargoArtifacts" "buildPhaseCargoCommand" ]; } args;
            defaults.cargoVendorDir = craneLib.vendorCargoDeps args;
          };

        cargoClippy =
          args:
          let
            a = checkArgs "cargoClippy" { allowed = [ "cargoClippyExtraArgs" "cargoExtraArgs" ]; required = [ "cargoArtifacts" ]; } args;
          in
          craneLib.derivation {
            kind = "clippy";
            args = builtins.removeAttrs a [ "cargoClippyExtraArgs" "cargoExtraArgs" ] // {
              pnameSuffix = "-clippy";
              buildPhaseCargoCommand = "cargoWithProfile clippy ${a.cargoExtraArgs or "--locked"} ${a.cargoClippyExtraArgs or "--all-targets"}";
            };
            defaults.cargoVendorDir = craneLib.vendorCargoDeps a;
          };

        cargoDoc =
          args:
          let
            a = checkArgs "cargoDoc" { allowed = [ "cargoDocExtraArgs" "cargoExtraArgs" "docInstallRoot" ]; required = [ "cargoArtifacts" ]; } args;
          in
          craneLib.derivation {
            kind = "doc";
            args = builtins.removeAttrs a [ "cargoDocExtraArgs" "cargoExtraArgs" ] // {
              pnameSuffix = "-doc";
              buildPhaseCargoCommand = "cargoWithProfile doc ${a.cargoExtraArgs or "--locked"} ${a.cargoDocExtraArgs or "--no-deps"}";
            };
            defaults.cargoVendorDir = craneLib.vendorCargoDeps a;
          };

        cargoNextest =
          args:
          let
            a = checkArgs "cargoNextest"
              {
                allowed = [
                  "cargoExtraArgs"
                  "cargoLlvmCovExtraArgs"
                  "cargoNextestExtraArgs"
                  "cargoNextestArchiveExtraArgs"
                  "cargoNextestPartitionsExtraArgs"
                  "partitions"
                  "partitionType"
                  "withLlvmCov"
                ];
                required = [ "cargoArtifacts" ];
              }
              args;
          in
          craneLib.derivation {
            kind = "nextest";
            args = builtins.removeAttrs a [ "cargoExtraArgs" "cargoNextestExtraArgs" "cargoNextestPartitionsExtraArgs" "partitions" "partitionType" "withLlvmCov" "cargoLlvmCovExtraArgs" ] // {
              pnameSuffix = "-nextest";
              doCheck = a.doCheck or true;
              checkPhaseCargoCommand = "cargo nextest run \${CARGO_PROFILE:+--cargo-profile $CARGO_PROFILE} ${a.cargoExtraArgs or ""} ${a.cargoNextestExtraArgs or ""}";
            };
            defaults.cargoVendorDir = craneLib.vendorCargoDeps a;
          };

        cargoFmt =
          args:
          let
            a = checkArgs "cargoFmt" { allowed = [ "cargoExtraArgs" "rustFmtExtraArgs" ]; } args;
          in
          craneLib.derivation {
            kind = "fmt";
            args = builtins.removeAttrs a [ "cargoExtraArgs" "rustFmtExtraArgs" ] // {
              cargoArtifacts = null;
              cargoVendorDir = null;
              pnameSuffix = "-fmt";
              buildPhaseCargoCommand = "cargo fmt ${a.cargoExtraArgs or ""} -- --check ${a.rustFmtExtraArgs or ""}";
            };
            defaults = { };
          };

        cargoAudit =
          args:
          let
            a = checkArgs "cargoAudit" { allowed = [ "advisory-db" "cargoAuditExtraArgs" ]; required = [ "advisory-db" "src" ]; } args;
          in
          craneLib.derivation {
            kind = "audit";
            args = builtins.removeAttrs a [ "cargoAuditExtraArgs" ] // {
              # Only the Cargo.lock files of the source are audited.
              src = filterAttrs (rel: _: nixLib.hasSuffix "Cargo.lock" rel) (sourceOf a.src).fakeFiles;
              cargoArtifacts = null;
              cargoVendorDir = null;
              pnameSuffix = "-audit";
              buildPhaseCargoCommand = "cargo audit -n -d ${a.advisory-db} ${a.cargoAuditExtraArgs or "--ignore yanked"}";
            };
            defaults.version = "0.0.0";
          };

        cargoDeny =
          args:
          let
            a = checkArgs "cargoDeny" { allowed = [ "cargoDenyExtraArgs" "cargoDenyChecks" "cargoExtraArgs" ]; } args;
          in
          craneLib.derivation {
            kind = "deny";
            args = builtins.removeAttrs a [ "cargoDenyExtraArgs" "cargoExtraArgs" ] // {
              cargoArtifacts = null;
              pnameSuffix = "-deny";
              buildPhaseCargoCommand = "cargo --offline ${a.cargoExtraArgs or ""} deny ${a.cargoDenyExtraArgs or ""} check ${a.cargoDenyChecks or "bans licenses sources"}";
            };
            defaults.cargoVendorDir = craneLib.vendorCargoDeps a;
          };

        devShell =
          args:
          let
            a = checkArgs "devShell" { allowed = [ "checks" "inputsFrom" "packages" "shellHook" ]; } args;
            packages = a.packages or [ ];
            notPackages = filter (p: !(isDrv p)) packages;
          in
          if toolchain == null then
            fail "crane" "devShell: crane's own toolchain in use (overrideToolchain was not called)"
          else if notPackages != [ ] then
            fail "crane" "devShell: packages that are not derivations"
          else
            {
              type = "derivation";
              fakeKind = "devShell";
              name = "nix-shell";
              outPath = "/nix/store/fake-nix-shell";
              fakeEnv = filterAttrs (n: _: isEnvName n) a;
              fakePackages = [ toolchain ] ++ packages;
              fakeInputsFrom = builtins.attrValues (a.checks or { }) ++ (a.inputsFrom or [ ]);
              fakePkgs = pkgs;
              fakeCraneLib = craneLib;
            };
      };
    in
    craneLib;
in
{
  inherit importNixpkgs realFiles;

  # The flake inputs.
  nixpkgs = {
    outPath = ./fake-nixpkgs.nix;
  };
  crane.mkLib =
    pkgs:
    if pkgs ? stdenv && pkgs ? fakeDescription then mkCrane { inherit pkgs; } else fail "crane" "mkLib needs an instantiated package set";
  rust-overlay.overlays.default = final: _prev: {
    rust-bin.fromRustupToolchainFile =
      path:
      let
        toolchain = (fromTOML (readFile path)).toolchain;
      in
      if baseNameOf (toString path) != "rust-toolchain.toml" then
        fail "rust-overlay" "fromRustupToolchainFile of ${toString path}"
      else
        {
          type = "derivation";
          name = "rust-${toolchain.channel}";
          outPath = "/nix/store/fake-rust-${toolchain.channel}-on-${final.stdenv.hostPlatform.config}";
          fakeTargets = toolchain.targets or [ ];
        };
  };
  flake-utils.lib.eachSystem =
    systems: f:
    foldl'
      (
        acc: system:
        let
          result = f system;
        in
        foldl' (a: key: a // { ${key} = (a.${key} or { }) // { ${system} = result.${key}; }; }) acc (attrNames result)
      )
      { }
      systems;
  advisory-db = {
    outPath = "/nix/store/fake-advisory-db";
  };
}
