/**
 * Everything a publish run needs, parsed and checked: numbers are numbers, check URLs are split per
 * server, verbosity and the trusted-publishing mode are settled. The CLI builds it from its flags
 * and the environment with `optionsFromFlags` (flags.ts); the Node API with `normalizeOptions`.
 * Nothing here reads `process`: the environment and folder are given.
 */
import { UsageError } from "../errors.js";
import type { Action } from "../plan/plan.js";
import type { Verbosity } from "../report/log.js";
import type { Redactor } from "../report/redact.js";

export type { Verbosity };

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Asks a person (a terminal prompt); `hidden` for passwords. Absent: nobody can answer. */
export type Ask = (question: string, hidden: boolean) => Promise<string>;

/** One `--check-url`: for the only server selected, or for the one named. */
export interface CheckUrl {
  /** The server named (`NAME=URL`); undefined: the only server selected. */
  server?: string | undefined;
  url: string;
  /** As written, for messages. */
  given: string;
}

export interface Limits {
  /** Requests in flight at once (1-64). */
  concurrency: number;
  /** Requests in flight at once to one server (1-16). */
  perServer: number;
  /** Retries after a connection error, timeout, 5xx, 408 or 429 (0-20). */
  retries: number;
  connectTimeoutMs: number;
  /** A request that makes no progress for this long is aborted. */
  stallTimeoutMs: number;
}

export interface PublishOptions {
  action: Action;
  /** Send nothing: settle the plan and the credentials (no prompt), as `--dry-run`. */
  dryRun: boolean;
  /** Wheels, sdists, eggs, folders or glob patterns, relative to `cwd`. */
  paths: string[];
  cwd: string;
  /** Where credentials, twine's variables and CI's OIDC variables are read from. */
  env: Environment;
  /** The .pypirc to read (default: PKGPUSH_CONFIG_FILE, else ~/.pypirc). */
  configFile?: string | undefined;
  /** Servers named: .pypirc section names or URLs. Empty: routed by release-packages. */
  repositories: string[];
  /** An ad-hoc server (`--repository-url`). */
  repositoryUrl?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  skipExisting: boolean;
  comment?: string | undefined;
  /** Send `<file>.*.attestation` files (PEP 740). */
  attestations: boolean;
  /** Sign each file with GPG first (`--sign`). */
  sign?: { program: string; identity?: string | undefined } | undefined;
  limits: Limits;
  /** CA bundle trusted in addition to the system's (PEM). */
  caCert?: string | undefined;
  /** Client certificate and key (PEM). */
  clientCert?: string | undefined;
  allowInsecureHttp: boolean;
  /** Look passwords up in the system keyring. */
  keyring: boolean;
  /** OIDC trusted publishing (credentials/trusted-publishing.ts). */
  trustedPublishing: "auto" | "always" | "never";
  /** Existence checks against simple indexes: off, and per-server URLs given. */
  checks: { enabled: boolean; urls: CheckUrl[] };
  /** Check every server before the first upload. */
  preflight: boolean;
  /**
   * Apply PyPI's rules (src/rules) before anything is sent, to files bound for servers that
   * apply them (pypi.org, test.pypi.org, `rules = pypi`). Default true.
   */
  rules: boolean;
  verbosity: Verbosity;
  /** May ask for missing credentials (with `ask`). */
  interactive: boolean;
  ask?: Ask | undefined;
  /**
   * The run's redactor: every secret the run learns is registered there. The CLI passes its own
   * (secrets from the command line and environment are already in it); default: a new one.
   */
  redactor?: Redactor | undefined;
  /** Aborts the run (Ctrl-C): transfers stop, the result says what landed. */
  signal?: AbortSignal | undefined;
}

export const DEFAULT_LIMITS: Limits = {
  concurrency: 24,
  perServer: 8,
  retries: 3,
  connectTimeoutMs: 10_000,
  stallTimeoutMs: 120_000,
};

/** A whole number within bounds; `label` names the option as the caller knows it. */
export function checkInt(n: number, label: string, min: number, max: number, given = `${n}`) {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${label} must be a whole number from ${min} to ${max}, got '${given}'`);
  }
  return n;
}

/** A duration in milliseconds, from more than 0 to a day. */
export function checkMs(ms: number, label: string, given = `${ms}`): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 86_400_000) {
    throw new UsageError(`${label} must be a number of seconds greater than 0, got '${given}'`);
  }
  return Math.round(ms);
}

/** `--check-url URL` or `NAME=URL`: split now, matched against the selected servers later. */
export function parseCheckUrl(value: string): CheckUrl {
  const named = /^([^=]+)=(https?:\/\/.*)$/i.exec(value);
  if (named) return { server: named[1], url: named[2] as string, given: value };
  return { url: value, given: value };
}
