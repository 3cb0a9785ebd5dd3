/**
 * Routing through the real CLI: runaway patterns (deadline, Ctrl-C), the config file's kind and
 * size, listed servers without release-packages, collective.releaser hints, `pkgpush servers`
 * with a broken section, and file-name forms, against the real test index server.
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliResult,
  cli,
  postsTo,
  pypirc,
  reportOf,
  runCli,
  serverListing,
  storedNames,
  workspace,
} from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const work = mkdtempSync(join(tmpdir(), "pkgpush-routing-e2e-"));

/** A minimal sdist of `name` (file named in the `[-_.]+` -> `_` form, as build tools do). */
async function sdist(name: string, version = "1.0"): Promise<string> {
  const stem = `${name.replace(/[-_.]+/g, "_")}-${version}`;
  const path = join(work, `${stem}.tar.gz`);
  const pack = tar.pack();
  pack.entry(
    { name: `${stem}/PKG-INFO` },
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
  );
  pack.finalize();
  await pipeline(pack, createGzip(), createWriteStream(path));
  return path;
}

/** A `--dry-run --json` plan's routing: `FILE -> SERVER`, in plan order. */
const planned = (r: CliResult): string[] =>
  (reportOf(r).plan ?? []).map((job) => `${job.file} -> ${job.server}`);

/** Paths as the CLI shows them: runCli's HOME is the temporary directory. */
const shown = (path: string): string => path.replace(tmpdir(), "~");

/** The 1-based line of `text` in the config file. */
const lineOf = (config: string, text: string): number =>
  readFileSync(config, "utf8").split("\n").indexOf(text) + 1;

const LONG = `${"a".repeat(40)}.x`;
let runaway: string;
let helloWorld: string;
let uxprobe: string;
let index: IndexServer;

beforeAll(async () => {
  [runaway, helloWorld, uxprobe] = await Promise.all([
    sdist(LONG),
    sdist("Products.HelloWorld"),
    sdist("uxprobe-13255"),
  ]);
  index = await startIndexServer({ mode: "devpi", users: { alice: "alice-pw-4d1e8b" } });
});
afterAll(() => index?.close());

function runawayConfig(mode = 0o600): string {
  const { config } = workspace(
    pypirc({
      distutils: { "index-servers": ["plone"] },
      plone: {
        repository: "http://127.0.0.1:9/",
        username: "u",
        password: "pw-for-the-warning",
        "release-packages": ["(a+)+$"],
      },
    }),
  );
  if (mode !== 0o600) execFileSync("chmod", [mode.toString(8), config]);
  return config;
}

describe("a runaway release-packages pattern", () => {
  it("is stopped at the deadline: a config error naming file, section and line", async () => {
    const config = runawayConfig();
    const r = await runCli(["upload", "--dry-run", "--config-file", config, runaway]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `pkgpush: error: ${shown(config)}, section [plone], line ${lineOf(config, "    (a+)+$")}: release-packages pattern "(a+)+$" ran for more than 2 s against '${LONG}' and was stopped`,
    );
  });

  it("does not keep Ctrl-C from ending the run: exit 130 within a second", async () => {
    // A group-readable file with a password gets a warning first: the sign that the CLI is up.
    const config = runawayConfig(0o644);
    const child = spawn(
      process.execPath,
      [cli, "upload", "--dry-run", "--config-file", config, runaway],
      {
        env: { PATH: process.env.PATH ?? "", HOME: work, CI: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    const ready = new Promise<void>((resolve) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        if (stderr.includes("permissions")) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const sent = Date.now();
    child.kill("SIGINT");
    const code = await closed;
    expect(code).toBe(130);
    // A second on an idle machine; the suite shares two cores with CPU-heavy tests, so the bound
    // grows with the run queue per core (capped: a pattern blocking the main thread never exits).
    const load = loadavg()[0] ?? 0;
    expect(Date.now() - sent).toBeLessThan(1000 * Math.min(5, Math.max(1, load / cpus().length)));
    expect(stderr).not.toContain("ran for more than");
  });
});

describe("the config file", () => {
  it.skipIf(process.platform === "win32")("a FIFO is refused at once", async () => {
    const fifo = join(work, "fifo.pypirc");
    execFileSync("mkfifo", [fifo]);
    const started = Date.now();
    const r = await runCli(["upload", "--dry-run", "--config-file", fifo, helloWorld]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `config file ${shown(fifo)} is a named pipe (FIFO), not a regular file`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(!process.platform.startsWith("linux"))(
    "/dev/zero is refused without reading it",
    async () => {
      const r = await runCli(["servers", "--config-file", "/dev/zero"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("config file /dev/zero is a character device, not a regular file");
    },
  );
});

describe("routing notes and collective.releaser hints", () => {
  let last = "";
  function config(): string {
    last = workspace(
      pypirc({
        distutils: { "index-servers": ["plone", "wheels", "nopat"] },
        plone: {
          repository: index.uploadUrl,
          username: "alice",
          password: "alice-pw-4d1e8b",
          "release-packages": ["collective\\..*", "Products\\."],
        },
        wheels: {
          repository: index.uploadUrl,
          username: "alice",
          password: "alice-pw-4d1e8b",
          packages: ["uxprobe_\\d+"],
        },
        nopat: { repository: index.uploadUrl },
      }),
    ).config;
    return last;
  }

  it("the error for a file no server accepts names the line and the whole-name pattern", async () => {
    const before = index.requests.length;
    const r = await runCli(["upload", "--config-file", config(), helloWorld]);
    const line = lineOf(last, "    Products\\.");
    expect(line).toBeGreaterThan(0);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "no server's release-packages matches project 'Products.HelloWorld' (checked: plone, wheels)",
    );
    expect(r.stderr).toContain(
      `pkgpush: error:   'plone' line ${line}: "Products\\." matches only part of 'Products.HelloWorld' (collective.releaser's rule routed it; pkgpush matches whole names); "Products\\..*" would route it`,
    );
    expect(index.requests.length).toBe(before);
  });

  it("--dry-run says a listed server without patterns receives nothing", async () => {
    const json = await runCli([
      "upload",
      "--dry-run",
      "--json",
      "--config-file",
      config(),
      uxprobe,
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(planned(json)).toEqual(["uxprobe_13255-1.0.tar.gz -> wheels"]);
    expect(reportOf(json).files).toMatchObject([{ project: "uxprobe-13255", version: "1.0" }]);
    // The routing notes are part of the printed plan only.
    const r = await runCli(["upload", "--dry-run", "--config-file", config(), uxprobe]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Routing notes:\n  'nopat' has no release-packages: it receives nothing unless named with -r",
    );
  });

  it("a real upload routes by the file-name form and warns about the server left out", async () => {
    const r = await runCli(["upload", "--config-file", config(), "--no-preflight", uxprobe]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "warning: 'nopat' has no release-packages: it receives nothing unless named with -r",
    );
    expect(storedNames(index)).toContain("uxprobe_13255-1.0.tar.gz");
    expect(postsTo(index).length).toBe(1);
  });

  it("the plan names a line that matches only part of a name routed elsewhere", async () => {
    const { config: cfg } = workspace(
      pypirc({
        distutils: { "index-servers": ["main", "plone"] },
        main: { repository: index.uploadUrl, "release-packages": ["Products\\..*"] },
        plone: { repository: index.uploadUrl, "release-packages": ["Products\\."] },
      }),
    );
    const args = ["upload", "--dry-run", "--no-keyring", "--config-file", cfg, helloWorld];
    const json = await runCli([...args, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(planned(json)).toEqual(["Products_HelloWorld-1.0.tar.gz -> main"]);
    // The routing notes are part of the printed plan only.
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Routing notes:\n  'plone' line ${lineOf(cfg, "    Products\\.")}: "Products\\." matches only part of 'Products.HelloWorld'`,
    );
  });

  it("glob-style = true routes by globs, ! lines excluding", async () => {
    const { config: cfg } = workspace(
      `${pypirc({
        distutils: { "index-servers": ["corp", "wheels"], "glob-style": "true" },
        corp: { repository: index.uploadUrl, "release-packages": ["uxprobe*", "!*-internal"] },
        wheels: { repository: index.uploadUrl, "release-packages": ["*_13255", "!uxprobe-*"] },
      })}`,
    );
    const r = await runCli([
      "upload",
      "--dry-run",
      "--json",
      "--no-keyring",
      "--config-file",
      cfg,
      uxprobe,
    ]);
    expect(r.code, r.stderr).toBe(0);
    // corp takes it; wheels' positive line matches the file-name form, but its ! line vetoes.
    expect(planned(r)).toEqual(["uxprobe_13255-1.0.tar.gz -> corp"]);
    const servers = await runCli(["servers", "--json", "--no-keyring", "--config-file", cfg]);
    expect(servers.code, servers.stderr).toBe(0);
    expect(serverListing(servers.stdout).get("corp")).toMatchObject({
      releasePackages: ["uxprobe*", "!*-internal"],
      patternStyle: "glob",
    });
  });

  it("pkgpush servers shows the notes and a broken section's error, and lists the rest", async () => {
    const { config: broken } = workspace(
      pypirc({
        distutils: { "index-servers": ["bad", "plone", "nopat"] },
        bad: { repository: index.uploadUrl, "release-packages": ["Products("] },
        plone: { repository: index.uploadUrl, "release-packages": ["Products\\."] },
        nopat: { repository: index.uploadUrl },
      }),
    );
    const r = await runCli(["servers", "--no-keyring", "--config-file", broken]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `\nbad\n  error:    ${shown(broken)}, section [bad], line ${lineOf(broken, "    Products(")}: invalid release-packages pattern "Products(": missing ), unterminated subpattern\n`,
    );
    expect(r.stdout).toContain(
      `  note:     line ${lineOf(broken, "    Products\\.")}: "Products\\." can never match a whole project name (names start and end with a letter or digit); collective.releaser matched it anywhere in the name: write "Products\\..*"\n`,
    );
    expect(r.stdout).toContain(
      "\nnopat\n  url:      " +
        index.uploadUrl +
        "\n  routes:   (no release-packages)\n  note:     'nopat' has no release-packages: it receives nothing unless named with -r\n",
    );
    expect(r.stdout).toContain("\npypi (not in index-servers)");
    expect(r.stderr).toContain("pkgpush: error: 1 server has a configuration problem");
    const json = await runCli(["servers", "--json", "--no-keyring", "--config-file", broken]);
    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.stdout) as {
      servers: Array<{ name: string; error: string | null }>;
    };
    expect(parsed.servers.map((s) => [s.name, s.error !== null])).toEqual([
      ["bad", true],
      ["plone", false],
      ["nopat", false],
      ["pypi", false],
      ["testpypi", false],
    ]);
  });
});
