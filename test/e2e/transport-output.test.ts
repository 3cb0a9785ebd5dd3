/**
 * What the user sees: progress bars on a terminal (through a pseudo-terminal made by `script`),
 * plain lines otherwise, --quiet / --verbose, --json and --report, and the exit codes.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { cli, uploadArgs } from "../helpers/cli.js";
import { configFor, runTimed } from "../helpers/transport.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let a: IndexServer;
let b: IndexServer;
let config: string;
let dir: string;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [a, b] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { u: "pw-a" } }),
    startIndexServer({
      mode: "pypi",
      users: { u: "pw-b" },
      faults: [{ on: "upload", times: "always", action: { status: 503 } }],
    }),
  ]);
  ({ config, dir } = configFor({ a: { url: a.uploadUrl }, b: { url: b.uploadUrl } }));
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const files = () => [fixtures.collectiveFoo.path, fixtures.bigWheel.path];

describe("output", () => {
  it("on a terminal: progress bars, then the summary; no crash", async () => {
    const command = [
      process.execPath,
      cli,
      "upload",
      "--config-file",
      config,
      "-r",
      "a",
      ...files(),
    ]
      .map((s) => `'${s}'`)
      .join(" ");
    const env = { PATH: process.env.PATH ?? "", HOME: dir, TERM: "xterm", COLUMNS: "120" };
    const { stdout } = await promisify(execFile)("script", ["-qec", command, "/dev/null"], {
      env,
      timeout: 25_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    // cli-progress draws with cursor movements; bars show a percentage and the file label.
    expect(stdout).toMatch(/\d+% \| .*-> a/);
    expect(stdout).toMatch(/uploaded: collective_foo-1\.0\.0-py3-none-any\.whl -> a/);
    const tail = stdout.slice(stdout.lastIndexOf("Summary:"));
    expect(tail).toMatch(/^Summary: 2 uploaded \(2 files x 1 server\)/);
    expect(tail).toMatch(/bigwheel-1\.0\.0-py3-none-any\.whl\s+a\s+uploaded/);
  });

  it("in CI / a pipe: plain lines, retries shown; exit 1 when something failed", async () => {
    const r = await runTimed(
      uploadArgs(config, "a,b", "--retries", "1", fixtures.collectiveFoo.path),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("\u001b[");
    expect(r.stderr).toMatch(
      /^uploading collective_foo-1\.0\.0-py3-none-any\.whl to a \(992 B\)$/m,
    );
    expect(r.stderr).toMatch(
      /^retrying collective_foo\S+ to b in \d\.\ds \(attempt 1 failed: 503/m,
    );
    expect(r.stdout).toMatch(/^Summary: 1 uploaded, 1 failed \(1 file x 2 servers\)$/m);
    expect(r.stdout).toMatch(/^FILE\s+SERVER\s+RESULT\s+TIME\s+DETAIL$/m);
    expect(r.stdout).toMatch(/\s+b\s+failed\s+\S+\s+503 Service Unavailable \(2 attempts\)$/m);
  });

  it("--quiet prints only failures and the summary", async () => {
    const r = await runTimed(
      uploadArgs(config, "a,b", "-q", "--retries", "0", fixtures.collectiveFoo.path),
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "failed: collective_foo-1.0.0-py3-none-any.whl to b: 503 Service Unavailable",
    );
    expect(r.stdout).toMatch(/^Summary: 1 uploaded, 1 failed/);
  });

  it("--json on stdout (summary on stderr) and --report FILE agree, schema pkgpush-report/1", async () => {
    const report = join(dir, "r.json");
    const r = await runTimed(
      uploadArgs(
        config,
        "a,b",
        "--retries",
        "0",
        "--json",
        "--report",
        report,
        fixtures.collectiveFoo.path,
      ),
    );
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toEqual(JSON.parse(readFileSync(report, "utf8")));
    expect(json).toMatchObject({ schema: "pkgpush-report/1", command: "upload", exitCode: 1 });
    expect(json.totals).toMatchObject({ uploaded: 1, failed: 1 });
    const byServer = Object.fromEntries(json.results.map((x: { server: string }) => [x.server, x]));
    expect(byServer.a).toMatchObject({ status: "uploaded", httpStatus: 200, attempts: 1 });
    expect(byServer.b).toMatchObject({ status: "failed", httpStatus: 503, attempts: 1 });
    expect(byServer.b.reason).toBe("503 Service Unavailable");
    expect(r.stderr).toMatch(/Summary: 1 uploaded, 1 failed/);
  });

  it("bad transport options are usage errors (exit 2) and nothing is sent", async () => {
    const before = a.requests.length;
    for (const bad of [
      ["--concurrency", "0"],
      ["--per-server", "x"],
      ["--retries", "-1"],
      ["--timeout", "0"],
      ["--connect-timeout", "soon"],
    ]) {
      const r = await runTimed(uploadArgs(config, "a", ...bad, fixtures.collectiveFoo.path));
      expect(r.code, bad.join(" ")).toBe(2);
      expect(r.stderr).toContain(bad[0] as string);
    }
    expect(a.requests.length).toBe(before);
  });
});
