/**
 * The reader behind `check`'s one pass over a zip (src/rules/zip-scan.ts): what makes it fast
 * (one read for a small archive, the last window for the tail) must not cost correctness (a
 * window buffer is reused by the next read and by the next archive, so nothing handed out may
 * point into it).
 */
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  framingProblem,
  readCentralDirectory,
  readEntry,
  WindowReader,
  type ZipEntry,
} from "../../src/rules/zip-scan.js";

/** A zip written by hand (stored and deflated members), as Python's zipfile lays it out. */
function zip(members: Array<{ name: string; data: Buffer; deflate?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const body = m.deflate ? deflateRawSync(m.data) : m.data;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(m.deflate ? 8 : 0, 8);
    head.writeUInt32LE(body.length, 18);
    head.writeUInt32LE(m.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(m.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(head, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

let dir: string;
let small: string;
let large: string;
const noise = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % 251));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkgpush-zip-scan-"));
  small = join(dir, "small.zip");
  await writeFile(
    small,
    zip([
      { name: "a/stored.txt", data: Buffer.from("stored member\n") },
      { name: "a/mod.py", data: Buffer.from("print('hello')\n".repeat(200)), deflate: true },
    ]),
  );
  // Three stored members of 400 KiB: larger than the 1 MiB window in all.
  large = join(dir, "large.zip");
  await writeFile(
    large,
    zip([0, 1, 2].map((i) => ({ name: `big/${i}.bin`, data: noise(400 * 1024, i) }))),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function withReader<T>(path: string, size: number, use: (r: WindowReader) => T): T {
  const fd = openSync(path, "r");
  const reader = new WindowReader(fd, size);
  try {
    return use(reader);
  } finally {
    reader.release();
    closeSync(fd);
  }
}

describe("WindowReader", () => {
  it("reads an archive smaller than its window whole, with the first read", () => {
    const bytes = statSync(small).size;
    withReader(small, bytes, (r) => {
      r.read(bytes - 22, 22);
      expect(r.cached(0, bytes)?.length).toBe(bytes);
    });
  });

  it("takes the whole last window for a read near the end of a larger file", () => {
    const bytes = statSync(large).size;
    withReader(large, bytes, (r) => {
      r.read(bytes - 22, 22);
      expect(r.cached(bytes - 1024 * 1024, 1024 * 1024)).toBeDefined();
      expect(r.cached(0, 16)).toBeUndefined();
    });
  });
});

describe("members and the walk over records", () => {
  it("a stored member stays intact after later reads and after its reader is released", () => {
    const bytes = statSync(large).size;
    const [first, second] = withReader(large, bytes, (r) => {
      const entries = readCentralDirectory(r, bytes);
      const a = readEntry(r, entries[0] as ZipEntry, 1 << 20) as Buffer;
      const b = readEntry(r, entries[2] as ZipEntry, 1 << 20) as Buffer;
      return [a, b];
    });
    // Another archive read through the (reused) window buffer must not change them.
    const smallSize = statSync(small).size;
    withReader(small, smallSize, (r) => readCentralDirectory(r, smallSize));
    expect(first.equals(noise(400 * 1024, 0))).toBe(true);
    expect(second.equals(noise(400 * 1024, 2))).toBe(true);
  });

  it("inflates a member into its listed size, and the framing walk accepts both archives", () => {
    for (const path of [small, large]) {
      const bytes = statSync(path).size;
      withReader(path, bytes, (r) => {
        const entries = readCentralDirectory(r, bytes);
        expect(framingProblem(r, bytes, entries)).toBeUndefined();
        if (path === small) {
          const py = readEntry(r, entries[1] as ZipEntry, 1 << 20) as Buffer;
          expect(py.toString()).toBe("print('hello')\n".repeat(200));
        }
      });
    }
  });

  it("the framing walk still finds trailing data after the end record", () => {
    const path = join(dir, "trailing.zip");
    writeFileSync(path, Buffer.concat([readFileSync(small), Buffer.from("junk")]));
    const bytes = statSync(path).size;
    withReader(path, bytes, (r) => {
      const entries = readCentralDirectory(r, bytes);
      expect(framingProblem(r, bytes, entries)).toBe("Trailing data");
    });
  });
});
