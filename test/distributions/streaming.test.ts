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
  gc();
  const base = process.memoryUsage();
  let rss = base.rss;
  let buffers = base.arrayBuffers;
  const sample = () => {
    gc();
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
    // Buffering it would hold 24 MiB. Streaming holds ~150 KiB (chunks, inflate window), with
    // rare transient peaks of a few MiB when a sample lands while chunks are in flight.
    expect(growth.buffers).toBeLessThan(12 * MiB);
    expect(growth.rss).toBeLessThan(20 * MiB);
  });
});
