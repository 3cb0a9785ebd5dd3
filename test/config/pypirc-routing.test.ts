/**
 * Reading .pypirc for routing: the config file itself (regular, bounded), `packages` as an alias,
 * `glob-style`, per-server errors kept for `pkgpush servers`, name forms, and matching under a
 * deadline.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONFIG_MAX_BYTES, loadPypirc } from "../../src/config/pypirc.js";
import { compileReleasePattern, matchesProject } from "../../src/config/release-pattern.js";
import type { PypircConfig } from "../../src/config/types.js";
import { ConfigError, InterruptedError } from "../../src/errors.js";
import { RegularFileError, readRegularFile } from "../../src/io/regular-file.js";
import { INLINE_STEP_LIMIT, runMatches } from "../../src/resolve/bounded-match.js";
import { matchRoutes } from "../../src/resolve/route-match.js";

const dir = mkdtempSync(join(tmpdir(), "pkgpush-routing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
async function load(text: string, keepServerErrors = false): Promise<PypircConfig> {
  const path = join(dir, `pypirc-${counter++}`);
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return loadPypirc({ path, env: {}, keepServerErrors });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe("the config file must be a regular file of bounded size", () => {
  it.skipIf(process.platform === "win32")(
    "refuses a FIFO at once (no writer: opening it would block)",
    async () => {
      const fifo = join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      const started = Date.now();
      const error = await failure(loadPypirc({ path: fifo, env: {} }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        `config file ${fifo} is a named pipe (FIFO), not a regular file; give the path of a regular file`,
      );
      expect(Date.now() - started).toBeLessThan(1000);
    },
  );

  it.skipIf(!process.platform.startsWith("linux"))(
    "refuses /dev/zero without reading it",
    async () => {
      const error = await failure(loadPypirc({ path: "/dev/zero", env: {} }));
      expect(error.message).toMatch(
        /^config file \/dev\/zero is a character device, not a regular file/,
      );
    },
  );

  it.skipIf(process.platform === "win32")(
    "reads /dev/null as an empty file (the usual way to say no configuration)",
    async () => {
      const config = await loadPypirc({ path: "/dev/null", env: {} });
      expect([...config.servers.keys()]).toEqual(["pypi", "testpypi"]);
    },
  );

  it("refuses a directory and a file over the limit", async () => {
    expect((await failure(loadPypirc({ path: dir, env: {} }))).message).toMatch(
      /is a directory, not a regular file/,
    );
    const big = join(dir, "big.pypirc");
    writeFileSync(big, `[distutils]\n${"#".repeat(CONFIG_MAX_BYTES)}\n`);
    const error = await failure(loadPypirc({ path: big, env: {} }));
    expect(error.message).toMatch(/^config file .*big\.pypirc is \d+ bytes, over the 1 MiB limit/);
  });

  it("readRegularFile reads a file up to the limit and stops a growing one", async () => {
    const path = join(dir, "exact");
    writeFileSync(path, "x".repeat(100));
    expect((await readRegularFile(path, 100)).bytes.length).toBe(100);
    const error = await failure(readRegularFile(path, 99));
    expect(error).toBeInstanceOf(RegularFileError);
    expect((error as RegularFileError).code).toBe("too-large");
  });
});

describe("packages, glob-style and per-server errors", () => {
  it("reads packages as release-packages", async () => {
    const config = await load(
      "[distutils]\nindex-servers = plone\n[plone]\nrepository = https://p.example/\npackages =\n    collective\\..*\n",
    );
    const plone = config.servers.get("plone");
    expect(plone?.releasePackages.map((p) => [p.source, p.line])).toEqual([["collective\\..*", 6]]);
  });

  it("refuses packages and release-packages in one section, naming both lines", async () => {
    const error = await failure(
      load("[distutils]\nindex-servers = plone\n[plone]\nrelease-packages = a.*\npackages = b.*\n"),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /pypirc-\d+, line 5: \[plone\] sets packages \(line 5\) and release-packages \(line 4\); packages is an old name for release-packages: keep one$/,
    );
  });

  it("reads lines as globs with glob-style = true, ! lines excluding", async () => {
    const config = await load(
      "[distutils]\nindex-servers = corp\nglob-style = true\n[corp]\nrepository = https://c.example/\nrelease-packages =\n    acme*\n    !*-internal\n",
    );
    const lines = config.servers.get("corp")?.releasePackages ?? [];
    expect(lines.map((p) => [p.kind, p.exclude])).toEqual([
      ["glob", false],
      ["glob", true],
    ]);
    expect(matchesProject(lines, "acme-tools")).toBe(true);
    expect(matchesProject(lines, "acme-internal")).toBe(false);
    // The same line as a regex would be invalid.
    expect(() => compileReleasePattern("*release*", { file: "f", section: "s", line: 1 })).toThrow(
      ConfigError,
    );
  });

  it("refuses a glob-style value that is not a boolean, naming the line", async () => {
    const error = await failure(load("[distutils]\nindex-servers = a\nglob-style = maybe\n[a]\n"));
    expect(error.message).toMatch(/line 3: \[distutils\] glob-style = "maybe" is not a boolean/);
  });

  it("keeps a section's error on its server when asked, and loads the others", async () => {
    const text =
      "[distutils]\nindex-servers =\n    bad\n    good\n[bad]\nrepository = https://b.example/\nrelease-packages = Products(\n[good]\nrepository = https://g.example/\nrelease-packages = acme-.*\n";
    await expect(load(text)).rejects.toThrow(/section \[bad\], line 7: invalid release-packages/);
    const config = await load(text, true);
    expect(config.servers.get("bad")?.error?.message).toMatch(
      /line 7: invalid release-packages pattern "Products\("/,
    );
    expect(config.servers.get("good")?.error).toBeUndefined();
    expect(config.servers.get("good")?.releasePackages).toHaveLength(1);
  });
});

describe("name forms", () => {
  const loc = { file: "f", section: "s", line: 1 };
  it("matches the file-name form ([-_.]+ -> _) users see in dist/", () => {
    const wheel = [compileReleasePattern(String.raw`uxprobe_\d+`, loc)];
    expect(matchesProject(wheel, "uxprobe-13255")).toBe(true);
    expect(matchesProject(wheel, "uxprobe.13255")).toBe(true);
    expect(
      matchesProject([compileReleasePattern("products_helloworld", loc)], "Products.HelloWorld"),
    ).toBe(true);
    expect(
      matchesProject([compileReleasePattern("Products_HelloWorld", loc)], "Products.HelloWorld"),
    ).toBe(true);
    expect(matchesProject(wheel, "uxprobe-x13255")).toBe(false);
  });
});

describe("matching under a deadline", () => {
  const loc = { file: "~/.pypirc", section: "plone", line: 9 };
  const runaway = compileReleasePattern("(a+)+$", loc);
  const long = `${"a".repeat(40)}.x`;

  it("runs usual patterns inline and flags runaway ones", () => {
    for (const source of [
      String.raw`Products\..*`,
      "(?i)(collective|plone)[._-].*",
      "acme-.*",
      "[\\w.]+",
      "zope\\.(interface|component)",
    ]) {
      // 60 characters: a long real project name.
      expect(compileReleasePattern(source, loc).cost(60), source).toBeLessThanOrEqual(
        INLINE_STEP_LIMIT,
      );
    }
    for (const source of ["(a+)+$", "(a|a)*b", "(.*)*x", "(a|b|ab)*c"]) {
      expect(compileReleasePattern(source, loc).cost(40), source).toBeGreaterThan(
        INLINE_STEP_LIMIT,
      );
    }
  });

  it("stops a runaway pattern and names file, section and line", async () => {
    const server = { name: "plone", releasePackages: [runaway] } as never;
    const started = Date.now();
    const error = await failure(matchRoutes([server], [long], { deadlineMs: 300 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `~/.pypirc, section [plone], line 9: release-packages pattern "(a+)+$" ran for more than 0.3 s against '${long}' and was stopped`,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("gives the same answers in the worker as inline", async () => {
    const slow = { regex: runaway.regex, subject: "aaaa", cost: Number.POSITIVE_INFINITY };
    const fast = { regex: runaway.regex, subject: "aaab", cost: 1 };
    expect(await runMatches([slow, fast])).toEqual([{ index: 0, end: 4 }, null]);
  });

  it("stops at once when interrupted", async () => {
    const controller = new AbortController();
    const task = { regex: runaway.regex, subject: long, cost: Number.POSITIVE_INFINITY };
    const pending = failure(runMatches([task], { signal: controller.signal, deadlineMs: 60_000 }));
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    expect(await pending).toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
