/**
 * The Node API's options: what a release script passes to `upload()`, `register()` or `plan()`,
 * with pkgpush's defaults filled in and every value checked, as PublishOptions. The CLI's flags
 * have their own builder (from-flags.ts); both end in the same checks of numbers.
 */
import { keyringEnabled } from "../credentials/keyring.js";
import { parseTrustedPublishingMode } from "../credentials/trusted-publishing.js";
import { UsageError } from "../errors.js";
import type { Action } from "../plan/plan.js";
import type { Redactor } from "../report/redact.js";
import { splitRepositoryArgs } from "../resolve/targets.js";
import {
  type Ask,
  type CheckUrl,
  checkInt,
  checkMs,
  DEFAULT_LIMITS,
  type Environment,
  type PublishOptions,
  type Verbosity,
} from "./options.js";

export interface ApiOptions {
  /** Wheels, sdists, eggs, folders or glob patterns (default `dist/*`), relative to `cwd`. */
  files?: string[];
  /** Default: the process's working folder. */
  cwd?: string;
  /**
   * Where credentials (PKGPUSH_<SECTION>_PASSWORD, TWINE_PASSWORD...), PKGPUSH_CONFIG_FILE and
   * CI's OIDC variables are read. Default: the process's environment; `{}` reads none.
   */
  env?: Environment;
  /** The .pypirc to read (default PKGPUSH_CONFIG_FILE, else ~/.pypirc). */
  configFile?: string;
  /** Servers: .pypirc section names or upload URLs. Default: routed by release-packages. */
  repositories?: string[];
  /** An ad-hoc server's upload URL. */
  repositoryUrl?: string;
  username?: string;
  password?: string;
  /** An API token: user `__token__` with this password. */
  token?: string;
  skipExisting?: boolean;
  comment?: string;
  attestations?: boolean;
  /** Sign each file with GPG first (`true`: `gpg`, default key). */
  sign?: boolean | { program?: string; identity?: string };
  /** Requests in flight (default 24, 1-64), per server at most (default 8, 1-16; paced), retries (3, 0-20). */
  concurrency?: number;
  perServer?: number;
  retries?: number;
  /** Default 10 000. */
  connectTimeoutMs?: number;
  /** A request without progress for this long is aborted. Default 120 000. */
  timeoutMs?: number;
  caCert?: string;
  clientCert?: string;
  allowInsecureHttp?: boolean;
  /** Look passwords up in the system keyring (default: on unless PKGPUSH_KEYRING=0). */
  keyring?: boolean;
  trustedPublishing?: "auto" | "always" | "never";
  /** Simple index per server name, to check for files already there. */
  checkUrls?: Record<string, string>;
  /** `false`: no existence checks at all. */
  check?: boolean;
  /** `false`: no checks of every server before the first upload. */
  preflight?: boolean;
  /** `false`: PyPI's rules are not applied before sending (see `check`). Default true. */
  rules?: boolean;
  /** `verbose`: debug messages and the HTTP trace are emitted as events. Default `normal`. */
  verbosity?: Verbosity;
  /** Asks for a missing user name or password; without it nobody is asked. */
  ask?: Ask;
  /** Share a redactor with your own output (default: one per run). */
  redactor?: Redactor;
  signal?: AbortSignal;
}

function credentials(o: ApiOptions): { username?: string; password?: string } {
  if (o.token === undefined) return { username: o.username, password: o.password };
  if (o.password !== undefined) throw new UsageError("token and password both give the password");
  if (o.username !== undefined && o.username !== "__token__") {
    throw new UsageError(`token needs the user __token__, but username is '${o.username}'`);
  }
  return { username: "__token__", password: o.token };
}

function limits(o: ApiOptions): PublishOptions["limits"] {
  const d = DEFAULT_LIMITS;
  return {
    concurrency: checkInt(o.concurrency ?? d.concurrency, "concurrency", 1, 64),
    perServer: checkInt(o.perServer ?? d.perServer, "perServer", 1, 16),
    retries: checkInt(o.retries ?? d.retries, "retries", 0, 20),
    connectTimeoutMs: checkMs(o.connectTimeoutMs ?? d.connectTimeoutMs, "connectTimeoutMs"),
    stallTimeoutMs: checkMs(o.timeoutMs ?? d.stallTimeoutMs, "timeoutMs"),
  };
}

function checkUrls(o: ApiOptions): CheckUrl[] {
  return Object.entries(o.checkUrls ?? {}).map(([server, url]) => {
    if (!/^https?:\/\//i.test(url)) {
      throw new UsageError(`checkUrls.${server}: expected an http(s) URL, got '${url}'`);
    }
    return { server, url, given: `${server}=${url}` };
  });
}

/** The API's options as PublishOptions; `env` and `cwd` must be given by the caller (index.ts). */
export function optionsFromApi(
  action: Action,
  dryRun: boolean,
  o: ApiOptions & { env: Environment; cwd: string },
): PublishOptions {
  const sign = o.sign === true ? {} : o.sign || undefined;
  return {
    action,
    dryRun,
    paths: o.files && o.files.length > 0 ? o.files : ["dist/*"],
    cwd: o.cwd,
    env: o.env,
    configFile: o.configFile,
    repositories: splitRepositoryArgs(o.repositories ?? []),
    repositoryUrl: o.repositoryUrl,
    ...credentials(o),
    skipExisting: o.skipExisting ?? false,
    comment: o.comment,
    attestations: o.attestations ?? false,
    sign: sign && { program: sign.program ?? "gpg", identity: sign.identity },
    limits: limits(o),
    caCert: o.caCert,
    clientCert: o.clientCert,
    allowInsecureHttp: o.allowInsecureHttp ?? false,
    keyring: keyringEnabled(o.keyring, o.env),
    trustedPublishing: parseTrustedPublishingMode(o.trustedPublishing),
    checks: { enabled: o.check !== false, urls: checkUrls(o) },
    preflight: o.preflight !== false,
    rules: o.rules !== false,
    verbosity: o.verbosity ?? "normal",
    interactive: o.ask !== undefined,
    ask: o.ask,
    redactor: o.redactor,
    signal: o.signal,
  };
}
