/**
 * `pkgpush sync` end to end: several test index servers (source and targets), the real CLI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDist, postsTo, storedNames } from "../helpers/cli.js";
import { configFor, runTimed, serversPerTest } from "../helpers/transport.js";
import type { IndexServer } from "../server/index-server.js";

const server = serversPerTest();
const release = ["collective.demo-1.0.0-py3-none-any.whl", "collective.demo-1.0.0.tar.gz"];
const bytesOf = (name: string): Buffer => readFileSync(join(exampleDist, name));

async function seeded(name: string, files: string[] = release): Promise<IndexServer> {
  const s = await server(name);
  for (const f of files) await s.seed(f, bytesOf(f));
  return s;
}

/** src, a, b: routing sends collective.* to a and b. */
function config(
  src: IndexServer,
  a: IndexServer,
  b: IndexServer,
  extra: Record<string, Record<string, string>> = {},
) {
  return configFor({
    src: { url: src.uploadUrl, "check-url": src.simpleUrl, ...extra.src },
    a: {
      url: a.uploadUrl,
      "check-url": a.simpleUrl,
      "release-packages": "collective\\..*",
      ...extra.a,
    },
    b: {
      url: b.uploadUrl,
      "check-url": b.simpleUrl,
      "release-packages": "collective\\..*",
      ...extra.b,
    },
  }).config;
}

describe("pkgpush sync", () => {
  it("copies a release to every routed target that lacks it, downloading each file once", async () => {
    const src = await seeded("src");
    const a = await seeded("a", [release[0] as string]);
    const b = await server("b");
    const r = await runTimed([
      "sync",
      "collective.demo==1.0.0",
      "--from",
      "src",
      "--config-file",
      config(src, a, b),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toEqual(release);
    expect(src.requests.filter((q) => q.path.startsWith("/files/")).length).toBe(2);
    expect(r.stdout).toMatch(/Summary: 3 uploaded, 1 skipped/);
  });
});
