/**
 * Servers that say "never" (credentials, wrong URL, nobody there), cleaned server messages with
 * hints and reason codes, 200 answers that are HTML pages, an interrupt after the file was sent,
 * and `-v` request tracing: the built CLI against the test index server on 127.0.0.1.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { postsTo, spawnCli, uploadArgs } from "../helpers/cli.js";
import { closedPort, configFor, runTimed, serversPerTest, waitFor } from "../helpers/transport.js";

let fixtures: FixtureSet;
const server = serversPerTest();

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

const threeFiles = () => [
  fixtures.collectiveFoo.path,
  fixtures.ploneBar.path,
  fixtures.acmeInternal.path,
];

type Result = {
  file: string;
  server: string;
  status: string;
  reason: string | null;
  reasonCode: string | null;
};
const resultsOf = (stdout: string): Result[] => JSON.parse(stdout).results;
const occurrences = (text: string, needle: RegExp): number => text.match(needle)?.length ?? 0;

describe("a server that says 'never' gets no more files; the others go on", () => {
  it("403 for the credentials: one upload tried, the rest not-sent, said once", async () => {
    const a = await server("elsewhere"); // expects pw-elsewhere; the config says pw-a
    const b = await server("b");
    const { config } = configFor({ a: { url: a.uploadUrl }, b: { url: b.uploadUrl } });
    const r = await runTimed(
      uploadArgs(config, "a,b", "--per-server", "1", "--json", ...threeFiles()),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(postsTo(a)).toHaveLength(1);
    expect(b.files()).toHaveLength(3);
    const onA = resultsOf(r.stdout).filter((x) => x.server === "a");
    expect(onA.map((x) => x.status).sort()).toEqual(["failed", "not-sent", "not-sent"]);
    expect(onA.every((x) => x.reasonCode === "auth")).toBe(true);
    expect(occurrences(r.stderr, /stopping a: 403 /g)).toBe(1);
    expect(r.stderr).toMatch(/its remaining files are not sent \(the other servers go on\)/);
    expect(JSON.parse(r.stdout).totals).toMatchObject({ uploaded: 3, failed: 1, "not-sent": 2 });
  });

  it("a simple-index URL given as the upload URL (405): a hint, the rest not-sent", async () => {
    const a = await server("a");
    const { config } = configFor({ a: { url: a.simpleUrl } });
    const r = await runTimed(
      uploadArgs(config, "a", "--per-server", "1", "--json", ...threeFiles()),
    );
    expect(r.code).toBe(1);
    expect(postsTo(a)).toHaveLength(1);
    const origin = new URL(a.uploadUrl).origin;
    const results = resultsOf(r.stdout);
    expect(results.map((x) => x.status).sort()).toEqual(["failed", "not-sent", "not-sent"]);
    expect(results.find((x) => x.status === "failed")?.reason).toBe(
      `405 Method Not Allowed (is ${a.simpleUrl} the upload URL? It looks like a simple index (where pip reads); uploads usually go to ${origin}/)`,
    );
    for (const x of results.filter((y) => y.status === "not-sent")) {
      expect(x.reason).toMatch(/^not sent: a refused \S+ \(405 Method Not Allowed/);
    }
  });

  it("nobody listening (after the retries): the next files are not tried", async () => {
    const port = await closedPort();
    const { config } = configFor({ down: { url: `http://127.0.0.1:${port}/legacy/` } });
    const r = await runTimed(
      uploadArgs(config, "down", "--per-server", "1", "--retries", "1", "--json", ...threeFiles()),
    );
    expect(r.code).toBe(1);
    const results = resultsOf(r.stdout);
    expect(results.map((x) => x.status).sort()).toEqual(["failed", "not-sent", "not-sent"]);
    expect(results.every((x) => x.reasonCode === "network")).toBe(true);
    // One file's attempts (two), not three files' worth of retries.
    expect(results.filter((x) => x.status === "failed")).toHaveLength(1);
  });

  it("a 400 for one file (invalid) does not stop the others on that server", async () => {
    const a = await server("a", [
      { on: "upload", action: { status: 400, reason: "Invalid value for summary" } },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(
      uploadArgs(config, "a", "--per-server", "1", "--json", ...threeFiles()),
    );
    expect(r.code).toBe(1);
    expect(postsTo(a)).toHaveLength(3);
    expect(resultsOf(r.stdout).map((x) => x.reasonCode)).toContain("invalid-file");
  });
});

describe("server messages, cleaned, with hints and reason codes", () => {
  it("pypiserver's duplicate-upload page becomes one line with a hint", async () => {
    const a = await server("a", [], "pypiserver");
    await a.seed(`${fixtures.ploneBar.path.split("/").pop()}`, Buffer.from("other bytes"));
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", fixtures.ploneBar.path));
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout).results;
    expect(result.reason).toBe(
      "409 Conflict: Package 'plone_bar-2.0.0.tar.gz' already exists! (a file name can be used once: --skip-existing, or a check-url for this server, skips files already there)",
    );
    expect(result.reasonCode).toBe("already-exists");
  });
});

describe("a 200 answer that is an HTML page (a proxy or login page)", () => {
  const loginPage = {
    status: 200,
    body: "<!DOCTYPE html><html><head><title>Sign in &ndash; Corporate SSO</title></head><body><form>...</form></body></html>",
    headers: { "Content-Type": "text/html; charset=utf-8" },
  };

  it("without a check URL: not counted as uploaded (unknown, exit 1), with a warning", async () => {
    const a = await server("a", [{ on: "upload", action: loginPage }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", fixtures.ploneBar.path));
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout).results;
    expect(result).toMatchObject({ status: "unknown", reasonCode: "not-confirmed" });
    expect(result.reason).toMatch(
      /answered 200 with an HTML page \("Sign in – Corporate SSO"\).*no check URL/,
    );
  });

  it("with a check URL: the file is looked for; not there -> failed", async () => {
    const a = await server("a", [{ on: "upload", action: loginPage }]);
    const { config } = configFor({ a: { url: a.uploadUrl, "check-url": a.simpleUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", fixtures.ploneBar.path));
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout).results;
    expect(result).toMatchObject({ status: "failed", reasonCode: "not-confirmed" });
    expect(result.reason).toMatch(/the check URL does not list the file/);
  });

  it("with a check URL: the file is there -> uploaded (confirmed)", async () => {
    const a = await server("a", [{ on: "upload", action: { ...loginPage, afterCommit: true } }]);
    const { config } = configFor({ a: { url: a.uploadUrl, "check-url": a.simpleUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", fixtures.ploneBar.path));
    expect(r.code, r.stdout).toBe(0);
    expect(resultsOf(r.stdout)).toEqual([
      expect.objectContaining({
        status: "uploaded",
        reason: expect.stringMatching(/^confirmed by the check URL/),
      }),
    ]);
  });
});

describe("Ctrl-C after the file was sent, while waiting for the answer", () => {
  const slowAnswer = [
    { on: "upload" as const, action: { status: 200, afterCommit: true, delayMs: 20_000 } },
  ];

  async function interrupt(withCheckUrl: boolean) {
    const a = await server("a", slowAnswer);
    const { config } = configFor({
      a: { url: a.uploadUrl, ...(withCheckUrl ? { "check-url": a.simpleUrl } : {}) },
    });
    const run = spawnCli(
      uploadArgs(config, "a", "--no-preflight", "--json", fixtures.ploneBar.path),
    );
    await waitFor(() => a.files().length === 1);
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    return { r, ms: Date.now() - sentAt, result: JSON.parse(r.stdout).results[0] };
  }

  it("with a check URL: asks it before exiting (130 within a second); the file is there", async () => {
    const { r, ms, result } = await interrupt(true);
    expect(r.code).toBe(130);
    expect(ms).toBeLessThan(1_000);
    expect(result).toMatchObject({ status: "uploaded" });
    expect(result.reason).toMatch(/the check URL lists the file/);
  });

  it("without one: 'sent, outcome unknown', not 'failed'", async () => {
    const { r, ms, result } = await interrupt(false);
    expect(r.code).toBe(130);
    expect(ms).toBeLessThan(1_000);
    expect(result).toMatchObject({ status: "unknown", reasonCode: "outcome-unknown" });
    expect(result.reason).toMatch(/^sent, outcome unknown/);
  });
});

describe("-v traces every request and answer", () => {
  it("method, URL, status, time, retry decisions; the Authorization value never", async () => {
    const a = await server("a", [
      { on: "upload", action: { status: 503 } },
      { on: "upload", action: { status: 400, reason: "Invalid value for version" } },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "-v", fixtures.ploneBar.path));
    expect(r.code).toBe(1);
    const url = a.uploadUrl.replace(/[./]/g, "\\$&");
    expect(r.stderr).toMatch(new RegExp(`http: \\[a\\] > POST ${url}\\n`));
    expect(r.stderr).toMatch(/http: \[a\] {3}.*authorization: Basic \*\*\*(;|$)/m);
    expect(r.stderr).toMatch(
      new RegExp(`http: \\[a\\] < 503 Service Unavailable for POST ${url} in \\d+\\.\\d\\ds`),
    );
    expect(r.stderr).toMatch(/retrying .*attempt 1 failed: 503/);
    expect(r.stderr).toMatch(/http: \[a\] {3}not retrying: 400 is final/);
    expect(r.stderr).toMatch(/http: \[a\] {3}body: 400 Invalid value for version/);
    expect(r.stderr).not.toContain("pw-a");
    expect(r.stderr).not.toContain(Buffer.from("u:pw-a").toString("base64"));
  });
});
