/**
 * Hostile answers (the `stream` fault of the test index server): huge, endless and trickled
 * bodies. The server records how much of the answer the client took before it closed the
 * connection (the cap); time bounds are counted from the request's arrival, not from the CLI's
 * start, so that a loaded machine's slow start-up does not count.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { reportOf, spawnCli, uploadArgs } from "../helpers/cli.js";
import { configFor, serversPerTest, waitFor } from "../helpers/transport.js";
import type { IndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
const server = serversPerTest();

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

const GiB = 1024 ** 3;
/** Far more than the client's caps (64 KiB messages, 32 MiB index pages) plus socket buffers. */
const TAKEN_AT_MOST = 40 * 1024 * 1024;

const answered = (s: IndexServer, method: string) =>
  s.requests.filter((q) => q.method === method && q.answerBytes !== undefined);

/** Runs the CLI; `ms` counts from the first request of `method` at the server to the exit. */
async function timedFromRequest(s: IndexServer, method: string, args: string[]) {
  const run = spawnCli(args);
  let arrived = 0;
  const exited = run.done.then((r) => r);
  await Promise.race([
    waitFor(() => s.requests.some((q) => q.method === method), 20_000).then(() => {
      arrived = Date.now();
    }),
    exited,
  ]);
  const r = await exited;
  return { ...r, ms: Date.now() - (arrived || Date.now()) };
}

async function settled(s: IndexServer): Promise<void> {
  // The server notices the closed connection after the client has gone.
  await waitFor(() => s.requests.every((q) => q.outcome !== "pending"), 5_000);
  await s.idle();
}

describe("answer bodies are capped and the connection closed", () => {
  it("a 400 with a 2 GiB body: the message is read, the rest is not (no 2 GiB download)", async () => {
    const a = await server("a", [
      { on: "upload", action: { status: 400, reason: "Bad thing", stream: { bytes: 2 * GiB } } },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await timedFromRequest(
      a,
      "POST",
      uploadArgs(config, "a", "--timeout", "5", "--json", fixtures.ploneBar.path),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.ms).toBeLessThan(4_000);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        status: "failed",
        httpStatus: 400,
        reason: expect.stringMatching(/^400 Bad thing/),
      }),
    ]);
    await settled(a);
    const [post] = answered(a, "POST");
    expect(post?.answerBytes).toBeLessThan(TAKEN_AT_MOST);
  });

  it("an endless answer with --timeout 5 ends at the cap, not after gigabytes", async () => {
    const a = await server("a", [
      { on: "upload", action: { status: 503, stream: { bytes: "endless" } } },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await timedFromRequest(
      a,
      "POST",
      uploadArgs(config, "a", "--timeout", "5", "--retries", "0", fixtures.ploneBar.path),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.ms).toBeLessThan(4_000);
    await settled(a);
    expect(answered(a, "POST")[0]?.answerBytes).toBeLessThan(TAKEN_AT_MOST);
  });

  it("preflight and check-URL GETs answered with 3 GiB: each read once, up to its cap", async () => {
    const a = await server("a", [
      { on: "get", times: "always", action: { status: 200, stream: { bytes: 3 * GiB } } },
    ]);
    const b = await server("b");
    const { config } = configFor({
      a: { url: a.uploadUrl, "check-url": a.simpleUrl },
      b: { url: b.uploadUrl },
    });
    const r = await timedFromRequest(
      a,
      "GET",
      uploadArgs(config, "a,b", "--timeout", "5", fixtures.ploneBar.path),
    );
    // Two GETs of at most 32 MiB each and the uploads; draining 2 x 3 GiB would take far longer.
    expect(r.ms).toBeLessThan(10_000);
    // The page could not be read: the existence check says unknown and the upload goes ahead.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await settled(a);
    const gets = answered(a, "GET");
    // One GET of the upload URL (preflight), one of the project page (cached for the run).
    expect(gets.map((q) => q.path)).toEqual([
      new URL(a.uploadUrl).pathname,
      `${new URL(a.simpleUrl).pathname}plone-bar/`,
    ]);
    for (const q of gets) expect(q.answerBytes).toBeLessThan(TAKEN_AT_MOST + 32 * 1024 * 1024);
  });
});

describe("--timeout bounds the whole answer, not only the gap between bytes", () => {
  it("a status line and a byte every 2 s: given up after --timeout 3, not after an hour", async () => {
    const a = await server("a", [
      {
        on: "upload",
        action: { status: 400, stream: { bytes: 2000, chunk: 1, everyMs: 2000 } },
      },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await timedFromRequest(
      a,
      "POST",
      uploadArgs(config, "a", "--timeout", "3", "--retries", "0", "--json", fixtures.ploneBar.path),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.ms).toBeGreaterThanOrEqual(2_900);
    expect(r.ms).toBeLessThan(6_000);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringMatching(/no complete answer within 3 s/),
      }),
    ]);
  });

  it("a steady 50 KiB/s index page is given up after --timeout; the upload goes ahead", async () => {
    const a = await server("a", [
      {
        on: "get",
        times: "always",
        action: { status: 200, stream: { bytes: 10_000_000, chunk: 5_000, everyMs: 100 } },
      },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl, "check-url": a.simpleUrl } });
    const r = await timedFromRequest(
      a,
      "GET",
      uploadArgs(
        config,
        "a",
        "--timeout",
        "2",
        "--retries",
        "0",
        "--no-preflight",
        fixtures.ploneBar.path,
      ),
    );
    expect(r.ms).toBeLessThan(6_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/internal error/);
  });
});
