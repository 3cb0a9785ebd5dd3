/**
 * One sentinel password for every server, every command and output path: it (and any Basic header
 * or base64 form of it) must appear nowhere in stdout, stderr or report files — also when a server
 * echoes the Authorization header back in a 500 answer. Plus: credentials never cross a redirect.
 */
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import {
  authAndStatus,
  type CliResult,
  postsTo,
  pypirc,
  runCli,
  uploadArgs,
  workspace,
} from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const SENTINEL = "Sntl-9f3Kq-7Zx2-secret";
const USERS = ["alice", "bob", "carol", "dave", "__token__", ""];

let fixtures: FixtureSet;
let good: IndexServer; // accepts alice:SENTINEL
let refuses: IndexServer; // bob has another password: 403
let registry: IndexServer; // devpi: register accepted for carol:SENTINEL
let echo: http.Server; // 500 with the Authorization header in the body
let echoUrl: string;
const echoed: string[] = [];
let config: string;
let dir: string;
let noBus: string;

/** Every way the sentinel could leak: as is, in a Basic header, URL-encoded, any base64 of it. */
function expectNoSentinel(text: string, where: string): void {
  expect(text, where).not.toContain(SENTINEL);
  expect(text, where).not.toContain(encodeURIComponent(SENTINEL));
  for (const user of USERS) {
    expect(text, where).not.toContain(Buffer.from(`${user}:${SENTINEL}`).toString("base64"));
  }
  for (const [candidate] of text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)) {
    expect(
      Buffer.from(candidate, "base64").toString("latin1"),
      `${where}: base64 ${candidate}`,
    ).not.toContain(SENTINEL);
  }
}

const all = (r: CliResult): string => `${r.stdout}\n${r.stderr}`;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [good, refuses, registry] = await Promise.all([
    startIndexServer({ mode: "devpi", users: { alice: SENTINEL } }),
    startIndexServer({ mode: "devpi", users: { bob: "bobs-real-password" } }),
    startIndexServer({ mode: "devpi", users: { carol: SENTINEL } }),
  ]);
  echo = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const auth = req.headers.authorization ?? "(none)";
      echoed.push(auth);
      res.writeHead(500, `Internal Server Error (Authorization: ${auth})`, {
        "content-type": "text/plain",
      });
      res.end(
        `Traceback: request failed\nAuthorization: ${auth}\n{"headers": {"authorization": "${auth}"}}\nuser:pass=${Buffer.from(auth.replace(/^Basic /, ""), "base64").toString()}\n`,
      );
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/legacy/`;
  ({ config, dir } = workspace(
    pypirc({
      distutils: { "index-servers": ["good", "refuses", "echo", "registry"] },
      good: {
        repository: good.uploadUrl,
        username: "alice",
        password: SENTINEL,
        "release-packages": ["collective\\..*"],
      },
      refuses: {
        repository: refuses.uploadUrl,
        username: "bob",
        password: SENTINEL,
        "release-packages": ["collective\\..*"],
      },
      echo: {
        repository: echoUrl,
        username: "dave",
        password: SENTINEL,
        "release-packages": ["collective\\..*"],
      },
      registry: {
        repository: registry.uploadUrl,
        username: "carol",
        password: SENTINEL,
        "release-packages": ["plone\\..*"],
      },
    }),
  ));
  noBus = mkdtempSync(join(tmpdir(), "pkgpush-nobus-"));
});

afterAll(async () => {
  echo?.closeAllConnections();
  await Promise.all([
    good?.close(),
    refuses?.close(),
    registry?.close(),
    new Promise((r) => (echo ? echo.close(r) : r(undefined))),
  ]);
});

// No keyring daemon anywhere near these runs (an empty runtime dir, no session bus).
const env = (): Record<string, string> => ({ XDG_RUNTIME_DIR: noBus });

describe("the sentinel password never appears", () => {
  it("upload: success, 403, and a 500 that echoes the Authorization header (with --verbose --json --report)", async () => {
    const report = join(dir, "report.json");
    const r = await runCli(
      [
        "upload",
        "--config-file",
        config,
        "--verbose",
        "--json",
        "--report",
        report,
        "--retries",
        "0",
        "--no-preflight",
        fixtures.collectiveFoo.path,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(1);
    // the run really went through each case
    expect(authAndStatus(good)).toContain("Basic alice 200");
    expect(postsTo(refuses).map((q) => q.status)).toContain(403);
    expect(echoed.at(-1)).toBe(`Basic ${Buffer.from(`dave:${SENTINEL}`).toString("base64")}`);
    const json = JSON.parse(r.stdout) as {
      results: Array<{ server: string; status: string; reason: string | null }>;
    };
    const byServer = Object.fromEntries(json.results.map((x) => [x.server, x]));
    expect(byServer.good?.status).toBe("uploaded");
    expect(byServer.refuses?.status).toBe("failed");
    expect(byServer.echo?.status).toBe("failed");
    // the echoed answer is reported (so the user sees what the server said), with the secret masked
    expect(byServer.echo?.reason).toMatch(/500/);
    expect(`${byServer.echo?.reason}`).toMatch(/\*\*\*/);
    const reportText = readFileSync(report, "utf8");
    expect(JSON.parse(reportText).results).toHaveLength(3);
    expectNoSentinel(all(r), "upload output");
    expectNoSentinel(reportText, "--report file");
  });

  it("upload without --json (summary table), quiet, and -p/TWINE_PASSWORD given for several servers", async () => {
    /** An upload of collective_foo to `repos` that cannot succeed, with `flags` up front. */
    const failingUpload = (flags: string[], repos: string, environment = env()) =>
      runCli(
        [
          "upload",
          "--config-file",
          config,
          ...flags,
          "--retries",
          "0",
          "--no-preflight",
          "-r",
          repos,
          fixtures.collectiveFoo.path,
        ],
        { env: environment },
      );
    const runs = await Promise.all([
      failingUpload([], "echo"),
      failingUpload(["-q"], "echo,refuses"),
      failingUpload(["-p", SENTINEL], "echo,refuses", { ...env(), TWINE_PASSWORD: SENTINEL }),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(1);
      expectNoSentinel(all(r), "upload output");
    }
    expect(runs[0]?.stdout).toMatch(/echo +failed/);
    expect(runs[2]?.stderr).toMatch(
      /warning: the password given with -p is used for all 2 servers/,
    );
  });

  it("--dry-run (with --json and --report)", async () => {
    const report = join(dir, "dry.json");
    const before = good.requests.length + refuses.requests.length + registry.requests.length;
    const echoBefore = echoed.length;
    const r = await runCli(
      [
        "upload",
        "--config-file",
        config,
        "--dry-run",
        "--report",
        report,
        fixtures.collectiveFoo.path,
        fixtures.ploneBar.path,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/password from .*\.pypirc \[good\]/);
    expect(good.requests.length + refuses.requests.length + registry.requests.length).toBe(before);
    expect(echoed.length).toBe(echoBefore);
    expectNoSentinel(all(r), "dry run");
    expectNoSentinel(readFileSync(report, "utf8"), "dry-run report");
  });

  it("register (accepted, refused, 500 echo)", async () => {
    const r = await runCli(
      [
        "register",
        "--config-file",
        config,
        "-r",
        "registry,refuses,echo",
        "--retries",
        "0",
        "--no-preflight",
        "-v",
        fixtures.ploneBar.path,
      ],
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(authAndStatus(registry)).toContain("Basic carol 200");
    expectNoSentinel(all(r), "register");
  });

  it("servers and servers --json (passwords from .pypirc and the environment)", async () => {
    const environment = {
      ...env(),
      PKGPUSH_PYPI_PASSWORD: SENTINEL,
      PKGPUSH_TESTPYPI_USERNAME: "alice",
    };
    const text = await runCli(["servers", "--config-file", config, "-v"], { env: environment });
    const json = await runCli(["servers", "--config-file", config, "--json"], { env: environment });
    expect(text.code).toBe(0);
    expect(json.code).toBe(0);
    expect(text.stdout).toMatch(/password: from .*\.pypirc \[echo\]/);
    expect(text.stdout).toMatch(
      /testpypi.*\n.*\n.*\n {2}simple: .*\n {2}user: +alice \(from environment \(PKGPUSH_TESTPYPI_USERNAME\)\)\n {2}password: \(none found\)/,
    );
    expect(
      JSON.parse(json.stdout).servers.find((s: { name: string }) => s.name === "pypi").passwordFrom,
    ).toBe("environment (PKGPUSH_PYPI_PASSWORD)");
    expectNoSentinel(all(text), "servers");
    expectNoSentinel(all(json), "servers --json");
  });

  it("login failure (no keyring), and errors commander prints itself", async () => {
    const runs = [
      await runCli(["login", "--config-file", config, "-r", "good", "--password-stdin"], {
        env: env(),
        stdin: `${SENTINEL}\n`,
      }),
      await runCli(["login", "--config-file", config, "-r", "nonexistent", "--password-stdin"], {
        env: env(),
        stdin: SENTINEL,
      }),
      await runCli(["servers", `--password=${SENTINEL}`], { env: env() }),
      await runCli(["upload", `-vp${SENTINEL}`, "--concurrency", "0"], { env: env() }),
      await runCli(["upload", "--password", SENTINEL, "--trusted-publishing", "sometimes"], {
        env: env(),
      }),
      await runCli(["login", "-r", "good", "--config-file", config, SENTINEL], { env: env() }),
    ];
    expect(runs[0]?.stderr).toMatch(/could not store the password in the system keyring/);
    expect(runs[2]?.stderr).toMatch(/unknown option '--password=\*\*\*'/);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expectNoSentinel(all(r), "errors");
    }
  });
});

describe("credentials never follow a redirect", () => {
  let target: IndexServer;
  let redirecting: IndexServer;
  beforeAll(async () => {
    target = await startIndexServer({ mode: "devpi" });
    redirecting = await startIndexServer({
      mode: "devpi",
      users: { alice: SENTINEL },
      redirectUploadTo: target.uploadUrl,
      redirectSimpleTo: target.simpleUrl,
    });
  });
  afterAll(async () => {
    await Promise.all([target?.close(), redirecting?.close()]);
  });

  it("a redirected upload fails with a hint about the upload URL; the simple index redirect to another origin is not followed", async () => {
    const { config: cfg } = workspace(
      pypirc({
        distutils: { "index-servers": ["moved"] },
        moved: {
          repository: redirecting.uploadUrl,
          username: "alice",
          password: SENTINEL,
          "check-url": redirecting.simpleUrl,
        },
      }),
    );
    const r = await runCli(
      uploadArgs(cfg, "moved", "--retries", "0", fixtures.collectiveFoo.path),
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /307 .*redirects .* to .*credentials are not sent across redirects.*Set repository to the final upload URL/,
    );
    // the existence check asked its own origin (with credentials), never the other one
    expect(
      redirecting.requests.some(
        (q) => q.method === "GET" && q.headers.authorization === "Basic alice",
      ),
    ).toBe(true);
    expect(target.requests).toEqual([]);
    expectNoSentinel(all(r), "redirect");
  });
});

describe(".pypirc readable by others", () => {
  it("is warned about exactly once per run, with the chmod to fix it", async () => {
    const { config: cfg } = workspace(
      pypirc({
        distutils: { "index-servers": ["good"] },
        good: { repository: good.uploadUrl, username: "alice", password: SENTINEL },
      }),
    );
    chmodSync(cfg, 0o644);
    const r = await runCli(
      ["upload", "--config-file", cfg, "--dry-run", fixtures.collectiveFoo.path],
      { env: env() },
    );
    expect(r.code).toBe(0);
    expect(r.stderr.match(/contains passwords but its permissions \(0644\)/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/chmod 600 /);
    const s = await runCli(["servers", "--config-file", cfg], { env: env() });
    expect(s.stderr.match(/contains passwords but its permissions/g)).toHaveLength(1);
    chmodSync(cfg, 0o600);
    const quiet = await runCli(
      ["upload", "--config-file", cfg, "--dry-run", fixtures.collectiveFoo.path],
      { env: env() },
    );
    expect(quiet.stderr).not.toMatch(/permissions/);
    expectNoSentinel(all(r) + all(s), "permission warning");
  });
});
