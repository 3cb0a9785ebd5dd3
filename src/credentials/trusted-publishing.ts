import type { Dispatcher } from "undici";
import { isPypiHost } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { CredentialsError, UsageError } from "../errors.js";
import type { HttpResponse } from "../transport/http.js";
import type { CredentialHit, CredentialSource } from "./types.js";

export type TrustedPublishingMode = "auto" | "always" | "never";

/** PyPI's minted tokens live 15 minutes (when the answer does not say). */
const DEFAULT_LIFETIME_MS = 15 * 60_000;

export function parseTrustedPublishingMode(value: string | undefined): TrustedPublishingMode {
  const mode = (value ?? "auto").toLowerCase();
  if (mode === "auto" || mode === "always" || mode === "never") return mode;
  throw new UsageError(`--trusted-publishing must be auto, always or never, got '${value}'`);
}

/** Where the CI offers an OIDC ID token, and how to get one for an audience. */
type IdTokenProvider = {
  ci: "GitHub Actions" | "GitLab CI";
  get: (audience: string) => Promise<string>;
};

export interface TrustedPublishingOptions {
  mode: TrustedPublishingMode;
  /** `--dry-run`: say that a token would be minted, send nothing. */
  dryRun?: boolean;
  env: NodeJS.ProcessEnv;
  dispatcher: () => Dispatcher | Promise<Dispatcher>;
  /** GitHub Actions reads `::add-mask::` from stdout; written unredacted on purpose. */
  writeWorkflowCommand: (line: string) => void;
  log: (line: string) => void;
  /** The run's redactor learns each token as soon as it is known (report/redact.ts). */
  registerSecret: (secret: string) => void;
}

function detectProvider(
  env: NodeJS.ProcessEnv,
  request: Requester,
  registerSecret: (secret: string) => void,
): IdTokenProvider | undefined {
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    const base = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    registerSecret(bearer);
    return {
      ci: "GitHub Actions",
      get: async (audience) => {
        const url = `${base}${base.includes("?") ? "&" : "?"}audience=${encodeURIComponent(audience)}`;
        const response = await request("GET", url, { authorization: `bearer ${bearer}` });
        const value = jsonField(response, "value");
        if (response.status !== 200 || typeof value !== "string") {
          throw new CredentialsError(
            `GitHub Actions did not issue an OIDC token for audience '${audience}' (${describeAnswer(response)})`,
            {
              hint: "give the workflow job `permissions: id-token: write` (and no pull_request run from a fork)",
            },
          );
        }
        return value;
      },
    };
  }
  // GitLab puts ID tokens in variables named by the job's `id_tokens`; one must exist.
  if (env.GITLAB_CI && Object.keys(env).some((name) => /_ID_TOKEN$/.test(name) && env[name])) {
    return {
      ci: "GitLab CI",
      get: async (audience) => {
        const specific = `${audience.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_ID_TOKEN`;
        const token = env[specific] || env.PYPI_ID_TOKEN;
        if (!token) {
          throw new CredentialsError(
            `GitLab CI exposes no ID token in ${specific} or PYPI_ID_TOKEN`,
            {
              hint: `add to the job: id_tokens: { PYPI_ID_TOKEN: { aud: "${audience}" } }`,
            },
          );
        }
        return token;
      },
    };
  }
  return undefined;
}

type Requester = (
  method: "GET" | "POST",
  url: string,
  headers?: Record<string, string>,
  body?: string,
) => Promise<HttpResponse>;

function jsonField(response: HttpResponse, field: string): unknown {
  try {
    return (JSON.parse(response.body) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

/** The claims of an ID token that say which workflow asked, without its signature. */
export function publicClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const keep = [
      "iss",
      "aud",
      "sub",
      "repository",
      "repository_owner",
      "repository_owner_id",
      "workflow_ref",
      "job_workflow_ref",
      "ref",
      "environment",
      "project_path",
      "ci_config_ref_uri",
      "namespace_path",
    ];
    return Object.fromEntries(Object.entries(claims).filter(([k]) => keep.includes(k)));
  } catch {
    return {};
  }
}

/** Status line and a trimmed body: what the server answered, for error messages. */
function describeAnswer(response: HttpResponse): string {
  const status = `${response.status} ${response.statusText}`.trim();
  const body = response.body.replace(/\s+/g, " ").trim().slice(0, 300);
  return body ? `${status}: ${body}` : status;
}

function mintErrors(response: HttpResponse): string {
  try {
    const body = JSON.parse(response.body) as {
      errors?: Array<{ code?: string; description?: string }>;
    };
    if (Array.isArray(body.errors) && body.errors.length > 0) {
      return body.errors.map((e) => `${e.code ?? "error"}: ${e.description ?? ""}`).join("; ");
    }
  } catch {
    // not JSON: fall through to the raw status
  }
  return describeAnswer(response);
}

/** An HTTP requester for the OIDC endpoints (JSON in and out, bounded in time). */
function oidcRequester(options: TrustedPublishingOptions): Requester {
  // The HTTP stack loads only when a token is really minted: start-up stays light.
  return async (method, url, headers = {}, body) => {
    const { send } = await import("../transport/http.js");
    return send(await options.dispatcher(), {
      method,
      url,
      headers: {
        accept: "application/json",
        ...headers,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body,
      stallTimeoutMs: 30_000,
    });
  };
}

/** One minting exchange with one server, through one CI's ID-token provider. */
interface MintContext {
  server: ServerConfig;
  provider: IdTokenProvider;
  origin: string;
  request: Requester;
  options: TrustedPublishingOptions;
}

interface Minted {
  password: string;
  expiresAt: number;
}

/** Runs one step of the exchange; a failure names the server and the step. */
async function step<T>(ctx: MintContext, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw new CredentialsError(
      `trusted publishing for '${ctx.server.name}': ${what} failed: ${(error as Error).message}`,
    );
  }
}

/** The audience the index wants in the ID token (`/_/oidc/audience`). */
async function fetchAudience(ctx: MintContext): Promise<string> {
  const { server, origin, options } = ctx;
  const url = `${origin}/_/oidc/audience`;
  const response = await step(ctx, `GET ${url}`, () => ctx.request("GET", url));
  const audience = jsonField(response, "audience");
  if (response.status === 200 && typeof audience === "string") return audience;
  throw new CredentialsError(
    `trusted publishing for '${server.name}': ${origin} does not offer it (${describeAnswer(response)} from /_/oidc/audience)`,
    {
      hint:
        options.mode === "always"
          ? "use --trusted-publishing always only with indexes that support trusted publishing"
          : "use an API token instead, or --trusted-publishing never",
    },
  );
}

/**
 * Audience -> the CI's ID token -> a minted API token, with its expiry: PyPI's `expires` (Unix
 * seconds) when the answer has it, else its documented 15 minutes. Also used to renew.
 */
async function mint(ctx: MintContext): Promise<Minted> {
  const { server, provider, origin, options } = ctx;
  const mintedAt = Date.now();
  const audience = await fetchAudience(ctx);
  const idToken = await step(ctx, `getting an ID token from ${provider.ci}`, () =>
    provider.get(audience),
  );
  options.registerSecret(idToken);
  const url = `${origin}/_/oidc/mint-token`;
  const answer = await step(ctx, `POST ${url}`, () =>
    ctx.request("POST", url, {}, JSON.stringify({ token: idToken })),
  );
  const token = jsonField(answer, "token");
  if (answer.status !== 200 || typeof token !== "string" || token === "") {
    const claims = JSON.stringify(publicClaims(idToken));
    throw new CredentialsError(
      `trusted publishing for '${server.name}' failed: ${origin} refused the ${provider.ci} token: ${mintErrors(answer)}`,
      {
        hint: `the token's claims were ${claims}; they must match a trusted publisher configured for the project`,
      },
    );
  }
  options.registerSecret(token);
  if (provider.ci === "GitHub Actions") options.writeWorkflowCommand(`::add-mask::${token}`);
  const expires = jsonField(answer, "expires");
  return {
    password: token,
    expiresAt:
      typeof expires === "number" && Number.isFinite(expires)
        ? expires * 1000
        : mintedAt + DEFAULT_LIFETIME_MS,
  };
}

/**
 * Trusted publishing (OIDC): trade the CI's ID token for a short-lived API token. Automatic for
 * PyPI and TestPyPI on a CI that offers an ID token when nothing else gave a password; any other
 * server only with `always`.
 */
export function trustedPublishingSource(options: TrustedPublishingOptions): CredentialSource {
  const request = oidcRequester(options);
  const eligible = (server: ServerConfig): boolean =>
    options.mode === "always" || (options.mode === "auto" && isPypiHost(server.repository));
  const provider = () => detectProvider(options.env, request, options.registerSecret);

  return {
    describe: (server) => {
      if (options.mode === "never") return "trusted publishing (off: --trusted-publishing never)";
      if (!eligible(server))
        return "trusted publishing (only PyPI/TestPyPI, other servers need --trusted-publishing always)";
      const found = provider();
      return found
        ? `trusted publishing (OIDC, ${found.ci})`
        : "trusted publishing (no OIDC ID token: not GitHub Actions with id-token: write, nor GitLab CI with id_tokens)";
    },
    lookup: async (server: ServerConfig, found) => {
      if (found.password !== undefined || !eligible(server)) return undefined;
      const ci = provider();
      if (!ci) {
        if (options.mode === "always") {
          throw new CredentialsError(
            `trusted publishing for '${server.name}': no OIDC ID token available (not GitHub Actions with id-token: write, nor GitLab CI with id_tokens)`,
          );
        }
        return undefined;
      }
      const origin = new URL(server.repository).origin;
      return mintedCredentials({ server, provider: ci, origin, request, options });
    },
  };
}

/** The credentials a lookup returns: a minted token that renews itself (none in dry runs). */
async function mintedCredentials(ctx: MintContext): Promise<CredentialHit | undefined> {
  const { server, provider, origin, options } = ctx;
  if (options.dryRun) {
    options.log(
      `dry run: trusted publishing (${provider.ci}) would mint a token at ${origin} for '${server.name}'`,
    );
    return undefined;
  }
  const minted = await mint(ctx);
  options.log(
    `trusted publishing: minted a short-lived token for '${server.name}' (${provider.ci})`,
  );
  return {
    username: "__token__",
    password: minted.password,
    pair: true,
    expiresAt: minted.expiresAt,
    renew: async () => {
      const fresh = await mint(ctx);
      options.log(`trusted publishing: renewed the token for '${server.name}' before it expires`);
      return fresh;
    },
  };
}
