/**
 * What is already on a server: check-url (simple index), --skip-existing, preflight conflicts,
 * a re-run after a partial failure, the look-again after a failed answer, and immutable servers
 * last.
 */
import { basename } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { storedNames as names, outcomes, postsTo, reportOf, uploadArgs } from "../helpers/cli.js";
import { configFor, runTimed, serversPerTest } from "../helpers/transport.js";
import type { ExistsStyle, FaultAction, IndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
const server = serversPerTest();

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

const posts = (s: IndexServer): string[] => postsTo(s).map((q) => q.file?.filename ?? "");

/** A .pypirc with the immutable server `perm` first, then `a`. */
const permThenA = (perm: IndexServer, a: IndexServer): string =>
  configFor({
    perm: { url: perm.uploadUrl, immutable: "true" },
    a: { url: a.uploadUrl },
  }).config;

describe("re-running after a partial failure", () => {
  it("the second run sends only what is missing (check-url skips the rest without a POST) and ends green", async () => {
    const files = [fixtures.collectiveFoo, fixtures.ploneBar, fixtures.acmeInternal];
    const paths = files.map((f) => f.path);
    const a = await server("a");
    // b takes the first upload, then fails every other one.
    const b = await server("b", [
      { on: "upload", skip: 1, times: "always", action: { status: 500 } },
    ]);
    const { config } = configFor({
      a: { url: a.uploadUrl, "check-url": a.simpleUrl },
      b: { url: b.uploadUrl, "simple-url": b.simpleUrl },
    });
    const args = uploadArgs(config, "a,b", "--retries", "0", "--json", ...paths);
    const first = await runTimed(args);
    expect(first.code).toBe(1);
    expect(reportOf(first).totals).toMatchObject({ uploaded: 4, failed: 2 });
    expect(names(a)).toHaveLength(3);
    expect(names(b)).toHaveLength(1);
    const landedOnB = names(b);

    b.setFaults([]);
    const postsBefore = { a: posts(a).length, b: posts(b).length };
    const second = await runTimed(args);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const report = reportOf(second);
    expect(outcomes(report)).toEqual(
      paths
        .map((p) => basename(p))
        .flatMap((n) => [
          `${n} a skipped`,
          `${n} b ${landedOnB.includes(n) ? "skipped" : "uploaded"}`,
        ])
        .sort(),
    );
    for (const row of report.results.filter((x) => x.status === "skipped")) {
      expect(row).toMatchObject({
        reason: expect.stringMatching(/^already on the server with the same sha256/),
        reasonCode: "already-exists",
      });
    }
    // a: nothing re-sent; b: exactly the two files that were missing.
    expect(posts(a).length).toBe(postsBefore.a);
    const resent = posts(b).slice(postsBefore.b).sort();
    expect(resent).toEqual(
      paths
        .map((p) => basename(p))
        .filter((n) => !landedOnB.includes(n))
        .sort(),
    );
    expect(names(b)).toEqual(names(a));
  });

  it("an answer lost after the server stored the file: looked up again, reported uploaded", async () => {
    const a = await server("a", [{ on: "upload", action: { status: 502, afterCommit: true } }]);
    const { config } = configFor({ a: { url: a.uploadUrl, "check-url": a.simpleUrl } });
    const r = await runTimed(
      uploadArgs(config, "a", "--retries", "0", "--json", fixtures.ploneBar.path),
    );
    expect(r.code, r.stdout).toBe(0);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        file: "plone_bar-2.0.0.tar.gz",
        server: "a",
        status: "uploaded",
        reason: expect.stringMatching(
          /the file is on the server \(same sha256\) although the upload reported: 502/,
        ),
      }),
    ]);
    expect(posts(a)).toHaveLength(1);
  });
});

describe("conflicts", () => {
  it("preflight: a different file under the same name on one server stops the run, nothing sent", async () => {
    const a = await server("a");
    const b = await server("b");
    await b.seed(basename(fixtures.collectiveFoo.path), "other bytes");
    const { config } = configFor({
      a: { url: a.uploadUrl, "check-url": a.simpleUrl },
      b: { url: b.uploadUrl, "check-url": b.simpleUrl },
    });
    const args = uploadArgs(config, "a,b", fixtures.collectiveFoo.path, fixtures.ploneBar.path);
    const r = await runTimed(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preflight found 1 problem; nothing was uploaded/);
    expect(r.stderr).toMatch(
      /collective_foo-1\.0\.0-py3-none-any\.whl on b: the server already has a different file/,
    );
    expect(posts(a)).toEqual([]);
    expect(posts(b)).toEqual([]);
    // Without preflight: that one job fails before its upload, the others go.
    const r2 = await runTimed([...args, "--no-preflight", "--json"]);
    expect(r2.code).toBe(1);
    const foo = basename(fixtures.collectiveFoo.path);
    const bar = basename(fixtures.ploneBar.path);
    expect(outcomes(reportOf(r2))).toEqual([
      `${foo} a uploaded`,
      `${foo} b failed`,
      `${bar} a uploaded`,
      `${bar} b uploaded`,
    ]);
    expect(reportOf(r2).results.find((x) => x.status === "failed")?.reason).toMatch(
      /the server already has a different file/,
    );
    expect(posts(b)).toEqual([basename(fixtures.ploneBar.path)]);
    expect(names(a)).toHaveLength(2);
  });

  it("--skip-existing understands every server's way of saying 'already exists'", async () => {
    const styles: ExistsStyle[] = ["pypi", "pypiserver", "nexus", "artifactory", "gitlab"];
    const servers = await Promise.all(styles.map((s) => server(s, [], s)));
    const file = basename(fixtures.collectiveFoo.path);
    await Promise.all(servers.map((s) => s.seed(file, "other bytes")));
    const { config } = configFor(
      Object.fromEntries(styles.map((s, i) => [s, { url: (servers[i] as IndexServer).uploadUrl }])),
    );
    const args = uploadArgs(
      config,
      styles.join(","),
      "--no-preflight",
      "--json",
      fixtures.collectiveFoo.path,
    );
    const failed = await runTimed([...args, "--retries", "0"]);
    expect(failed.code).toBe(1);
    expect(outcomes(reportOf(failed))).toEqual(styles.map((s) => `${file} ${s} failed`).sort());
    const skipped = await runTimed([...args, "--skip-existing"]);
    expect(skipped.code, skipped.stdout).toBe(0);
    expect(outcomes(reportOf(skipped))).toEqual(styles.map((s) => `${file} ${s} skipped`).sort());
    for (const s of servers) expect(posts(s)).toHaveLength(2); // one per run, never retried
  });
});

describe("immutable servers", () => {
  it("come last for each file: their upload starts after the other servers' finished", async () => {
    const a = await server("a", [{ on: "upload", times: "always", action: { delayMs: 300 } }]);
    const perm = await server("perm");
    const config = permThenA(perm, a);
    const r = await runTimed(uploadArgs(config, "perm,a", fixtures.ploneBar.path));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    const doneOnA = lines.findIndex((l) => /^uploaded: plone_bar-2\.0\.0\.tar\.gz to a /.test(l));
    const startOnPerm = lines.findIndex((l) =>
      /^uploading plone_bar-2\.0\.0\.tar\.gz to perm /.test(l),
    );
    expect(doneOnA).toBeGreaterThanOrEqual(0);
    expect(startOnPerm).toBeGreaterThan(doneOnA);
  });
});

describe("a file another server refused is held back from a permanent index", () => {
  /** Uploads to a private server answering `action` and to a permanent one, in that order. */
  async function privateAnswers(action: FaultAction) {
    const a = await server("a", [{ on: "upload", times: "always", action }]);
    const perm = await server("perm");
    const config = permThenA(perm, a);
    const r = await runTimed(
      uploadArgs(config, "perm,a", "--retries", "0", "--json", fixtures.ploneBar.path),
    );
    return { r, report: reportOf(r), perm };
  }

  it("400 (the file itself refused) on the private server: held, exit 1, nothing sent to perm", async () => {
    const { r, report, perm } = await privateAnswers({ status: 400, reason: "Invalid classifier" });
    expect(r.code).toBe(1);
    expect(outcomes(report)).toEqual([
      "plone_bar-2.0.0.tar.gz a failed",
      "plone_bar-2.0.0.tar.gz perm held",
    ]);
    expect(report.results.find((x) => x.server === "perm")?.reason).toMatch(
      /^not sent to this permanent index because a refused/,
    );
    expect(posts(perm)).toHaveLength(0);
  });

  it("an 'already exists' 400 on the private server does not hold the permanent upload", async () => {
    const { r, report, perm } = await privateAnswers({
      status: 400,
      reason: "File already exists",
    });
    expect(r.code).toBe(1);
    expect(outcomes(report)).toEqual([
      "plone_bar-2.0.0.tar.gz a failed",
      "plone_bar-2.0.0.tar.gz perm uploaded",
    ]);
    expect(names(perm)).toEqual(["plone_bar-2.0.0.tar.gz"]);
  });

  it("a server error (503) on the private server does not hold the permanent upload", async () => {
    const { r, report, perm } = await privateAnswers({ status: 503 });
    expect(r.code).toBe(1);
    expect(outcomes(report)).toEqual([
      "plone_bar-2.0.0.tar.gz a failed",
      "plone_bar-2.0.0.tar.gz perm uploaded",
    ]);
    expect(names(perm)).toEqual(["plone_bar-2.0.0.tar.gz"]);
  });
});
