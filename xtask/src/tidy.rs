//! Checks of the repository's own files, as tests (rust-analyzer's `tidy`): the lists that must
//! stand twice because a tool cannot read the first, the README's statements of facts written
//! elsewhere, and the documents' reachability from README.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::project_root;
use crate::workspace::{read, Workspace};

fn workspace() -> Workspace {
    Workspace::load(&project_root()).unwrap_or_else(|error| panic!("{error:#}"))
}

fn triples(workspace: &Workspace) -> BTreeSet<String> {
    workspace
        .targets
        .iter()
        .map(|target| target.triple.clone())
        .collect()
}

/// A list of `key = [...]` in a TOML file, `table` the enclosing table or "".
fn toml_list(path: &str, table: &str, key: &str) -> BTreeSet<String> {
    let text = read(&project_root().join(path)).unwrap_or_else(|error| panic!("{error:#}"));
    let value: toml::Table =
        toml::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"));
    let parent = if table.is_empty() {
        Some(&value)
    } else {
        value.get(table).and_then(toml::Value::as_table)
    };
    let list = parent
        .and_then(|parent| parent.get(key))
        .and_then(toml::Value::as_array);
    let list = list.unwrap_or_else(|| {
        panic!(
            "{path} has no {table}{}{key} list",
            if table.is_empty() { "" } else { "." }
        )
    });
    list.iter()
        .map(|item| {
            item.as_str()
                .unwrap_or_else(|| panic!("{path}: {key} holds a non-string"))
                .to_owned()
        })
        .collect()
}

#[test]
fn every_list_of_targets_is_the_supported_targets() {
    // Lists of tools that cannot read .cargo/config.toml: rustup installs each target of
    // rust-toolchain.toml; cargo-hakari unifies features for each platform (with one missing,
    // that target builds the shared dependencies again for each binary).
    let supported = triples(&workspace());
    for (path, table, key) in [
        ("rust-toolchain.toml", "toolchain", "targets"),
        (".config/hakari.toml", "", "platforms"),
    ] {
        assert_eq!(
            toml_list(path, table, key),
            supported,
            "{path}'s {key} must be .cargo/config.toml's [target.<triple>] tables"
        );
    }
}

#[test]
fn hakari_leaves_xtask_out() {
    // Build automation must not change the features of what ships.
    assert!(
        toml_list(
            ".config/hakari.toml",
            "traversal-excludes",
            "workspace-members"
        )
        .contains("xtask"),
        ".config/hakari.toml's [traversal-excludes] workspace-members must hold xtask"
    );
}

/// The rows of a Markdown table under a heading, as cells.
fn table_under(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    let section = markdown
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no heading '{heading}'"))
        .1;
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("| "))
        .skip(2) // the header and its rule
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn readme_states_every_platform_floor() {
    // The one place users read the floors; Cargo.toml, .cargo/config.toml and the napi feature
    // are the one place they are written.
    let floors = workspace().floors;
    let readme = read(&project_root().join("README.md")).unwrap();
    let rows = table_under(&readme, "### Platform floors");
    let stated: Vec<&str> = rows
        .iter()
        .filter_map(|row| row.get(1))
        .map(String::as_str)
        .collect();
    let windows = floors.windows.strip_suffix(".0").unwrap_or(&floors.windows);
    for floor in [
        format!("glibc {}", floors.glibc),
        format!("macOS {}", floors.macos),
        format!("Windows {windows}"),
        format!("Node-API {}", floors.node_api),
    ] {
        // The floor column: the floor, or the floor and a remark in brackets.
        assert!(
            stated.iter().any(|cell| *cell == floor || cell.starts_with(&format!("{floor} ("))),
            "README.md's table of platform floors (\"### Platform floors\") does not state '{floor}': {stated:?}"
        );
    }
}

/// The targets of a Markdown file's links, inline (`[text](target "title")`, `<target>` too) and
/// reference definitions (`[name]: target`), without `#fragment`s; web addresses and what is in
/// code (fenced blocks, `spans`) left out.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Text outside code spans: every other piece between backticks.
        let text: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let definition = text
            .trim_start()
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("]:"))
            .map(|(_, target)| target.trim_start());
        let inline = text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split_once(')').map(|(target, _)| target));
        for target in definition.into_iter().chain(inline) {
            let target = target.split_whitespace().next().unwrap_or("");
            let target = target.trim_start_matches('<').trim_end_matches('>');
            let target = target.split('#').next().unwrap_or(target);
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                targets.push(target.to_owned());
            }
        }
    }
    targets
}

/// `base/relative` with `.` and `..` resolved in the path alone.
fn join_normalized(base: &Path, relative: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::ParentDir => {
                path.pop();
            }
            Component::CurDir => {}
            other => path.push(other),
        }
    }
    path
}

/// Every Markdown file reachable by links from `start`, relative to `root`, and the links that
/// lead nowhere.
fn reachable_documents(root: &Path, start: &str) -> (BTreeSet<PathBuf>, Vec<String>) {
    let (mut seen, mut broken, mut pending) =
        (BTreeSet::new(), Vec::new(), vec![PathBuf::from(start)]);
    while let Some(document) = pending.pop() {
        if !seen.insert(document.clone()) {
            continue;
        }
        let text = read(&root.join(&document)).unwrap_or_else(|error| panic!("{error:#}"));
        let dir = document.parent().unwrap_or(Path::new(""));
        for target in link_targets(&text) {
            let linked = join_normalized(dir, &target);
            if !root.join(&linked).exists() {
                broken.push(format!("{}: {target}", document.display()));
            } else if linked
                .extension()
                .is_some_and(|extension| extension == "md")
            {
                pending.push(linked);
            }
        }
    }
    (seen, broken)
}

#[test]
fn every_document_is_reachable_from_readme() {
    let root = project_root();
    let (reachable, broken) = reachable_documents(&root, "README.md");
    assert!(broken.is_empty(), "links to no file: {broken:?}");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let name = PathBuf::from("docs").join(entry.unwrap().file_name());
        // A benchmark's .json is the data of the .md of the same name.
        let document = if name
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            name.with_extension("md")
        } else {
            name.clone()
        };
        if !reachable.contains(&document) {
            orphans.push(name.display().to_string());
        }
    }
    assert!(
        orphans.is_empty(),
        "not reachable by links from README.md: {orphans:?}"
    );
}

#[test]
fn links_are_found_resolved_and_followed() {
    let markdown = "See [a](docs/a.md#part), [web](https://example.com/x.md), [b](../b.md \"B\") and [c](<./c.json>).
Not `[code](docs/in-code.md)`; [d][ref].

```sh
echo [fenced](docs/fenced.md)
```
[ref]: docs/d.md
";
    assert_eq!(
        link_targets(markdown),
        ["docs/a.md", "../b.md", "./c.json", "docs/d.md"]
    );
    assert_eq!(
        join_normalized(Path::new("docs"), "../README.md"),
        PathBuf::from("README.md")
    );
    assert_eq!(
        join_normalized(Path::new("docs"), "./x.md"),
        PathBuf::from("docs/x.md")
    );

    let root = std::env::temp_dir().join(format!("xtask-tidy-{}", std::process::id()));
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(
        root.join("README.md"),
        "[one](docs/one.md) [gone](docs/gone.md)",
    )
    .unwrap();
    std::fs::write(
        root.join("docs/one.md"),
        "[two](two.md) [back](../README.md)",
    )
    .unwrap();
    std::fs::write(root.join("docs/two.md"), "").unwrap();
    std::fs::write(root.join("docs/orphan.md"), "[one](one.md)").unwrap();
    let (reachable, broken) = reachable_documents(&root, "README.md");
    std::fs::remove_dir_all(&root).unwrap();
    let expected: BTreeSet<PathBuf> = ["README.md", "docs/one.md", "docs/two.md"]
        .map(PathBuf::from)
        .into();
    assert_eq!(reachable, expected);
    assert_eq!(broken, ["README.md: docs/gone.md"]);
}
