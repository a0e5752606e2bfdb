//! The CLI, the server and the Node addon, each built on its own as it ships, report the same
//! build and each exactly its own features.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tachikoma_test_harness::{
    git, outer_target_dir_and_profile, resolved_features, version_json, workspace_root, CargoBuild,
    Server,
};

/// `cargo build -p PACKAGE` alone, with its default features, into the outer target directory,
/// stamped with the commit's time as every shipping build is (scripts/build-rust.sh, Nix): the
/// binaries of one commit then describe one build, though each is built in a run of its own.
fn build_alone(package: &str, artifact: &str) -> PathBuf {
    let (target_dir, profile) = outer_target_dir_and_profile();
    let commit_time = git(&workspace_root(), &["log", "-1", "--format=%ct"]);
    CargoBuild::new(&workspace_root(), &target_dir)
        .args(["--profile", &profile, "-p", package])
        .env("SOURCE_DATE_EPOCH", &commit_time)
        .run()
        .file(artifact)
        .to_owned()
}

#[test]
fn cli_server_and_addon_built_apart_describe_one_build_with_their_own_features() {
    let cli = version_json(&build_alone("tachikoma-cli", "tachikoma"));

    let server = Server::start(&build_alone("tachikoma-server", "tachikoma-server"));
    let (status, body) = server.get("/version");
    assert_eq!(status, 200);
    let from_server: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(server.stop_with("TERM", Duration::from_secs(10)).success());

    // Node loads an addon by the .node extension.
    let addon_dir = tempfile::tempdir().unwrap();
    let addon = addon_dir.path().join("tachikoma.node");
    std::fs::copy(
        build_alone("tachikoma-native", "libtachikoma_native.so"),
        &addon,
    )
    .unwrap();
    let script = "process.stdout.write(JSON.stringify(require(process.argv[1]).buildInfo()))";
    let output = Command::new("node")
        .args(["-e", script])
        .arg(&addon)
        .output()
        .expect("node is installed");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let from_addon: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // Every field that describes the build is the same in all three.
    let without_features = |info: &serde_json::Value| {
        let mut info = info.as_object().expect("a JSON object").clone();
        info.remove("features").expect("a features field");
        info
    };
    assert_eq!(
        without_features(&from_server),
        without_features(&cli),
        "server"
    );
    assert_eq!(
        without_features(&from_addon),
        without_features(&cli),
        "addon"
    );
    assert_eq!(cli["profile"], outer_target_dir_and_profile().1.as_str());

    // Each exactly the features cargo resolves for it alone: nothing of the others or of the
    // tests.
    assert_eq!(
        cli["features"],
        serde_json::json!(resolved_features("tachikoma-cli"))
    );
    assert_eq!(
        from_server["features"],
        serde_json::json!(resolved_features("tachikoma-server"))
    );
    assert_eq!(
        from_addon["features"],
        serde_json::json!(resolved_features("tachikoma-native"))
    );
}

#[test]
fn a_bare_cargo_build_at_the_root_builds_the_cli_alone_with_its_own_features() {
    let (target_dir, profile) = outer_target_dir_and_profile();
    let built = CargoBuild::new(&workspace_root(), &target_dir)
        .args(["--profile", &profile])
        .run();
    let names: Vec<_> = built
        .files
        .iter()
        .filter_map(|f| f.file_name()?.to_str())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("tachikoma-server") || n.contains("tachikoma_native")),
        "a bare build built more than the CLI: {names:?}"
    );
    let cli = version_json(built.file("tachikoma"));
    assert_eq!(
        cli["features"],
        serde_json::json!(resolved_features("tachikoma-cli"))
    );
}
