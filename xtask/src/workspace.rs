//! The workspace as the build sees it, read with a TOML parser and `cargo metadata` (never with
//! sed): the version, the cargo profiles, the supported targets with their settings
//! (`.cargo/config.toml`'s `[target.<triple>]` tables, the one list), and the platform floors.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// Cargo's own profiles, there without a `[profile.NAME]` table.
const BUILT_IN_PROFILES: [&str; 4] = ["dev", "release", "bench", "test"];

#[derive(Debug, Serialize)]
pub(crate) struct Workspace {
    /// `[workspace.package]`'s version, which every crate takes.
    pub(crate) version: String,
    /// Cargo's built-in profiles, then every `[profile.NAME]` of Cargo.toml.
    pub(crate) profiles: Vec<String>,
    /// In `.cargo/config.toml`'s order.
    pub(crate) targets: Vec<Target>,
    pub(crate) floors: Floors,
}

/// A supported target and what `.cargo/config.toml` sets for it.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Target {
    pub(crate) triple: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) linker: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) runner: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) rustflags: Vec<String>,
}

/// The oldest systems the release files run on (README, "Platform floors").
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Floors {
    /// Cargo.toml's `[workspace.metadata.floors]`.
    pub(crate) glibc: String,
    pub(crate) windows: String,
    /// `.cargo/config.toml`'s `[env]` MACOSX_DEPLOYMENT_TARGET (rustc and the C compilers read it).
    pub(crate) macos: String,
    /// The highest `napiN` feature tachikoma-native asks of the napi crate.
    pub(crate) node_api: u32,
}

impl Workspace {
    pub(crate) fn load(root: &Path) -> Result<Workspace> {
        let manifest = Manifest::parse(&read(&root.join("Cargo.toml"))?)
            .with_context(|| format!("in {}", root.join("Cargo.toml").display()))?;
        let config_path = root.join(".cargo").join("config.toml");
        let config = CargoConfig::parse(&read(&config_path)?)
            .with_context(|| format!("in {}", config_path.display()))?;
        let macos = config.env("MACOSX_DEPLOYMENT_TARGET").with_context(|| {
            format!(
                "{} sets no MACOSX_DEPLOYMENT_TARGET in [env] (the macOS floor)",
                config_path.display()
            )
        })?;
        let node_api = node_api_floor(&cargo_metadata(root)?)?;
        Ok(Workspace {
            version: manifest.workspace.package.version,
            profiles: manifest.profiles,
            targets: config.targets()?,
            floors: Floors {
                glibc: manifest.workspace.metadata.floors.glibc,
                windows: manifest.workspace.metadata.floors.windows,
                macos: macos.to_owned(),
                node_api,
            },
        })
    }
}

pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The root Cargo.toml, as far as the build needs it.
#[derive(Debug)]
struct Manifest {
    workspace: WorkspaceTable,
    profiles: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    workspace: WorkspaceTable,
    #[serde(default)]
    profile: toml::Table,
}

#[derive(Debug, Deserialize)]
struct WorkspaceTable {
    package: PackageTable,
    metadata: MetadataTable,
}

#[derive(Debug, Deserialize)]
struct PackageTable {
    version: String,
}

#[derive(Debug, Deserialize)]
struct MetadataTable {
    floors: FloorsTable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FloorsTable {
    glibc: String,
    windows: String,
}

impl Manifest {
    fn parse(text: &str) -> Result<Manifest> {
        let file: ManifestFile = toml::from_str(text)?;
        let mut profiles: Vec<String> = BUILT_IN_PROFILES.map(String::from).into();
        for name in file.profile.keys() {
            if !profiles.contains(name) {
                profiles.push(name.clone());
            }
        }
        Ok(Manifest {
            workspace: file.workspace,
            profiles,
        })
    }
}

/// `.cargo/config.toml`: the target tables, in the file's order, and `[env]`.
#[derive(Debug, Deserialize)]
struct CargoConfig {
    #[serde(default)]
    target: toml::Table,
    #[serde(default)]
    env: BTreeMap<String, EnvValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetTable {
    linker: Option<String>,
    #[serde(default)]
    runner: Words,
    #[serde(default)]
    rustflags: Words,
}

/// A list setting of cargo's: an array, or a string cargo splits at whitespace.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "WordsForm")]
struct Words(Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum WordsForm {
    List(Vec<String>),
    Text(String),
}

impl From<WordsForm> for Words {
    fn from(form: WordsForm) -> Words {
        match form {
            WordsForm::List(list) => Words(list),
            WordsForm::Text(text) => Words(text.split_whitespace().map(String::from).collect()),
        }
    }
}

/// An `[env]` value: `"text"` or `{ value = "text", force = ..., relative = ... }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum EnvValue {
    Text(String),
    Table { value: String },
}

impl CargoConfig {
    fn parse(text: &str) -> Result<CargoConfig> {
        Ok(toml::from_str(text)?)
    }

    /// The supported targets: every `[target.<triple>]` table (`cfg(...)` tables name no target).
    fn targets(&self) -> Result<Vec<Target>> {
        let mut targets = Vec::new();
        for (triple, table) in &self.target {
            if triple.starts_with("cfg(") {
                continue;
            }
            let table: TargetTable = table
                .clone()
                .try_into()
                .with_context(|| format!("in [target.{triple}]"))?;
            targets.push(Target {
                triple: triple.clone(),
                linker: table.linker,
                runner: table.runner.0,
                rustflags: table.rustflags.0,
            });
        }
        if targets.is_empty() {
            bail!("no [target.<triple>] table: the supported targets are those tables");
        }
        Ok(targets)
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(|value| match value {
            EnvValue::Text(text) | EnvValue::Table { value: text } => text.as_str(),
        })
    }
}

/// `cargo metadata --no-deps` of the workspace: the manifests as cargo resolves them (workspace
/// inheritance applied). The error is cargo's own.
pub(crate) fn cargo_metadata(root: &Path) -> Result<serde_json::Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .output()
        .with_context(|| format!("cannot run {}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")
}

/// The Node-API version the addon is built for: the highest `napiN` feature tachikoma-native
/// asks of the napi crate, and so the oldest Node-API a Node must have to load it.
fn node_api_floor(metadata: &serde_json::Value) -> Result<u32> {
    let napi = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| package["name"] == "tachikoma-native")
        .flat_map(|package| package["dependencies"].as_array().into_iter().flatten())
        .find(|dependency| dependency["name"] == "napi")
        .context("tachikoma-native does not depend on the napi crate")?;
    napi["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|feature| feature.as_str()?.strip_prefix("napi")?.parse().ok())
        .max()
        .context("tachikoma-native asks the napi crate for no napiN feature (Cargo.toml)")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[workspace.package]
version = "1.2.3"
[workspace.metadata.floors]
glibc = "2.17"
windows = "10.0"
[profile.release]
lto = true
[profile.dist]
inherits = "release"
[profile.ci]
inherits = "dev"
"#;

    #[test]
    fn profiles_are_the_built_in_ones_then_the_manifest_s_in_order() {
        let manifest = Manifest::parse(MANIFEST).unwrap();
        assert_eq!(
            manifest.profiles,
            ["dev", "release", "bench", "test", "dist", "ci"]
        );
        assert_eq!(manifest.workspace.package.version, "1.2.3");
        assert_eq!(manifest.workspace.metadata.floors.glibc, "2.17");
    }

    #[test]
    fn a_missing_or_unknown_floor_is_an_error_naming_it() {
        let missing = Manifest::parse(&MANIFEST.replace("windows = \"10.0\"\n", "")).unwrap_err();
        assert!(
            format!("{missing:#}").contains("missing field `windows`"),
            "{missing:#}"
        );
        let unknown = Manifest::parse(&MANIFEST.replace("windows", "window")).unwrap_err();
        assert!(
            format!("{unknown:#}").contains("unknown field `window`"),
            "{unknown:#}"
        );
    }

    #[test]
    fn targets_keep_the_file_s_order_and_their_settings_whole() {
        let config = CargoConfig::parse(
            r#"
[target.x86_64-pc-windows-msvc]
rustflags = ["-C", "link-args=/STACK:8388608,4096", "-C", "target-feature=+crt-static"]

[target.'cfg(target_os = "linux")']
rustflags = ["-C", "force-frame-pointers"]

[target.aarch64-unknown-linux-musl]
linker = "aarch64-linux-gnu-gcc"
runner = "qemu-aarch64 -L /usr/aarch64-linux-gnu"

[target.aarch64-apple-darwin]

[env]
MACOSX_DEPLOYMENT_TARGET = { value = "11.0", force = true }
CC_x86_64_unknown_linux_musl = "musl-gcc"
"#,
        )
        .unwrap();
        let targets = config.targets().unwrap();
        let triples: Vec<&str> = targets.iter().map(|t| t.triple.as_str()).collect();
        assert_eq!(
            triples,
            [
                "x86_64-pc-windows-msvc",
                "aarch64-unknown-linux-musl",
                "aarch64-apple-darwin"
            ]
        );
        // A rustflag with a comma is one flag (the sed reader split it).
        assert_eq!(targets[0].rustflags[1], "link-args=/STACK:8388608,4096");
        assert_eq!(targets[1].linker.as_deref(), Some("aarch64-linux-gnu-gcc"));
        assert_eq!(
            targets[1].runner,
            ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]
        );
        assert_eq!(
            targets[2],
            Target {
                triple: "aarch64-apple-darwin".into(),
                linker: None,
                runner: vec![],
                rustflags: vec![]
            }
        );
        assert_eq!(config.env("MACOSX_DEPLOYMENT_TARGET"), Some("11.0"));
        assert_eq!(config.env("CC_x86_64_unknown_linux_musl"), Some("musl-gcc"));
        assert_eq!(config.env("CC"), None);
    }

    #[test]
    fn a_config_without_targets_or_with_an_unknown_target_setting_is_an_error() {
        let none = CargoConfig::parse("[env]\nA = \"b\"\n")
            .unwrap()
            .targets()
            .unwrap_err();
        assert!(
            format!("{none:#}").contains("no [target.<triple>] table"),
            "{none:#}"
        );
        let typo = CargoConfig::parse("[target.x86_64-unknown-linux-gnu]\nlinkr = \"cc\"\n")
            .unwrap()
            .targets()
            .unwrap_err();
        let typo = format!("{typo:#}");
        assert!(
            typo.contains("[target.x86_64-unknown-linux-gnu]") && typo.contains("linkr"),
            "{typo}"
        );
    }

    #[test]
    fn the_node_api_floor_is_the_highest_napi_feature() {
        let metadata = serde_json::json!({ "packages": [
            { "name": "tachikoma-cli", "dependencies": [{ "name": "napi", "features": ["napi9"] }] },
            { "name": "tachikoma-native", "dependencies": [
                { "name": "serde", "features": ["derive"] },
                { "name": "napi", "features": ["napi3", "async", "napi4"] }
            ] }
        ] });
        assert_eq!(node_api_floor(&metadata).unwrap(), 4);
        let without = serde_json::json!({ "packages": [
            { "name": "tachikoma-native", "dependencies": [{ "name": "napi", "features": ["async"] }] }
        ] });
        let error = node_api_floor(&without).unwrap_err();
        assert!(error.to_string().contains("no napiN feature"), "{error}");
    }
}
