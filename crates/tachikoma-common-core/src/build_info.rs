//! What was built: the metadata `build.rs` stamps into every binary.

use serde::Serialize;

/// Build metadata of this binary. Serializes to the JSON object that `tachikoma version --json`,
/// the server's `GET /version` and the Node addon's `buildInfo()` all return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    /// The workspace version (`Cargo.toml`).
    pub version: &'static str,
    /// The full git commit hash: `TACHIKOMA_GIT_HASH` when set, else git's, else `unknown`.
    pub git_hash: &'static str,
    /// Git branch: `TACHIKOMA_GIT_BRANCH` when set, else git's, else `unknown` (also on a
    /// detached HEAD, and in release-like builds made by scripts/build-rust.sh, which set it so).
    pub git_branch: &'static str,
    /// When the build script ran (or `TACHIKOMA_SOURCE_DATE_EPOCH`, else `SOURCE_DATE_EPOCH`),
    /// RFC 3339 UTC.
    pub build_time: &'static str,
    /// The target triple compiled for.
    pub target: &'static str,
    /// The cargo profile: dev, ci, release, dist, bench (when the build says so: a plain
    /// `cargo bench` reports release, whose directory it shares), ...
    pub profile: &'static str,
    /// Whether the build ran in CI (`CI` set and not `false`/`0`); false in release-like builds
    /// made by scripts/build-rust.sh, which leave the machine out of the bytes.
    pub ci: bool,
    /// The cargo features of `tachikoma-common-core` in this build, sorted.
    pub features: &'static [&'static str],
    /// `rustc --version` of the compiler that built it.
    pub rustc: &'static str,
}

/// This binary's build metadata.
pub const BUILD_INFO: BuildInfo = include!(concat!(env!("OUT_DIR"), "/build_info.rs"));

impl BuildInfo {
    /// The one-line form `tachikoma --version` prints after the program name:
    /// `0.1.0 (1a2b3c4 x86_64-unknown-linux-musl dist)`.
    pub fn version_line(&self) -> String {
        format!(
            "{} ({} {} {})",
            self.version, self.git_hash, self.target, self.profile
        )
    }

    /// One line of JSON: the contract shared by the CLI, the server and the addon.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|err| unreachable!("BuildInfo always serializes: {err}"))
    }

    /// Whether a cargo feature of `tachikoma-common-core` is enabled in this build.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }
}

impl std::fmt::Display for BuildInfo {
    /// The human-readable long form of `tachikoma version`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let features = if self.features.is_empty() {
            "(none)".to_owned()
        } else {
            self.features.join(", ")
        };
        writeln!(f, "version:    {}", self.version)?;
        writeln!(f, "commit:     {}", self.git_hash)?;
        writeln!(f, "branch:     {}", self.git_branch)?;
        writeln!(f, "built:      {}", self.build_time)?;
        writeln!(f, "target:     {}", self.target)?;
        writeln!(f, "profile:    {}", self.profile)?;
        writeln!(f, "ci:         {}", self.ci)?;
        writeln!(f, "features:   {features}")?;
        write!(f, "rustc:      {}", self.rustc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_every_field_of_the_contract() {
        let value: serde_json::Value =
            serde_json::from_str(&BUILD_INFO.to_json()).expect("valid JSON");
        let object = value.as_object().expect("a JSON object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "build_time",
                "ci",
                "features",
                "git_branch",
                "git_hash",
                "profile",
                "rustc",
                "target",
                "version"
            ]
        );
        assert!(
            BUILD_INFO.to_json().lines().count() == 1,
            "JSON must be one line"
        );
    }

    #[test]
    fn values_come_from_this_build() {
        assert_eq!(BUILD_INFO.version, env!("CARGO_PKG_VERSION"));
        assert!(
            BUILD_INFO.rustc.starts_with("rustc "),
            "{}",
            BUILD_INFO.rustc
        );
        assert!(
            BUILD_INFO.target.starts_with(std::env::consts::ARCH),
            "{}",
            BUILD_INFO.target
        );
        assert_eq!(
            BUILD_INFO.has_feature("mimalloc"),
            cfg!(feature = "mimalloc")
        );
        assert_eq!(
            BUILD_INFO.has_feature("all-backends"),
            cfg!(feature = "all-backends")
        );
        let mut sorted = BUILD_INFO.features.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, BUILD_INFO.features);
        // Test builds run with debug assertions only in dev-like profiles.
        assert_eq!(
            cfg!(debug_assertions),
            matches!(BUILD_INFO.profile, "dev" | "ci")
        );
    }

    #[test]
    fn build_time_is_rfc3339_utc() {
        let t = BUILD_INFO.build_time.as_bytes();
        assert_eq!(t.len(), 20, "{}", BUILD_INFO.build_time);
        assert_eq!(
            (t[4], t[7], t[10], t[13], t[16], t[19]),
            (b'-', b'-', b'T', b':', b':', b'Z')
        );
    }

    #[test]
    fn version_line_is_one_line_with_hash_target_profile() {
        let line = BUILD_INFO.version_line();
        assert!(!line.contains('\n'));
        for part in [
            BUILD_INFO.version,
            BUILD_INFO.git_hash,
            BUILD_INFO.target,
            BUILD_INFO.profile,
        ] {
            assert!(line.contains(part), "{line} lacks {part}");
        }
    }

    #[test]
    fn long_form_names_every_value() {
        let text = BUILD_INFO.to_string();
        for part in [
            BUILD_INFO.version,
            BUILD_INFO.git_hash,
            BUILD_INFO.build_time,
            BUILD_INFO.rustc,
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert_eq!(text.lines().count(), 9);
    }
}
