//! `cargo xtask lint` (static checks of the suite) and `cargo xtask quick` (the edit loop: those
//! and the tests but the nested builds'). Each runs the tools scripts/test.sh installs at their pinned versions
//! (scripts/tools.txt); a tool's own message reaches the user, then which command failed.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{anyhow, bail, ensure, Context, Result};

/// How often the flake instantiates nixpkgs, counted through the fake `import nixpkgs`
/// (nix/tests/instantiations.nix forces every output): once per target per system, 4 on each of
/// the two Linux systems and 1 on the Mac.
const NIXPKGS_INSTANTIATIONS: usize = 9;

/// The test binaries the edit loop leaves to the suite: nested cargo builds of the workspace.
const SLOW_TEST_BINARIES: &str = "not binary(build_metadata) and not binary(binaries_agree)";

pub(crate) fn log(message: &str) {
    let label = if std::io::stderr().is_terminal() {
        "\x1b[1;32m[tachikoma]\x1b[0m"
    } else {
        "[tachikoma]"
    };
    eprintln!("{label} {message}");
}

/// rustfmt, clippy and rustdoc (warnings are errors), the workspace-hack, shellcheck, and the Nix
/// files parsed, formatted, free of dead code and evaluated against nix/tests' fakes.
pub(crate) fn lint(root: &Path) -> Result<()> {
    log("rustfmt");
    run(cargo(root).args(["fmt", "--all", "--", "--check"]))?;
    log("clippy");
    run(cargo(root).args([
        "clippy",
        "--locked",
        "--workspace",
        "--all-targets",
        "--profile",
        "ci",
        "--",
        "-D",
        "warnings",
    ]))?;
    log("rustdoc, warnings are errors (the flake's doc check: crane's cargoDoc)");
    run(cargo(root)
        .args([
            "doc",
            "--locked",
            "--workspace",
            "--no-deps",
            "--profile",
            "ci",
        ])
        .env("RUSTDOCFLAGS", "--deny warnings"))?;
    log("workspace-hack: up to date (cargo hakari)");
    run(cargo(root).args(["hakari", "generate", "--diff"]))?;
    run(cargo(root).args(["hakari", "manage-deps", "--dry-run"]))?;
    run(cargo(root).args(["hakari", "verify"]))?;
    shellcheck(root)?;
    nix(root)
}

/// The edit loop: `lint`, then the workspace's tests but those that build the workspace again.
pub(crate) fn quick(root: &Path) -> Result<()> {
    lint(root)?;
    log("workspace tests (the suite runs the nested builds' too)");
    run(cargo(root).args([
        "nextest",
        "run",
        "--locked",
        "--workspace",
        "--cargo-profile",
        "ci",
        "-E",
        SLOW_TEST_BINARIES,
    ]))
}

fn shellcheck(root: &Path) -> Result<()> {
    log("shellcheck");
    let scripts = tracked_files(root, &["scripts/*.sh", "nix/*.sh", ".ci/*"])?;
    ensure!(
        !scripts.is_empty(),
        "git lists no shell script in {}",
        root.display()
    );
    run(command(root, "shellcheck")
        .args(["-x", "-S", "style"])
        .args(&scripts))?;
    // Each script on its own too, as an editor or another CI lints it (one file, no -x): a
    // variable that only a sourced file reads must not look unused there. (Given together,
    // shellcheck follows lib.sh as one of its inputs and would not see it.)
    for script in &scripts {
        run(command(root, "shellcheck")
            .args(["-S", "warning"])
            .arg(script))?;
    }
    Ok(())
}

fn nix(root: &Path) -> Result<()> {
    log("nix: parse, format, dead code, matrix, logic tests (no nixpkgs here: nothing is built)");
    let files = tracked_files(root, &["*.nix"])?;
    ensure!(
        !files.is_empty(),
        "git lists no .nix file in {}",
        root.display()
    );
    // Pure evaluation needs no Nix store: the dummy store lets a user without a Nix daemon or
    // /nix write access (a CI runner's user, with Debian's nix-bin) evaluate too.
    for file in &files {
        run(command(root, "nix-instantiate")
            .args(["--store", "dummy://", "--parse"])
            .arg(file)
            .stdout(Stdio::null()))?;
    }
    run(command(root, "nixpkgs-fmt").arg("--check").args(&files))?;
    run(command(root, "deadnix").arg("--fail").args(&files))?;
    // The matrix the flake and scripts/nix-build.sh read evaluates (nix/tests.nix checks its names).
    run(nix_eval(root)
        .args(["--json", "--file", "nix/matrix.nix"])
        .stdout(Stdio::null()))?;
    run(nix_eval(root).args(["--raw", "--file", "nix/tests.nix"]))?;
    eprintln!();
    let traced = output_of(
        nix_eval(root)
            .args(["--raw", "--file", "nix/tests/instantiations.nix"])
            .env("TACHIKOMA_TRACE_NIXPKGS", "1")
            .stdout(Stdio::null()),
    )?;
    let instantiations = count_instantiations(&String::from_utf8_lossy(&traced.stderr));
    ensure!(
        instantiations == NIXPKGS_INSTANTIATIONS,
        "nix: nixpkgs instantiated {instantiations} times for 2 x 4 Linux targets and 1 x 1 macOS (want {NIXPKGS_INSTANTIATIONS})"
    );
    Ok(())
}

fn count_instantiations(traces: &str) -> usize {
    traces
        .lines()
        .filter(|line| line.starts_with("trace: fake-nixpkgs: instantiated"))
        .count()
}

fn nix_eval(root: &Path) -> Command {
    let mut eval = command(root, "nix");
    eval.args([
        "--extra-experimental-features",
        "nix-command",
        "--store",
        "dummy://",
        "eval",
    ]);
    eval
}

/// The files git tracks under the patterns, relative to the root. (This checkout trusted for the
/// one command: a container job's root runs on another user's checkout.)
fn tracked_files(root: &Path, patterns: &[&str]) -> Result<Vec<String>> {
    let mut git = command(root, "git");
    git.arg("-c")
        .arg(format!("safe.directory={}", git_path(root)?))
        .args(["ls-files", "-z", "--"])
        .args(patterns);
    let listed = output_of(git.stderr(Stdio::inherit()))?;
    let listed =
        String::from_utf8(listed.stdout).context("git listed a file name that is not UTF-8")?;
    Ok(listed
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect())
}

fn command(root: &Path, program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root);
    command
}

/// Cargo as it runs xtask (the toolchain of rust-toolchain.toml), else cargo from PATH, without
/// the variables cargo set for xtask (which would make it rebuild ring and what is above it).
fn cargo(root: &Path) -> Command {
    let mut cargo = command(
        root,
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    );
    crate::cargo_env::remove_per_package_variables(&mut cargo);
    cargo
}

/// A directory as git compares it in safe.directory: the real path (symbolic links resolved),
/// with forward slashes (Git for Windows' `C:/Users/...`).
fn git_path(dir: &Path) -> Result<String> {
    let real =
        std::fs::canonicalize(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let real = real.to_string_lossy();
    // Windows' canonical form is a verbatim path (\\?\C:\...), which git does not use.
    let real = real.strip_prefix(r"\\?\").unwrap_or(&real);
    Ok(real.replace('\\', "/"))
}

/// Runs the command, its output the user's; fails naming the command.
fn run(command: &mut Command) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .status()
        .map_err(|error| spawn_error(&program, error))?;
    ensure!(
        status.success(),
        "`{}` failed ({status}; its message is above)",
        shown(command)
    );
    Ok(())
}

/// Runs the command for what it prints; on failure, what it printed on stderr (unless inherited)
/// goes to the user's, and the error names the command.
fn output_of(command: &mut Command) -> Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .map_err(|error| spawn_error(&program, error))?;
    if !output.status.success() {
        // (Best effort: the error below says what failed either way.)
        let _ = std::io::stderr().write_all(&output.stderr);
        bail!(
            "`{}` failed ({}; its message is above)",
            shown(command),
            output.status
        );
    }
    Ok(output)
}

fn spawn_error(program: &str, error: std::io::Error) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::NotFound {
        anyhow!(
            "{program} is missing: scripts/test.sh installs the suite's tools (scripts/tools.txt)"
        )
    } else {
        anyhow!(error).context(format!("cannot run {program}"))
    }
}

/// The command as a user would type it (arguments with spaces quoted).
fn shown(command: &Command) -> String {
    let words = std::iter::once(command.get_program()).chain(command.get_args());
    words
        .map(|word| {
            let word = word.to_string_lossy();
            if word.contains(char::is_whitespace) {
                format!("'{word}'")
            } else {
                word.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_is_named_as_typed() {
        let mut failing = cargo(&std::env::temp_dir());
        failing.args(["--no-such-option", "a b"]);
        let error = run(&mut failing).unwrap_err().to_string();
        let typed = shown(&failing);
        assert!(typed.ends_with(" --no-such-option 'a b'"), "{typed}");
        assert!(
            error.starts_with(&format!("`{typed}` failed ("))
                && error.ends_with("; its message is above)"),
            "{error}"
        );
    }

    #[test]
    fn cargo_runs_without_the_variables_cargo_set_for_xtask() {
        // cargo sets CARGO_MANIFEST_DIR for this test process, as for `cargo xtask`.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let removed: Vec<_> = cargo(Path::new("."))
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_owned())
            .collect();
        assert!(
            removed.iter().any(|key| key == "CARGO_MANIFEST_DIR"),
            "{removed:?}"
        );
        assert!(
            removed.iter().any(|key| key == "CARGO_PKG_NAME"),
            "{removed:?}"
        );
    }

    #[test]
    fn git_paths_are_real_and_use_forward_slashes() {
        let dir = std::env::temp_dir().join(format!("xtask git path {}", std::process::id()));
        std::fs::create_dir_all(dir.join("real")).unwrap();
        let path = git_path(&dir.join("real").join("..").join("real"));
        std::fs::remove_dir_all(&dir).unwrap();
        let path = path.unwrap();
        assert!(
            path.ends_with("/real") && !path.contains('\\') && !path.contains(".."),
            "{path}"
        );
    }

    #[test]
    fn a_missing_tool_says_where_the_tools_come_from() {
        let error = run(&mut command(
            &std::env::temp_dir(),
            "tachikoma-no-such-tool",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("tachikoma-no-such-tool is missing: scripts/test.sh installs"),
            "{error}"
        );
    }

    #[test]
    fn tracked_files_keep_spaces_and_fail_with_git_s_message_outside_a_checkout() {
        let dir = std::env::temp_dir().join(format!("xtask lint {}", std::process::id()));
        std::fs::create_dir_all(dir.join("a dir")).unwrap();
        let git =
            |args: &[&str]| assert!(command(&dir, "git").args(args).status().unwrap().success());
        git(&["init", "--quiet"]);
        std::fs::write(dir.join("a dir/x y.nix"), "{ }\n").unwrap();
        std::fs::write(dir.join("untracked.nix"), "{ }\n").unwrap();
        git(&["add", "a dir/x y.nix"]);
        let files = tracked_files(&dir, &["*.nix"]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files.unwrap(), ["a dir/x y.nix"]);
        let outside = tracked_files(Path::new("/"), &["*.nix"])
            .unwrap_err()
            .to_string();
        assert!(
            outside.contains("failed (") && outside.contains("its message is above"),
            "{outside}"
        );
    }

    #[test]
    fn instantiations_are_counted_from_the_fakes_traces() {
        let traces = "trace: fake-nixpkgs: instantiated x86_64-linux\nwarning: x\ntrace: fake-nixpkgs: instantiated aarch64-darwin\n";
        assert_eq!(count_instantiations(traces), 2);
    }
}
