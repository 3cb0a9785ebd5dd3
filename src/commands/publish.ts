import type { Dispatcher } from "undici";
import { loadPypirc } from "../config/pypirc.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { promptSource } from "../credentials/prompt.js";
import { requireCredentials, resolveCredentials } from "../credentials/resolve.js";
import { commandLineSource, environmentSource, pypircSource } from "../credentials/sources.js";
import { checkTlsFiles } from "../credentials/tls-files.js";
import {
  checkCredentialTransport,
  credentialWarnings,
  withTokenUser,
} from "../credentials/transport-safety.js";
import {
  parseTrustedPublishingMode,
  trustedPublishingSource,
} from "../credentials/trusted-publishing.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { collectFiles } from "../distributions/collect.js";
import { inspectAll } from "../distributions/inspect.js";
import type { Distribution } from "../distributions/types.js";
import {
  AggregateInputError,
  ExitCode,
  InterruptedError,
  PkgpushError,
  UsageError,
} from "../errors.js";
import { type Action, type Plan, planRegistrations, planUploads } from "../plan/plan.js";
import { signaturesPypiIgnores } from "../protocol/signatures.js";
import { dryRunReport, errorReport, writeReport } from "../report/json.js";
import type { Verbosity } from "../report/log.js";
import { formatPlan } from "../report/plan.js";
import { err, out, redactedJson, registerCredentials } from "../report/redact.js";
import { checkReportTarget, ReportFileError, writeReportFile } from "../report/report-file.js";
import { serverLookup } from "../resolve/lookup.js";
import { matchRoutes } from "../resolve/route-match.js";
import { resolveTargets, splitRepositoryArgs } from "../resolve/targets.js";
import { refuseBeforeSending } from "../rules/preflight.js";
import { applyDropInOptions } from "./compat.js";
import { type PublishCliOptions, positiveInt, seconds } from "./options.js";

export interface PublishContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
}

/** The credential sources in twine's order, extended; see README "Credentials". */
export function credentialSources(
  opts: PublishCliOptions,
  env: NodeJS.ProcessEnv,
  debug: (line: string) => void,
  say: (line: string) => void,
  signal?: AbortSignal,
): CredentialSource[] {
  // commander leaves `keyring` undefined when neither --keyring nor --no-keyring is given.
  const keyringOn = keyringEnabled(opts.keyring as boolean | undefined, env);
  let dispatcher: Dispatcher | undefined;
  return [
    commandLineSource(opts.username, opts.password),
    environmentSource(env),
    pypircSource(),
    ...(keyringOn
      ? [keyringSource({ debug, warn: (line) => say(`warning: ${line}`), signal })]
      : []),
    trustedPublishingSource({
      mode: parseTrustedPublishingMode(opts.trustedPublishing),
      dryRun: opts.dryRun ?? false,
      env,
      dispatcher: async () => {
        const { createDispatcher } = await import("../transport/http.js");
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
    // A dry run sends nothing, so it has no use for a typed password; --non-interactive never asks.
    ...(opts.dryRun || opts.nonInteractive ? [] : [promptSource()]),
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
  try {
    await applyDropInOptions(opts, ctx.env, ctx.cwd);
    return await publishSteps(action, paths, opts, ctx);
  } catch (error) {
    // A machine reading --json gets JSON even when the run stopped before sending anything.
    if (error instanceof PkgpushError && (opts.json || opts.report)) {
      const report = redactedJson(errorReport(action, opts.dryRun ?? false, error));
      if (opts.json) out(report);
      // Not when the report file itself is the problem; a second failure must not hide the first.
      if (opts.report && !(error instanceof ReportFileError)) {
        await writeReportFile(opts.report, report).catch((e: Error) =>
          err(`pkgpush: error: ${e.message}\n`),
        );
      }
    }
    throw error;
  }
}

async function publishSteps(
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
  if (opts.report) await checkReportTarget(opts.report);

  const config = await loadConfig(opts, ctx.env);
  for (const warning of config.warnings) say(`warning: ${warning}`);

  const files = await collectFiles(paths.length > 0 ? paths : ["dist/*"], ctx.cwd);
  const dists = await inspectAll(files);
  for (const warning of dists.flatMap((d) => d.warnings ?? [])) say(`warning: ${warning}`);
  // Patterns are matched here, once, under a deadline: a runaway pattern is a config error and
  // Ctrl-C still works while one runs.
  const routeTable = await matchRoutes(
    [...config.servers.values()],
    dists.map((d) => d.name),
    { signal: ctx.signal },
  );

  // twine's variables apply only when the command line names no server.
  const repositories = opts.repository ?? [];
  const named = repositories.length > 0 || opts.repositoryUrl !== undefined;
  const targets = resolveTargets(
    dists,
    config,
    {
      repositories: splitRepositoryArgs(
        named || !ctx.env.TWINE_REPOSITORY ? repositories : [ctx.env.TWINE_REPOSITORY],
      ),
      repositoryUrl:
        opts.repositoryUrl ?? (named ? undefined : ctx.env.TWINE_REPOSITORY_URL || undefined),
    },
    serverLookup(routeTable),
  );
  for (const warning of targets.warnings) say(`warning: ${warning}`);
  if (opts.rules !== false && opts.rulesCheck !== false)
    await refuseBeforeSending(targets.routes, action);
  // The plan shows the notes itself; a real run says them as warnings.
  if (!opts.dryRun) for (const note of targets.notes) say(`warning: ${note}`);
  applyCheckUrls(
    targets.servers,
    [...(opts.simpleUrl ?? []), ...(opts.checkUrl ?? [])],
    opts.check !== false && opts.simpleIndex !== false,
  );
  const plan = action === "upload" ? planUploads(targets) : planRegistrations(targets);
  // Only the files that go somewhere are signed (one passphrase prompt each, perhaps).
  if (action === "upload" && opts.sign) {
    await sign([...new Set(plan.jobs.map((job) => job.dist))], opts, ctx, say);
  }
  const unsigned = signaturesPypiIgnores(plan);
  if (unsigned.length > 0) {
    say(
      `note: PyPI ignores GPG signatures; not sending them to ${unsigned.join(", ")} (other servers get them)`,
    );
  }

  // Everything a run will read besides the distributions, checked before anything is asked or sent.
  const tlsProblems = await checkTlsFiles(plan.servers, opts.cert, opts.clientCert);
  if (tlsProblems.length === 1) throw tlsProblems[0];
  if (tlsProblems.length > 1) throw new AggregateInputError(tlsProblems);

  const debug = (line: string): void => {
    if (verbosity === "verbose") err(`debug: ${line}\n`);
  };
  const credentials = await settleCredentials(plan, opts, ctx, { say, debug });
  const usernames = new Map([...credentials].map(([name, c]) => [name, c.username]));
  if (opts.dryRun) {
    if (opts.json) out(redactedJson(dryRunReport(plan, credentials)));
    else out(`${formatPlan(plan, credentials)}\n`);
    await writeReport(opts.report, plan, [], { dryRun: true, exitCode: ExitCode.ok, usernames });
    return ExitCode.ok;
  }

  // The HTTP stack and the executor load only now: a dry run never pays for them.
  const { sendPlan } = await import("./send.js");
  return sendPlan(plan, credentials, opts, ctx, { limits, verbosity, usernames, say });
}

/**
 * Every server's credentials, settled before the first byte goes anywhere (dry runs apply the same
 * rules, minus the prompt). All problems are reported together.
 */
async function settleCredentials(
  plan: Plan,
  opts: PublishCliOptions,
  ctx: PublishContext,
  { say, debug }: { say: (line: string) => void; debug: (line: string) => void },
): Promise<Map<string, Credentials>> {
  const sources = credentialSources(opts, ctx.env, debug, say, ctx.signal);
  if (opts.password !== undefined && plan.servers.length > 1) {
    say(
      `warning: the password given with -p is used for all ${plan.servers.length} servers (${plan.servers.map((s) => s.name).join(", ")}); use PKGPUSH_<SECTION>_PASSWORD or .pypirc for per-server passwords`,
    );
  }
  const credentials = new Map<string, Credentials>();
  const problems: PkgpushError[] = [];
  for (const server of plan.servers) {
    if (ctx.signal.aborted) throw new InterruptedError();
    try {
      // Before any source is asked: trusted publishing would send an ID token, the prompt would
      // ask for a password that could not be sent anyway.
      checkCredentialTransport(server, opts.allowInsecureHttp ?? false);
      const found = opts.dryRun
        ? withTokenUser(await resolveCredentials(server, sources))
        : await requireCredentials(server, sources);
      registerCredentials(found.username, found.password);
      for (const warning of credentialWarnings(server, found)) say(`warning: ${warning}`);
      credentials.set(server.name, found);
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      problems.push(error as PkgpushError);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateInputError(problems);
  return credentials;
}

/** `--sign`: each file's `.asc` made now, before the plan (a dry run only says it would). */
async function sign(
  dists: Distribution[],
  opts: PublishCliOptions,
  ctx: PublishContext,
  say: (line: string) => void,
): Promise<void> {
  const program = opts.signWith ?? "gpg";
  if (opts.dryRun) {
    say(`dry run: would sign ${dists.length} file(s) with ${program} (not signing now)`);
    return;
  }
  const { signDistributions } = await import("../distributions/sign.js");
  say(
    `signing ${dists.length} file(s) with ${program}${opts.identity ? ` as ${opts.identity}` : ""}`,
  );
  await signDistributions(dists, { program, identity: opts.identity, signal: ctx.signal });
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
