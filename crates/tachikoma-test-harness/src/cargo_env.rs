//! The variables cargo sets for each process it runs (a test binary, `cargo run`'s program),
//! which a cargo started from that process must not inherit: crates that read one of them (ring
//! reads CARGO_MANIFEST_DIR) would see a changed value and rebuild, and everything above them.
//! Shared by the test harness and xtask, which includes this file by path: xtask stays out of the
//! workspace-hack, so it cannot depend on the harness.

use std::process::Command;

/// Prefixes of the names cargo sets per package.
const PER_PACKAGE: [&str; 6] = [
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
];

/// Leaves cargo's per-package variables out of COMMAND's environment.
pub(crate) fn remove_per_package_variables(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if PER_PACKAGE
            .iter()
            .any(|prefix| key.to_string_lossy().starts_with(prefix))
        {
            command.env_remove(key);
        }
    }
}
