//! Stamps build metadata into `$OUT_DIR/build_info.rs`, included by `src/build_info.rs`.
//!
//! Git values come from the environment first (`TACHIKOMA_GIT_HASH`, `TACHIKOMA_GIT_BRANCH`: Nix
//! passes the hash, scripts/build-rust.sh both in release-like builds), then from `git`, else
//! `unknown`. The build never fails for want of git or `.git`. To keep the hash current without rerunning on every source edit,
//! the script tells cargo exactly which git files move when HEAD does.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

#[path = "src/rfc3339.rs"]
mod rfc3339;

const UNKNOWN: &str = "unknown";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/rfc3339.rs");
    for var in [
        "TACHIKOMA_GIT_HASH",
        "TACHIKOMA_GIT_BRANCH",
        "SOURCE_DATE_EPOCH",
        "TACHIKOMA_SOURCE_DATE_EPOCH",
        "CI",
        "TACHIKOMA_PROFILE",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    link_fast_memcpy();

    let manifest_dir = PathBuf::from(env_or_unknown("CARGO_MANIFEST_DIR"));
    let repo = GitRepo::discover(&manifest_dir).filter(GitRepo::tracks_this_package);

    let git_hash = env_value("TACHIKOMA_GIT_HASH").or_else(|| {
        repo.as_ref()
            // The full hash: an abbreviation's length depends on the repository (its object
            // count, core.abbrev), so a shallow and a full clone would embed different ones.
            .and_then(|r| r.git(&["rev-parse", "HEAD"]))
    });
    let git_branch = env_value("TACHIKOMA_GIT_BRANCH").or_else(|| {
        // Empty on a detached HEAD: then there is no branch to report.
        repo.as_ref()
            .and_then(|r| r.git(&["branch", "--show-current"]))
    });

    let out_dir = PathBuf::from(env_or_unknown("OUT_DIR"));
    let values = [
        ("version", env_or_unknown("CARGO_PKG_VERSION")),
        ("git_hash", git_hash.unwrap_or_else(|| UNKNOWN.into())),
        ("git_branch", git_branch.unwrap_or_else(|| UNKNOWN.into())),
        ("build_time", build_time()),
        ("target", env_or_unknown("TARGET")),
        ("profile", cargo_profile(&out_dir)),
        ("rustc", rustc_version().unwrap_or_else(|| UNKNOWN.into())),
    ];

    let mut code = String::from("BuildInfo {\n");
    for (field, value) in &values {
        writeln!(code, "    {field}: {value:?},").ok();
    }
    writeln!(code, "    ci: {},", is_ci()).ok();
    writeln!(code, "    features: &{:?},", enabled_features()).ok();
    code.push_str("}\n");

    let path = out_dir.join("build_info.rs");
    if let Err(err) = std::fs::write(&path, code) {
        fail(&format!("cannot write {}: {err}", path.display()));
    }
}

/// On x86_64 musl, links `src/memcpy_x86_64_musl.c` in place of musl's memcpy, which was a third
/// of the allocation benchmark's time (docs/musl-performance.md); `cfg(tachikoma_memcpy)` lets
/// the tests check that it is the one linked.
fn link_fast_memcpy() {
    println!("cargo::rustc-check-cfg=cfg(tachikoma_memcpy)");
    let target = |key: &str| env::var(format!("CARGO_CFG_TARGET_{key}")).unwrap_or_default();
    // TACHIKOMA_MUSL_MEMCPY=musl keeps musl's own: scripts/bench-allocator.sh's "before" row.
    println!("cargo:rerun-if-env-changed=TACHIKOMA_MUSL_MEMCPY");
    let musl_own = env_value("TACHIKOMA_MUSL_MEMCPY").as_deref() == Some("musl");
    if target("ENV") != "musl" || target("ARCH") != "x86_64" || musl_own {
        return;
    }
    let source = "src/memcpy_x86_64_musl.c";
    println!("cargo:rerun-if-changed={source}");
    let built = cc::Build::new()
        .file(source)
        // The compiler must not turn the copy loop back into a call to memcpy: itself (GCC's
        // loop distribution at -O2 and above, clang's idiom recognition without -fno-builtin).
        // scripts/test.sh checks the object calls no memcpy.
        .flag_if_supported("-fno-tree-loop-distribute-patterns")
        .flag_if_supported("-fno-builtin")
        .try_compile("tachikoma_memcpy");
    if let Err(err) = built {
        fail(&format!("cannot compile {source}: {err}"));
    }
    println!("cargo:rustc-cfg=tachikoma_memcpy");
}

/// A non-empty environment variable.
fn env_value(name: &str) -> Option<String> {
    env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn env_or_unknown(name: &str) -> String {
    env_value(name).unwrap_or_else(|| UNKNOWN.into())
}

fn fail(message: &str) -> ! {
    eprintln!("error: tachikoma-common-core build script: {message}");
    std::process::exit(1);
}

/// The git work tree this package is tracked in, if any.
struct GitRepo {
    manifest_dir: PathBuf,
}

impl GitRepo {
    /// The repository whose work tree holds `manifest_dir`; from here on, the build script
    /// reruns when its HEAD moves.
    fn discover(manifest_dir: &Path) -> Option<Self> {
        let repo = Self {
            manifest_dir: manifest_dir.to_owned(),
        };
        let git_dir = repo.path(&["rev-parse", "--git-dir"])?;
        let common_dir = repo
            .path(&["rev-parse", "--git-common-dir"])
            .unwrap_or_else(|| git_dir.clone());
        repo.watch([
            git_dir.join("HEAD"),
            common_dir.join("refs/heads"),
            common_dir.join("packed-refs"),
        ]);
        Some(repo)
    }

    /// Only a repository that tracks this very package counts: a source tarball unpacked inside
    /// some unrelated repository (a home directory, a vendor/ folder) must not borrow its hash.
    /// Until the package is added, the index is watched too, so `git add` is noticed.
    fn tracks_this_package(&self) -> bool {
        // Failing is its answer for an untracked file: nothing to report.
        let tracked = self
            .run_git(&["ls-files", "--error-unmatch", "--", "build.rs"])
            .is_ok_and(|text| !text.is_empty());
        if !tracked {
            self.watch(self.path(&["rev-parse", "--git-path", "index"]));
        }
        tracked
    }

    /// git's answer, or `None`. When git runs and fails for another reason than "not a
    /// repository" (a checkout another user owns, a repository without commits), its own message
    /// becomes a cargo warning: the build goes on with `unknown`, and the user learns why.
    fn git(&self, args: &[&str]) -> Option<String> {
        match self.run_git(args) {
            Ok(text) => (!text.is_empty()).then_some(text),
            Err(message) => {
                if !message.is_empty() && !message.contains("not a git repository") {
                    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                    println!(
                        "cargo:warning=`git {}` failed, so the build metadata says {UNKNOWN}: {message}",
                        args.join(" ")
                    );
                }
                None
            }
        }
    }

    /// git's trimmed standard output, or its standard error when it fails (empty when git
    /// cannot run at all: no git is no error).
    fn run_git(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.manifest_dir)
            .args(args)
            // Its messages in one language, so that "not a git repository" can be told apart.
            .env("LC_ALL", "C")
            .output()
            .map_err(|_| String::new())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    fn path(&self, args: &[&str]) -> Option<PathBuf> {
        let path = PathBuf::from(self.git(args)?);
        Some(if path.is_absolute() {
            path
        } else {
            self.manifest_dir.join(path)
        })
    }

    /// Rerun when HEAD moves: `HEAD` itself changes on checkout and branch switch (in a worktree
    /// it is the worktree's own), the branch's ref on commit. Refs live loose under `refs/heads`
    /// or in `packed-refs`; a commit to a packed branch writes a new loose file, which cargo sees
    /// because it scans a watched directory recursively. Only existing paths are watched: cargo
    /// reruns on every build for a missing one.
    fn watch(&self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths.into_iter().filter(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// `TACHIKOMA_SOURCE_DATE_EPOCH`, else `SOURCE_DATE_EPOCH` (reproducible builds), else now. The
/// first is the commit time for this crate alone: the Nix packages pass it so that
/// `SOURCE_DATE_EPOCH`, which the cc crate makes other build scripts watch (ring's,
/// libmimalloc-sys's), stays what crane's dependency build had. A malformed value fails the
/// build rather than stamping a wrong time, as the reproducible-builds specification asks.
fn build_time() -> String {
    let variable = if env_value("TACHIKOMA_SOURCE_DATE_EPOCH").is_some() {
        "TACHIKOMA_SOURCE_DATE_EPOCH"
    } else {
        "SOURCE_DATE_EPOCH"
    };
    let secs = match env_value(variable) {
        Some(value) => value.parse::<i64>().unwrap_or_else(|_| {
            fail(&format!(
                "{variable} must be an integer number of seconds, got {value:?}"
            ))
        }),
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    rfc3339::format_unix_seconds(secs)
}

/// The cargo profile's name. Cargo tells build scripts only `PROFILE=debug|release`; the name is
/// `TACHIKOMA_PROFILE` when the build says it (scripts/build-rust.sh and the Nix packages do),
/// else the directory `OUT_DIR` sits in: `<target-dir>[/<triple>]/<profile-dir>/build/<pkg>-<hash>/out`,
/// which cargo names after the profile, but `debug` for dev (and test) and `release` for release
/// and bench. So a plain `cargo bench` build reports `release`: cargo says nothing that tells it
/// apart (its DEBUG=true is also a release build with debug info).
fn cargo_profile(out_dir: &Path) -> String {
    if let Some(profile) = env_value("TACHIKOMA_PROFILE") {
        return profile;
    }
    let dir = out_dir
        .ancestors()
        .nth(3)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    match dir {
        Some("debug") => "dev".into(),
        Some(name) => name.into(),
        None => UNKNOWN.into(),
    }
}

fn is_ci() -> bool {
    env_value("CI").is_some_and(|v| v != "false" && v != "0")
}

/// This build's features of this package, exactly as Cargo.toml names them.
fn enabled_features() -> Vec<String> {
    let mut features: Vec<String> = env::var("CARGO_CFG_FEATURE")
        .unwrap_or_default()
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    features.sort();
    features
}

fn rustc_version() -> Option<String> {
    let rustc = env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let version = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !version.is_empty()).then_some(version)
}
