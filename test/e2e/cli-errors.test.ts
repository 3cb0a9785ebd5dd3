import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import {
  cli,
  pypirc,
  reportOf,
  runCli,
  serverListing,
  uploadArgs,
  workspace,
} from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let server: IndexServer;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  server = await startIndexServer({ mode: "devpi", users: { alice: "alice-secret-pw" } });
});
afterAll(async () => {
  await server?.close();
});

/** Every error is one line per problem, prefixed, with exit code 2, and nothing was sent. */
async function expectUsageError(
  args: string[],
  pattern: RegExp,
  env: Record<string, string> = {},
): Promise<string> {
  const before = server.requests.length;
  const r = await runCli(args, { env });
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  for (const line of r.stderr.trim().split("\n"))
    expect(line).toMatch(/^pkgpush: (error|hint): |^warning: /);
  expect(server.requests.length).toBe(before);
  return r.stderr;
}

describe("clear one-line errors, before anything is sent", () => {
  it("a duplicate option names the file and line", async () => {
    const { config } = workspace(
      "[distutils]\nindex-servers = a\n[a]\nrepository = http://127.0.0.1:1/\nusername = x\nusername = y\n",
    );
    await expectUsageError(
      uploadArgs(config, "a", fixtures.collectiveFoo.path),
      /\.pypirc, line 6: .*duplicate option "username"/i,
    );
  });

  it("an unknown -r name lists the configured ones", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["plone"] },
        plone: { repository: server.uploadUrl },
      }),
    );
    await expectUsageError(
      uploadArgs(config, "plonee", fixtures.collectiveFoo.path),
      /plonee.*plone/,
    );
  });

  it("a server listed in index-servers without a section is an error when used", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["plone", "ghost"] },
        plone: { repository: server.uploadUrl },
      }),
    );
    await expectUsageError(
      uploadArgs(config, "ghost", fixtures.collectiveFoo.path),
      /ghost.*no \[ghost\] section/,
    );
  });

  it("an invalid release-packages pattern names file, section and line", async () => {
    const { config } = workspace(
      "[distutils]\nindex-servers =\n    plone\n[plone]\nrepository = http://127.0.0.1:1/\nrelease-packages =\n    collective\\..*\n    Products(\n",
    );
    await expectUsageError(
      ["upload", "--config-file", config, fixtures.collectiveFoo.path],
      /\.pypirc.*\[plone\].*line 8/,
    );
  });

  it("a missing --config-file is an error, a missing ~/.pypirc is not", async () => {
    await expectUsageError(
      ["upload", "--config-file", "/nonexistent/.pypirc", fixtures.collectiveFoo.path],
      /nonexistent\/\.pypirc.*not found/,
    );
    const r = await runCli(["upload", "--dry-run", "--json", fixtures.collectiveFoo.path]);
    expect(r.code, r.stderr).toBe(0);
    const report = reportOf(r);
    expect(report.servers.map((s) => `${s.name} ${s.url}`)).toEqual([
      "pypi https://upload.pypi.org/legacy/",
    ]);
    expect(report.plan?.map((job) => job.server)).toEqual(["pypi"]);
  });

  it("a pattern that matches no file, and a file that is not a distribution", async () => {
    const { dir, config } = workspace("");
    writeFileSync(join(dir, "notes.txt"), "hello");
    await expectUsageError(
      ["upload", "--config-file", config, join(dir, "*.whl")],
      /\*\.whl.*matched no files/,
    );
    await expectUsageError(
      ["upload", "--config-file", config, join(dir, "notes.txt")],
      /notes\.txt: not a distribution/,
    );
  });

  it("a server without a password: lists the sources tried", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["plone"] },
        plone: { repository: server.uploadUrl, username: "alice" },
      }),
    );
    const stderr = await expectUsageError(
      uploadArgs(config, "plone", fixtures.collectiveFoo.path),
      /no password for server 'plone'/,
    );
    expect(stderr).toMatch(
      /tried: .*command line.*PKGPUSH_PLONE_USERNAME\/PASSWORD.*\.pypirc \[plone\].*interactive prompt \(no terminal\)/,
    );
  });

  it("refuses credentials over plain http to a non-loopback host without an opt-in", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["far"] },
        far: {
          repository: "http://index.example.invalid/legacy/",
          username: "u",
          password: "far-secret-pw",
        },
      }),
    );
    const stderr = await expectUsageError(
      uploadArgs(config, "far", "--no-preflight", fixtures.collectiveFoo.path),
      /refusing to send credentials for 'far' over plain http/,
    );
    expect(stderr).toContain("--allow-insecure-http");
    expect(stderr).not.toContain("far-secret-pw");
  });

  it("--json still prints a JSON report, with the error, when nothing could be sent", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["plone"] },
        plone: { repository: server.uploadUrl },
      }),
    );
    const r = await runCli(uploadArgs(config, "nope", "--json", fixtures.collectiveFoo.path));
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ schema: "pkgpush-report/1", exitCode: 2, results: [] });
    expect(report.error.message).toMatch(/nope/);
    expect(r.stderr).toMatch(/^pkgpush: error: .*nope/m);
  });

  it("bad option values", async () => {
    await expectUsageError(
      ["upload", "--concurrency", "0", fixtures.collectiveFoo.path],
      /--concurrency must be a whole number/,
    );
    await expectUsageError(["upload", "--no-such-option"], /unknown option/);
  });
});

describe("a closed pipe", () => {
  it("`pkgpush servers | true`: no error message when the reader is gone", async () => {
    const { execFile } = await import("node:child_process");
    const stderr = await new Promise<string>((resolve) => {
      execFile(
        "sh",
        [
          "-c",
          `"${process.execPath}" "${cli}" servers --config-file /dev/null --no-keyring | true`,
        ],
        (_error, _stdout, err) => resolve(String(err)),
      );
    });
    expect(stderr).toBe("");
  });
});

describe("pkgpush servers", () => {
  it("shows URLs, routing patterns and where credentials come from, never the secret", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["plone"] },
        plone: {
          repository: server.uploadUrl,
          username: "alice",
          password: "alice-secret-pw",
          "release-packages": ["collective\\..*"],
        },
      }),
    );
    const env = { PKGPUSH_PYPI_PASSWORD: "pypi-env-secret" };
    const json = await runCli(["servers", "--json", "--config-file", config], { env });
    expect(json.code, json.stderr).toBe(0);
    const rows = serverListing(json.stdout);
    expect(rows.get("plone")).toMatchObject({
      url: server.uploadUrl,
      releasePackages: ["collective\\..*"],
      username: "alice",
      passwordFrom: expect.stringMatching(/\.pypirc \[plone\]$/),
    });
    expect(rows.get("pypi")?.passwordFrom).toMatch(/^environment/);
    // Neither the report nor the printed list shows a secret.
    const r = await runCli(["servers", "--config-file", config], { env });
    expect(r.code).toBe(0);
    for (const text of [json.stdout + json.stderr, r.stdout + r.stderr]) {
      expect(text).not.toMatch(/alice-secret-pw|pypi-env-secret/);
    }
  });
});
