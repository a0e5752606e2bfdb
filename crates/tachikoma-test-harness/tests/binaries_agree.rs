//! The CLI, the server and the Node addon of one build report the same build metadata.

use std::process::Command;
use std::time::Duration;

use tachikoma_test_harness::{
    outer_target_dir_and_profile, version_json, workspace_root, CargoBuild, Server,
};

#[test]
fn cli_server_and_addon_report_identical_json() {
    let (target_dir, profile) = outer_target_dir_and_profile();
    let built = CargoBuild::new(&workspace_root(), &target_dir)
        .args([
            "--profile",
            &profile,
            "-p",
            "tachikoma-cli",
            "-p",
            "tachikoma-server",
            "-p",
            "tachikoma-native",
        ])
        .run();

    let cli = version_json(built.file("tachikoma"));

    let server = Server::start(built.file("tachikoma-server"));
    let (status, body) = server.get("/version");
    assert_eq!(status, 200);
    let from_server: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(server.stop_with("TERM", Duration::from_secs(10)).success());

    // Node loads an addon by the .node extension.
    let addon_dir = tempfile::tempdir().unwrap();
    let addon = addon_dir.path().join("tachikoma.node");
    std::fs::copy(built.file("libtachikoma_native.so"), &addon).unwrap();
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

    assert_eq!(cli["profile"], profile.as_str());
    assert_eq!(from_server, cli, "server /version differs from the CLI");
    assert_eq!(from_addon, cli, "addon buildInfo() differs from the CLI");
}
