/**
 * Ctrl-C: SIGINT to the CLI subprocess while an upload hangs. In-flight requests are aborted, the
 * summary says what landed, the exit code is 130, and a JSON report is still written.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonReport } from "../../src/report/json.js";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { outcomes, postsTo, spawnCli, uploadArgs } from "../helpers/cli.js";
import { configFor, serversPerTest, waitFor } from "../helpers/transport.js";

let fixtures: FixtureSet;
const server = serversPerTest();

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

describe("Ctrl-C", () => {
  it("aborts the stalled upload, reports what landed and what did not, exits 130", async () => {
    const a = await server("a");
    const b = await server("b", [{ on: "upload", times: "always", action: { stallMs: 20_000 } }]);
    const { config, dir } = configFor({ a: { url: a.uploadUrl }, b: { url: b.uploadUrl } });
    const report = join(dir, "report.json");
    const run = spawnCli(
      uploadArgs(
        config,
        "a,b",
        "--per-server",
        "1",
        "--report",
        report,
        fixtures.collectiveFoo.path,
        fixtures.ploneBar.path,
      ),
    );
    // Both files landed on a; b holds the first upload (the second waits for a slot).
    await waitFor(
      () =>
        a.files().length === 2 &&
        b.requests.some((q) => q.method === "POST" && q.outcome === "stalled"),
    );
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("pkgpush: interrupted; aborting transfers");
    // The human summary is printed on Ctrl-C too; the data below come from the JSON report.
    expect(r.stdout).toMatch(/^Summary: 2 uploaded, 1 failed, 1 unknown/m);
    const json = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
    expect(json.exitCode).toBe(130);
    // b's first file was handed over whole (it fits the socket buffers): it may have landed.
    const onB = json.results.filter((x) => x.server === "b");
    expect(outcomes(json).filter((x) => x.endsWith(" a uploaded"))).toEqual([
      "collective_foo-1.0.0-py3-none-any.whl a uploaded",
      "plone_bar-2.0.0.tar.gz a uploaded",
    ]);
    expect(onB.map((x) => `${x.status}: ${x.reason}`).sort()).toEqual([
      "failed: not attempted (interrupted)",
      "unknown: sent, outcome unknown (interrupted while waiting for the answer)",
    ]);
    expect(json.totals).toMatchObject({ uploaded: 2, failed: 1, unknown: 1 });
    expect(json.results.map((x: { reasonCode: string | null }) => x.reasonCode).sort()).toEqual([
      "interrupted",
      null,
      null,
      "outcome-unknown",
    ]);
    // The server saw the connection go away: nothing half-written was stored.
    await waitFor(() => b.requests.every((q) => q.outcome !== "pending"));
    expect(b.files()).toEqual([]);
    expect(postsTo(b)).toHaveLength(1);
  });

  it("during a retry's wait: stops at once and says so", async () => {
    const a = await server("a", [
      { on: "upload", times: "always", action: { status: 503, retryAfter: 30 } },
    ]);
    const { config, dir } = configFor({ a: { url: a.uploadUrl } });
    const report = join(dir, "report.json");
    const run = spawnCli(uploadArgs(config, "a", "--report", report, fixtures.ploneBar.path));
    await waitFor(() => run.stderr().includes("retrying"));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(10_000);
    const json = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
    expect(json.results).toEqual([
      expect.objectContaining({
        file: "plone_bar-2.0.0.tar.gz",
        server: "a",
        status: "failed",
        reason: "interrupted (last answer: 503 Service Unavailable)",
      }),
    ]);
  });

  it("during a large upload whose digests are computed while sending: exit 130 and the summary", async () => {
    // One server, no check URL: the 50 MiB wheel claims its digests (hashed in the same pass).
    const a = await server("a", [{ on: "upload", times: "always", action: { stallMs: 20_000 } }]);
    const { config, dir } = configFor({ a: { url: a.uploadUrl } });
    const report = join(dir, "report.json");
    const run = spawnCli(uploadArgs(config, "a", "--report", report, fixtures.bigWheel.path), {
      timeoutMs: 60_000,
    });
    await waitFor(() => a.requests.some((q) => q.method === "POST" && q.outcome === "stalled"));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^Summary: 1 failed/m);
    const json = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
    expect(outcomes(json)).toEqual([`${basename(fixtures.bigWheel.path)} a failed`]);
    expect(json.results[0]?.reason).toMatch(/^interrupted/);
  });

  it("during preflight: exit 130, nothing uploaded", async () => {
    const a = await server("a");
    const b = await server("b", [{ on: "get", times: "always", action: { stallMs: 20_000 } }]);
    const { config } = configFor({ a: { url: a.uploadUrl }, b: { url: b.uploadUrl } });
    const run = spawnCli(uploadArgs(config, "a,b", fixtures.ploneBar.path));
    await waitFor(() => b.requests.some((q) => q.method === "GET"));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted during the preflight checks; nothing was uploaded/);
    expect(postsTo(a)).toHaveLength(0);
  });
});
