/**
 * The Node API (src/index.ts) as users get it: the built bundle (dist/index.js), against the real
 * test index server in this process. Typed results carry the JSON report's data; runs that cannot
 * start throw errors with a stable `code`; event text and results are redacted; the example
 * script in examples/ runs as written (it imports "pkgpush", resolved by the package's exports).
 */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Api from "../../src/index.js";
import { exampleDist, pypirc, root, storedNames, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const run = promisify(execFile);
const TOKEN = "pypi-api-token-5d1c9e";
const WHEEL = join(exampleDist, "collective.demo-1.0.0-py3-none-any.whl");
const SDIST = join(exampleDist, "collective.demo-1.0.0.tar.gz");

let api: typeof Api;
let server: IndexServer;
let echo: http.Server;
let echoUrl: string;

beforeAll(async () => {
  api = (await import(join(root, "dist/index.js"))) as typeof Api;
  server = await startIndexServer({ mode: "pypi", users: { __token__: TOKEN } });
  // Refuses every upload, quoting the Authorization header it got (as some proxies do).
  echo = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const auth = Buffer.from((req.headers.authorization ?? "").slice(6), "base64").toString();
      res.writeHead(400, `Bad credentials ${auth}`).end(`refused: ${auth}`);
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/legacy/`;
});
afterAll(async () => {
  await server?.close();
  echo?.closeAllConnections();
  await new Promise((resolve) => echo?.close(resolve));
});

describe("upload(), plan(), register()", () => {
  it("plan() sends nothing and returns the order and where credentials come from", async () => {
    const before = storedNames(server).length;
    const report = await api.plan({
      files: [WHEEL],
      repositoryUrl: server.uploadUrl,
      token: TOKEN,
      env: {},
      keyring: false,
    });
    expect(report).toMatchObject({ schema: "pkgpush-report/1", command: "upload", dryRun: true });
    expect(report.plan).toEqual([
      {
        id: 1,
        action: "upload",
        file: "collective.demo-1.0.0-py3-none-any.whl",
        server: server.uploadUrl,
        after: [],
      },
    ]);
    expect(report.credentials?.[0]).toMatchObject({ username: "__token__" });
    expect(JSON.stringify(report)).not.toContain(TOKEN);
    expect(storedNames(server).length).toBe(before);
  });

  it("upload() returns the JSON report's data, events along the way; the CLI's --json agrees in shape", async () => {
    const finished: string[] = [];
    const report = await api.upload(
      {
        files: [WHEEL, SDIST],
        repositoryUrl: server.uploadUrl,
        token: TOKEN,
        env: {},
        keyring: false,
      },
      { onFinish: (r) => finished.push(`${r.outcome.status} ${r.job.dist.filename}`) },
    );
    expect(report.exitCode).toBe(0);
    expect(report.totals.uploaded).toBe(2);
    expect(report.results.map((r) => [r.file, r.status, r.reasonCode])).toEqual([
      ["collective.demo-1.0.0-py3-none-any.whl", "uploaded", null],
      ["collective.demo-1.0.0.tar.gz", "uploaded", null],
    ]);
    expect(report.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ""))).toBe(true);
    expect(finished.sort()).toEqual([
      "uploaded collective.demo-1.0.0-py3-none-any.whl",
      "uploaded collective.demo-1.0.0.tar.gz",
    ]);
    expect(storedNames(server)).toEqual(
      expect.arrayContaining([
        "collective.demo-1.0.0-py3-none-any.whl",
        "collective.demo-1.0.0.tar.gz",
      ]),
    );
  });

  it("a server echoing the password: the result, events and messages are redacted", async () => {
    const secret = "echoed-secret-48d1";
    const texts: string[] = [];
    const report = await api.upload(
      {
        files: [WHEEL],
        repositoryUrl: echoUrl,
        username: "alice",
        password: secret,
        env: {},
        keyring: false,
        retries: 0,
      },
      {
        onFinish: (r) => texts.push(r.outcome.reason ?? ""),
        onMessage: (_level, text) => texts.push(text),
      },
    );
    // A failure on a server is in the report (exit code 1), not an exception.
    expect(report.exitCode).toBe(1);
    expect(report.results[0]).toMatchObject({ status: "failed", reasonCode: "invalid-file" });
    expect(texts.join("\n")).toContain("alice:***");
    expect(JSON.stringify(report)).toContain("alice:***");
    expect(`${JSON.stringify(report)}${texts.join("\n")}`).not.toContain(secret);
  });

  it("event listeners get jobs whose server carries no password (not even in the section's options)", async () => {
    const secret = "section-secret-7c2e";
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["echo"] },
        echo: { repository: echoUrl, username: "alice", password: secret },
      }),
    );
    const seen: unknown[] = [];
    const report = await api.upload(
      {
        files: [WHEEL],
        repositories: ["echo"],
        configFile: config,
        env: {},
        keyring: false,
        retries: 0,
      },
      {
        onStart: (job) => seen.push(job),
        onProgress: (job) => seen.push(job),
        onFinish: (result) => seen.push(result),
      },
    );
    expect(report.exitCode).toBe(1);
    const started = seen[0] as Api.JobResult["job"];
    // The view keeps what a listener needs: the server's name, URL and user.
    expect(started.server).toMatchObject({ name: "echo", repository: echoUrl, username: "alice" });
    expect(started.dist.filename).toBe("collective.demo-1.0.0-py3-none-any.whl");
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(seen)).not.toContain(secret);
  });

  it("register() on a server that has no pre-registration (Warehouse answers 410): not-needed", async () => {
    const report = await api.register({
      files: [WHEEL],
      repositoryUrl: server.uploadUrl,
      token: TOKEN,
      env: {},
      keyring: false,
    });
    expect(report.command).toBe("register");
    expect(report.results[0]?.status).toBe("not-needed");
  });
});

describe("typed errors with a stable code", () => {
  const base = { env: {}, keyring: false };
  it.each<[Api.ErrorCode, Api.ApiOptions, RegExp]>([
    ["usage", { ...base, files: [WHEEL], concurrency: 0 }, /concurrency must be a whole number/],
    [
      "distribution",
      { ...base, files: [join(exampleDist, "nope-1.0.tar.gz")] },
      /nope-1\.0\.tar\.gz/,
    ],
    ["config", { ...base, files: [WHEEL], configFile: "/nonexistent/pypirc" }, /pypirc/],
    [
      "credentials",
      { ...base, files: [WHEEL], repositoryUrl: "http://127.0.0.1:9/legacy/" },
      /no password/i,
    ],
  ])("%s", async (code, options, message) => {
    const error = (await api.upload(options).catch((e: unknown) => e)) as Api.PkgpushError;
    expect(error).toBeInstanceOf(api.PkgpushError);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it("the CLI's JSON report of a run that stopped carries the same code", async () => {
    const r = await run(
      process.execPath,
      [join(root, "bin/pkgpush.cjs"), "upload", "--json", "--concurrency", "0", WHEEL],
      {
        env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", CI: "true" },
      },
    ).catch((e: { stdout: string; code: number }) => e);
    expect(JSON.parse(r.stdout).error).toEqual({
      message: "--concurrency must be a whole number from 1 to 64, got '0'",
      hint: null,
      code: "usage",
    });
  });
});

describe("loadConfig() and inspect()", () => {
  it("loadConfig() lists the servers without their passwords", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["local"] },
        local: {
          repository: server.uploadUrl,
          username: "ci",
          password: "cfg-secret-91aa",
          "release-packages": ["collective\\..*"],
        },
      }),
    );
    const info = await api.loadConfig({ configFile: config, env: {} });
    const local = info.servers.find((s) => s.name === "local");
    expect(local).toMatchObject({
      url: server.uploadUrl,
      username: "ci",
      hasPassword: true,
      releasePackages: ["collective\\..*"],
    });
    expect(JSON.stringify(info)).not.toContain("cfg-secret-91aa");
  });

  it("inspect() reads name, version and metadata", async () => {
    const [dist] = await api.inspect([WHEEL]);
    expect(dist).toMatchObject({ project: "collective.demo", version: "1.0.0", kind: "wheel" });
    expect(dist?.metadata.some(([name]) => name === "Metadata-Version")).toBe(true);
  });
});

describe("examples/upload.mjs", () => {
  it("uploads to the test server through the API and exits 0", async () => {
    const { dir } = workspace("");
    const sdist = join(exampleDist, "Products.HelloWorld-1.2.3.tar.gz");
    const r = await run(process.execPath, [join(root, "examples/upload.mjs"), sdist], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        CI: "true",
        UPLOAD_URL: server.uploadUrl,
        UPLOAD_TOKEN: TOKEN,
        PKGPUSH_KEYRING: "0",
      },
    });
    expect(r.stdout).toMatch(
      /^uploaded\t\S+\tProducts\.HelloWorld-1\.2\.3\.tar\.gz\tsha256=[0-9a-f]{64}$/m,
    );
    expect(r.stderr).toMatch(/^plan: 1 upload\(s\)/m);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
    expect(storedNames(server)).toContain("Products.HelloWorld-1.2.3.tar.gz");
  });
});
