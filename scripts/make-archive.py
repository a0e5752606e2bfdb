#!/usr/bin/env python3
"""Writes a release archive reproducibly: make-archive.py OUT EPOCH DIR.

OUT ends in .tar.gz or .zip (what Windows users expect); the archive holds DIR's files under
DIR's name, sorted, with EPOCH (Unix seconds) as every file's time, owner root, mode 0755 for
executables and 0644 otherwise: the same bytes for the same files and EPOCH (and zlib) whatever
the machine. Python's standard library, so a macOS or Windows runner needs no GNU tar or zip.
"""

import gzip
import io
import os
import sys
import tarfile
import time
import zipfile


def entries(root):
    base = os.path.basename(os.path.normpath(root))
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            sys.exit(f"make-archive.py: {path} is not a regular file")
        with open(path, "rb") as f:
            data = f.read()
        # By the name's suffix or the x bit, so a Windows checkout (no x bits) gives the same.
        executable = os.access(path, os.X_OK) and os.name != "nt" or name.endswith((".exe", ".node"))
        yield f"{base}/{name}", data, 0o755 if executable else 0o644


def write_tar_gz(out, epoch, files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, mode in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, epoch
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(buffer.getvalue())


def write_zip(out, epoch, files):
    # Zip times are local-time fields without a zone, 1980 at the earliest: the UTC time is written.
    stamp = max(time.gmtime(epoch)[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data, mode in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode below is read
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data, compresslevel=9)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip())
    out, epoch, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    files = list(entries(root))
    if out.endswith(".tar.gz"):
        write_tar_gz(out, epoch, files)
    elif out.endswith(".zip"):
        write_zip(out, epoch, files)
    else:
        sys.exit(f"make-archive.py: {out}: neither .tar.gz nor .zip")


if __name__ == "__main__":
    main()
