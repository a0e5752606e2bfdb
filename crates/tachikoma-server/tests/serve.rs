//! `tachikoma-server` as operators run it: binds, serves, stops cleanly on signals.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tachikoma_test_harness::Server;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tachikoma-server"))
}

#[test]
fn serves_health_and_version_then_stops_on_sigterm() {
    let server = Server::start(binary());
    assert!(server.addr().ip().is_loopback());
    assert_eq!(server.get("/health"), (200, "ok".to_owned()));
    let (status, body) = server.get("/version");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    // --version-json prints what /version serves, without starting a server.
    let printed = Command::new(binary())
        .arg("--version-json")
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), body + "\n");
    assert_eq!(server.get("/missing").0, 404);
    let status = server.stop_with("TERM", Duration::from_secs(10));
    assert!(
        status.success(),
        "SIGTERM should be a clean exit, got {status}"
    );
}

#[test]
fn stops_cleanly_on_sigint() {
    let server = Server::start(binary());
    assert_eq!(server.get("/health").0, 200);
    assert!(server.stop_with("INT", Duration::from_secs(10)).success());
}

#[test]
fn an_address_in_use_is_a_clear_error() {
    let server = Server::start(binary());
    let output = Command::new(binary())
        .args(["--bind", &server.addr().to_string()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&server.addr().to_string()) && stderr.contains("in use"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_address_is_a_usage_error() {
    let output = Command::new(binary())
        .args(["--bind", "localhost"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bind"));
}

#[test]
fn a_bad_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    std::fs::write(&path, r#"{"verbosity": 3}"#).unwrap();
    let output = Command::new(binary())
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("server.json") && stderr.contains("verbosity"),
        "{stderr}"
    );
}

/// With `hot-reload`, an edited config file is in force without a restart; without it, the
/// file is read once.
#[test]
fn config_file_changes_apply_only_with_hot_reload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    std::fs::write(&path, r#"{"log_filter": "info"}"#).unwrap();
    let server = Server::start_with(binary(), &["--config", path.to_str().unwrap()]);
    assert_eq!(server.get("/config").1, r#"{"log_filter":"info"}"#);
    std::fs::write(&path, r#"{"log_filter": "warn"}"#).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let mut current = server.get("/config").1;
    while current.contains("info") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        current = server.get("/config").1;
    }
    let reloaded = current == r#"{"log_filter":"warn"}"#;
    assert_eq!(
        reloaded,
        cfg!(feature = "hot-reload"),
        "config after the edit: {current}"
    );
}

#[test]
fn logs_to_a_pipe_are_plain_text() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let mut child = Command::new(binary())
        .args(["--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    assert!(first_line.starts_with("listening on "), "{first_line}");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "colour escapes in piped logs: {logs:?}"
    );
}
