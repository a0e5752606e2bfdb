//! Build metadata is right wherever the source comes from: a git clone, after new commits and
//! checkouts, a worktree, a tarball without `.git`, and pipelines that pass values in (Nix).
//!
//! Each test builds the real `tachikoma` binary in a copy of the workspace with a target
//! directory of its own (cargo would reuse artifacts across copies sharing one).

use std::path::Path;
use std::process::Command;

use tachikoma_test_harness::{
    git, outer_target_dir_and_profile, path_without_git, version_json, Built, CargoBuild, TempRepo,
};

/// `cargo build` of the CLI alone, without optional features: the smallest real binary, in the
/// profile these tests were built with (scripts/test.sh uses the fast-building `ci` profile).
fn cli_build(workspace: &Path, target_dir: &Path) -> CargoBuild {
    CargoBuild::new(workspace, target_dir).args([
        "--profile",
        &profile(),
        "-p",
        "tachikoma-cli",
        "--no-default-features",
    ])
}

fn profile() -> String {
    outer_target_dir_and_profile().1
}

fn cli_info(built: &Built) -> serde_json::Value {
    version_json(built.file("tachikoma"))
}

#[test]
fn git_clone_hash_follows_commits_and_checkouts() {
    let repo = TempRepo::new();
    let target = tempfile::tempdir().unwrap();
    let build = cli_build(repo.path(), target.path());

    let first = repo.head();
    let info = cli_info(&build.run());
    assert_eq!(info["git_hash"], first.as_str());
    // The full hash, whatever the repository's size or core.abbrev.
    assert_eq!(first.len(), 40, "{first}");
    assert_eq!(info["git_branch"], "main");
    assert_eq!(info["profile"], profile().as_str());
    assert_eq!(info["features"], serde_json::json!([]));

    // An ordinary source edit rebuilds the CLI but does not rerun the build script.
    std::fs::write(
        repo.path().join("crates/tachikoma-cli/src/main.rs"),
        std::fs::read_to_string(repo.path().join("crates/tachikoma-cli/src/main.rs")).unwrap()
            + "// edited\n",
    )
    .unwrap();
    let built = build.run();
    assert!(
        !built.ran_build_script_of("tachikoma-common-core"),
        "a source edit reran build.rs:\n{}",
        built.stderr
    );
    assert_eq!(cli_info(&built)["git_hash"], first.as_str());

    // A commit: the next build embeds the new hash.
    let second = repo.commit_change("README.md", "second commit");
    assert_ne!(first, second);
    let built = build.run();
    assert!(built.ran_build_script_of("tachikoma-common-core"));
    assert_eq!(cli_info(&built)["git_hash"], second.as_str());

    // Checking out an older commit (detached HEAD: no branch).
    repo.git(&["checkout", "--quiet", "--detach", &first]);
    let info = cli_info(&build.run());
    assert_eq!(info["git_hash"], first.as_str());
    assert_eq!(info["git_branch"], "unknown");

    // Back on the branch, with its ref packed (as after `git gc`), then a new commit.
    repo.git(&["checkout", "--quiet", "main"]);
    repo.git(&["pack-refs", "--all"]);
    assert!(!repo.path().join(".git/refs/heads/main").exists());
    assert_eq!(cli_info(&build.run())["git_hash"], second.as_str());
    let third = repo.commit_change("README.md", "third commit");
    assert_eq!(cli_info(&build.run())["git_hash"], third.as_str());

    // The environment wins over git (how Nix and release pipelines pass values in).
    let info = cli_info(
        &build
            .clone()
            .env("TACHIKOMA_GIT_HASH", "0123abc")
            .env("TACHIKOMA_GIT_BRANCH", "release/1.0")
            .env("SOURCE_DATE_EPOCH", "0")
            .run(),
    );
    assert_eq!(info["git_hash"], "0123abc");
    assert_eq!(info["git_branch"], "release/1.0");
    assert_eq!(info["build_time"], "1970-01-01T00:00:00Z");

    // `features` is this build's feature set, exactly.
    let info = cli_info(&build.clone().args(["--features", "claude,mimalloc"]).run());
    assert_eq!(info["features"], serde_json::json!(["claude", "mimalloc"]));

    // TACHIKOMA_SOURCE_DATE_EPOCH wins over SOURCE_DATE_EPOCH (the Nix packages keep the
    // dependency build's SOURCE_DATE_EPOCH and pass the commit time so).
    let info = cli_info(
        &build
            .clone()
            .env("SOURCE_DATE_EPOCH", "0")
            .env("TACHIKOMA_SOURCE_DATE_EPOCH", "86400")
            .run(),
    );
    assert_eq!(info["build_time"], "1970-01-02T00:00:00Z");

    // SOURCE_DATE_EPOCH alone; a malformed one fails the build with a clear message.
    let info = cli_info(&build.clone().env("SOURCE_DATE_EPOCH", "1700000000").run());
    assert_eq!(info["build_time"], "2023-11-14T22:13:20Z");
    assert_eq!(info["git_hash"], third.as_str());
    let failure = build
        .clone()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .try_run()
        .unwrap_err();
    assert!(
        failure.contains("SOURCE_DATE_EPOCH must be an integer"),
        "{failure}"
    );
}

#[test]
fn worktree_reports_its_own_head_and_branch() {
    let repo = TempRepo::new();
    let worktree_parent = tempfile::tempdir().unwrap();
    let worktree = worktree_parent.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "--quiet",
        "-b",
        "feature/wt",
        worktree.to_str().unwrap(),
    ]);
    assert!(
        worktree.join(".git").is_file(),
        "in a worktree .git is a file"
    );
    let target = tempfile::tempdir().unwrap();
    let build = cli_build(&worktree, target.path());

    let info = cli_info(&build.run());
    assert_eq!(
        info["git_hash"],
        git(&worktree, &["rev-parse", "HEAD"]).as_str()
    );
    assert_eq!(info["git_branch"], "feature/wt");

    std::fs::write(worktree.join("NEW.md"), "worktree commit\n").unwrap();
    git(&worktree, &["add", "NEW.md"]);
    git(&worktree, &["commit", "--quiet", "-m", "worktree commit"]);
    let head = git(&worktree, &["rev-parse", "HEAD"]);
    assert_ne!(head, repo.head(), "the main checkout stays where it was");
    assert_eq!(cli_info(&build.run())["git_hash"], head.as_str());
}

#[test]
fn tarball_without_git_builds_and_says_unknown() {
    // The source unpacked inside an unrelated repository (say, a home directory under git):
    // its hash must not be borrowed.
    let outer = tempfile::tempdir().unwrap();
    git(outer.path(), &["init", "--quiet"]);
    std::fs::write(outer.path().join("notes.txt"), "unrelated\n").unwrap();
    git(outer.path(), &["add", "notes.txt"]);
    git(outer.path(), &["commit", "--quiet", "-m", "unrelated"]);
    let source = outer.path().join("vendor/tachikoma");
    tachikoma_test_harness::copy_workspace_to(&source);
    let target = tempfile::tempdir().unwrap();
    let build = cli_build(&source, target.path());

    let info = cli_info(&build.run());
    assert_eq!(info["git_hash"], "unknown");
    assert_eq!(info["git_branch"], "unknown");
    assert_ne!(info["build_time"], "unknown");

    // As under Nix: no .git, values passed in.
    let info = cli_info(
        &build
            .clone()
            .env("TACHIKOMA_GIT_HASH", "abc1234")
            .env("TACHIKOMA_GIT_BRANCH", "nix")
            .run(),
    );
    assert_eq!(info["git_hash"], "abc1234");
    assert_eq!(info["git_branch"], "nix");

    // No git program at all: still builds, still says unknown.
    let (_links, path) = path_without_git();
    assert!(!Command::new("sh")
        .args(["-c", "command -v git"])
        .env("PATH", &path)
        .status()
        .unwrap()
        .success());
    let info = cli_info(&build.clone().env("PATH", path.to_str().unwrap()).run());
    assert_eq!(info["git_hash"], "unknown");

    // Put under git but never committed (`git init` over the unpacked source): git's own
    // message reaches the user as a cargo warning, and the hash says unknown. (A new
    // SOURCE_DATE_EPOCH reruns the build script.)
    git(&source, &["init", "--quiet"]);
    git(&source, &["add", "--all"]);
    let built = build.clone().env("SOURCE_DATE_EPOCH", "1").run();
    assert_eq!(cli_info(&built)["git_hash"], "unknown");
    assert!(
        built
            .stderr
            .contains("`git rev-parse HEAD` failed, so the build metadata says unknown: fatal:"),
        "{}",
        built.stderr
    );
}
