/** The Node API's sync(): the same run as `pkgpush sync`, as data and events, in-process. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDist, storedNames } from "../helpers/cli.js";
import { configFor, serversPerTest } from "../helpers/transport.js";

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

  it("a name that is not NAME or NAME==VERSION is refused before anything is asked", async () => {
    await expect(sync({ releases: ["demo>=1"], from: "src", env: {} })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/not NAME or NAME==VERSION/),
    });
  });
});
