/**
 * An sdist's scan reads the whole archive (src/distributions/sdist-tar.ts); what it costs on the
 * main thread grows with the number of pieces the bytes arrive in, so they arrive in large ones.
 * Counted on the inflated stream the tar parser reads, with the real scan of a 4 MiB sdist.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Transform } from "node:stream";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { describe, expect, it, vi } from "vitest";

const pieces: number[] = [];
vi.mock("node:zlib", async (original) => {
  const real = await original<typeof import("node:zlib")>();
  return {
    ...real,
    createGunzip: (options?: import("node:zlib").ZlibOptions) => {
      const stream: Transform = real.createGunzip(options);
      const index = pieces.push(0) - 1;
      stream.on("data", () => {
        pieces[index] = (pieces[index] ?? 0) + 1;
      });
      return stream;
    },
  };
});

const { inspectDistribution } = await import("../../src/distributions/inspect.js");

async function sdist(dir: string, payload: Buffer): Promise<string> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  pack.entry(
    { name: "big-1.0/PKG-INFO" },
    "Metadata-Version: 2.1\nName: big\nVersion: 1.0\nSummary: s\n",
  );
  pack.entry({ name: "big-1.0/payload.bin" }, payload);
  pack.finalize();
  await done;
  const path = join(dir, "big-1.0.tar.gz");
  writeFileSync(path, gzipSync(Buffer.concat(chunks), { level: 1 }));
  return path;
}

describe("an sdist's scan", () => {
  it("reads a 4 MiB archive end to end in a few large pieces", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkgpush-sdist-pieces-"));
    const path = await sdist(dir, randomBytes(4 * 1024 * 1024));
    const dist = await inspectDistribution(path);
    expect(dist.name).toBe("big");
    expect(dist.version).toBe("1.0");
    // One scan, the whole archive through it: 4 MiB in pieces of 256 KiB is 16 and a few.
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toBeGreaterThanOrEqual(16);
    expect(pieces[0]).toBeLessThanOrEqual(24);
  });
});
