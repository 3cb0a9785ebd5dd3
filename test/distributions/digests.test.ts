import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computeDigests, digestTap, PARALLEL_THRESHOLD } from "../../src/distributions/digests.js";

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
