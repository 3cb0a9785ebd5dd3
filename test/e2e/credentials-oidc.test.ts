/**
 * Trusted publishing (OIDC) end to end, against a fake index on 127.0.0.1 that offers the PyPI
 * endpoints (/_/oidc/audience, /_/oidc/mint-token), a fake GitHub ID-token endpoint, and a minimal
 * /legacy/ upload handler that accepts only `__token__:<minted token>`. The endpoints live on the
 * upload URL's origin, so a local server needs `--trusted-publishing always` (the "automatic for
 * PyPI" rule is covered by test/credentials/trusted-publishing.test.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { fakeJwt } from "../helpers/builders.js";
import { runCli, workspace } from "../helpers/cli.js";

const CLAIMS = {
  iss: "https://token.actions.githubusercontent.com",
  aud: "pypi",
  sub: "repo:acme/widget:environment:release",
  repository: "acme/widget",
  repository_owner: "acme",
  workflow_ref: "acme/widget/.github/workflows/release.yml@refs/tags/v1.0",
  ref: "refs/tags/v1.0",
  environment: "release",
};
const JWT = fakeJwt(CLAIMS, "U0lHTkFUVVJFLXNlY3JldC1wYXJ0");
// Not shaped like a pypi- token the generic pattern would catch: only registration hides it.
const MINTED = "pypi-mint3d.tok3n.7d41c0ffee90a1b2";
const BEARER = "gh-request-bearer-9b8a7c6d";

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

type Scenario = {
  audience: "ok" | "404";
  github: "ok" | "403";
  mint: "ok" | "refused";
  /** Short-lived tokens: each mint answers a new token with `expires` this many seconds ahead. */
  lifetimeS?: number;
  /** How long the upload endpoint "processes" an upload; the token must outlive it. */
  processMs?: number;
};
/** Minted short-lived tokens and when each expires (ms). */
const minted = new Map<string, number>();
let scenario: Scenario;
const seen: Seen[] = [];
let fake: http.Server;
let origin: string;
let fixtures: FixtureSet;
let config: string;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

beforeAll(async () => {
  fixtures = await ensureFixtures();
  ({ config } = workspace(""));
  fake = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("latin1");
      const url = new URL(req.url ?? "/", origin);
      seen.push({
        method: req.method ?? "",
        path: url.pathname + url.search,
        authorization: req.headers.authorization,
        body,
      });
      if (req.method === "GET" && url.pathname === "/_/oidc/audience") {
        return scenario.audience === "ok"
          ? json(res, 200, { audience: "pypi" })
          : json(res, 404, { message: "Not Found" });
      }
      if (req.method === "GET" && url.pathname === "/gh-token") {
        if (
          scenario.github === "403" ||
          req.headers.authorization !== `bearer ${BEARER}` ||
          url.searchParams.get("audience") !== "pypi"
        ) {
          return json(res, 403, {
            message: "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable",
          });
        }
        return json(res, 200, { value: JWT });
      }
      if (req.method === "POST" && url.pathname === "/_/oidc/mint-token") {
        let token: unknown;
        try {
          token = (JSON.parse(body) as { token?: unknown }).token;
        } catch {}
        if (scenario.mint === "refused" || token !== JWT) {
          return json(res, 422, {
            message: "Token request failed",
            errors: [
              {
                code: "invalid-publisher",
                description:
                  "valid token, but no corresponding publisher (Publisher with matching claims was not found)",
              },
            ],
          });
        }
        if (scenario.lifetimeS !== undefined) {
          const token = `${MINTED}.${minted.size + 1}`;
          const expires = Date.now() / 1000 + scenario.lifetimeS;
          minted.set(token, expires * 1000);
          return json(res, 200, { success: true, token, expires });
        }
        return json(res, 200, { success: true, token: MINTED });
      }
      if (req.method === "POST" && url.pathname === "/legacy/" && scenario.processMs) {
        // As PyPI: the token is checked once the upload was processed, so it must outlive that.
        const [user, token = ""] = Buffer.from(
          (req.headers.authorization ?? "").replace(/^Basic /, ""),
          "base64",
        )
          .toString()
          .split(":");
        setTimeout(() => {
          const expires = minted.get(token);
          if (user !== "__token__" || expires === undefined || Date.now() >= expires) {
            res.writeHead(403, "Invalid API Token: token expired").end("403 token expired");
            return;
          }
          res.writeHead(200, "OK").end("OK");
        }, scenario.processMs);
        return;
      }
      if (req.method === "POST" && url.pathname === "/legacy/") {
        const expected = `Basic ${Buffer.from(`__token__:${MINTED}`).toString("base64")}`;
        if (req.headers.authorization !== expected) {
          res
            .writeHead(403, "Invalid or non-existent authentication information.")
            .end("403 Invalid or non-existent authentication information.");
          return;
        }
        if (!body.includes("file_upload"))
          return void res.writeHead(400, "Bad Request").end("no :action");
        return void res.writeHead(200, "OK").end("OK");
      }
      res.writeHead(404, "Not Found").end("Not Found");
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  fake.closeAllConnections();
  await new Promise((resolve) => fake.close(resolve));
});

beforeEach(() => {
  scenario = { audience: "ok", github: "ok", mint: "ok" };
  seen.length = 0;
  minted.clear();
});

const github = (): Record<string, string> => ({
  GITHUB_ACTIONS: "true",
  ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/gh-token?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: BEARER,
});

function upload(env: Record<string, string>, mode = "always", ...extra: string[]) {
  return runCli(
    [
      "upload",
      "--config-file",
      config,
      "--repository-url",
      `${origin}/legacy/`,
      "--trusted-publishing",
      mode,
      "--no-keyring",
      "--retries",
      "0",
      // The fake index has no simple pages: these tests are about the token exchange.
      "--no-check",
      ...(extra.length > 0 ? extra : [fixtures.collectiveFoo.path]),
    ],
    { env, timeoutMs: 20_000 },
  );
}

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

describe("trusted publishing against a local fake index", () => {
  it("GitHub Actions: audience -> ID token -> minted token -> upload as __token__; token masked, printed once", async () => {
    const r = await upload(github());
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path.replace(/\?.*/, "?")}`)).toEqual([
      "GET /_/oidc/audience",
      "GET /gh-token?",
      "POST /_/oidc/mint-token",
      "POST /legacy/",
    ]);
    expect(seen[1]?.path).toBe("/gh-token?api-version=2.0&audience=pypi");
    expect(seen[1]?.authorization).toBe(`bearer ${BEARER}`);
    expect(JSON.parse(seen[2]?.body ?? "")).toEqual({ token: JWT });
    // The mint request never carries the upload credentials or the bearer.
    expect(seen[2]?.authorization).toBeUndefined();
    expect(r.stdout.split("\n")).toContain(`::add-mask::${MINTED}`);
    expect(occurrences(r.stdout, MINTED)).toBe(1);
    expect(r.stderr).not.toContain(MINTED);
    expect(r.stdout + r.stderr).not.toContain(JWT);
    expect(r.stdout + r.stderr).not.toContain(BEARER);
    expect(r.stdout + r.stderr).not.toContain(
      Buffer.from(`__token__:${MINTED}`).toString("base64"),
    );
    expect(r.stderr).toMatch(/trusted publishing: minted a short-lived token .*GitHub Actions/);
    expect(r.stdout).toMatch(/uploaded/);
  });

  it("a long run renews the token before it expires (PyPI's expire after 15 minutes; here 4.5 s)", async () => {
    // Four uploads of 1.2 s each, one at a time: the first token would expire during the fourth.
    scenario.lifetimeS = 4.5;
    scenario.processMs = 1_200;
    const files = [
      fixtures.collectiveFoo.path,
      fixtures.ploneBar.path,
      fixtures.acmeInternal.path,
      fixtures.wheel24.path,
    ];
    const r = await upload(github(), "always", "--per-server", "1", ...files);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const mints = seen.filter((s) => s.path === "/_/oidc/mint-token").length;
    expect(mints).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(/trusted publishing: renewed the token for '.*' before it expires/);
    // Every renewed token is masked in the GitHub log and printed nowhere else.
    expect(r.stdout.split("\n").filter((l) => l.startsWith("::add-mask::"))).toHaveLength(mints);
    for (const token of minted.keys()) expect(r.stderr).not.toContain(token);
  });

  it("a token that lives long enough is minted once for the whole run", async () => {
    scenario.lifetimeS = 900;
    scenario.processMs = 50;
    const r = await upload(
      github(),
      "always",
      "--per-server",
      "1",
      fixtures.collectiveFoo.path,
      fixtures.ploneBar.path,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(seen.filter((s) => s.path === "/_/oidc/mint-token")).toHaveLength(1);
  });

  it("GitLab CI: the ID token from PYPI_ID_TOKEN; no ::add-mask:: (a GitHub command)", async () => {
    const r = await upload({ GITLAB_CI: "true", PYPI_ID_TOKEN: JWT });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "GET /_/oidc/audience",
      "POST /_/oidc/mint-token",
      "POST /legacy/",
    ]);
    expect(r.stdout).not.toContain("::add-mask::");
    expect(r.stdout + r.stderr).not.toContain(MINTED);
    expect(r.stdout + r.stderr).not.toContain(JWT);
    expect(r.stderr).toMatch(/GitLab CI/);
  });

  it("the index does not offer it (audience 404): an error, nothing minted or uploaded", async () => {
    scenario.audience = "404";
    const r = await upload(github());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /pkgpush: error: trusted publishing for '.*': http:\/\/127\.0\.0\.1:\d+ does not offer it \(404 .*\/_\/oidc\/audience\)/,
    );
    expect(seen.map((s) => s.path)).toEqual(["/_/oidc/audience"]);
  });

  it("GitHub refuses the ID token (403): hint about permissions: id-token: write", async () => {
    scenario.github = "403";
    const r = await upload(github());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /GitHub Actions did not issue an OIDC token for audience 'pypi' \(403/,
    );
    expect(r.stderr).toMatch(/pkgpush: hint: .*id-token: write/);
    expect(r.stderr).not.toContain(BEARER);
    expect(seen.some((s) => s.path.startsWith("/_/oidc/mint-token") || s.path === "/legacy/")).toBe(
      false,
    );
  });

  it("the index refuses the token: its answer and the token's public claims, never the token", async () => {
    scenario.mint = "refused";
    const r = await upload(github());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /refused the GitHub Actions token: invalid-publisher: valid token, but no corresponding publisher/,
    );
    expect(r.stderr).toContain('"repository":"acme/widget"');
    expect(r.stderr).toContain(`"workflow_ref":"${CLAIMS.workflow_ref}"`);
    expect(r.stderr).toContain('"environment":"release"');
    expect(r.stdout + r.stderr).not.toContain(JWT);
    expect(r.stdout + r.stderr).not.toContain(JWT.split(".")[2]);
    expect(r.stdout).not.toContain("::add-mask::");
    expect(seen.some((s) => s.path === "/legacy/")).toBe(false);
  });

  it("auto mode: a server other than PyPI is not eligible, and the error lists the sources", async () => {
    const r = await upload(github(), "auto");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no password for server .*; tried: command line .*environment .*config file .*trusted publishing \(only PyPI\/TestPyPI.*interactive prompt \(no terminal\)/,
    );
    expect(seen).toEqual([]);
  });

  it("dry run: says a token would be minted, sends nothing", async () => {
    const r = await runCli(
      [
        "upload",
        "--dry-run",
        "--config-file",
        config,
        "--repository-url",
        `${origin}/legacy/`,
        "--trusted-publishing",
        "always",
        "--no-keyring",
        fixtures.collectiveFoo.path,
      ],
      { env: github(), timeoutMs: 20_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/would mint a token/);
    expect(seen).toEqual([]);
  });
});
