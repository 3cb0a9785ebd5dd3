/**
 * The CLI's flags and the environment, turned into PublishOptions by one function. twine's and
 * uv's spellings are folded in first (drop-in.ts), then every value is checked, before any file is
 * read or request sent.
 */
import { keyringEnabled } from "../credentials/keyring.js";
import { parseTrustedPublishingMode } from "../credentials/trusted-publishing.js";
import type { Action } from "../plan/plan.js";
import { splitRepositoryArgs } from "../resolve/targets.js";
import { applyDropInOptions } from "./drop-in.js";
import { type PublishFlags, positiveInt, seconds } from "./flags.js";
import { type Environment, type PublishOptions, parseCheckUrl, type Verbosity } from "./options.js";

function verbosityOf(flags: PublishFlags): Verbosity {
  return flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal";
}

/** twine's variables name the server only when the command line names none. */
function servers(flags: PublishFlags, env: Environment) {
  const repositories = flags.repository ?? [];
  const named = repositories.length > 0 || flags.repositoryUrl !== undefined;
  return {
    repositories: splitRepositoryArgs(
      named || !env.TWINE_REPOSITORY ? repositories : [env.TWINE_REPOSITORY],
    ),
    repositoryUrl:
      flags.repositoryUrl ?? (named ? undefined : env.TWINE_REPOSITORY_URL || undefined),
  };
}

/**
 * The one way from command-line flags and environment to PublishOptions. Numbers are checked
 * before anything else (a typo costs nothing); the flags object is not changed.
 */
export async function optionsFromFlags(
  action: Action,
  paths: string[],
  given: PublishFlags,
  env: Environment,
  cwd: string,
): Promise<PublishOptions> {
  const flags = await applyDropInOptions({ ...given }, env, cwd);
  const limits = {
    concurrency: positiveInt(flags.concurrency, "--concurrency", 1, 64),
    perServer: positiveInt(flags.perServer, "--per-server", 1, 16),
    retries: positiveInt(flags.retries, "--retries", 0, 20),
    connectTimeoutMs: seconds(flags.connectTimeout, "--connect-timeout"),
    stallTimeoutMs: seconds(flags.timeout, "--timeout"),
  };
  return {
    action,
    dryRun: flags.dryRun ?? false,
    paths: paths.length > 0 ? paths : ["dist/*"],
    cwd,
    env,
    configFile: flags.configFile,
    ...servers(flags, env),
    username: flags.username,
    password: flags.password,
    skipExisting: flags.skipExisting ?? false,
    comment: flags.comment,
    attestations: flags.attestations ?? false,
    sign: flags.sign ? { program: flags.signWith ?? "gpg", identity: flags.identity } : undefined,
    limits,
    caCert: flags.cert,
    clientCert: flags.clientCert,
    allowInsecureHttp: flags.allowInsecureHttp ?? false,
    keyring: keyringEnabled(flags.keyring, env),
    trustedPublishing: parseTrustedPublishingMode(flags.trustedPublishing),
    checks: {
      enabled: flags.check !== false && flags.simpleIndex !== false,
      urls: [...(flags.simpleUrl ?? []), ...(flags.checkUrl ?? [])].map(parseCheckUrl),
    },
    preflight: flags.preflight !== false,
    rules: flags.rules !== false && flags.rulesCheck !== false,
    verbosity: verbosityOf(flags),
    interactive: !flags.nonInteractive,
  };
}
