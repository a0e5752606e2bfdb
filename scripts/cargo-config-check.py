#!/usr/bin/env python3
"""Finds what a user's cargo configuration would change in a reproducible build.

Usage: cargo-config-check.py DIR CARGO_HOME

Cargo reads .cargo/config.toml (or .cargo/config) in DIR and in every directory above it, then
CARGO_HOME's config.toml, merging them. The project's own (DIR/.cargo/config.toml) is part of the
commit; any other file is the machine's. This prints one line per setting of those files that
could change the bytes of a release-like build ("FILE: KEY"), and exits 1 when there is one, 2
when a file cannot be read. Settings that cannot change the bytes (network, registries' tokens,
aliases, jobs, a target's runner) are allowed, and so are the ones scripts/build-rust.sh
overrides in these builds: build.rustflags and target.<triple>.rustflags (its
CARGO_ENCODED_RUSTFLAGS outranks both), build.rustc-wrapper and build.rustc-workspace-wrapper
(an empty RUSTC_WRAPPER), build.incremental (CARGO_INCREMENTAL=0) and build.target (--target).
Everything else, known to change the output or not known at all, is refused: profiles, a
target's linker or build-script overrides, [env], source replacement and [patch] (other
sources, other paths in panic messages), a registry's index or protocol, an alias of a
subcommand these builds run, build.rustc, build.target-dir, unstable options; and a
.cargo/config beside the project's own .cargo/config.toml, which cargo reads instead.
"""

import os
import sys

# Tables whose every key is allowed, and single keys allowed elsewhere.
ALLOWED_TABLES = {
    "cargo-new", "credential-alias", "doc", "future-incompat-report", "cache", "http", "install",
    "net", "term",
}
# An alias may name anything but the external subcommands these builds run (an alias shadows
# them: `auditable = "build"` would drop the embedded dependency list).
SUBCOMMANDS_RUN = {"auditable", "zigbuild", "cyclonedx", "tree", "metadata"}
# Credentials only: a registry's index or protocol names the directory its crates unpack to, a
# path in every panic message of theirs.
ALLOWED_REGISTRY_KEYS = {"token", "credential-provider", "global-credential-providers", "default"}
ALLOWED_BUILD_KEYS = {
    "jobs", "rustc-wrapper", "rustc-workspace-wrapper", "rustflags", "rustdocflags",
    "incremental", "target", "pipelining", "dep-info-basedir", "warnings",
}
ALLOWED_TARGET_KEYS = {"runner", "rustflags", "rustdocflags"}


def config_files(directory, cargo_home):
    """The configuration files cargo reads for a build in DIRECTORY, but the project's own."""
    files, seen = [], set()
    directory = os.path.realpath(directory)
    own = {os.path.join(directory, ".cargo", "config.toml")}
    candidates = []
    current = directory
    while True:
        candidates.append(os.path.join(current, ".cargo"))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    candidates.append(cargo_home)
    for folder in candidates:
        # Where both exist, cargo reads the one without the extension.
        for name in ("config", "config.toml"):
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            if os.path.isfile(path) and path not in own and real not in seen:
                seen.add(real)
                files.append(path)
                break
    return files


def refused_per_name(table, value, allowed):
    """The refused keys of a table of named tables ([target.<triple>], [registries.<name>])."""
    refused = []
    for name, settings in value.items():
        keys = settings if isinstance(settings, dict) else {None: settings}
        refused += [f"{table}.{name}" + (f".{key}" if key else "") for key in keys if key not in allowed]
    return refused


def refused_keys(config):
    """The dotted keys of CONFIG that could change the bytes of a reproducible build."""
    refused = []
    for table, value in config.items():
        if table in ALLOWED_TABLES or value == {}:
            continue
        if not isinstance(value, dict):
            refused.append(table)
        elif table == "alias":
            refused += [f"alias.{name}" for name in value if name in SUBCOMMANDS_RUN]
        elif table in ("registry", "build"):
            allowed = ALLOWED_REGISTRY_KEYS if table == "registry" else ALLOWED_BUILD_KEYS
            refused += [f"{table}.{key}" for key in value if key not in allowed]
        elif table == "registries":
            refused += refused_per_name(table, value, ALLOWED_REGISTRY_KEYS)
        elif table == "target":
            refused += refused_per_name(table, value, ALLOWED_TARGET_KEYS)
        else:
            refused += [f"{table}.{key}" for key in value]
    return refused


def main(directory, cargo_home):
    status = 0
    files = config_files(directory, cargo_home)
    if not files:
        return 0
    try:
        import tomllib
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            print(f"{files[0]}: reading cargo configuration needs Python 3.11 or newer (tomllib), "
                  f"or the tomli package; this is Python {sys.version.split()[0]}")
            return 2
    for path in files:
        # Beside the project's config.toml, a config without the extension is read instead.
        if os.path.dirname(path) == os.path.join(os.path.realpath(directory), ".cargo"):
            print(f"{path}: replaces the project's .cargo/config.toml (cargo reads it instead)")
            status = 1
            continue
        try:
            with open(path, "rb") as config_file:
                config = tomllib.load(config_file)
        except (OSError, tomllib.TOMLDecodeError) as error:
            print(f"{path}: cannot be read as TOML: {error}")
            return 2
        for key in refused_keys(config):
            print(f"{path}: {key}")
            status = 1
    return status


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
