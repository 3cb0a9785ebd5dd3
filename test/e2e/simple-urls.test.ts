/**
 * Simple index URLs without configuration: derived from the upload URL (devpi's `+simple/`,
 * Nexus's `simple/`...), confirmed with one request, used by upload's existence checks, shown by
 * `pkgpush servers`; `check-url` wins and `check-url = none` turns it off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { postsTo, pypirc, runCli, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let devpi: IndexServer;
let nexusLike: IndexServer;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [devpi, nexusLike] = await Promise.all([
    // devpi's layout: uploads to /USER/INDEX/, pages under /USER/INDEX/+simple/.
    startIndexServer({
      mode: "devpi",
      uploadPath: "/alice/dev/",
      simplePath: "/alice/dev/+simple/",
      users: { alice: "alice-pw-31c9" },
    }),
    // Nexus's upload path, but its pages are not where Nexus keeps them: the guess fails.
    startIndexServer({ mode: "devpi", uploadPath: "/repository/pypi-internal/" }),
  ]);
});

afterAll(async () => {
  await Promise.all([devpi?.close(), nexusLike?.close()]);
});

function config(extra: Record<string, string> = {}): string {
  return workspace(
    pypirc({
      distutils: { "index-servers": ["dev", "nx"] },
      dev: {
        repository: devpi.uploadUrl,
        username: "alice",
        password: "alice-pw-31c9",
        "release-packages": "collective\\..*",
        ...extra,
      },
      nx: { repository: nexusLike.uploadUrl, username: "n", password: "nexus-pw-8e1f" },
    }),
  ).config;
}

describe("derived simple index URLs", () => {
  it("pkgpush servers shows each URL and where it comes from", async () => {
    const r = await runCli(["servers", "--no-keyring", "--config-file", config()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `  simple:   ${devpi.url}/alice/dev/+simple/ (derived: devpi layout; confirmed with one request before use)\n`,
    );
    expect(r.stdout).toContain(
      `  simple:   ${nexusLike.url}/repository/pypi-internal/simple/ (derived: Sonatype Nexus layout;`,
    );
    expect(r.stdout).toContain("  simple:   https://pypi.org/simple/ (derived: PyPI layout)\n");
    const configured = await runCli([
      "servers",
      "--json",
      "--no-keyring",
      "--config-file",
      config({ "check-url": `${devpi.url}/other/+simple/` }),
    ]);
    const dev = (
      JSON.parse(configured.stdout) as {
        servers: Array<{ name: string; simpleUrl: string; simpleUrlSource: string }>;
      }
    ).servers.find((s) => s.name === "dev");
    expect(dev).toMatchObject({
      simpleUrl: `${devpi.url}/other/+simple/`,
      simpleUrlSource: "configured",
    });
    const off = await runCli([
      "servers",
      "--no-keyring",
      "--config-file",
      config({ "check-url": "none" }),
    ]);
    expect(off.stdout).toContain("  simple:   (none: existence checks off (check-url = none))\n");
  });

  it("upload: the devpi URL is confirmed, then a re-upload is skipped without a POST (devpi would answer 200)", async () => {
    const cfg = config();
    const wheel = fixtures.collectiveFoo.path;
    const first = await runCli(["upload", "--config-file", cfg, "-r", "dev", wheel]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/collective_foo-1\.0\.0-py3-none-any\.whl\s+dev\s+uploaded/);
    const simpleGets = devpi.requests.filter((q) => q.path.startsWith("/alice/dev/+simple/"));
    // The root (confirmation, with the server's credentials), then the project page.
    expect(simpleGets.map((q) => q.path)).toEqual([
      "/alice/dev/+simple/",
      "/alice/dev/+simple/collective-foo/",
    ]);
    expect(simpleGets[0]?.headers.authorization).toBe("Basic alice");
    const posts = postsTo(devpi).length;
    const again = await runCli(["upload", "--config-file", cfg, "-r", "dev", wheel]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/skipped\s+\S+\s+already on the server with the same sha256/);
    expect(postsTo(devpi).length).toBe(posts);
    // check-url = none: no simple page is asked; devpi takes the identical file again.
    const before = devpi.requests.length;
    const off = await runCli([
      "upload",
      "--config-file",
      config({ "check-url": "none" }),
      "-r",
      "dev",
      wheel,
    ]);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/uploaded/);
    expect(devpi.requests.slice(before).map((q) => q.method)).toEqual(["POST"]);
  });

  it("a guess that the server does not confirm is not relied on: a note, and the upload goes on", async () => {
    const r = await runCli([
      "upload",
      "--config-file",
      config(),
      "-r",
      "nx",
      fixtures.ploneBar.path,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `note: nx: no existence checks: ${nexusLike.url}/repository/pypi-internal/simple/ (Sonatype Nexus layout) not confirmed: 404 for the index and for the project page; set check-url (or check-url = none)`,
    );
    expect(r.stdout).toMatch(/uploaded/);
  });
});
