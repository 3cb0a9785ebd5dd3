import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Blake2bAhead } from "../../src/distributions/blake2b-thread.js";
import { computeDigests, digestTap, PARALLEL_THRESHOLD } from "../../src/distributions/digests.js";
import { DigestCache } from "../../src/execute/digest-cache.js";
import { hashAhead } from "../../src/publish/hash-ahead.js";
import type { Prepared } from "../../src/publish/prepare.js";

/** Python's hashlib is the reference for all three digests (blake2b with digest_size=32). */
function pythonDigests(path: string): { sha256: string; blake2_256: string; md5: string } {
  const script =
    "import hashlib,sys,json\n" +
    "h=[hashlib.sha256(),hashlib.blake2b(digest_size=32),hashlib.md5()]\n" +
    "f=open(sys.argv[1],'rb')\n" +
    "for c in iter(lambda: f.read(1<<20), b''):\n" +
    "  [x.update(c) for x in h]\n" +
    "print(json.dumps({'sha256':h[0].hexdigest(),'blake2_256':h[1].hexdigest(),'md5':h[2].hexdigest()}))\n";
  return JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" }));
}

describe("computeDigests", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-digests-"));

  it.each([
    ["empty", 0],
    ["small (one thread)", 1_000_003],
    ["large (worker thread for BLAKE2b)", PARALLEL_THRESHOLD + 12_345],
  ])("agrees with Python's hashlib: %s", async (_label, size) => {
    const path = join(dir, `f-${size}`);
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(path, data);
    const reference = pythonDigests(path);
    expect(await computeDigests(path, { md5: true })).toEqual(reference);
    // md5 only when asked: what is sent by default is what twine 7 and `uv publish` send.
    expect(await computeDigests(path)).toEqual({
      sha256: reference.sha256,
      blake2_256: reference.blake2_256,
    });
  });

  it("many small files hashed at once (they share this thread's few hashing slots) each get their own digests", async () => {
    const paths = Array.from({ length: 5 }, (_, i) => {
      const path = join(dir, `many-${i}`);
      // Different sizes, some above one read (256 KiB), so slots change hands mid-file too.
      const data = Buffer.alloc(100_000 + i * 90_001);
      for (let j = 0; j + 4 <= data.length; j += 4096) data.writeUInt32LE((j * 7919 + i) >>> 0, j);
      writeFileSync(path, data);
      return path;
    });
    const got = await Promise.all(
      paths.map((path, i) => computeDigests(path, { md5: i % 2 === 0 })),
    );
    for (const [i, path] of paths.entries()) {
      const reference = pythonDigests(path);
      expect(got[i]).toEqual(
        i % 2 === 0 ? reference : { sha256: reference.sha256, blake2_256: reference.blake2_256 },
      );
    }
  });

  it("the tap (digests while sending) agrees with Python's hashlib, with and without md5", async () => {
    const path = join(dir, "tap");
    const data = Buffer.alloc(PARALLEL_THRESHOLD + 777);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 40503) >>> 0, i);
    writeFileSync(path, data);
    const reference = pythonDigests(path);
    // More taps at once than there are worker slots (one per spare core): the others hash
    // BLAKE2b on this thread, with the same result.
    const wants = Array.from({ length: availableParallelism() + 1 }, (_, i) => i % 2 === 0);
    const taps = await Promise.all(wants.map((md5) => digestTap(path, { md5 })));
    // Chunks of odd sizes, as a socket might take them.
    for (let i = 0; i < data.length; i += 999_983) {
      for (const tap of taps) tap.update(data.subarray(i, i + 999_983));
    }
    for (const [i, tap] of taps.entries()) {
      const got = await tap.finish();
      expect(got.sha256).toBe(reference.sha256);
      expect(got.blake2_256).toBe(reference.blake2_256);
      expect(got.md5).toBe(wants[i] ? reference.md5 : undefined);
    }
  });

  it("an already aborted signal starts no worker: the tap fails at once", async () => {
    const path = join(dir, "aborted");
    writeFileSync(path, Buffer.alloc(PARALLEL_THRESHOLD + 1));
    await expect(digestTap(path, { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe("BLAKE2b hashed ahead of the upload", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-ahead-"));
  const largeFile = (name: string): string => {
    const path = join(dir, name);
    const data = Buffer.alloc(PARALLEL_THRESHOLD + 4321);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2246822519) >>> 0, i);
    writeFileSync(path, data);
    return path;
  };

  it("the tap and computeDigests take the head start's digest, which agrees with hashlib", async () => {
    const path = largeFile("ahead");
    const reference = pythonDigests(path);
    const ahead = new Blake2bAhead([path]);
    try {
      const blake2b = ahead.take(path);
      expect(blake2b).toBeDefined();
      const tap = await digestTap(path, { blake2b });
      const { readFileSync } = await import("node:fs");
      const data = readFileSync(path);
      for (let i = 0; i < data.length; i += 1 << 20) tap.update(data.subarray(i, i + (1 << 20)));
      expect(await tap.finish()).toEqual({
        sha256: reference.sha256,
        blake2_256: reference.blake2_256,
      });
      // Taken again (a retry, or hashing ahead of a server with a check URL): the same digest.
      expect(await computeDigests(path, { blake2b: ahead.take(path), md5: true })).toEqual(
        reference,
      );
    } finally {
      ahead.cancel();
    }
  });

  it("a file changed since the head start is hashed again, not given the old digest", async () => {
    const path = largeFile("changed");
    const ahead = new Blake2bAhead([path]);
    try {
      appendFileSync(path, "more bytes");
      expect(ahead.take(path)).toBeUndefined();
      expect((await computeDigests(path)).blake2_256).toBe(pythonDigests(path).blake2_256);
    } finally {
      ahead.cancel();
    }
  });

  it("cancel stops the workers: nothing is left to take", async () => {
    const path = largeFile("cancelled");
    const ahead = new Blake2bAhead([path]);
    const digest = ahead.take(path);
    ahead.cancel();
    await expect(digest).rejects.toThrow();
    expect(ahead.take(path)).toBeUndefined();
  });

  it("the run's digests use what was hashed ahead (DigestCache passes it on)", async () => {
    const path = largeFile("cache");
    const given = "ab".repeat(32);
    const cache = new DigestCache(undefined, undefined, undefined, {
      take: (p) => (p === path ? Promise.resolve(given) : undefined),
    });
    const digests = await cache.get(path);
    expect(digests.blake2_256).toBe(given);
    expect(digests.sha256).toBe(pythonDigests(path).sha256);
  });

  it("a run hashes ahead only the large files it uploads and does not know yet", () => {
    const big = largeFile("big");
    const known = largeFile("known");
    const small = join(dir, "small");
    writeFileSync(small, "x");
    const job = (path: string, size: number) => ({ dist: { path, size } });
    const prepared = (action: string) =>
      ({
        plan: {
          action,
          jobs: [job(small, 1), job(big, PARALLEL_THRESHOLD), job(known, PARALLEL_THRESHOLD)],
        },
        known: { digests: new Map([[known, { sha256: "", blake2_256: "" }]]) },
        options: {},
      }) as unknown as Prepared;
    const upload = hashAhead(prepared("upload"));
    try {
      expect(upload.take(small)).toBeUndefined();
      expect(upload.take(known)).toBeUndefined();
      expect(upload.take(big)).toBeDefined();
    } finally {
      upload.cancel();
    }
    const register = hashAhead(prepared("register"));
    expect(register.take(big)).toBeUndefined();
  });
});
