/**
 * The GitHub Action (action.yml -> action/main.js, committed): the committed bundle is what the
 * sources build, and its entry point, run as the runner runs it (node, INPUT_* variables,
 * GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP, the OIDC request variables), publishes to
 * the test index server by trusted publishing and reports through the step summary, outputs and
 * annotations. PyPI's OIDC endpoints are played by a small front on 127.0.0.1 that forwards
 * uploads to the real test index server.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { fakeJwt } from "../helpers/builders.js";
import { pypirc, root } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const MINTED = "pypi-action-minted-7f3e2d";
const BEARER = "gh-action-bearer-51c2";
const JWT = fakeJwt(
  { iss: "https://token.actions.githubusercontent.com", aud: "pypi", repository: "acme/widget" },
  "c2lnbmF0dXJl",
);
let fixtures: FixtureSet;
let index: IndexServer;
let devpi: IndexServer;
let front: http.Server;
let origin: string;

/** PyPI's OIDC endpoints and GitHub's token endpoint; everything else goes to the index. */
function startFront(): Promise<void> {
  front = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (url.pathname === "/_/oidc/audience") return json(200, { audience: "pypi" });
    if (url.pathname === "/gh-token") {
      return req.headers.authorization === `bearer ${BEARER}`
        ? json(200, { value: JWT })
        : json(403, { message: "bad bearer" });
    }
    if (url.pathname === "/_/oidc/mint-token") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const ok = (JSON.parse(body) as { token?: string }).token === JWT;
        json(ok ? 200 : 422, ok ? { success: true, token: MINTED } : { message: "no publisher" });
      });
      return;
    }
    const upstream = new URL(index.uploadUrl);
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  return new Promise((resolve) => front.listen(0, "127.0.0.1", resolve));
}

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [index, devpi] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { __token__: MINTED } }),
    startIndexServer({ mode: "devpi", users: { alice: "alice-pw" } }),
  ]);
  await startFront();
  origin = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  front?.closeAllConnections();
  front?.close();
  await Promise.all([index?.close(), devpi?.close()]);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Map<string, string>;
  tmp: string;
}

/** Runs action/main.js as the runner does: `node` with INPUT_* and the runner's files. */
function runAction(
  inputs: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-action-"));
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  const files = { summary: join(dir, "summary.md"), output: join(dir, "output.txt") };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    TMPDIR: tmp,
    CI: "true",
    GITHUB_ACTIONS: "true",
    RUNNER_TEMP: join(dir, "runner-temp"),
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...extra,
  };
  mkdirSync(env.RUNNER_TEMP as string);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "action/main.js")], { cwd: dir, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const read = (f: string): string => {
        try {
          return readFileSync(f, "utf8");
        } catch {
          return "";
        }
      };
      const outputs = new Map<string, string>();
      for (const m of read(files.output).matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
        outputs.set(m[1] as string, m[3] as string);
      }
      resolve({ code, stdout, stderr, summary: read(files.summary), outputs, tmp });
    });
  });
}

function packagesDir(...paths: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-action-dist-"));
  for (const p of paths) copyFileSync(p, join(dir, basename(p)));
  return dir;
}

describe("the committed action bundle", () => {
  it("is what the sources build (after a change in src/: npm run build:action, commit action/)", () => {
    const out = mkdtempSync(join(tmpdir(), "pkgpush-action-build-"));
    const built = spawnSync(process.execPath, [join(root, "scripts/build-action.mjs"), out], {
      encoding: "utf8",
    });
    expect(built.status, built.stderr).toBe(0);
    for (const file of readdirSync(out)) {
      expect(
        readFileSync(join(root, "action", file)).equals(readFileSync(join(out, file))),
        `action/${file} does not match the sources: run \`npm run build:action\` and commit action/`,
      ).toBe(true);
    }
    expect(readdirSync(join(root, "action")).sort()).toEqual(readdirSync(out).sort());
  });
});

describe("the action's entry point in a simulated runner", () => {
  it("publishes by trusted publishing and writes the summary table, outputs and hashes", async () => {
    const wheel = fixtures.wheel21;
    const sdist = fixtures.sdist12zip;
    const r = await runAction(
      {
        "repository-url": `${origin}/legacy/`,
        "packages-dir": packagesDir(wheel.path, sdist.path),
        "print-hash": "true",
      },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/gh-token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: BEARER,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(
      index
        .files()
        .map((f) => f.filename)
        .sort(),
    ).toEqual([basename(sdist.path), basename(wheel.path)].sort());
    // The minted token is masked in the log before use, and never printed otherwise.
    expect(r.stdout).toContain(`::add-mask::${MINTED}`);
    expect(r.stderr).not.toContain(MINTED);
    expect(r.stdout).toContain(`${basename(wheel.path)}: sha256 ${wheel.sha256}`);
    expect(r.summary).toMatch(/^### pkgpush: 2 uploaded \(2 files x 1 server\)/);
    expect(r.summary).toContain(`| ${basename(wheel.path)} | ✅ uploaded | \`${wheel.sha256}\` |`);
    expect(r.summary).toContain(`| ${basename(sdist.path)} | ✅ uploaded | \`${sdist.sha256}\` |`);
    expect(r.outputs.get("uploaded")).toBe("2");
    expect(r.outputs.get("failed")).toBe("0");
    const report = JSON.parse(readFileSync(r.outputs.get("report") as string, "utf8"));
    expect(report.totals.uploaded).toBe(2);
  });

  it("with a pypirc secret: routes to its servers, annotates failures, removes the file", async () => {
    const config = pypirc({
      distutils: { "index-servers": ["good", "bad"] },
      good: { repository: devpi.uploadUrl, username: "alice", password: "alice-pw" },
      bad: {
        repository: devpi.uploadUrl.replace("/legacy/", "/nowhere/"),
        username: "alice",
        password: "wrong-pw-93c1",
      },
    });
    const wheel = fixtures.wheel24;
    const r = await runAction({
      pypirc: config,
      repositories: "good, bad",
      "packages-dir": packagesDir(wheel.path),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^::error title=Upload failed%3A ${basename(wheel.path).replace(/\./g, "\\.")} -> bad::`,
        "m",
      ),
    );
    expect(r.summary).toContain("| File | good | bad | sha256 |");
    expect(r.summary).toMatch(/✅ uploaded \| ❌ failed/);
    expect(r.outputs.get("failed")).toBe("1");
    expect(`${r.stdout}${r.stderr}${r.summary}`).not.toContain("wrong-pw-93c1");
    // The .pypirc lived in TMPDIR, private, and is gone.
    expect(readdirSync(r.tmp)).toEqual([]);
  });

  it("a bad input is an error annotation and exit 2", async () => {
    const r = await runAction({ "skip-existing": "maybe" });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      "::error title=pkgpush::input 'skip-existing' must be true or false",
    );
  });
});
