//! Helpers for the workspace's integration tests: copies of the workspace in temporary git
//! repositories, cargo builds inside them, and the built binaries run as users run them.
//!
//! Everything here panics with a message saying what failed: these are test helpers.

mod cargo_env;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The root of the workspace these tests belong to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/<name> is two levels deep")
        .to_owned()
}

/// Runs `command`, panicking with its output unless it succeeds.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs git in `dir` with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = run_ok(
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Tachikoma Tests")
            .env("GIT_AUTHOR_EMAIL", "tests@tachikoma.invalid")
            .env("GIT_COMMITTER_NAME", "Tachikoma Tests")
            .env("GIT_COMMITTER_EMAIL", "tests@tachikoma.invalid"),
    );
    String::from_utf8(output.stdout)
        .expect("git prints UTF-8")
        .trim()
        .to_owned()
}

/// Copies the workspace's source (what git tracks, plus untracked files it does not ignore, so
/// uncommitted work is tested too) to `dest`, without `.git` and `target`.
pub fn copy_workspace_to(dest: &Path) {
    let root = workspace_root();
    let listing = git(
        &root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for relative in listing.split('\0').filter(|p| !p.is_empty()) {
        let from = root.join(relative);
        if !from.is_file() {
            continue; // deleted in the work tree but not yet in the index
        }
        let to = dest.join(relative);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))
            .expect("create directory");
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// A copy of the workspace, in a temporary directory, committed to a fresh git repository.
#[derive(Debug)]
pub struct TempRepo {
    dir: tempfile::TempDir,
}

impl TempRepo {
    /// A new repository on branch `main` with the workspace as its first commit.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("tachikoma-repo-")
            .tempdir()
            .expect("temporary directory");
        copy_workspace_to(dir.path());
        git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
        git(dir.path(), &["add", "--all"]);
        git(
            dir.path(),
            &["commit", "--quiet", "--message", "workspace copy"],
        );
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    /// The full hash of HEAD, as the build script reads it.
    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Commits a change to `file` (appends a line) and returns the new hash.
    pub fn commit_change(&self, file: &str, line: &str) -> String {
        let path = self.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(line);
        text.push('\n');
        std::fs::write(&path, text).expect("write file");
        self.git(&["add", "--", file]);
        self.git(&["commit", "--quiet", "--message", line]);
        self.head()
    }
}

impl Default for TempRepo {
    fn default() -> Self {
        Self::new()
    }
}

/// A `cargo build` of one workspace, with its own target directory.
#[derive(Debug, Clone)]
pub struct CargoBuild {
    workspace: PathBuf,
    target_dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, Option<String>)>,
}

/// What a [`CargoBuild`] produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// Every artifact file cargo reported (executables, libraries), fresh or rebuilt.
    pub files: Vec<PathBuf>,
    /// Cargo's human-readable output (with `-v`, which build scripts ran).
    pub stderr: String,
}

impl Built {
    /// The artifact whose file name is `name`.
    pub fn file(&self, name: &str) -> &Path {
        self.files
            .iter()
            .find(|f| f.file_name().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("cargo built no {name}; it built {:?}", self.files))
    }

    /// Whether `package`'s build script was run (not merely found fresh).
    pub fn ran_build_script_of(&self, package: &str) -> bool {
        let marker = format!("build/{package}-");
        self.stderr.lines().any(|l| {
            l.contains("Running") && l.contains(&marker) && l.contains("build-script-build")
        })
    }
}

impl CargoBuild {
    /// `cargo build --locked` of `workspace` into `target_dir`. The environment variables the
    /// build script reads are cleared, so each test says what it sets.
    pub fn new(workspace: &Path, target_dir: &Path) -> Self {
        let env = [
            "TACHIKOMA_GIT_HASH",
            "TACHIKOMA_GIT_BRANCH",
            "SOURCE_DATE_EPOCH",
            "TACHIKOMA_SOURCE_DATE_EPOCH",
        ]
        .into_iter()
        .map(|k| (k.to_owned(), None))
        .collect();
        Self {
            workspace: workspace.to_owned(),
            target_dir: target_dir.to_owned(),
            args: Vec::new(),
            env,
        }
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), Some(value.to_owned())));
        self
    }

    /// Builds, panicking with cargo's output on failure.
    pub fn run(&self) -> Built {
        self.try_run().unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// Builds; on failure, the error is cargo's output.
    pub fn try_run(&self) -> Result<Built, String> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(&self.workspace)
            .args([
                "build",
                "--locked",
                "-v",
                "--message-format=json-render-diagnostics",
            ])
            .args(&self.args)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            // A nested build must not inherit the outer test build's compiler wrappers or flags.
            .env_remove("RUSTC_WRAPPER")
            .env_remove("RUSTC_WORKSPACE_WRAPPER");
        // Nor the variables cargo set for this test process.
        cargo_env::remove_per_package_variables(&mut command);
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            return Err(format!("{command:?} failed ({}):\n{stderr}", output.status));
        }
        let files = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["reason"] == "compiler-artifact")
            .flat_map(|message| {
                let mut files: Vec<PathBuf> = message["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(PathBuf::from))
                    .collect();
                files.extend(message["executable"].as_str().map(PathBuf::from));
                files
            })
            .collect();
        Ok(Built { files, stderr })
    }
}

/// The target directory and cargo profile this test binary was built with, so a nested build
/// of the workspace's binaries reuses the artifacts of the outer one. The profile is the one
/// the build script stamped into this very test binary.
pub fn outer_target_dir_and_profile() -> (PathBuf, String) {
    let exe = std::env::current_exe().expect("the test's own path");
    let info = &tachikoma_common_core::BUILD_INFO;
    // <target-dir>[/<triple>]/<profile's directory>/deps/<test>-<hash>: a `--target` build
    // puts its triple in between.
    let mut above_profile_dir = exe
        .ancestors()
        .nth(3)
        .expect("a test binary lives in <target-dir>/<profile>/deps");
    if above_profile_dir.file_name() == Some(std::ffi::OsStr::new(info.target)) {
        above_profile_dir = above_profile_dir.parent().expect("a target directory");
    }
    (above_profile_dir.to_owned(), info.profile.to_owned())
}

/// The features cargo resolves for tachikoma-common-core, the crate that reports them, when
/// PACKAGE is built alone for this machine: what PACKAGE's binary must report.
pub fn resolved_features(package: &str) -> Vec<String> {
    let output = run_ok(
        Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args([
                "tree",
                "-q",
                "--locked",
                "-p",
                package,
                "-e",
                "normal",
                "-i",
                "tachikoma-common-core",
                "--depth",
                "0",
                "--prefix",
                "none",
                "-f",
                "{f}",
            ]),
    );
    // One line, the names sorted by cargo, comma-separated (empty for none).
    String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .split([',', '\n'])
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `PATH` with every program of the current one except git: builds "on a machine without
/// git". The directory of links lives as long as the returned handle.
pub fn path_without_git() -> (tempfile::TempDir, std::ffi::OsString) {
    let dir = tempfile::Builder::new()
        .prefix("tachikoma-no-git-")
        .tempdir()
        .expect("temporary directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for entry in std::env::split_paths(&path)
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
    {
        let name = entry.file_name();
        let link = dir.path().join(&name);
        if name.to_string_lossy().starts_with("git") || link.exists() {
            continue; // git itself, or shadowed by an earlier PATH entry
        }
        std::os::unix::fs::symlink(entry.path(), link).expect("link a program");
    }
    let new_path = dir.path().as_os_str().to_owned();
    (dir, new_path)
}

/// Runs a built binary and returns its standard output, panicking unless it succeeds.
pub fn run_binary(binary: &Path, args: &[&str]) -> String {
    let output = run_ok(Command::new(binary).args(args));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// `binary version --json`, parsed.
pub fn version_json(binary: &Path) -> serde_json::Value {
    let text = run_binary(binary, &["version", "--json"]);
    serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A running `tachikoma-server`, killed if still running when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `binary --bind 127.0.0.1:0` and waits for the address it prints.
    pub fn start(binary: &Path) -> Self {
        Self::start_with(binary, &[])
    }

    /// [`Server::start`] with more arguments.
    pub fn start_with(binary: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(binary)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut first_line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("read the server's first line");
        let addr = first_line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {first_line:?}"));
        Self { child, addr }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A plain HTTP/1.1 GET; returns the status code and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).expect("connect to the server");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the response");
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no HTTP head: {response}"));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head}"));
        (status, body.to_owned())
    }

    /// Sends `signal` (e.g. "TERM", "INT") and waits up to `timeout` for the exit.
    pub fn stop_with(mut self, signal: &str, timeout: Duration) -> ExitStatus {
        run_ok(
            Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(self.child.id().to_string()),
        );
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {timeout:?} of SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
