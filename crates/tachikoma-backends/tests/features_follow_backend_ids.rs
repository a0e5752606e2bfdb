//! `BackendId::ALL` is the one list of backends: every crate's backend features follow it.
//! Cargo features cannot be generated, so each manifest spells the names; this test fails when
//! one of them drifts from the list (a backend added in one place and not another).

use std::collections::BTreeSet;
use std::process::Command;

use tachikoma_primitives::BackendId;

/// `package`'s `[features]`, from `cargo metadata`.
fn features_of(package: &str) -> serde_json::Map<String, serde_json::Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("no package {package}"))["features"]
        .as_object()
        .unwrap()
        .clone()
}

fn list(features: &serde_json::Map<String, serde_json::Value>, name: &str) -> BTreeSet<String> {
    features[name]
        .as_array()
        .unwrap_or_else(|| panic!("no feature {name}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn names() -> BTreeSet<String> {
    BackendId::ALL.iter().map(|b| b.name().to_owned()).collect()
}

#[test]
fn common_core_has_a_feature_per_backend_and_all_backends_is_all_of_them() {
    let features = features_of("tachikoma-common-core");
    for name in names() {
        assert!(features.contains_key(&name), "common-core lacks {name}");
    }
    assert_eq!(list(&features, "all-backends"), names());
}

#[test]
fn the_backends_crate_has_exactly_the_backends_as_features() {
    let features = features_of("tachikoma-backends");
    let declared: BTreeSet<String> = features
        .keys()
        .filter(|f| !matches!(f.as_str(), "default" | "all-backends"))
        .cloned()
        .collect();
    assert_eq!(declared, names());
    for name in names() {
        let enables = list(&features, &name);
        assert!(
            enables.contains(&format!("tachikoma-common-core/{name}")),
            "{name} does not reach common-core's build metadata: {enables:?}"
        );
        assert!(enables.contains("dep:reqwest"), "{name}: {enables:?}");
    }
    let all = list(&features, "all-backends");
    for name in names() {
        assert!(all.contains(&name), "all-backends lacks {name}");
    }
}

#[test]
fn the_cli_forwards_each_backend() {
    let features = features_of("tachikoma-cli");
    for name in names() {
        assert_eq!(
            list(&features, &name),
            BTreeSet::from([format!("tachikoma-backends/{name}")])
        );
    }
    assert_eq!(
        list(&features, "all-backends"),
        BTreeSet::from(["tachikoma-backends/all-backends".to_owned()])
    );
}
