import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError, parseCli, parseSize } from "./cli-args.js";
import { httpRequest } from "./test-client.js";

describe("command line", () => {
  it("builds one server from top-level options", () => {
    const config = parseCli([
      "--port",
      "0",
      "--mode",
      "devpi",
      "--user",
      "alice:se:cret",
      "--user",
      "bob:pw",
      "--name",
      "plone",
    ]);
    expect(config.servers).toEqual([
      {
        name: "plone",
        options: { port: 0, mode: "devpi", users: { alice: "se:cret", bob: "pw" } },
      },
    ]);
    expect(config.log).toBe(false);
  });

  it("builds several servers from specs, top-level options as defaults", () => {
    const config = parseCli([
      "--host",
      "::1",
      "--max-file-size",
      "1MiB",
      "--server",
      "name=pypi,user=__token__:pypi-x,existsStyle=nexus",
      "--server",
      "name=plone,mode=devpi,user=alice:secret,user=bob:pw,auth-challenge,owner=Products.X=bob",
      "--server",
      '{"name":"flaky","faults":[{"on":"upload","action":{"status":503}}]}',
      "--server",
      'fault={"action":{"drop":true}}',
    ]);
    expect(config.servers).toEqual([
      {
        name: "pypi",
        options: {
          host: "::1",
          maxFileSize: 1048576,
          users: { __token__: "pypi-x" },
          existsStyle: "nexus",
        },
      },
      {
        name: "plone",
        options: {
          host: "::1",
          maxFileSize: 1048576,
          mode: "devpi",
          users: { alice: "secret", bob: "pw" },
          authChallenge: true,
          owners: { "Products.X": ["bob"] },
        },
      },
      {
        name: "flaky",
        options: {
          host: "::1",
          maxFileSize: 1048576,
          faults: [{ on: "upload", action: { status: 503 } }],
        },
      },
      {
        name: "index4",
        options: { host: "::1", maxFileSize: 1048576, faults: [{ action: { drop: true } }] },
      },
    ]);
  });

  it("refuses bad input", () => {
    expect(() => parseCli(["--mode", "warehouse"])).toThrow(CliError);
    expect(() => parseCli(["--user", "alice"])).toThrow(/NAME:PASSWORD/);
    expect(() => parseCli(["--server", "name=a", "--server", "name=a"])).toThrow(
      /two servers are named/,
    );
    expect(() => parseCli(["--server", "colour=blue"])).toThrow(/unknown option 'colour'/);
    expect(() => parseCli(["--fault", '{"action":{"status":9}}'])).toThrow(/not an HTTP status/);
    expect(() => parseCli(["--bogus"])).toThrow(CliError);
    expect(() => parseCli(["--port", "1", "--port", "2"])).toThrow(/more than once/);
  });

  it("parses sizes", () => {
    expect([
      parseSize("512"),
      parseSize("1k"),
      parseSize("1KiB"),
      parseSize("100MB"),
      parseSize("1.5GiB"),
    ]).toEqual([512, 1000, 1024, 100_000_000, 1.5 * 1024 ** 3]);
    expect(() => parseSize("lots")).toThrow(CliError);
  });
});

describe("index-server process", () => {
  let dir: string;
  let entry: string;

  beforeAll(async () => {
    // Bundle as scripts/build.mjs does, into a private directory (build/ belongs to the build script).
    dir = await mkdtemp(path.join(os.tmpdir(), "pkgpush-index-cli-"));
    entry = path.join(dir, "index-server.js");
    await build({
      entryPoints: [path.join(import.meta.dirname, "main.ts")],
      outfile: entry,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
      logLevel: "warning",
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function run(args: string[]): {
    child: ChildProcess;
    lines: AsyncIterator<string>;
    exited: Promise<number | null>;
  } {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    if (!child.stdout) throw new Error("no stdout pipe");
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    return { child, lines, exited };
  }

  it("prints one JSON line when listening and stops on SIGTERM", async () => {
    const { child, lines, exited } = run([
      "--port",
      "0",
      "--mode",
      "devpi",
      "--user",
      "alice:secret",
      "--name",
      "plone",
    ]);
    const info = JSON.parse((await lines.next()).value as string);
    expect(info).toMatchObject({
      name: "plone",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(info.uploadUrl).toBe(`${info.url}/legacy/`);
    expect(info.simpleUrl).toBe(`${info.url}/simple/`);
    expect((await httpRequest(info.simpleUrl)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("runs several servers in one process, logs requests, stops on SIGINT", async () => {
    const { child, lines, exited } = run([
      "--log",
      "--server",
      "name=a,mode=pypi",
      "--server",
      "name=b,mode=devpi,upload-path=/alice/dev/,simple-path=/alice/dev/+simple/",
    ]);
    const a = JSON.parse((await lines.next()).value as string);
    const b = JSON.parse((await lines.next()).value as string);
    expect([a.name, b.name]).toEqual(["a", "b"]);
    expect(a.url).not.toBe(b.url);
    expect(b.uploadUrl).toBe(`${b.url}/alice/dev/`);
    expect(b.simpleUrl).toBe(`${b.url}/alice/dev/+simple/`);
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    expect((await httpRequest(`${b.simpleUrl}nothing/`)).status).toBe(404);
    await expect
      .poll(() => stderr)
      .toContain("[b] GET /alice/dev/+simple/nothing/ -> 404 Not Found");
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("exits when standard input ends, if asked", async () => {
    const { child, lines, exited } = run(["--exit-on-stdin-end"]);
    await lines.next();
    child.stdin?.end();
    expect(await exited).toBe(0);
  });

  it("exits 2 on a bad command line", async () => {
    const { exited } = run(["--mode", "nope"]);
    expect(await exited).toBe(2);
  });
});
