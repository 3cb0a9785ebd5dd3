import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "../../src/config/types.js";
import {
  parseTrustedPublishingMode,
  publicClaims,
  type TrustedPublishingMode,
  trustedPublishingSource,
} from "../../src/credentials/trusted-publishing.js";
import { CredentialsError, UsageError } from "../../src/errors.js";
import { Redactor } from "../../src/report/redact.js";
import { fakeJwt, server as unitServer } from "../helpers/builders.js";

const CLAIMS = {
  iss: "https://token.actions.githubusercontent.com",
  aud: "pypi",
  sub: "repo:acme/widget:environment:release",
  repository: "acme/widget",
  repository_owner: "acme",
  workflow_ref: "acme/widget/.github/workflows/release.yml@refs/tags/v1.0",
  job_workflow_ref: "acme/widget/.github/workflows/release.yml@refs/tags/v1.0",
  ref: "refs/tags/v1.0",
  environment: "release",
  jti: "secret-ish-unique-id",
  runner_environment: "github-hosted",
};

/** A built-in server (as PyPI is) at this upload URL. */
function server(repository: string, name = "pypi"): ServerConfig {
  return unitServer(name, { repository, origin: "builtin" });
}

const GITHUB_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/token?api-version=2.0",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "gh-request-bearer-0123",
};

let agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.close()));
  agents = [];
});

/** A source whose HTTP goes to an undici MockAgent (no network), recording what it writes. */
function setup(mode: TrustedPublishingMode, env: NodeJS.ProcessEnv, dryRun = false) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const workflow: string[] = [];
  const logs: string[] = [];
  const redactor = new Redactor();
  const source = trustedPublishingSource({
    mode,
    env,
    dryRun,
    dispatcher: () => agent,
    writeWorkflowCommand: (line) => workflow.push(line),
    log: (line) => logs.push(line),
    registerSecret: (secret) => redactor.registerSecret(secret),
  });
  return { agent, source, workflow, logs, redact: redactor.redact };
}

function mockPypi(
  agent: MockAgent,
  origin = "https://upload.pypi.org",
  minted = "pypi-minted-AAAABBBBCCCCDDDD",
) {
  const pool = agent.get(origin);
  pool.intercept({ path: "/_/oidc/audience", method: "GET" }).reply(200, { audience: "pypi" });
  const seen: { body?: string } = {};
  pool
    .intercept({
      path: "/_/oidc/mint-token",
      method: "POST",
      body: (b) => {
        seen.body = b;
        return true;
      },
    })
    .reply(200, { success: true, token: minted });
  return seen;
}

describe("trusted publishing: when it is used", () => {
  it("automatic for PyPI on GitHub Actions when no password was found; masks the token", async () => {
    const { agent, source, workflow, logs, redact } = setup("auto", GITHUB_ENV);
    const jwt = fakeJwt(CLAIMS);
    let bearer: string | undefined;
    agent
      .get("https://gh.example")
      .intercept({
        path: (p) => p === "/token?api-version=2.0&audience=pypi",
        method: "GET",
        headers: (h) => {
          bearer = (h as Record<string, string>).authorization;
          return true;
        },
      })
      .reply(200, { value: jwt });
    const seen = mockPypi(agent);
    const before = Date.now();
    const hit = await source.lookup(server("https://upload.pypi.org/legacy/"), {
      username: "__token__",
    });
    expect(hit).toMatchObject({
      username: "__token__",
      password: "pypi-minted-AAAABBBBCCCCDDDD",
      pair: true,
    });
    // No `expires` in the answer: PyPI's 15 minutes are assumed; the token can be renewed.
    expect(hit?.expiresAt).toBeGreaterThanOrEqual(before + 15 * 60_000);
    expect(hit?.expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    expect(typeof hit?.renew).toBe("function");
    expect(bearer).toBe("bearer gh-request-bearer-0123");
    expect(JSON.parse(seen.body ?? "{}")).toEqual({ token: jwt });
    expect(workflow).toEqual(["::add-mask::pypi-minted-AAAABBBBCCCCDDDD"]);
    expect(logs.join("\n")).toContain("GitHub Actions");
    // registered as secrets: the minted token and the ID token never print
    expect(redact(`x pypi-minted-AAAABBBBCCCCDDDD ${jwt} gh-request-bearer-0123`)).toBe(
      "x *** *** ***",
    );
    agent.assertNoPendingInterceptors();
  });

  it("automatic for TestPyPI too (GitLab CI: ID token from PYPI_ID_TOKEN, no mask command)", async () => {
    const jwt = fakeJwt({ ...CLAIMS, iss: "https://gitlab.com", project_path: "acme/widget" });
    const { agent, source, workflow } = setup("auto", { GITLAB_CI: "true", PYPI_ID_TOKEN: jwt });
    const pool = agent.get("https://test.pypi.org");
    pool.intercept({ path: "/_/oidc/audience" }).reply(200, { audience: "testpypi" });
    pool
      .intercept({ path: "/_/oidc/mint-token", method: "POST" })
      .reply(200, { token: "pypi-minted-gitlab-0123456789" });
    const hit = await source.lookup(server("https://test.pypi.org/legacy/", "testpypi"), {});
    expect(hit?.password).toBe("pypi-minted-gitlab-0123456789");
    expect(workflow).toEqual([]);
  });

  it("not asked when an earlier source gave a password (no request at all)", async () => {
    const { source } = setup("auto", GITHUB_ENV);
    // disableNetConnect + no interceptors: any request would reject
    await expect(
      source.lookup(server("https://upload.pypi.org/legacy/"), { password: "pypi-x" }),
    ).resolves.toBeUndefined();
    const always = setup("always", GITHUB_ENV);
    await expect(
      always.source.lookup(server("https://upload.pypi.org/legacy/"), { password: "pypi-x" }),
    ).resolves.toBeUndefined();
  });

  it("auto: another server is not eligible; always: it is", async () => {
    const other = server("https://pypi.acme.example/legacy/", "company");
    const auto = setup("auto", GITHUB_ENV);
    await expect(auto.source.lookup(other, {})).resolves.toBeUndefined();
    expect(auto.source.describe(other)).toMatch(/--trusted-publishing always/);

    const always = setup("always", GITHUB_ENV);
    always.agent
      .get("https://gh.example")
      .intercept({ path: /audience=acme/ })
      .reply(200, { value: fakeJwt(CLAIMS) });
    const pool = always.agent.get("https://pypi.acme.example");
    pool.intercept({ path: "/_/oidc/audience" }).reply(200, { audience: "acme" });
    pool
      .intercept({ path: "/_/oidc/mint-token", method: "POST" })
      .reply(200, { token: "acme-minted-0123456789" });
    await expect(always.source.lookup(other, {})).resolves.toMatchObject({
      password: "acme-minted-0123456789",
    });
  });

  it("never: not even PyPI", async () => {
    const { source } = setup("never", GITHUB_ENV);
    await expect(
      source.lookup(server("https://upload.pypi.org/legacy/"), {}),
    ).resolves.toBeUndefined();
  });

  it("auto outside CI (or GitLab without an ID token): nothing happens; always: an error", async () => {
    for (const env of [
      {},
      { GITLAB_CI: "true" },
      { ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh.example/t" },
    ]) {
      const { source } = setup("auto", env);
      await expect(
        source.lookup(server("https://upload.pypi.org/legacy/"), {}),
      ).resolves.toBeUndefined();
      expect(source.describe(server("https://upload.pypi.org/legacy/"))).toMatch(
        /no OIDC ID token/,
      );
    }
    const { source } = setup("always", {});
    await expect(source.lookup(server("https://upload.pypi.org/legacy/"), {})).rejects.toThrow(
      /no OIDC ID token available/,
    );
  });

  it("dry run: says it would mint, sends nothing", async () => {
    const { source, logs } = setup("auto", GITHUB_ENV, true);
    await expect(
      source.lookup(server("https://upload.pypi.org/legacy/"), {}),
    ).resolves.toBeUndefined();
    expect(logs.join("\n")).toMatch(/would mint a token at https:\/\/upload\.pypi\.org/);
  });

  it("parses the mode", () => {
    expect(parseTrustedPublishingMode(undefined)).toBe("auto");
    expect(parseTrustedPublishingMode("ALWAYS")).toBe("always");
    expect(() => parseTrustedPublishingMode("sometimes")).toThrow(UsageError);
  });
});

describe("trusted publishing: failures say why", () => {
  it("mint refused: the server's errors and the token's public claims, never the token", async () => {
    const jwt = fakeJwt(CLAIMS);
    const { agent, source, workflow } = setup("auto", GITHUB_ENV);
    agent
      .get("https://gh.example")
      .intercept({ path: /audience=pypi/ })
      .reply(200, { value: jwt });
    const pool = agent.get("https://upload.pypi.org");
    pool.intercept({ path: "/_/oidc/audience" }).reply(200, { audience: "pypi" });
    pool.intercept({ path: "/_/oidc/mint-token", method: "POST" }).reply(422, {
      message: "Token request failed",
      errors: [
        { code: "invalid-publisher", description: "valid token, but no corresponding publisher" },
      ],
    });
    const error = (await source
      .lookup(server("https://upload.pypi.org/legacy/"), {})
      .catch((e: unknown) => e)) as CredentialsError;
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toContain(
      "invalid-publisher: valid token, but no corresponding publisher",
    );
    expect(error.hint).toContain('"repository":"acme/widget"');
    expect(error.hint).toContain(
      '"workflow_ref":"acme/widget/.github/workflows/release.yml@refs/tags/v1.0"',
    );
    expect(error.hint).toContain('"environment":"release"');
    expect(`${error.message} ${error.hint}`).not.toContain(jwt);
    expect(`${error.message} ${error.hint}`).not.toContain(jwt.split(".")[2]);
    expect(workflow).toEqual([]);
  });

  it("audience endpoint missing: the index does not offer trusted publishing", async () => {
    const { agent, source } = setup("auto", GITHUB_ENV);
    agent
      .get("https://upload.pypi.org")
      .intercept({ path: "/_/oidc/audience" })
      .reply(404, "Not Found");
    await expect(source.lookup(server("https://upload.pypi.org/legacy/"), {})).rejects.toThrow(
      /does not offer it \(404.*\/_\/oidc\/audience/,
    );
  });

  it("GitHub refuses the ID token: hint about id-token: write", async () => {
    const { agent, source } = setup("auto", GITHUB_ENV);
    agent
      .get("https://upload.pypi.org")
      .intercept({ path: "/_/oidc/audience" })
      .reply(200, { audience: "pypi" });
    agent
      .get("https://gh.example")
      .intercept({ path: /audience=pypi/ })
      .reply(403, { message: "no permission" });
    const error = (await source
      .lookup(server("https://upload.pypi.org/legacy/"), {})
      .catch((e: unknown) => e)) as CredentialsError;
    expect(error.message).toMatch(/GitHub Actions did not issue an OIDC token.*403/);
    expect(error.hint).toMatch(/id-token: write/);
  });

  it("a network failure is a credentials error naming the step", async () => {
    const { source } = setup("auto", GITHUB_ENV); // no interceptors, no network
    await expect(source.lookup(server("https://upload.pypi.org/legacy/"), {})).rejects.toThrow(
      /trusted publishing for 'pypi': GET https:\/\/upload\.pypi\.org\/_\/oidc\/audience failed/,
    );
  });
});

describe("publicClaims", () => {
  it("keeps the claims that identify the workflow, drops the rest", () => {
    const claims = publicClaims(fakeJwt(CLAIMS));
    expect(claims).toEqual({
      iss: CLAIMS.iss,
      aud: "pypi",
      sub: CLAIMS.sub,
      repository: "acme/widget",
      repository_owner: "acme",
      workflow_ref: CLAIMS.workflow_ref,
      job_workflow_ref: CLAIMS.job_workflow_ref,
      ref: "refs/tags/v1.0",
      environment: "release",
    });
    expect(claims).not.toHaveProperty("jti");
  });

  it("GitLab claims", () => {
    const claims = publicClaims(
      fakeJwt({
        iss: "https://gitlab.com",
        project_path: "g/p",
        ci_config_ref_uri: "gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
        namespace_path: "g",
        user_email: "x@y",
      }),
    );
    expect(claims).toEqual({
      iss: "https://gitlab.com",
      project_path: "g/p",
      ci_config_ref_uri: "gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
      namespace_path: "g",
    });
  });

  it("not a JWT: no claims, no exception", () => {
    expect(publicClaims("opaque")).toEqual({});
    expect(publicClaims("a.!!!.c")).toEqual({});
  });
});
