#!/usr/bin/env python3
"""Reads and fixes 64-bit Mach-O files (macOS binaries) on a machine that cannot run them.

  macho.py info FILE      prints what FILE says of itself, one line of JSON:
                          {"cpu": "x86_64" | "arm64", "filetype": "execute" | "dylib" | ...,
                           "platform": "macos", "minos": "11.0", "dylibs": [libraries it loads],
                           "uuid": LC_UUID, "signed": has a code signature, "signature_valid":
                           every page hash of the signature matches the file (null unsigned),
                           "local_symbols": non-external symbols (0 when stripped)}
  macho.py fix-uuid FILE  sets LC_UUID to a hash of FILE's contents and updates the ad-hoc code
                          signature's page hashes to match

Zig's linker derives LC_UUID from its inputs' paths (rustc's temporary directory among them),
so two builds of the same commit differ in it alone; Apple's ld64 hashes the contents, as
fix-uuid does (MD5 of everything before the signature, the UUID zeroed, as a version 3 UUID).
The signature is an ad-hoc one (no certificate): only its page hashes depend on the bytes.
The standard library only. Fails on anything but a little-endian 64-bit Mach-O file.
"""

import hashlib
import json
import struct
import sys

CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64"}
FILETYPES = {1: "object", 2: "execute", 6: "dylib", 8: "bundle"}
PLATFORMS = {1: "macos", 2: "ios", 3: "tvos", 4: "watchos"}
LC_SYMTAB, LC_DYSYMTAB, LC_UUID, LC_CODE_SIGNATURE, LC_BUILD_VERSION = 0x2, 0xB, 0x1B, 0x1D, 0x32
LC_LOAD_DYLIBS = {0xC, 0x80000018, 0x8000001F, 0x80000023}  # load, weak, reexport, upward
EMBEDDED_SIGNATURE, CODE_DIRECTORY = 0xFADE0CC0, 0xFADE0C02
HASHES = {1: hashlib.sha1, 2: hashlib.sha256}


def load_commands(data, path):
    if len(data) < 32 or struct.unpack_from("<I", data)[0] != 0xFEEDFACF:
        sys.exit(f"macho.py: {path} is not a little-endian 64-bit Mach-O file")
    ncmds = struct.unpack_from("<I", data, 16)[0]
    offset = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, offset)
        yield cmd, offset, size
        offset += size


def code_directories(data, signature_offset):
    """(offset, hash function, page size, first hash offset, slots, code limit) of each
    CodeDirectory of the signature at signature_offset; None for a signature that does not
    cover the file before it page by page (or is no embedded signature at all)."""
    magic, _, count = struct.unpack_from(">III", data, signature_offset)
    directories = []
    for i in range(count if magic == EMBEDDED_SIGNATURE else 0):
        blob = signature_offset + struct.unpack_from(">II", data, signature_offset + 12 + 8 * i)[1]
        if struct.unpack_from(">I", data, blob)[0] != CODE_DIRECTORY:
            continue
        hash_offset, _, _, slots, limit = struct.unpack_from(">IIIII", data, blob + 16)
        hash_size, hash_type, _, page_log2 = struct.unpack_from(">BBBB", data, blob + 36)
        page = 1 << page_log2
        if hash_type not in HASHES or HASHES[hash_type]().digest_size != hash_size:
            return None
        if limit != signature_offset or slots != -(-limit // page):
            return None
        directories.append((blob, HASHES[hash_type], page, blob + hash_offset, slots, limit))
    return directories or None


def page_hashes(data, directory):
    _, hash_function, page, _, slots, limit = directory
    return [hash_function(data[i * page:min((i + 1) * page, limit)]).digest() for i in range(slots)]


def signature_valid(data, signature_offset):
    """Whether every page hash of every CodeDirectory matches the file."""
    directories = code_directories(data, signature_offset)
    return directories is not None and all(
        b"".join(page_hashes(data, d)) == data[d[3]:d[3] + d[4] * d[1]().digest_size] for d in directories
    )


def info(path):
    with open(path, "rb") as f:
        data = f.read()
    result = {"cpu": None, "filetype": None, "platform": None, "minos": None, "dylibs": [],
              "uuid": None, "signed": False, "signature_valid": None, "local_symbols": 0}
    _, cpu, _, filetype = struct.unpack_from("<IiiI", data) if len(data) >= 16 else (0, 0, 0, 0)
    for cmd, offset, size in load_commands(data, path):
        if cmd == LC_BUILD_VERSION:
            platform, minos = struct.unpack_from("<II", data, offset + 8)
            patch = f".{minos & 0xFF}" if minos & 0xFF else ""
            result["platform"] = PLATFORMS.get(platform, str(platform))
            result["minos"] = f"{minos >> 16}.{(minos >> 8) & 0xFF}{patch}"
        elif cmd in LC_LOAD_DYLIBS:
            (name,) = struct.unpack_from("<I", data, offset + 8)
            result["dylibs"].append(data[offset + name:offset + size].split(b"\0")[0].decode())
        elif cmd == LC_UUID:
            result["uuid"] = data[offset + 8:offset + 24].hex()
        elif cmd == LC_CODE_SIGNATURE:
            (signature,) = struct.unpack_from("<I", data, offset + 8)
            result["signed"] = True
            result["signature_valid"] = signature_valid(data, signature)
        elif cmd == LC_DYSYMTAB:
            (result["local_symbols"],) = struct.unpack_from("<I", data, offset + 12)
    result["cpu"] = CPUS.get(cpu, hex(cpu))
    result["filetype"] = FILETYPES.get(filetype, str(filetype))
    print(json.dumps(result))


def fix_uuid(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    commands = {cmd: offset for cmd, offset, _ in load_commands(data, path)}
    if LC_UUID not in commands:
        sys.exit(f"macho.py: {path} has no LC_UUID")
    uuid_at = commands[LC_UUID] + 8
    signature = struct.unpack_from("<I", data, commands[LC_CODE_SIGNATURE] + 8)[0] if LC_CODE_SIGNATURE in commands else len(data)
    # A signature that is already wrong is not hidden by re-hashing it.
    if signature < len(data) and not signature_valid(data, signature):
        sys.exit(f"macho.py: {path}: its code signature does not match its contents")
    data[uuid_at:uuid_at + 16] = bytes(16)
    uuid = bytearray(hashlib.md5(data[:signature]).digest())
    uuid[6] = (uuid[6] & 0x0F) | 0x30  # version 3 (name-based, MD5)
    uuid[8] = (uuid[8] & 0x3F) | 0x80  # RFC 4122 variant
    data[uuid_at:uuid_at + 16] = uuid
    if signature < len(data):
        for directory in code_directories(data, signature):
            for i, digest in enumerate(page_hashes(data, directory)):
                data[directory[3] + i * len(digest):directory[3] + (i + 1) * len(digest)] = digest
    with open(path, "r+b") as f:
        f.write(data)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("info", "fix-uuid"):
        sys.exit(__doc__.strip())
    (info if sys.argv[1] == "info" else fix_uuid)(sys.argv[2])


if __name__ == "__main__":
    main()
