"""Checks one release SBOM: valid CycloneDX 1.5 JSON, and its crates exactly the crates given.

Usage: check-sbom.py SBOM EXPECTED

EXPECTED lists the crates compiled into the binary, one "name version" a line (the ground truth,
from `cargo tree`). Prints what is wrong and exits 1, or exits 0. Run with the Python of the
scripts' tool environment (cyclonedx-python-lib, scripts/tools.txt).
"""

import json
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def main(sbom_path: str, expected_path: str) -> int:
    with open(sbom_path, encoding="utf-8") as sbom_file:
        text = sbom_file.read()
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if error is not None:
        print(f"{sbom_path}: not valid CycloneDX 1.5: {error.data.message}")
        return 1
    # The crates; what is linked in besides them (Rust's std, musl, MinGW) has other purls.
    listed = {
        (c["name"], c["version"])
        for c in json.loads(text).get("components", [])
        if c.get("purl", "").startswith("pkg:cargo/")
    }
    with open(expected_path, encoding="utf-8") as expected_file:
        expected = {tuple(line.split()) for line in expected_file if line.strip()}
    extra, missing = sorted(listed - expected), sorted(expected - listed)
    for name, version in extra:
        print(f"{sbom_path}: lists {name} {version}, which is not compiled into the binary")
    for name, version in missing:
        print(f"{sbom_path}: lacks {name} {version}, which is compiled into the binary")
    return 1 if extra or missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
