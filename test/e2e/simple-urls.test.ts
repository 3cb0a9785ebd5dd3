/**
 * Simple index URLs without configuration: derived from the upload URL (devpi's `+simple/`,
 * Nexus's `simple/`...), confirmed with one request, used by upload's existence checks, shown by
 * `pkgpush servers`; `check-url` wins and `check-url = none` turns it off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import {
  outcomes,
  postsTo,
  pypirc,
  reportOf,
  runCli,
  type ServerListing,
  serverListing,
  workspace,
} from "../helpers/cli.js";
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

/** `pkgpush servers --json`: each server's simple index URL, where it comes from, and why. */
async function simpleUrls(
  cfg: string,
): Promise<Record<string, Pick<ServerListing, "simpleUrl" | "simpleUrlSource" | "simpleUrlNote">>> {
  const r = await runCli(["servers", "--json", "--no-keyring", "--config-file", cfg]);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(
    [...serverListing(r.stdout).values()].map(
      ({ name, simpleUrl, simpleUrlSource, simpleUrlNote }) => [
        name,
        { simpleUrl, simpleUrlSource, simpleUrlNote },
      ],
    ),
  );
}

describe("derived simple index URLs", () => {
  it("pkgpush servers shows each URL and where it comes from", async () => {
    const derived = await simpleUrls(config());
    expect(derived.dev).toEqual({
      simpleUrl: `${devpi.url}/alice/dev/+simple/`,
      simpleUrlSource: "derived",
      simpleUrlNote: "devpi layout; confirmed with one request before use",
    });
    expect(derived.nx).toMatchObject({
      simpleUrl: `${nexusLike.url}/repository/pypi-internal/simple/`,
      simpleUrlSource: "derived",
      simpleUrlNote: expect.stringMatching(/^Sonatype Nexus layout;/),
    });
    expect(derived.pypi).toEqual({
      simpleUrl: "https://pypi.org/simple/",
      simpleUrlSource: "derived",
      simpleUrlNote: "PyPI layout",
    });
    const configured = await simpleUrls(config({ "check-url": `${devpi.url}/other/+simple/` }));
    expect(configured.dev).toMatchObject({
      simpleUrl: `${devpi.url}/other/+simple/`,
      simpleUrlSource: "configured",
    });
    const off = await simpleUrls(config({ "check-url": "none" }));
    expect(off.dev).toEqual({
      simpleUrl: null,
      simpleUrlSource: "none",
      simpleUrlNote: "existence checks off (check-url = none)",
    });
  });

  it("upload: the devpi URL is confirmed, then a re-upload is skipped without a POST (devpi would answer 200)", async () => {
    const cfg = config();
    const wheel = fixtures.collectiveFoo.path;
    const upload = (c: string) =>
      runCli(["upload", "--config-file", c, "-r", "dev", "--json", wheel]);
    const first = await upload(cfg);
    expect(first.code, first.stderr).toBe(0);
    expect(outcomes(reportOf(first))).toEqual([
      "collective_foo-1.0.0-py3-none-any.whl dev uploaded",
    ]);
    const simpleGets = devpi.requests.filter((q) => q.path.startsWith("/alice/dev/+simple/"));
    // The root (confirmation, with the server's credentials), then the project page.
    expect(simpleGets.map((q) => q.path)).toEqual([
      "/alice/dev/+simple/",
      "/alice/dev/+simple/collective-foo/",
    ]);
    expect(simpleGets[0]?.headers.authorization).toBe("Basic alice");
    const posts = postsTo(devpi).length;
    const again = await upload(cfg);
    expect(again.code).toBe(0);
    expect(reportOf(again).results).toEqual([
      expect.objectContaining({
        status: "skipped",
        reason: expect.stringMatching(/^already on the server with the same sha256/),
      }),
    ]);
    expect(postsTo(devpi).length).toBe(posts);
    // check-url = none: no simple page is asked; devpi takes the identical file again.
    const before = devpi.requests.length;
    const off = await upload(config({ "check-url": "none" }));
    expect(off.code).toBe(0);
    expect(outcomes(reportOf(off))).toEqual(["collective_foo-1.0.0-py3-none-any.whl dev uploaded"]);
    expect(devpi.requests.slice(before).map((q) => q.method)).toEqual(["POST"]);
  });

  it("a guess that the server does not confirm is not relied on: a note, and the upload goes on", async () => {
    const r = await runCli([
      "upload",
      "--config-file",
      config(),
      "-r",
      "nx",
      "--json",
      fixtures.ploneBar.path,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `note: nx: no existence checks: ${nexusLike.url}/repository/pypi-internal/simple/ (Sonatype Nexus layout) not confirmed: 404 for the index and for the project page; set check-url (or check-url = none)`,
    );
    expect(outcomes(reportOf(r))).toEqual(["plone_bar-2.0.0.tar.gz nx uploaded"]);
  });
});
