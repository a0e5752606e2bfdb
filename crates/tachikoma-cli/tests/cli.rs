//! The `tachikoma` binary as users run it.

use std::process::{Command, Output};

fn tachikoma(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tachikoma"))
        .args(args)
        .output()
        .expect("run tachikoma");
    assert!(
        output.status.success(),
        "tachikoma {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(tachikoma(args).stdout).expect("UTF-8 output")
}

/// The string-valued fields of the build-metadata JSON.
const STRING_FIELDS: [&str; 7] = [
    "version",
    "git_hash",
    "git_branch",
    "build_time",
    "target",
    "profile",
    "rustc",
];

fn build_info() -> serde_json::Value {
    serde_json::from_str(stdout(&["version", "--json"]).trim_end())
        .expect("version --json prints JSON")
}

#[test]
fn version_json_is_one_line_with_the_whole_contract() {
    let text = stdout(&["version", "--json"]);
    assert_eq!(text.lines().count(), 1, "{text}");
    let info = build_info();
    for key in STRING_FIELDS {
        assert!(
            info[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {info}"
        );
    }
    assert!(info["ci"].is_boolean());
    assert!(info["features"].is_array());
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn dash_dash_version_is_one_line_of_version_hash_target_profile() {
    let info = build_info();
    let expected = format!(
        "tachikoma {} ({} {} {})\n",
        info["version"].as_str().unwrap(),
        info["git_hash"].as_str().unwrap(),
        info["target"].as_str().unwrap(),
        info["profile"].as_str().unwrap()
    );
    assert_eq!(stdout(&["--version"]), expected);
}

#[test]
fn long_version_shows_every_value() {
    let text = stdout(&["version"]);
    let info = build_info();
    for key in STRING_FIELDS {
        assert!(
            text.contains(info[key].as_str().unwrap()),
            "{key} missing from:\n{text}"
        );
    }
}

#[test]
fn backends_lists_exactly_the_compiled_in_ones() {
    let text = stdout(&["backends"]);
    let features = build_info()["features"].as_array().unwrap().clone();
    let names = tachikoma_primitives::BackendId::names();
    for &backend in &names {
        let compiled = features.iter().any(|f| f == backend);
        let listed = text
            .lines()
            .any(|l| l.split_whitespace().next() == Some(backend));
        assert_eq!(compiled, listed, "{backend}:\n{text}");
    }
    if !features
        .iter()
        .any(|f| names.contains(&f.as_str().unwrap()))
    {
        assert!(text.contains("no backend is compiled in"), "{text}");
    }
}

#[test]
fn unknown_subcommand_fails_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_tachikoma"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage"));
}
