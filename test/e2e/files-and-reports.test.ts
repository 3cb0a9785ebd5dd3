/**
 * Auxiliary files and the report: a --report that cannot be written, CA/client certificates that
 * are FIFOs, devices or not PEM, a `.asc` that is not a regular file: each a one-line error before
 * anything is sent (never a hang). A report file lost mid-run names the file and the cause; a
 * stderr whose reader went away does not stop the uploads. Dry runs: --json, __token__, the
 * plain-http rule.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { cli, postsTo, pypirc, runCli, spawnCli, uploadArgs, workspace } from "../helpers/cli.js";
import { waitFor } from "../helpers/transport.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let server: IndexServer;
let config: string;
let dir: string;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  server = await startIndexServer({ mode: "devpi", users: { alice: "Files-Secret-1234" } });
  ({ config, dir } = workspace(
    pypirc({
      distutils: { "index-servers": ["a"] },
      a: { repository: server.uploadUrl, username: "alice", password: "Files-Secret-1234" },
    }),
  ));
});
afterAll(async () => {
  await server?.close();
});

const fifo = (name: string): string => {
  const path = join(dir, name);
  rmSync(path, { force: true });
  execFileSync("mkfifo", [path]);
  return path;
};

describe("--report that cannot be written: an error before anything is sent", () => {
  const cases: Array<[string, () => string, RegExp]> = [
    [
      "a missing folder",
      () => join(dir, "no/such/folder/r.json"),
      /cannot use the folder .*no such folder/,
    ],
    ["a directory", () => dir, /is a directory/],
    ["/dev/full", () => "/dev/full", /cannot be written \(no space left on the device\)/],
  ];
  for (const [what, path, message] of cases) {
    it(what, async () => {
      const before = postsTo(server).length;
      const r = await runCli(
        uploadArgs(config, "a", "--report", path(), "--no-keyring", fixtures.wheel21.path),
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(postsTo(server).length).toBe(before);
    });
  }

  it("a report lost during the run (its folder removed): the file and the cause, exit 1", async () => {
    const slow = await startIndexServer({ mode: "devpi", users: { alice: "Files-Secret-1234" } });
    slow.setFaults([{ on: "upload", action: { delayMs: 1_500 } }]);
    try {
      const { config: c, dir: d } = workspace(
        pypirc({
          distutils: { "index-servers": ["s"] },
          s: { repository: slow.uploadUrl, username: "alice", password: "Files-Secret-1234" },
        }),
      );
      mkdirSync(join(d, "out"));
      const report = join(d, "out", "r.json");
      const run = spawnCli(
        uploadArgs(c, "s", "--report", report, "--no-keyring", fixtures.wheel21.path),
      );
      await waitFor(() => slow.requests.some((q) => q.method === "POST"));
      rmSync(join(d, "out"), { recursive: true });
      const r = await run.done;
      expect(r.stdout).toMatch(/Summary: 1 uploaded/);
      expect(r.stderr).toMatch(
        new RegExp(
          `pkgpush: error: could not write the report to ${report.replace(/[/.]/g, "\\$&")}: no such folder`,
        ),
      );
      expect(r.code).toBe(1);
    } finally {
      await slow.close();
    }
  });
});

describe("certificates, signatures: regular files of bounded size, valid PEM", () => {
  it("--cert naming a FIFO or --client-cert naming /dev/zero: one line each, no hang", async () => {
    const r = await runCli(
      uploadArgs(
        config,
        "a",
        "--cert",
        fifo("ca.fifo"),
        "--client-cert",
        "/dev/zero",
        fixtures.wheel21.path,
      ),
      { timeoutMs: 10_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cert .*ca\.fifo is a named pipe \(FIFO\), not a regular file/);
    expect(r.stderr).toMatch(/--client-cert \/dev\/zero is a character device, not a regular file/);
  });

  it("a CA file that is not PEM, a client certificate without its key: also in a dry run", async () => {
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello\n");
    const r = await runCli(
      uploadArgs(config, "a", "--dry-run", "--cert", notPem, fixtures.wheel21.path),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cert .*not\.pem has no PEM certificate in it/);
    const { config: c } = workspace(
      pypirc({
        distutils: { "index-servers": ["a"] },
        a: {
          repository: server.uploadUrl,
          username: "alice",
          password: "x-Files-Secret",
          client_cert: notPem,
        },
      }),
    );
    const r2 = await runCli(uploadArgs(c, "a", "--dry-run", fixtures.wheel21.path));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/\[a\] client_cert .*not\.pem has no PEM certificate/);
  });

  it("a .asc next to the file that is a FIFO: found during inspection, nothing sent", async () => {
    const d = join(dir, "sig");
    mkdirSync(d, { recursive: true });
    const wheel = join(d, basename(fixtures.wheel21.path));
    copyFileSync(fixtures.wheel21.path, wheel);
    rmSync(`${wheel}.asc`, { force: true });
    execFileSync("mkfifo", [`${wheel}.asc`]);
    const before = postsTo(server).length;
    const r = await runCli(uploadArgs(config, "a", wheel), { timeoutMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.whl\.asc is a named pipe \(FIFO\), not a regular file/);
    expect(postsTo(server).length).toBe(before);
  });
});

describe("a stderr whose reader went away", () => {
  it("`2>&1 >/dev/null | head -1`: the uploads go on and the report is written", async () => {
    const { config: c, dir: d } = workspace(
      pypirc({
        distutils: { "index-servers": ["a"] },
        a: { repository: server.uploadUrl, username: "alice", password: "Files-Secret-1234" },
      }),
    );
    const report = join(d, "r.json");
    const files = [fixtures.wheel24.path, fixtures.wheel25.path, fixtures.sdist11.path];
    const args = [cli, ...uploadArgs(c, "a", "--no-keyring", "--report", report, ...files)]
      .map((a) => `'${a}'`)
      .join(" ");
    const firstLine = await new Promise<string>((resolve) => {
      execFile(
        "sh",
        ["-c", `CI=true "${process.execPath}" ${args} 2>&1 >/dev/null | head -1`],
        { cwd: d },
        (_error, stdout) => resolve(stdout),
      );
    });
    expect(firstLine).not.toMatch(/internal error/);
    const json = JSON.parse(readFileSync(report, "utf8"));
    expect(json.totals.failed).toBe(0);
    expect(json.results).toHaveLength(3);
  });
});

describe("dry runs", () => {
  it("--dry-run --json prints the plan as JSON, with __token__ where that user name will be sent", async () => {
    const { config: c } = workspace(
      pypirc({
        distutils: { "index-servers": ["a"] },
        a: { repository: server.uploadUrl, password: "pypi-Dry-Run-Token-Secret" },
      }),
    );
    const r = await runCli(uploadArgs(c, "a", "--dry-run", "--json", fixtures.wheel21.path));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ schema: "pkgpush-report/1", dryRun: true, results: [] });
    expect(json.plan).toEqual([
      { id: 1, action: "upload", file: basename(fixtures.wheel21.path), server: "a", after: [] },
    ]);
    expect(json.servers[0].username).toBe("__token__");
    expect(json.credentials[0]).toMatchObject({
      username: "__token__",
      usernameFrom: "default for a password without user name",
    });
    expect(r.stdout).not.toContain("Dry-Run-Token-Secret");
    const human = await runCli(uploadArgs(c, "a", "--dry-run", fixtures.wheel21.path));
    expect(human.stdout).toMatch(
      /user __token__ \(from default for a password without user name\)/,
    );
  });

  it("the plain-http credential rule, as in a real run; the hint for an ad-hoc URL names the flag", async () => {
    const r = await runCli([
      "upload",
      "--config-file",
      config,
      "--repository-url",
      "http://10.0.0.1/legacy/",
      "-p",
      "Plain-Http-Secret",
      "--dry-run",
      fixtures.wheel21.path,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to send credentials .* over plain http to 10\.0\.0\.1/);
    expect(r.stderr).toMatch(/hint: .*--allow-insecure-http$/m);
    expect(r.stderr).not.toMatch(/allow-insecure-http = true in \[/);
  });
});
