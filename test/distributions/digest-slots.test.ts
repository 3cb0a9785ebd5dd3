/**
 * The main thread's hashing slots (src/distributions/digests.ts) when a BLAKE2b instance cannot
 * be made (WebAssembly memory can run out): the files waiting for a slot are not left waiting.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

let failures = 2;
vi.mock("../../src/distributions/wasm-budget.js", async (original) => {
  const real = await original<typeof import("../../src/distributions/wasm-budget.js")>();
  return {
    ...real,
    blake2bHasher: async () => {
      if (failures > 0) {
        failures--;
        // Let the other callers reach the slots first, as a slow instantiation would.
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("Out of memory: Cannot allocate Wasm memory for new instance");
      }
      return real.blake2bHasher();
    },
  };
});

describe("computeDigests' hashing slots", () => {
  it("a slot that could not be made passes the turn to a waiting file", async () => {
    const { computeDigests } = await import("../../src/distributions/digests.js");
    const dir = mkdtempSync(join(tmpdir(), "pkgpush-slots-"));
    const paths = [1, 2, 3].map((i) => {
      const path = join(dir, `f${i}`);
      writeFileSync(path, Buffer.alloc(1000 * i, i));
      return path;
    });
    const results = await Promise.allSettled(paths.map((path) => computeDigests(path)));
    // Which files meet the two failures depends on which stat (thread pool) answers first: the
    // two failed makings reject two files, and the third is not left waiting.
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected", "rejected"]);
    // Later files get slots as usual.
    expect((await computeDigests(paths[0] as string)).sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
