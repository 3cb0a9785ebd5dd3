/**
 * `pkgpush sync` end to end: several test index servers (source and targets), the real CLI.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  exampleDist,
  outcomes,
  postsTo,
  pypirc,
  reportOf,
  spawnCli,
  storedNames,
  workspace,
} from "../helpers/cli.js";
import { closedPort, configFor, runTimed, serversPerTest, waitFor } from "../helpers/transport.js";
import {
  type IndexServer,
  type IndexServerOptions,
  startIndexServer,
} from "../server/index-server.js";

const server = serversPerTest();
const custom: IndexServer[] = [];
afterEach(async () => {
  await Promise.all(custom.splice(0).map((s) => s.close()));
});
/** A source with options of its own (user u, password pw-src), holding the release. */
async function source(options: IndexServerOptions): Promise<IndexServer> {
  const s = await startIndexServer({ mode: "pypi", users: { u: "pw-src" }, ...options });
  custom.push(s);
  for (const f of release) await s.seed(f, bytesOf(f));
  return s;
}
const release = ["collective.demo-1.0.0-py3-none-any.whl", "collective.demo-1.0.0.tar.gz"];
const downloads = (s: IndexServer): number =>
  s.requests.filter((q) => q.method === "GET" && q.path.startsWith("/files/")).length;
const bytesOf = (name: string): Buffer => readFileSync(join(exampleDist, name));

async function seeded(name: string, files: string[] = release): Promise<IndexServer> {
  const s = await server(name);
  for (const f of files) await s.seed(f, bytesOf(f));
  return s;
}

/** src, a, b: routing sends collective.* to a and b. */
/**
 * `sync collective.demo --from src --to a`, in a .pypirc that gives `a` by its upload URL only
 * (no check-url line at all: configFor would write check-url = none), so its simple URL is derived.
 */
function syncToDerived(src: IndexServer, a: IndexServer): string[] {
  const { config: cfg } = workspace(
    pypirc({
      distutils: { "index-servers": ["src", "a"] },
      src: { repository: src.uploadUrl, "check-url": src.simpleUrl },
      a: { repository: a.uploadUrl, username: "u", password: "pw-a" },
    }),
  );
  return ["sync", "collective.demo", "--from", "src", "--to", "a", "--config-file", cfg];
}

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
      "--json",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toEqual(release);
    expect(downloads(src)).toBe(2);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual([
      `${release[0]} a skipped`,
      `${release[0]} b uploaded`,
      `${release[1]} a uploaded`,
      `${release[1]} b uploaded`,
    ]);
    expect(report.totals).toMatchObject({ uploaded: 3, skipped: 1 });
  });

  it("everything already present: nothing downloaded, nothing uploaded, exit 0", async () => {
    const src = await seeded("src");
    const a = await seeded("a");
    const b = await seeded("b");
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b),
      "--json",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual([
      `${release[0]} a skipped`,
      `${release[0]} b skipped`,
      `${release[1]} a skipped`,
      `${release[1]} b skipped`,
    ]);
    expect(report.results.every((x) => x.reasonCode === "already-exists")).toBe(true);
    expect(report.sync?.copies).toEqual([]);
    expect(downloads(src)).toBe(0);
    expect(postsTo(a).length + postsTo(b).length).toBe(0);
  });

  it("a file with another hash on a target is reported and never overwritten; the other target still gets it", async () => {
    const src = await seeded("src");
    const a = await server("a");
    await a.seed(release[1] as string, "other bytes under the same name");
    const b = await server("b");
    const cfg = config(src, a, b);
    const dry = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      cfg,
      "--dry-run",
      "--json",
    ]);
    expect(dry.code).toBe(1);
    expect(reportOf(dry).sync?.conflicts).toEqual([
      {
        file: release[1],
        server: "a",
        sourceSha256: createHash("sha256")
          .update(bytesOf(release[1] as string))
          .digest("hex"),
        targetSha256: createHash("sha256").update("other bytes under the same name").digest("hex"),
      },
    ]);
    expect(downloads(src)).toBe(0);
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      cfg,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.command).toBe("sync");
    expect(report.sync.conflicts).toEqual([
      expect.objectContaining({ file: release[1], server: "a" }),
    ]);
    expect(report.results).toContainEqual(
      expect.objectContaining({
        file: release[1],
        server: "a",
        status: "failed",
        reasonCode: "different-file",
      }),
    );
    expect(postsTo(a).map((q) => q.file?.filename)).toEqual([release[0]]);
    expect(storedNames(b)).toEqual(release);
    expect(
      readFileSync(a.files().find((f) => f.filename === release[1])?.path as string, "utf8"),
    ).toBe("other bytes under the same name");
  });

  it("a target that is down: the others get their files, the report names it, exit 1", async () => {
    const src = await seeded("src");
    const a = await server("a");
    const port = await closedPort();
    const { config: cfg } = configFor({
      src: { url: src.uploadUrl, "check-url": src.simpleUrl },
      a: { url: a.uploadUrl, "check-url": a.simpleUrl, "release-packages": "collective\\..*" },
      down: {
        url: `http://127.0.0.1:${port}/legacy/`,
        "check-url": `http://127.0.0.1:${port}/simple/`,
        "release-packages": "collective\\..*",
      },
    });
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      cfg,
      "--retries",
      "0",
      "--json",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(storedNames(a)).toEqual(release);
    const report = reportOf(r);
    expect(report.sync?.unreachable).toEqual([
      {
        server: "down",
        project: "collective-demo",
        reason: expect.stringMatching(/connection refused/),
      },
    ]);
    expect(outcomes(report)).toEqual([`${release[0]} a uploaded`, `${release[1]} a uploaded`]);
  });

  it("NAME alone copies every version; NAME==VERSION only that one; --to picks the targets", async () => {
    const src = await seeded("src");
    await src.seed("collective.demo-2.0.tar.gz", "pretend sdist 2.0");
    const a = await server("a");
    const b = await server("b");
    const cfg = config(src, a, b);
    const dry = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--to",
      "b",
      "--config-file",
      cfg,
      "--dry-run",
      "--json",
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout).sync;
    expect(plan.releases).toEqual(["collective-demo==1.0.0", "collective-demo==2.0"]);
    expect(
      plan.copies.map((c: { file: string; targets: string[] }) => `${c.file} ${c.targets}`),
    ).toEqual([`${release[0]} b`, `${release[1]} b`, "collective.demo-2.0.tar.gz b"]);
    const missing = await runTimed([
      "sync",
      "collective.demo==3.0",
      "--from",
      "src",
      "--config-file",
      cfg,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /collective\.demo==3\.0: src has no files of collective-demo 3\.0 \(versions there: 1\.0\.0, 2\.0\)/,
    );
    const r = await runTimed([
      "sync",
      "collective.demo==1.0.0",
      "--from",
      "src",
      "--to",
      "a",
      "--config-file",
      cfg,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toEqual([]);
  });

  it("re-running after a failed run copies only what is still missing", async () => {
    const src = await seeded("src");
    const a = await server("a");
    // b takes the first upload, then refuses the rest with 500s.
    const b = await server("b", [
      { on: "upload", skip: 1, times: "always", action: { status: 500 } },
    ]);
    const cfg = config(src, a, b);
    const args = [
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      cfg,
      "--retries",
      "0",
    ];
    const first = await runTimed(args);
    expect(first.code).toBe(1);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toHaveLength(1);
    const [held] = storedNames(b);
    b.setFaults([]);
    const before = { downloads: downloads(src), a: postsTo(a).length };
    const second = await runTimed([...args, "--json"]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    // Only the file b refused is sent again; everything else is already there.
    expect(outcomes(reportOf(second))).toEqual(
      [
        `${release[0]} a skipped`,
        `${release[1]} a skipped`,
        ...release.map((f) => `${f} b ${f === held ? "skipped" : "uploaded"}`),
      ].sort(),
    );
    expect(downloads(src) - before.downloads).toBe(1);
    expect(postsTo(a).length).toBe(before.a);
    expect(storedNames(b)).toEqual(release);
  });

  it("Ctrl-C while downloading: exit 130 within a second, a summary, and the private folder is gone", async () => {
    const src = await seeded("src");
    src.setFaults([{ on: "files", times: "always", action: { delayMs: 20_000 } }]);
    const a = await server("a");
    const b = await server("b");
    const tmp = mkdtempSync(join(tmpdir(), "pkgpush-sync-tmp-"));
    const run = spawnCli(
      ["sync", "collective.demo", "--from", "src", "--config-file", config(src, a, b)],
      {
        env: { TMPDIR: tmp },
      },
    );
    // Only sync's own folders: on Node >= 22.1 the launcher's compile cache also lives there.
    const ours = () => readdirSync(tmp).filter((name) => /^pkgpush-sync-\d+-/.test(name));
    await waitFor(() => run.stderr().includes("downloading") && ours().length > 0);
    const sent = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - sent).toBeLessThan(1_000);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Summary: 4 not-sent/);
    expect(r.stdout).toMatch(/not downloaded from src: interrupted/);
    expect(ours()).toEqual([]);
    expect(postsTo(a).length + postsTo(b).length).toBe(0);
  });

  it("a source that serves only PEP 503 HTML: hashes from the URL fragments, files copied", async () => {
    const src = await source({ simpleFormats: "html" });
    const a = await server("a");
    const b = await server("b");
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(src.requests.find((q) => q.path.startsWith("/simple/"))?.headers.accept).toMatch(/json/);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toEqual(release);
  });

  it("a source that requires credentials gets its own, and only its own", async () => {
    const src = await source({ readAuth: true });
    const a = await server("a");
    const b = await server("b");
    const cfg = config(src, a, b);
    const r = await runTimed(["sync", "collective.demo", "--from", "src", "--config-file", cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const gets = src.requests.filter((q) => q.method === "GET");
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((q) => q.headers.authorization === "Basic u" && q.status === 200)).toBe(true);
    expect(storedNames(b)).toEqual(release);
    // Without the source's password: the index says 401, nothing is copied, the run says why.
    const { config: noPassword } = configFor({
      src: { url: src.uploadUrl, "check-url": src.simpleUrl, password: "" },
      a: { url: a.uploadUrl, "check-url": a.simpleUrl, "release-packages": "collective\\..*" },
    });
    const refused = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      noPassword,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/collective\.demo: src: .* answered 401/);
  });

  it("files on another host (a CDN) get no Authorization header; the index itself does", async () => {
    const cdn = await server("cdn");
    for (const f of release) await cdn.seed(f, bytesOf(f));
    const src = await source({ readAuth: true, filesBaseUrl: cdn.filesUrl });
    const a = await server("a");
    const b = await server("b");
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(downloads(src)).toBe(0);
    expect(downloads(cdn)).toBe(2);
    expect(cdn.requests.map((q) => q.headers.authorization)).toEqual([undefined, undefined]);
    expect(src.requests.every((q) => q.headers.authorization === "Basic u")).toBe(true);
    expect(storedNames(a)).toEqual(release);
  });

  it("a download that breaks mid-file is retried, verified, and never uploaded truncated", async () => {
    const src = await seeded("src");
    src.setFaults([{ on: "files", times: 2, action: { truncateAfterBytes: 300 } }]);
    const a = await server("a");
    const b = await server("b");
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /retrying download of collective\.demo-1\.0\.0\S* in \S+ \(attempt 1 failed: /,
    );
    expect(downloads(src)).toBe(4);
    for (const s of [a, b]) {
      for (const f of s.files())
        expect(readFileSync(f.path as string).equals(bytesOf(f.filename))).toBe(true);
      expect(postsTo(s).every((q) => q.file?.size === bytesOf(q.file?.filename ?? "").length)).toBe(
        true,
      );
    }
  });

  it("a download whose bytes do not match: that file goes nowhere; the others reach ordinary targets at once, and nothing reaches a permanent one", async () => {
    const src = await seeded("src");
    src.setFaults([{ on: "files", match: { filename: release[1] }, action: { corrupt: true } }]);
    const a = await server("a");
    const b = await server("b");
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b, { b: { immutable: "true" } }),
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/download failed: collective\.demo-1\.0\.0\.tar\.gz: sha256 mismatch/);
    // The verified wheel went to the ordinary target while the sdist was downloading; the
    // sdist's wrong bytes went nowhere, and the permanent target got nothing at all.
    expect(storedNames(a)).toEqual([release[0]]);
    expect(postsTo(a).map((p) => p.file?.filename)).toEqual([release[0]]);
    expect(postsTo(b)).toEqual([]);
    const report = JSON.parse(r.stdout);
    expect(report.totals).toMatchObject({ uploaded: 1, held: 1, "not-sent": 2 });
    const rows = Object.fromEntries(
      report.results.map(
        (x: { file: string; server: string; status: string; reasonCode: string }) => [
          `${x.file} ${x.server}`,
          `${x.status} ${x.reasonCode}`,
        ],
      ),
    );
    expect(rows).toEqual({
      [`${release[0]} a`]: "uploaded null",
      [`${release[0]} b`]: "held held",
      [`${release[1]} a`]: "not-sent hash-mismatch",
      [`${release[1]} b`]: "not-sent hash-mismatch",
    });
    const held = report.results.find((x: { status: string }) => x.status === "held");
    expect(held.reason).toMatch(
      /collective\.demo-1\.0\.0\.tar\.gz did not match the source's sha256/,
    );
    expect(
      report.sync.copies.map(
        (c: { download: string; reasonCode: string }) => `${c.download} ${c.reasonCode}`,
      ),
    ).toEqual(["downloaded null", "failed hash-mismatch"]);
    // The summary says the same (stderr, as --json puts it there).
    expect(r.stderr).toMatch(/Summary: 1 uploaded, 1 held, 2 not-sent/);
    // The mismatch is not retried: the bytes are wrong, not short.
    expect(downloads(src)).toBe(2);
  });

  it("a verified file is uploaded to ordinary targets while others still download; a permanent target waits for every file", async () => {
    const src = await seeded("src");
    // The sdist's download takes a while: the wheel is done long before.
    src.setFaults([
      { on: "files", match: { filename: release[1] }, times: "always", action: { delayMs: 6_000 } },
    ]);
    const a = await server("a");
    const b = await server("b");
    const started = Date.now();
    const run = spawnCli([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--config-file",
      config(src, a, b, { b: { immutable: "true" } }),
    ]);
    let exited = false;
    void run.done.then(() => {
      exited = true;
    });
    await waitFor(() => storedNames(a).includes(release[0] as string) || exited);
    // The wheel is on a while the sdist's download is still held up at the source; b has nothing.
    expect(exited).toBe(false);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(postsTo(b)).toEqual([]);
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    expect(storedNames(b)).toEqual(release);
    // b got its files only once every download was verified: its first upload came after both.
    expect(postsTo(b).map((p) => p.file?.filename)).toEqual(release);
  });

  it("a target with check-url = none is not reached: what it lacks cannot be seen", async () => {
    const src = await seeded("src");
    const a = await server("a");
    const { config: cfg } = configFor({
      src: { url: src.uploadUrl, "check-url": src.simpleUrl },
      a: { url: a.uploadUrl, "check-url": "none" },
    });
    const r = await runTimed([
      "sync",
      "collective.demo",
      "--from",
      "src",
      "--to",
      "a",
      "--config-file",
      cfg,
      "--json",
    ]);
    expect(r.code).toBe(1);
    const report = reportOf(r);
    expect(report.sync?.unreachable).toEqual([
      {
        server: "a",
        project: "collective-demo",
        reason: expect.stringMatching(/check-url = none/),
      },
    ]);
    expect(report.results).toEqual([]);
    expect(postsTo(a)).toEqual([]);
  });

  it("a derived simple URL's project page is asked while the URL is confirmed, and used once it is", async () => {
    const src = await seeded("src");
    const done = new Map<string, number>();
    // Every simple-index answer of `a` takes 1.5 s: one after the other, the page would be
    // answered 1.5 s after the confirmation; asked together, within moments of it.
    const a = await startIndexServer({
      mode: "pypi",
      users: { u: "pw-a" },
      faults: [{ on: "simple", times: "always", action: { delayMs: 1500 } }],
      onRequest: (q) => {
        if (q.method === "GET") done.set(q.path, Date.now());
      },
    });
    custom.push(a);
    const r = await runTimed(syncToDerived(src, a));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    const root = done.get("/simple/") as number;
    const page = done.get("/simple/collective-demo/") as number;
    expect(Math.abs(page - root)).toBeLessThan(1000);
    // Each asked once: the early page is the one the plan used.
    expect(a.requests.filter((q) => q.path === "/simple/collective-demo/")).toHaveLength(1);
  });

  it("a derived simple URL that is not confirmed: the page asked early is not used, nothing is sent there", async () => {
    const src = await seeded("src");
    // The upload URL says Warehouse layout (/simple/), but this index serves it elsewhere.
    const a = await startIndexServer({ mode: "pypi", users: { u: "pw-a" }, simplePath: "/pypi/" });
    custom.push(a);
    const r = await runTimed([...syncToDerived(src, a), "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(a.requests.filter((q) => q.method === "POST")).toEqual([]);
    expect(JSON.stringify(reportOf(r).sync)).toMatch(/not confirmed/);
  });

  it("targets given by upload URL only: their simple index is derived (Warehouse layout) and confirmed", async () => {
    const src = await seeded("src");
    const a = await server("a");
    const args = syncToDerived(src, a);
    const r = await runTimed(args);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(storedNames(a)).toEqual(release);
    expect(a.requests.some((q) => q.method === "GET" && q.path === "/simple/")).toBe(true);
    const again = await runTimed([...args, "--json"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(outcomes(reportOf(again))).toEqual([
      `${release[0]} a skipped`,
      `${release[1]} a skipped`,
    ]);
  });
});
