/**
 * Retries, timeouts and failing servers, end to end: the built CLI against the strict test index
 * server with a fault plan. Every run is bounded (a few requests, seconds) and loopback only.
 */

import { createServer, type Server, type Socket } from "node:net";
import { basename } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { outcomes, reportOf, uploadArgs, postsTo as uploads } from "../helpers/cli.js";
import { closedPort, configFor, runTimed, serversPerTest } from "../helpers/transport.js";

let fixtures: FixtureSet;
const server = serversPerTest();

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

/** Server `a` up, and a section `down` whose port nothing listens on. */
async function oneServerDown() {
  const a = await server("a");
  const port = await closedPort();
  const { config } = configFor({
    a: { url: a.uploadUrl },
    down: { url: `http://127.0.0.1:${port}/legacy/` },
  });
  return { a, port, config };
}

const wheel = () => fixtures.collectiveFoo.path;
const wheelName = () => basename(fixtures.collectiveFoo.path);

describe("retries", () => {
  it("503 then success: retried once, uploaded, the summary says 2 attempts", async () => {
    const a = await server("a", [{ on: "upload", action: { status: 503 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", wheel()));
    expect(r.code, r.stderr).toBe(0);
    expect(uploads(a).map((q) => q.status)).toEqual([503, 200]);
    expect(r.stderr).toMatch(/retrying .* \(attempt 1 failed: 503 Service Unavailable\)/);
    expect(r.stderr).toMatch(/uploaded\s+\S+\s+\(2 attempts\)/);
    const report = JSON.parse(r.stdout);
    expect(report.results[0]).toMatchObject({ status: "uploaded", attempts: 2, httpStatus: 200 });
    expect(a.files().map((f) => f.sha256)).toEqual([fixtures.collectiveFoo.sha256]);
  });

  it("429 with Retry-After: 1 waits about a second, then succeeds", async () => {
    const a = await server("a", [{ on: "upload", action: { status: 429, retryAfter: 1 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", wheel()));
    expect(r.code, r.stderr).toBe(0);
    expect(uploads(a).map((q) => q.status)).toEqual([429, 200]);
    expect(r.stderr).toMatch(/retrying .* in 1\.0s \(attempt 1 failed: 429 Too Many Requests\)/);
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({ file: wheelName(), status: "uploaded", attempts: 2 }),
    ]);
  });

  it("a connection reset mid-body is retried; the truncated body is never stored", async () => {
    const a = await server("a", [{ on: "upload", action: { resetAfterBytes: 1024 * 1024 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const big = fixtures.bigWheel;
    const r = await runTimed(uploadArgs(config, "a", big.path));
    expect(r.code, r.stderr).toBe(0);
    const posts = uploads(a);
    expect(posts.map((q) => q.outcome)).toEqual(["reset", "answered"]);
    expect(posts[0]?.bodyBytes).toBeLessThan(posts[1]?.bodyBytes ?? 0);
    expect(r.stderr).toMatch(/retrying .*attempt 1 failed: connection (reset|to \S+ closed)/);
    // One file, complete: the digest the server computed is the file's.
    expect(a.files().map((f) => [f.filename, f.sha256])).toEqual([
      [basename(big.path), big.sha256],
    ]);
  });

  it("400 is never retried: exactly one request", async () => {
    const a = await server("a", [
      { on: "upload", action: { status: 400, reason: "Invalid value for version" } },
    ]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--json", wheel()));
    expect(r.code).toBe(1);
    expect(uploads(a)).toHaveLength(1);
    expect(r.stderr).not.toContain("retrying");
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringMatching(/^400 Invalid value for version/),
        httpStatus: 400,
        attempts: 1,
      }),
    ]);
    expect(a.files()).toEqual([]);
  });

  it("--retries 1 gives up after two attempts on a server that keeps answering 502", async () => {
    const a = await server("a", [{ on: "upload", times: "always", action: { status: 502 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--retries", "1", "--json", wheel()));
    expect(r.code).toBe(1);
    expect(uploads(a)).toHaveLength(2);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringMatching(/^502 Bad Gateway/),
        attempts: 2,
      }),
    ]);
  });
});

describe("timeouts and unreachable servers", () => {
  it("a server that stalls after the body fails with a stall message; the others succeed", async () => {
    const a = await server("a");
    const b = await server("b", [{ on: "upload", action: { stallMs: 20_000 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl }, b: { url: b.uploadUrl } });
    const r = await runTimed(
      uploadArgs(config, "a,b", "--timeout", "1", "--retries", "0", "--json", wheel()),
    );
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8000);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual([`${wheelName()} a uploaded`, `${wheelName()} b failed`]);
    expect(report.results.find((x) => x.server === "b")?.reason).toBe(
      "no progress for 1 s (server stalled)",
    );
    expect(a.files()).toHaveLength(1);
    expect(b.files()).toHaveLength(0);
  });

  it("a server that stops reading the body mid-upload is cut off by the watchdog", async () => {
    const a = await server("a", [{ on: "upload", action: { stallMs: 20_000 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(
      uploadArgs(config, "a", "--timeout", "1", "--retries", "0", "--json", fixtures.bigWheel.path),
    );
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8000);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({ status: "failed", reason: "no progress for 1 s (server stalled)" }),
    ]);
    // The server saw part of the body only: the client was still sending when it gave up.
    const [post] = uploads(a);
    expect(post?.outcome).toBe("stalled");
    expect(post?.bodyBytes).toBeLessThan(post?.contentLength ?? 0);
  });

  it("a slow server (answers after 1.5 s) is waited for: --timeout is about progress", async () => {
    const a = await server("a", [{ on: "upload", action: { delayMs: 1500 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl } });
    const r = await runTimed(uploadArgs(config, "a", "--timeout", "3", "--json", wheel()));
    expect(r.code, r.stderr).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(1500);
    expect(uploads(a)).toHaveLength(1);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({ status: "uploaded", attempts: 1 }),
    ]);
  });

  it("one server down: --no-preflight uploads to the others and exits 1 with the reason", async () => {
    const { a, port, config } = await oneServerDown();
    const r = await runTimed(
      uploadArgs(config, "a,down", "--no-preflight", "--retries", "1", "--json", wheel()),
    );
    expect(r.code).toBe(1);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual([`${wheelName()} a uploaded`, `${wheelName()} down failed`]);
    expect(report.results.find((x) => x.server === "down")).toMatchObject({
      reason: `connection refused by 127.0.0.1:${port}`,
      attempts: 2,
    });
    expect(a.files()).toHaveLength(1);
  });

  it("one server down: preflight (the default with several servers) stops before any upload", async () => {
    const { a, config } = await oneServerDown();
    const r = await runTimed(uploadArgs(config, "a,down", wheel()));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preflight found 1 problem; nothing was uploaded/);
    expect(r.stderr).toMatch(/down \(http:\/\/127\.0\.0\.1:\d+\/legacy\/\): connection refused/);
    expect(uploads(a)).toHaveLength(0);
    expect(a.files()).toHaveLength(0);
  });

  it("--connect-timeout bounds a TLS handshake that never completes", async () => {
    // A TCP listener that accepts and never says a word: the TLS handshake hangs.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const { config } = configFor({ s: { url: `https://127.0.0.1:${port}/legacy/` } });
      const r = await runTimed(
        uploadArgs(config, "s", "--connect-timeout", "1", "--retries", "0", "--json", wheel()),
      );
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(8000);
      expect(reportOf(r).results).toEqual([
        expect.objectContaining({
          status: "failed",
          reason: expect.stringMatching(/^timed out connecting to 127\.0\.0\.1:\d+/),
        }),
      ]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
