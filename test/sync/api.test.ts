/** The Node API's sync(): the same run as `pkgpush sync`, as data and events, in-process. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { exampleDist, storedNames } from "../helpers/cli.js";
import { configFor, serversPerTest } from "../helpers/transport.js";

// Every hashing of a whole file by the upload pipeline goes through computeDigests: counted here.
vi.mock(import("../../src/distributions/digests.js"), async (original) => {
  const real = await original();
  return { ...real, computeDigests: vi.fn(real.computeDigests) };
});
const { computeDigests } = await import("../../src/distributions/digests.js");

// The bundle defines PKGPUSH_VERSION at build time; here the sources run as they are.
(globalThis as Record<string, unknown>).PKGPUSH_VERSION ??= "0.0.0-test";
const { sync } = await import("../../src/index.js");
const server = serversPerTest();
const wheel = "collective.demo-1.0.0-py3-none-any.whl";

describe("sync() (Node API)", () => {
  it("plans with dryRun, then copies; events tell each download; the report has a sync section", async () => {
    const src = await server("src");
    await src.seed(wheel, readFileSync(join(exampleDist, wheel)));
    const a = await server("a");
    const { config } = configFor({
      src: { url: src.uploadUrl, "check-url": src.simpleUrl },
      a: { url: a.uploadUrl, "check-url": a.simpleUrl },
    });
    const base = {
      releases: ["collective.demo"],
      from: "src",
      to: ["a"],
      configFile: config,
      env: {},
    };
    const planned = await sync({ ...base, dryRun: true });
    expect(planned.dryRun).toBe(true);
    expect(planned.sync.copies.map((c) => [c.file, c.targets, c.download])).toEqual([
      [wheel, ["a"], "planned"],
    ]);
    expect(storedNames(a)).toEqual([]);

    const seen: string[] = [];
    const report = await sync(base, {
      onDownloadFinish: (copy, outcome) => seen.push(`${copy.file.filename} ${outcome.ok}`),
    });
    expect(seen).toEqual([`${wheel} true`]);
    expect(report).toMatchObject({ command: "sync", exitCode: 0, totals: { uploaded: 1 } });
    expect(report.sync.copies[0]?.download).toBe("downloaded");
    expect(storedNames(a)).toEqual([wheel]);
    // The password never appears in the report.
    expect(JSON.stringify(report)).not.toContain("pw-a");
  });

  it("each download is read and hashed once: its digests are the upload's, and each target's page is read once", async () => {
    const src = await server("src");
    const bytes = readFileSync(join(exampleDist, wheel));
    await src.seed(wheel, bytes);
    const a = await server("a");
    const b = await server("b");
    const { config } = configFor({
      src: { url: src.uploadUrl, "check-url": src.simpleUrl },
      a: { url: a.uploadUrl, "check-url": a.simpleUrl },
      b: { url: b.uploadUrl, "check-url": b.simpleUrl },
    });
    vi.mocked(computeDigests).mockClear();
    const report = await sync({
      releases: ["collective.demo"],
      from: "src",
      to: ["a", "b"],
      configFile: config,
      env: {},
    });
    expect(report).toMatchObject({ exitCode: 0, totals: { uploaded: 2 } });
    // Not hashed again after the download (neither for a preflight nor for the form's fields).
    expect(computeDigests).not.toHaveBeenCalled();
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    for (const target of [a, b]) {
      const gets = target.requests.filter((r) => r.method === "GET").map((r) => r.path);
      // The page read to plan is the one the pre-check uses; no second look, no connection probe.
      expect(gets).toEqual(["/simple/collective-demo/"]);
      const upload = target.requests.find((r) => r.method === "POST");
      const fields = new Map(upload?.fields);
      expect(fields.get("sha256_digest")).toBe(sha256);
      expect(fields.get("sha256_digest")).toBe(upload?.file?.sha256);
      expect(fields.get("blake2_256_digest")).toBe(upload?.file?.blake2_256);
    }
  });

  it("a name that is not NAME or NAME==VERSION is refused before anything is asked", async () => {
    await expect(sync({ releases: ["demo>=1"], from: "src", env: {} })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/not NAME or NAME==VERSION/),
    });
  });
});
