import { readFile } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { inspectDistribution } from "../../src/distributions/inspect.js";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";

const MiB = 1024 * 1024;

// A real gc() makes the baseline stable; vitest does not run with --expose-gc.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * Peak growth of rss and arrayBuffers while `fn` runs, sampled every 25 ms right after a full
 * GC: garbage chunks of a stream (which V8 may keep for a while) do not count, data still held
 * (a buffered archive) does.
 */
async function peakGrowth(fn: () => Promise<unknown>): Promise<{ rss: number; buffers: number }> {
  // Twice: V8 frees dead buffers' memory on a background thread after a full GC, and the next
  // GC waits for that to finish. After one gc() a sample could still count 5-12 MiB of chunks the
  // stream had already dropped (seen in CI: 12 MiB + 8 bytes); after two it is the 2.25 MiB the
  // sdist scan holds (1 MiB read, 1 MiB queued, 256 KiB inflated), every run.
  const collect = () => {
    gc();
    gc();
  };
  collect();
  const base = process.memoryUsage();
  let rss = base.rss;
  let buffers = base.arrayBuffers;
  const sample = () => {
    collect();
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    buffers = Math.max(buffers, now.arrayBuffers);
  };
  const timer = setInterval(sample, 25);
  try {
    await fn();
  } finally {
    clearInterval(timer);
    sample();
  }
  return { rss: rss - base.rss, buffers: buffers - base.arrayBuffers };
}

let fx: FixtureSet;
beforeAll(async () => {
  fx = await ensureFixtures();
  // Warm up: load modules and let the heap settle before measuring.
  await inspectDistribution(fx.wheel21.path);
  await inspectDistribution(fx.oldSdist.path);
});

describe("streaming", () => {
  it("inspects the 50 MiB wheel without reading it into memory", async () => {
    const growth = await peakGrowth(async () => {
      for (let i = 0; i < 3; i++) {
        const d = await inspectDistribution(fx.bigWheel.path);
        expect(d.size).toBeGreaterThan(50 * MiB);
      }
    });
    // Buffering the archive would add 50 MiB; the metadata and zip reads are a few KiB.
    expect(growth.buffers).toBeLessThan(4 * MiB);
    expect(growth.rss).toBeLessThan(16 * MiB);
  });

  it("would notice a buffered archive (the measurement works)", async () => {
    const growth = await peakGrowth(async () => {
      const data = await readFile(fx.bigWheel.path);
      await new Promise((r) => setTimeout(r, 80));
      expect(data.length).toBeGreaterThan(50 * MiB);
    });
    expect(growth.buffers).toBeGreaterThan(40 * MiB);
  });

  it("streams a 24 MiB sdist whose PKG-INFO is the last member", async () => {
    const growth = await peakGrowth(async () => {
      const d = await inspectDistribution(fx.bigSdist.path);
      expect(d.name).toBe("bigsdist");
    });
    // Buffering it would hold 24 MiB. Streaming holds 2.25 MiB (a 1 MiB read, one queued, the
    // 256 KiB inflate chunk) whatever the member's size: 200 MiB measured the same.
    expect(growth.buffers).toBeLessThan(6 * MiB);
    expect(growth.rss).toBeLessThan(20 * MiB);
  });
});
