import type { Dispatcher } from "undici";
import type { ServerConfig } from "../config/types.js";
import { CredentialsError, UsageError } from "../errors.js";
import { registerSecret } from "../report/redact.js";
import { type HttpResponse, send } from "../transport/http.js";
import type { CredentialSource } from "./types.js";

export type TrustedPublishingMode = "auto" | "always" | "never";

export function parseTrustedPublishingMode(value: string | undefined): TrustedPublishingMode {
  const mode = (value ?? "auto").toLowerCase();
  if (mode === "auto" || mode === "always" || mode === "never") return mode;
  throw new UsageError(`--trusted-publishing must be auto, always or never, got '${value}'`);
}

const TRUSTED_HOSTS = new Set(["upload.pypi.org", "test.pypi.org", "pypi.org"]);

/** Where the CI offers an OIDC ID token, and how to get one for an audience. */
type IdTokenProvider = {
  ci: "GitHub Actions" | "GitLab CI";
  get: (audience: string) => Promise<string>;
};

export interface TrustedPublishingOptions {
  mode: TrustedPublishingMode;
  env: NodeJS.ProcessEnv;
  dispatcher: () => Dispatcher;
  /** GitHub Actions reads `::add-mask::` from stdout; written unredacted on purpose. */
  writeWorkflowCommand: (line: string) => void;
  log: (line: string) => void;
}

function detectProvider(env: NodeJS.ProcessEnv, request: Requester): IdTokenProvider | undefined {
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
            `GitHub Actions did not issue an OIDC token (${response.status} ${response.statusText})`,
            { hint: "give the workflow job `permissions: id-token: write`" },
          );
        }
        return value;
      },
    };
  }
  if (env.GITLAB_CI) {
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
  return `${response.status} ${response.statusText}`.trim();
}

/**
 * Trusted publishing (OIDC): trade the CI's ID token for a short-lived API token. Automatic for
 * PyPI and TestPyPI on a CI that offers an ID token when nothing else gave a password; any other
 * server only with `always`.
 */
export function trustedPublishingSource(options: TrustedPublishingOptions): CredentialSource {
  const request: Requester = (method, url, headers = {}, body) =>
    send(options.dispatcher(), {
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

  return {
    describe: () => "trusted publishing (OIDC)",
    lookup: async (server: ServerConfig, found) => {
      if (options.mode === "never" || found.password !== undefined) return undefined;
      const url = new URL(server.repository);
      const eligible = options.mode === "always" || TRUSTED_HOSTS.has(url.hostname);
      const provider = detectProvider(options.env, request);
      if (!eligible) return undefined;
      if (!provider) {
        if (options.mode === "always") {
          throw new CredentialsError(
            `trusted publishing for '${server.name}': no OIDC ID token available (not GitHub Actions with id-token: write, nor GitLab CI with id_tokens)`,
          );
        }
        return undefined;
      }
      const origin = url.origin;
      const audienceResponse = await request("GET", `${origin}/_/oidc/audience`);
      const audience = jsonField(audienceResponse, "audience");
      if (audienceResponse.status !== 200 || typeof audience !== "string") {
        throw new CredentialsError(
          `trusted publishing for '${server.name}': ${origin} does not offer it (${audienceResponse.status} ${audienceResponse.statusText} from /_/oidc/audience)`,
        );
      }
      const idToken = await provider.get(audience);
      registerSecret(idToken);
      const mint = await request(
        "POST",
        `${origin}/_/oidc/mint-token`,
        {},
        JSON.stringify({ token: idToken }),
      );
      const token = jsonField(mint, "token");
      if (mint.status !== 200 || typeof token !== "string") {
        const claims = JSON.stringify(publicClaims(idToken));
        throw new CredentialsError(
          `trusted publishing for '${server.name}' failed: ${origin} refused the ${provider.ci} token: ${mintErrors(mint)}`,
          {
            hint: `the token's claims were ${claims}; they must match a trusted publisher configured for the project`,
          },
        );
      }
      registerSecret(token);
      if (provider.ci === "GitHub Actions") options.writeWorkflowCommand(`::add-mask::${token}`);
      options.log(
        `trusted publishing: minted a short-lived token for '${server.name}' (${provider.ci})`,
      );
      return { username: "__token__", password: token, pair: true };
    },
  };
}
