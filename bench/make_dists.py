"""Generates valid Python distributions of exact-ish sizes for the benchmarks (bench/run.mjs).

Reads a JSON list of specs on stdin and prints one JSON line per file written:

    [{"kind": "wheel", "dir": "/tmp/x", "name": "bench_big", "version": "1.0",
      "size": 536870912, "tag": "py3-none-any"},
     {"kind": "sdist", "dir": "/tmp/x", "name": "bench_rel", "version": "1.0", "size": 4194304}]

A wheel holds METADATA, WHEEL and RECORD plus one large STORED member; an sdist (.tar.gz) holds
PKG-INFO plus one large member. Payloads come from os.urandom in 1 MiB chunks and are streamed
into the archive, so memory stays flat whatever the size. Run with Debian's /usr/bin/python3.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

CHUNK = 1024 * 1024


def metadata(name, version):
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {name}\n"
        f"Version: {version}\n"
        "Summary: pkgpush benchmark payload\n"
        "Description-Content-Type: text/plain\n"
        "\n"
        "Random bytes to measure upload speed.\n"
    )


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def write_wheel(spec):
    name, version = spec["name"], spec["version"]
    tag = spec.get("tag", "py3-none-any")
    path = os.path.join(spec["dir"], f"{name}-{version}-{tag}.whl")
    dist_info = f"{name}-{version}.dist-info"
    size = int(spec["size"])
    records = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        init = f"{name}/__init__.py"
        zf.writestr(init, b"")
        records.append(f"{init},{record_hash(b'')},0")

        payload = f"{name}/payload.bin"
        info = zipfile.ZipInfo(payload, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.file_size = size
        sha = hashlib.sha256()
        with zf.open(info, "w", force_zip64=size >= 2**31) as out:
            left = size
            while left > 0:
                chunk = os.urandom(min(CHUNK, left))
                sha.update(chunk)
                out.write(chunk)
                left -= len(chunk)
        digest = base64.urlsafe_b64encode(sha.digest()).rstrip(b"=").decode()
        records.append(f"{payload},sha256={digest},{size}")

        for member, text in (
            ("METADATA", metadata(name, version)),
            (
                "WHEEL",
                "Wheel-Version: 1.0\nGenerator: pkgpush-bench\nRoot-Is-Purelib: true\n"
                f"Tag: {tag}\n",
            ),
        ):
            data = text.encode()
            zf.writestr(f"{dist_info}/{member}", data)
            records.append(f"{dist_info}/{member},{record_hash(data)},{len(data)}")
        records.append(f"{dist_info}/RECORD,,")
        zf.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return path


class RandomReader:
    """A file-like object that yields `size` random bytes (for tarfile.addfile)."""

    def __init__(self, size):
        self.left = size

    def read(self, n=-1):
        if n is None or n < 0 or n > self.left:
            n = self.left
        n = min(n, CHUNK)
        self.left -= n
        return os.urandom(n)


def write_sdist(spec):
    name, version = spec["name"], spec["version"]
    base = f"{name}-{version}"
    path = os.path.join(spec["dir"], f"{base}.tar.gz")
    size = int(spec["size"])
    # Random data does not compress: the fastest level keeps generation quick.
    with gzip.open(path, "wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for member, text in (
                ("PKG-INFO", metadata(name, version)),
                ("pyproject.toml", f'[project]\nname = "{name}"\nversion = "{version}"\n'),
            ):
                data = text.encode()
                info = tarfile.TarInfo(f"{base}/{member}")
                info.size = len(data)
                info.mtime = 1704067200
                tf.addfile(info, fileobj=io.BytesIO(data))
            info = tarfile.TarInfo(f"{base}/payload.bin")
            info.size = size
            info.mtime = 1704067200
            tf.addfile(info, fileobj=RandomReader(size))
    return path


def write_raw(spec):
    path = os.path.join(spec["dir"], spec["file"])
    left = int(spec["size"])
    with open(path, "wb") as out:
        while left > 0:
            chunk = os.urandom(min(CHUNK, left))
            out.write(chunk)
            left -= len(chunk)
    return path


def main():
    specs = json.load(sys.stdin)
    writers = {"wheel": write_wheel, "sdist": write_sdist, "raw": write_raw}
    for spec in specs:
        path = writers[spec["kind"]](spec)
        print(json.dumps({"path": path, "size": os.path.getsize(path)}), flush=True)


if __name__ == "__main__":
    main()
