import { writeFile } from "node:fs/promises";
import { arch, platform } from "node:os";
import type { Dispatcher } from "undici";
import { findServerByUrl, getServer, loadPypirc } from "../config/pypirc.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { promptSource } from "../credentials/prompt.js";
import { requireCredentials, resolveCredentials } from "../credentials/resolve.js";
import { commandLineSource, environmentSource, pypircSource } from "../credentials/sources.js";
import {
  checkCredentialTransport,
  passwordOnPypiWarning,
} from "../credentials/transport-safety.js";
import {
  parseTrustedPublishingMode,
  trustedPublishingSource,
} from "../credentials/trusted-publishing.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { collectFiles } from "../distributions/collect.js";
import { inspectAll } from "../distributions/inspect.js";
import { AggregateInputError, ExitCode, type PkgpushError, UsageError } from "../errors.js";
import { ExistenceChecker } from "../execute/existence.js";
import { preflight } from "../execute/preflight.js";
import { digestCache, type JobResult, type RunEvents, runPlan } from "../execute/run.js";
import { closeSessions, openSessions } from "../execute/session.js";
import { type Action, type Plan, planRegistrations, planUploads } from "../plan/plan.js";
import { buildJsonReport } from "../report/json.js";
import { lineReporter, type Verbosity } from "../report/log.js";
import { formatPlan } from "../report/plan.js";
import { err, out, redact, registerCredentials } from "../report/redact.js";
import { formatSummary, totals } from "../report/summary.js";
import { adHocServer } from "../resolve/adhoc.js";
import { matchesProject } from "../resolve/pattern.js";
import { resolveTargets, splitRepositoryArgs } from "../resolve/targets.js";
import { createDispatcher } from "../transport/http.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { type PublishCliOptions, positiveInt, seconds } from "./options.js";

export interface PublishContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
}

const userAgent = (): string =>
  `pkgpush/${PKGPUSH_VERSION} (node ${process.version}; ${platform()} ${arch()})`;

/** The credential sources in twine's order, extended; see README "Credentials". */
export function credentialSources(
  opts: PublishCliOptions,
  env: NodeJS.ProcessEnv,
  debug: (line: string) => void,
  say: (line: string) => void,
): CredentialSource[] {
  // commander leaves `keyring` undefined when neither --keyring nor --no-keyring is given.
  const keyringOn = keyringEnabled(opts.keyring as boolean | undefined, env);
  let dispatcher: Dispatcher | undefined;
  return [
    commandLineSource(opts.username, opts.password),
    environmentSource(env),
    pypircSource(),
    ...(keyringOn ? [keyringSource(debug)] : []),
    trustedPublishingSource({
      mode: parseTrustedPublishingMode(opts.trustedPublishing),
      dryRun: opts.dryRun ?? false,
      env,
      dispatcher: () => {
        dispatcher ??= createDispatcher({
          connectTimeoutMs: 10_000,
          stallTimeoutMs: 30_000,
          caCert: opts.cert,
        });
        return dispatcher;
      },
      writeWorkflowCommand: (line) => process.stdout.write(`${line}\n`),
      log: say,
    }),
    // A dry run sends nothing, so it has no use for a typed password.
    ...(opts.dryRun ? [] : [promptSource()]),
  ];
}

function loadConfig(opts: PublishCliOptions, env: NodeJS.ProcessEnv): Promise<PypircConfig> {
  return loadPypirc({ path: opts.configFile, env });
}

/** The shared pipeline of `upload` and `register`: config -> targets -> files -> plan -> run -> report. */
export async function publish(
  action: Action,
  paths: string[],
  opts: PublishCliOptions,
  ctx: PublishContext,
): Promise<number> {
  const verbosity: Verbosity = opts.quiet ? "quiet" : opts.verbose ? "verbose" : "normal";
  const say = (line: string): void => {
    if (verbosity !== "quiet") err(`${line}\n`);
  };
  // Validate numeric options before any I/O so a typo costs nothing.
  const limits = {
    concurrency: positiveInt(opts.concurrency, "--concurrency", 1, 64),
    perServer: positiveInt(opts.perServer, "--per-server", 1, 16),
    retries: positiveInt(opts.retries, "--retries", 0, 20),
    connectTimeoutMs: seconds(opts.connectTimeout, "--connect-timeout"),
    stallTimeoutMs: seconds(opts.timeout, "--timeout"),
  };

  const config = await loadConfig(opts, ctx.env);
  for (const warning of config.warnings) say(`warning: ${warning}`);

  const files = await collectFiles(paths.length > 0 ? paths : ["dist/*"], ctx.cwd);
  const dists = await inspectAll(files);

  // twine's variables apply only when the command line names no server.
  const named = opts.repository.length > 0 || opts.repositoryUrl !== undefined;
  const targets = resolveTargets(
    dists,
    config,
    {
      repositories: splitRepositoryArgs(
        named || !ctx.env.TWINE_REPOSITORY ? opts.repository : [ctx.env.TWINE_REPOSITORY],
      ),
      repositoryUrl:
        opts.repositoryUrl ?? (named ? undefined : ctx.env.TWINE_REPOSITORY_URL || undefined),
    },
    {
      getServer,
      findServerByUrl,
      adHocServer,
      matchesProject: (server, name) => matchesProject(server.releasePackages, name),
    },
  );
  for (const warning of targets.warnings) say(`warning: ${warning}`);
  applyCheckUrls(targets.servers, opts.checkUrl ?? [], opts.check);
  const plan = action === "upload" ? planUploads(targets) : planRegistrations(targets);

  // Preflight: every server's credentials are settled before the first byte goes anywhere.
  const debug = (line: string): void => {
    if (verbosity === "verbose") err(`debug: ${line}\n`);
  };
  const sources = credentialSources(opts, ctx.env, debug, say);
  if (opts.password !== undefined && plan.servers.length > 1) {
    say(
      `warning: the password given with -p is used for all ${plan.servers.length} servers (${plan.servers.map((s) => s.name).join(", ")}); use PKGPUSH_<SECTION>_PASSWORD or .pypirc for per-server passwords`,
    );
  }
  const credentials = new Map<string, Credentials>();
  const problems: PkgpushError[] = [];
  for (const server of plan.servers) {
    try {
      // Before any source is asked: trusted publishing would send an ID token, the prompt would
      // ask for a password that could not be sent anyway.
      if (!opts.dryRun) checkCredentialTransport(server, opts.allowInsecureHttp ?? false);
      const found = opts.dryRun
        ? await resolveCredentials(server, sources)
        : await requireCredentials(server, sources);
      registerCredentials(found.username, found.password);
      const pypiWarning = passwordOnPypiWarning(server, found);
      if (pypiWarning) say(`warning: ${pypiWarning}`);
      credentials.set(server.name, found);
    } catch (error) {
      problems.push(error as PkgpushError);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateInputError(problems);

  const usernames = new Map([...credentials].map(([name, c]) => [name, c.username]));
  if (opts.dryRun) {
    out(`${formatPlan(plan, credentials)}\n`);
    await writeReports(opts, plan, [], { dryRun: true, exitCode: ExitCode.ok, usernames });
    return ExitCode.ok;
  }

  const sessions = openSessions(
    plan.servers.map((server) => ({
      server,
      credentials: credentials.get(server.name) as Credentials,
    })),
    {
      connectTimeoutMs: limits.connectTimeoutMs,
      stallTimeoutMs: limits.stallTimeoutMs,
      caCert: opts.cert,
      clientCert: opts.clientCert,
    },
  );
  const context = {
    sessions,
    digestsOf: digestCache(ctx.signal),
    checker: new ExistenceChecker(sessions, {
      userAgent: userAgent(),
      stallTimeoutMs: limits.stallTimeoutMs,
      signal: ctx.signal,
    }),
  };
  const events = await reporterFor(plan, verbosity, ctx.env);
  let results: JobResult[];
  try {
    if (opts.preflight && (plan.servers.length > 1 || plan.servers.some((s) => s.checkUrl))) {
      say(
        `preflight: checking ${plan.servers.length} server${plan.servers.length === 1 ? "" : "s"}`,
      );
      await preflight(plan, sessions, context.checker, context.digestsOf, {
        userAgent: userAgent(),
        timeoutMs: limits.stallTimeoutMs,
        signal: ctx.signal,
      });
    }
    results = await runPlan(
      plan,
      context,
      {
        concurrency: limits.concurrency,
        perServer: limits.perServer,
        retry: { ...defaultRetryPolicy, retries: limits.retries },
        stallTimeoutMs: limits.stallTimeoutMs,
        skipExisting: opts.skipExisting ?? false,
        comment: opts.comment,
        attestations: opts.attestations ?? false,
        userAgent: userAgent(),
        signal: ctx.signal,
      },
      events,
    );
  } finally {
    events.stop?.();
    await closeSessions(sessions);
  }

  const exitCode = ctx.signal.aborted
    ? ExitCode.interrupted
    : totals(results).failed
      ? ExitCode.failed
      : ExitCode.ok;
  if (opts.json) {
    out(
      `${JSON.stringify(buildJsonReport(plan, results, { dryRun: false, exitCode, usernames }), null, 2)}\n`,
    );
    if (verbosity !== "quiet") err(`${formatSummary(results)}\n`);
  } else {
    out(`${formatSummary(results)}\n`);
  }
  await writeReports(opts, plan, results, { dryRun: false, exitCode, usernames });
  return exitCode;
}

/** Bars on an interactive terminal; plain lines in CI, in pipes and with TERM=dumb. */
async function reporterFor(
  plan: Plan,
  verbosity: Verbosity,
  env: NodeJS.ProcessEnv,
): Promise<RunEvents & { stop?: () => void }> {
  const interactive =
    process.stderr.isTTY && !env.CI && env.TERM !== "dumb" && verbosity === "normal";
  if (!interactive || plan.action !== "upload")
    return lineReporter((line) => err(`${line}\n`), verbosity);
  const { terminalReporter } = await import("../report/progress.js");
  return terminalReporter(plan.jobs.reduce((sum, job) => sum + job.dist.size, 0));
}

/**
 * `--check-url URL` (one server selected) or `--check-url NAME=URL` (repeatable) override the
 * servers' own check-url; `--no-check` turns existence checks off.
 */
function applyCheckUrls(servers: ServerConfig[], values: string[], enabled: boolean): void {
  for (const value of values) {
    const named = /^([^=]+)=(https?:\/\/.*)$/i.exec(value);
    if (named) {
      const server = servers.find((s) => s.name === named[1]);
      if (!server) {
        throw new UsageError(
          `--check-url ${value}: '${named[1]}' is not one of the selected servers (${servers.map((s) => s.name).join(", ")})`,
        );
      }
      server.checkUrl = named[2];
    } else if (servers.length === 1 && /^https?:\/\//i.test(value)) {
      (servers[0] as ServerConfig).checkUrl = value;
    } else {
      throw new UsageError(
        `--check-url ${value}: with several servers, name one: --check-url NAME=URL`,
      );
    }
  }
  if (!enabled) for (const server of servers) server.checkUrl = undefined;
}

async function writeReports(
  opts: PublishCliOptions,
  plan: Plan,
  results: JobResult[],
  meta: { dryRun: boolean; exitCode: number; usernames: Map<string, string | undefined> },
): Promise<void> {
  if (!opts.report) return;
  // Reasons quote servers' answers, which may echo what was sent: redacted like stdout.
  await writeFile(
    opts.report,
    redact(`${JSON.stringify(buildJsonReport(plan, results, meta), null, 2)}\n`),
  );
}
