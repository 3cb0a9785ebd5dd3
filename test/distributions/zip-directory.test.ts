/**
 * The zip reader against Python's zipfile (the reader pip and PyPI use): the same names, the same
 * member bytes, the same refusals, and the promise that makes it fast: the tail of the archive is
 * read once, a large central directory costs one more read, never one per entry.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMetadataFile } from "../../src/distributions/archive.js";
import { parseFilename } from "../../src/distributions/filename.js";
import {
  MAX_DIRECTORY_BYTES,
  ZipArchive,
  ZipFormatError,
} from "../../src/distributions/zip-directory.js";
import { python3 } from "../fixtures/make-fixtures.js";

// Writes the archives, then answers with what zipfile reads from each (names + member bytes).
const PYTHON = String.raw`
import base64, json, os, sys, zipfile, zlib
out = sys.argv[1]
def wheel(path, names, metadata=b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", **kw):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, **kw) as zf:
        for n in names:
            zf.writestr(n, ("x" * 50 + n) * 3)
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
        zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr(zipfile.ZipInfo("demo-1.0.dist-info/empty/"), "")
        stored = zipfile.ZipInfo("demo-1.0.dist-info/RECORD")
        zf.writestr(stored, "stored bytes\n", compress_type=zipfile.ZIP_STORED)
wheel(f"{out}/small.whl", ["demo/__init__.py", "demo/core.py"])
# ~3000 long names: a central directory far larger than the first read from the tail.
wheel(f"{out}/large.whl", [f"demo/{'sub/' * 8}module_{i:05d}.py" for i in range(3000)])
# zip64 on a small file: zipfile's limits lowered, so it writes the zip64 end record and
# locator and moves sizes and offsets into zip64 extra fields, as it does past 4 GiB / 65535.
limits = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 100, 2
wheel(f"{out}/zip64.whl", [f"d/{i}" for i in range(5)])
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limits
with zipfile.ZipFile(f"{out}/comment.whl", "w") as zf:
    zf.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
    zf.comment = b"a comment " * 6000
# Names without the UTF-8 flag are code page 437 (bytes 0x80-0xFF), as zipfile reads them.
orig = zipfile.ZipInfo._encodeFilenameFlags
zipfile.ZipInfo._encodeFilenameFlags = lambda self: (self.filename.encode("cp437"), self.flag_bits)
with zipfile.ZipFile(f"{out}/cp437.zip", "w") as zf:
    zf.writestr("caf\u00e9/\u00c7\u00fc\u2591.txt", "cp437")
zipfile.ZipInfo._encodeFilenameFlags = orig
with zipfile.ZipFile(f"{out}/utf8.zip", "w") as zf:
    zf.writestr("caf\u00e9/\u65e5\u672c.txt", "utf8")
result = {}
for name in sorted(os.listdir(out)):
    if not name.endswith((".whl", ".zip")) or name.startswith("bad"):
        continue
    with zipfile.ZipFile(f"{out}/{name}") as zf:
        infos = zf.infolist()
        result[name] = {
            "names": [i.filename for i in infos],
            "data": {i.filename: base64.b64encode(zf.read(i)).decode() for i in infos[-6:]},
        }
json.dump(result, sys.stdout)
`;

type PyView = Record<string, { names: string[]; data: Record<string, string> }>;

let dir: string;
let py: PyView;

function runPython(script: string, args: string[], input?: string): Promise<string> {
  return python3().then(
    (python) =>
      new Promise((resolve, reject) => {
        const child = execFile(
          python,
          ["-c", script, ...args],
          { maxBuffer: 64 * 1024 * 1024 },
          (err, out) => (err ? reject(err) : resolve(out)),
        );
        child.stdin?.end(input ?? "");
      }),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkgpush-zip-"));
  py = JSON.parse(await runPython(PYTHON, [dir])) as PyView;
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readAll(name: string) {
  const zip = ZipArchive.open(join(dir, name));
  try {
    const data: Record<string, string> = {};
    for (const e of zip.entries.slice(-6)) data[e.name] = zip.read(e).toString("base64");
    return { names: zip.entries.map((e) => e.name), data, reads: zip.counter.reads };
  } finally {
    zip.close();
  }
}

describe("ZipArchive, against Python's zipfile", () => {
  for (const name of [
    "small.whl",
    "large.whl",
    "zip64.whl",
    "comment.whl",
    "cp437.zip",
    "utf8.zip",
  ]) {
    it(`${name}: the same names and member bytes`, () => {
      const ours = readAll(name);
      expect(ours.names).toEqual(py[name]?.names);
      expect(ours.data).toEqual(py[name]?.data);
    });
  }

  it("reads a small wheel's directory and METADATA in one read", () => {
    const zip = ZipArchive.open(join(dir, "small.whl"));
    try {
      const meta = zip.entries.find((e) => e.name.endsWith("/METADATA"));
      expect(zip.read(meta as never).toString()).toContain("Name: demo");
      expect(zip.counter.reads).toBe(1);
    } finally {
      zip.close();
    }
  });

  it("reads a large directory in one more read, not one per entry", () => {
    const zip = ZipArchive.open(join(dir, "large.whl"));
    try {
      expect(zip.entries.length).toBeGreaterThan(3000);
      const meta = zip.entries.find((e) => e.name.endsWith("/METADATA"));
      zip.read(meta as never);
      // The tail, then the directory together with the bytes just before it (METADATA).
      expect(zip.counter.reads).toBe(2);
    } finally {
      zip.close();
    }
  });

  it("marks directories and reads a wheel's METADATA through readMetadataFile", async () => {
    const path = join(dir, "small.whl");
    const zip = ZipArchive.open(path);
    const dirs = zip.entries.filter((e) => e.isDirectory).map((e) => e.name);
    zip.close();
    expect(dirs).toEqual(["demo-1.0.dist-info/empty/"]);
    const member = await readMetadataFile(path, parseFilename("demo-1.0-py3-none-any.whl"));
    expect(member.name).toBe("demo-1.0.dist-info/METADATA");
    expect(member.distInfoDirs).toEqual(["demo-1.0.dist-info"]);
  });
});

describe("ZipArchive refuses damaged archives, as zipfile does", () => {
  async function damaged(name: string, change: (b: Buffer) => Buffer): Promise<string> {
    const path = join(dir, `bad-${name}`);
    await writeFile(path, change(await readFile(join(dir, "small.whl"))));
    return path;
  }
  const findAll = (b: Buffer, text: string) => {
    const at: number[] = [];
    for (let i = b.indexOf(text); i >= 0; i = b.indexOf(text, i + 1)) at.push(i);
    return at;
  };

  it("a changed byte in a member: CRC-32 mismatch", async () => {
    const path = await damaged("crc.whl", (b) => {
      const at = b.indexOf("stored bytes");
      b[at] = "S".charCodeAt(0);
      return b;
    });
    const zip = ZipArchive.open(path);
    const record = zip.entries.find((e) => e.name.endsWith("RECORD"));
    expect(() => zip.read(record as never)).toThrow(/CRC-32/);
    zip.close();
  });

  it("a cut-off file: no end record", async () => {
    const path = await damaged("cut.whl", (b) => b.subarray(0, b.length - 30));
    expect(() => ZipArchive.open(path)).toThrow(ZipFormatError);
  });

  it("a member that inflates to more than its declared size", async () => {
    const path = await damaged("bomb.whl", (b) => {
      // The central directory's uncompressed size of METADATA, made smaller.
      const name = "demo-1.0.dist-info/METADATA";
      const central = findAll(b, name).at(-1) as number;
      b.writeUInt32LE(10, central - 46 + 24);
      return b;
    });
    const zip = ZipArchive.open(path);
    const meta = zip.entries.find((e) => e.name.endsWith("/METADATA"));
    expect(meta?.uncompressedSize).toBe(10);
    expect(() => zip.read(meta as never)).toThrow(/cannot be inflated/);
    zip.close();
  });

  it("a central directory over the bound is refused before it is read", async () => {
    const path = join(dir, "bad-huge-directory.zip");
    const size = MAX_DIRECTORY_BYTES + 1024;
    await writeFile(path, "");
    await truncate(path, size - 22); // sparse: nothing is written
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(1, 8);
    end.writeUInt16LE(1, 10);
    end.writeUInt32LE(size - 22, 12);
    end.writeUInt32LE(0, 16);
    await writeFile(path, end, { flag: "a" });
    expect(() => ZipArchive.open(path)).toThrow(/larger than 64 MiB/);
  });
});
