import { arch, platform } from "node:os";
import type { ServerConfig } from "../config/types.js";
import type { Credentials } from "../credentials/types.js";
import { ExitCode } from "../errors.js";
import { DigestCache } from "../execute/digest-cache.js";
import {
  ExistenceChecker,
  settleServerSimpleUrl,
  simpleUrlToSettle,
} from "../execute/existence.js";
import { preflight } from "../execute/preflight.js";
import { type JobResult, type RunEvents, runPlan } from "../execute/run.js";
import { closeSessions, openSessions } from "../execute/session.js";
import type { Plan } from "../plan/plan.js";
import { buildJsonReport, writeReport } from "../report/json.js";
import { lineReporter, type Verbosity } from "../report/log.js";
import { err, out, redactedJson } from "../report/redact.js";
import { ReportFileError } from "../report/report-file.js";
import { formatSummary, totals } from "../report/summary.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { formatTrace } from "../transport/trace.js";
import type { PublishCliOptions } from "./options.js";
import type { PublishContext } from "./publish.js";

export interface SendSettings {
  limits: {
    concurrency: number;
    perServer: number;
    retries: number;
    connectTimeoutMs: number;
    stallTimeoutMs: number;
  };
  verbosity: Verbosity;
  usernames: Map<string, string | undefined>;
  say: (line: string) => void;
}

const USER_AGENT = `pkgpush/${PKGPUSH_VERSION} (node ${process.version}; ${platform()} ${arch()})`;

/** Files bound for at least one server that asked for md5 (`md5-digest = true`). */
function md5Paths(plan: Plan): (path: string) => boolean {
  const paths = new Set(plan.jobs.filter((j) => j.server.md5Digest).map((j) => j.dist.path));
  return (path) => paths.has(path);
}

/** The sending half of `upload`/`register`: sessions -> preflight -> run -> summary and report. */
export async function sendPlan(
  plan: Plan,
  credentials: Map<string, Credentials>,
  opts: PublishCliOptions,
  ctx: PublishContext,
  { limits, verbosity, usernames, say }: SendSettings,
): Promise<number> {
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
    verbosity === "verbose"
      ? (server, event) => {
          for (const line of formatTrace(server.name, event)) err(`${line}\n`);
        }
      : undefined,
  );
  const context = {
    sessions,
    digests: new DigestCache(ctx.signal, md5Paths(plan)),
    checker: new ExistenceChecker(sessions, {
      userAgent: USER_AGENT,
      stallTimeoutMs: limits.stallTimeoutMs,
      signal: ctx.signal,
      retry: { ...defaultRetryPolicy, retries: limits.retries },
    }),
  };
  const events = await reporterFor(plan, verbosity, ctx.env, opts.progress !== false);
  // Said once per server that refused for good, whatever the verbosity (it explains `not-sent`).
  events.onNotice ??= (line) => err(`${line}\n`);
  let results: JobResult[];
  try {
    const retry = { ...defaultRetryPolicy, retries: limits.retries };
    const settle =
      plan.action === "upload"
        ? (server: ServerConfig, retries = retry.retries) =>
            settleServerSimpleUrl(server, plan, sessions, {
              userAgent: USER_AGENT,
              stallTimeoutMs: limits.stallTimeoutMs,
              retry: { ...retry, retries },
              signal: ctx.signal,
              say,
            })
        : undefined;
    const derivable = settle !== undefined && plan.servers.some(simpleUrlToSettle);
    if (
      opts.preflight &&
      (plan.servers.length > 1 || plan.servers.some((s) => s.checkUrl) || derivable)
    ) {
      say(
        `preflight: checking ${plan.servers.length} server${plan.servers.length === 1 ? "" : "s"}`,
      );
      await preflight(plan, sessions, context.checker, (path) => context.digests.get(path), {
        userAgent: USER_AGENT,
        timeoutMs: limits.stallTimeoutMs,
        signal: ctx.signal,
        // As the probe it replaces: one attempt.
        settle: settle && ((server) => settle(server, 0)),
      });
    } else if (settle) {
      // Without preflight, an unreachable server is the upload's to report.
      await Promise.all(plan.servers.filter(simpleUrlToSettle).map((server) => settle(server)));
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
        userAgent: USER_AGENT,
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
    out(redactedJson(buildJsonReport(plan, results, { dryRun: false, exitCode, usernames })));
    if (verbosity !== "quiet") err(`${formatSummary(results)}\n`);
  } else {
    out(`${formatSummary(results)}\n`);
  }
  try {
    await writeReport(opts.report, plan, results, { dryRun: false, exitCode, usernames });
  } catch (error) {
    // The uploads are done and summarised: the lost report is one more error, not a crash.
    if (!(error instanceof ReportFileError)) throw error;
    err(`pkgpush: error: ${error.message}\n`);
    return exitCode === ExitCode.ok ? ExitCode.failed : exitCode;
  }
  return exitCode;
}

/**
 * Bars on an interactive terminal; plain lines in CI, in pipes, with TERM=dumb and with
 * --no-progress / --disable-progress-bar.
 */
async function reporterFor(
  plan: Plan,
  verbosity: Verbosity,
  env: NodeJS.ProcessEnv,
  bars: boolean,
): Promise<RunEvents & { stop?: () => void }> {
  const interactive =
    bars && process.stderr.isTTY && !env.CI && env.TERM !== "dumb" && verbosity === "normal";
  if (!interactive || plan.action !== "upload")
    return lineReporter((line) => err(`${line}\n`), verbosity);
  const { terminalReporter } = await import("../report/progress.js");
  return terminalReporter(plan.jobs.reduce((sum, job) => sum + job.dist.size, 0));
}
