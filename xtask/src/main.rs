//! The project's build automation, run as `cargo xtask COMMAND` (an alias in
//! `.cargo/config.toml`), in the shape of rust-analyzer's `xtask/`: plain Rust with few
//! dependencies, native on every runner, the checks of the repository's own files as `#[test]`s
//! (`tidy`, run by `cargo nextest run -p xtask`). The build logic moves here from `scripts/`
//! (issue 22); so far: the typed model of the workspace, and the suite's static checks.

#[path = "../../crates/tachikoma-test-harness/src/cargo_env.rs"]
mod cargo_env;
mod lint;
mod workspace;

#[cfg(test)]
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask COMMAND

Commands:
  quick       the edit loop: lint, then the workspace's tests but the nested builds'
  lint        rustfmt, clippy and rustdoc (warnings are errors), the workspace-hack (cargo
              hakari), shellcheck, and the Nix files (parse, format, dead code, evaluated
              against nix/tests' fakes); scripts/test.sh runs it, and more static checks
  workspace   the workspace as the build sees it, as JSON: version, profiles, supported targets
              with their settings, platform floors (Cargo.toml, .cargo/config.toml)

The tools are those scripts/test.sh installs (scripts/tools.txt).

The repository's own checks are tests: cargo nextest run -p xtask
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["-h" | "--help" | "help"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["quick"] => report(lint::quick(&project_root())),
        ["lint"] => report(lint::lint(&project_root())),
        ["workspace"] => report(print_workspace()),
        _ => {
            eprint!(
                "xtask: unknown command or arguments: {}\n\n{USAGE}",
                args.join(" ")
            );
            ExitCode::from(2)
        }
    }
}

fn print_workspace() -> anyhow::Result<()> {
    let workspace = workspace::Workspace::load(&project_root())?;
    println!("{}", serde_json::to_string_pretty(&workspace)?);
    Ok(())
}

/// An error as the user reads it: the error and its causes (`: `-separated), and a non-zero exit.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The checkout's root: cargo runs xtask (and its tests) with CARGO_MANIFEST_DIR set to
/// `xtask/`, read at run time so that a moved checkout is still found.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), PathBuf::from)
}
