/**
 * The npm package as users get it (issues 13 and 11): `npm pack` on a clean copy builds the bundle, the
 * tarball holds only what runs, and the installed CLI uploads - a file over 32 MiB included, whose
 * BLAKE2b worker must come from the bundle since nothing else is installed. CI runs this file on
 * Node 20 and on Node 24 (the tests' second pass), and the children use the same Node.
 */
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { exampleDist, pypirc, root, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";
import {
  childEnv,
  type Installed,
  installTarball,
  npmEnv,
  type Packed,
  packedManifest,
  packFromCleanCopy,
} from "./pack.js";

const run = promisify(execFile);
let packed: Packed;
let installed: Installed;
let server: IndexServer;
let fixtures: FixtureSet;

beforeAll(async () => {
  [packed, fixtures, server] = await Promise.all([
    packFromCleanCopy(),
    ensureFixtures(),
    startIndexServer({ mode: "pypi", users: { __token__: "pypi-packed-token" } }),
  ]);
  installed = await installTarball(packed.tarball);
}, 240_000);
afterAll(async () => {
  await server?.close();
});

function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? duBytes(path) : statSync(path).size;
  }
  return total;
}

describe("npm pack", () => {
  it("holds the CLI and API bundles, the API's declarations, README, LICENSE, CHANGELOG and the bundled packages' notices only", () => {
    const unexpected = packed.files.filter(
      (f) =>
        ![
          "CHANGELOG.md",
          "LICENSE",
          "README.md",
          "package.json",
          "bin/pkgpush.cjs",
          "bin/jit-policy.cjs",
          "bin/early-thread.cjs",
        ].includes(f) &&
        !/^dist\/[\w-]+\.js$/.test(f) &&
        !/^dist\/types\/[\w/-]+\.d\.ts$/.test(f) &&
        f !== "dist/THIRD-PARTY-NOTICES.txt",
    );
    expect(unexpected).toEqual([]);
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "CHANGELOG.md",
        "dist/cli.js",
        "dist/index.js",
        "dist/types/index.d.ts",
        "dist/blake2b-worker.js",
      ]),
    );
    expect(packed.files.some((f) => /index-server|\.map$/.test(f))).toBe(false);
  });

  // 400 kB before PyPI's rules; their data (src/rules/data: classifiers, SPDX ids, stdlib names)
  // is 26 kB compressed.
  it("is under 430 kB", () => {
    expect(packed.size).toBeLessThan(430_000);
  });

  it("declares no runtime dependency but the optional native keyring", () => {
    const manifest = packedManifest(installed.prefix);
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.optionalDependencies as object)).toEqual(["@napi-rs/keyring"]);
    expect(manifest.repository).toBeTruthy();
    expect(manifest.bugs).toBeTruthy();
    expect(manifest.homepage).toBeTruthy();
  });
});

describe("the installed package (empty prefix, optional keyring omitted)", () => {
  it("installs under 3 MB and 5 s (CPU), with nothing but pkgpush itself", () => {
    const entries = readdirSync(join(installed.prefix, "node_modules")).filter(
      (name) => name !== ".package-lock.json",
    );
    expect(entries.sort()).toEqual([".bin", "pkgpush"]);
    expect(duBytes(installed.prefix)).toBeLessThan(3_000_000);
    // The 5 s target in CPU time; the wall clock (registry latency, other jobs) gets slack.
    expect(installed.cpuMs, `wall ${installed.ms} ms`).toBeLessThan(5_000);
    expect(installed.ms).toBeLessThan(30_000);
  });

  it("answers --help", async () => {
    const { stdout } = await run(installed.bin, ["--help"], { env: childEnv() });
    expect(stdout).toMatch(/Usage: pkgpush/);
  });

  it("uploads a 50 MiB wheel (BLAKE2b on the bundled worker) to the test server", async () => {
    const { config, dir } = workspace(
      pypirc({
        distutils: { "index-servers": ["local"] },
        local: {
          repository: server.uploadUrl,
          username: "__token__",
          password: "pypi-packed-token",
        },
      }),
    );
    const wheel = fixtures.bigWheel;
    // Asynchronously: the test server answers from this process.
    const r = await run(
      installed.bin,
      ["upload", "--config-file", config, "-r", "local", wheel.path],
      {
        cwd: dir,
        env: childEnv({ HOME: dir }),
        timeout: 120_000,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect("code" in r ? r.code : 0, r.stderr).toBe(0);
    const stored = server.files().find((f) => f.filename === basename(wheel.path));
    expect(stored?.sha256).toBe(wheel.sha256);
  });
});

describe('the Node API: `import { upload } from "pkgpush"` in a project that installed the tarball', () => {
  let project: string;
  const env = (extra: Record<string, string> = {}) =>
    childEnv({ HOME: project, PKGPUSH_KEYRING: "0", ...extra });

  beforeAll(async () => {
    // A project of its own, installed offline: the package needs nothing from a registry.
    project = mkdtempSync(join(tmpdir(), "pkgpush-api-project-"));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "release-script", private: true, type: "module" }),
    );
    await run(
      "npm",
      ["install", "--offline", "--omit=optional", "--no-audit", "--no-fund", packed.tarball],
      { cwd: project, env: npmEnv() },
    );
  }, 120_000);

  it("uploads through the API and gets the typed report", async () => {
    const wheel = join(exampleDist, "collective.demo-1.0.0-py3-none-any.whl");
    writeFileSync(
      join(project, "release.mjs"),
      [
        'import { upload, PkgpushError } from "pkgpush";',
        "const report = await upload({",
        `  files: [${JSON.stringify(wheel)}],`,
        `  repositoryUrl: ${JSON.stringify(server.uploadUrl)},`,
        '  token: "pypi-packed-token",',
        "});",
        "const error = await upload({ files: [], concurrency: 0 }).catch((e) => e);",
        "console.log(JSON.stringify({ report, code: error.code, typed: error instanceof PkgpushError }));",
      ].join("\n"),
    );
    const { stdout } = await run(process.execPath, ["release.mjs"], { cwd: project, env: env() });
    const { report, code, typed } = JSON.parse(stdout);
    expect(report).toMatchObject({ schema: "pkgpush-report/1", command: "upload", exitCode: 0 });
    expect(report.results).toEqual([
      expect.objectContaining({ file: basename(wheel), status: "uploaded", reasonCode: null }),
    ]);
    expect(report.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([code, typed]).toEqual(["usage", true]);
    expect(server.files().some((f) => f.filename === basename(wheel))).toBe(true);
  });

  it("runs examples/upload.mjs as written", async () => {
    cpSync(join(root, "examples/upload.mjs"), join(project, "upload.mjs"));
    const sdist = join(exampleDist, "collective.demo-1.0.0.tar.gz");
    const { stdout } = await run(process.execPath, ["upload.mjs", sdist], {
      cwd: project,
      env: env({ UPLOAD_URL: server.uploadUrl, UPLOAD_TOKEN: "pypi-packed-token" }),
    });
    expect(stdout).toMatch(
      /^uploaded\t\S+\tcollective\.demo-1\.0\.0\.tar\.gz\tsha256=[0-9a-f]{64}$/m,
    );
  });

  it("has types: a TypeScript consumer type-checks strictly (no skipLibCheck), and a wrong option is a type error", async () => {
    writeFileSync(
      join(project, "consumer.ts"),
      [
        'import { type ApiOptions, type ErrorCode, PkgpushError, type Report, plan, upload } from "pkgpush";',
        'const options: ApiOptions = { files: ["dist/*"], repositoryUrl: "http://127.0.0.1:9/legacy/" };',
        "const report: Report = await upload(options, { onFinish: (r) => console.log(r.outcome.status) });",
        'const status: string = report.results[0]?.status ?? "none";',
        "const dry = await plan(options);",
        "const ids: number[] = (dry.plan ?? []).map((step) => step.id);",
        'const code: ErrorCode = new PkgpushError("x").code;',
        "console.log(status, ids, code);",
        "// @ts-expect-error: options are typed, a misspelt one is refused",
        'await upload({ repositoryURL: "http://x/" });',
      ].join("\n"),
    );
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const args = [
      tsc,
      "--noEmit",
      "--strict",
      "--target",
      "es2022",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--types",
      "node",
      "--typeRoots",
      join(root, "node_modules/@types"),
      "consumer.ts",
    ];
    const r = await run(process.execPath, args, { cwd: project }).catch(
      (error: { stdout: string }) => error,
    );
    expect(r.stdout).toBe("");
  }, 180_000);
});

describe("a source checkout that was never built", () => {
  it("says to run the build instead of failing with a module error", () => {
    const dir = mkdtempSync(join(tmpdir(), "pkgpush-unbuilt-"));
    cpSync(join(root, "bin"), join(dir, "bin"), { recursive: true });
    cpSync(join(root, "package.json"), join(dir, "package.json"));
    const r = spawnSync(process.execPath, [join(dir, "bin/pkgpush.cjs"), "--help"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("dist/cli.js) is missing");
    expect(r.stderr).toContain("npm run build");
  });
});
