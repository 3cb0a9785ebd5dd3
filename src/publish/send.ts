/**
 * The second half of a run: sessions -> preflight -> the plan's jobs -> the report. Nothing is
 * printed: progress goes to the events, the outcome comes back as the report (the same data as
 * `--json`), redacted with the run's redactor.
 */

import { setMaxListeners } from "node:events";
import type { ServerConfig } from "../config/types.js";
import { type Blake2bAhead, PARALLEL_THRESHOLD } from "../distributions/blake2b-thread.js";
import { ExitCode } from "../errors.js";
import { DigestCache } from "../execute/digest-cache.js";
import {
  ExistenceChecker,
  settleServerSimpleUrl,
  simpleUrlToSettle,
} from "../execute/existence.js";
import { preflight } from "../execute/preflight.js";
import { type JobResult, type RunContext, runPlan } from "../execute/run.js";
import { closeSessions, openSessions, type ServerSession } from "../execute/session.js";
import type { Plan } from "../plan/plan.js";
import { buildJsonReport, type JsonReport } from "../report/json.js";
import { totals } from "../report/summary.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { USER_AGENT } from "../transport/user-agent.js";
import { messenger, type PublishEvents, redactedEvents } from "./events.js";
import type { Prepared } from "./prepare.js";

/** Files bound for at least one server that asked for md5 (`md5-digest = true`). */
function md5Paths(plan: Plan): (path: string) => boolean {
  const paths = new Set(plan.jobs.filter((j) => j.server.md5Digest).map((j) => j.dist.path));
  return (path) => paths.has(path);
}

function open(prepared: Prepared, events: PublishEvents): Map<string, ServerSession> {
  const { plan, credentials, options } = prepared;
  const trace = options.verbosity === "verbose" ? events.onTrace : undefined;
  return openSessions(
    plan.servers.map((server) => ({
      server,
      credentials: credentials.get(server.name) ?? {},
    })),
    {
      connectTimeoutMs: options.limits.connectTimeoutMs,
      stallTimeoutMs: options.limits.stallTimeoutMs,
      caCert: options.caCert,
      clientCert: options.clientCert,
    },
    trace && ((server, event) => trace.call(events, server.name, event)),
  );
}

/**
 * Files below the worker's threshold are hashed on this thread before they are sent (the digests
 * lead the form; the preflight compares them with the servers' pages): start now, so that the
 * hashing overlaps the preflight's requests instead of following them. Not when the caller knows
 * the digests or the files are still arriving (sync).
 */
function hashSmallFilesNow({ plan, known }: Prepared, context: RunContext): void {
  if (plan.action !== "upload" || known || context.arrival) return;
  const small = plan.jobs.filter((job) => job.dist.size < PARALLEL_THRESHOLD);
  for (const path of new Set(small.map((job) => job.dist.path))) {
    // A file that cannot be read fails where its digests are awaited (preflight or upload).
    context.digests.get(path).catch(() => undefined);
  }
}

/** Preflight (more than one server, or a check URL to ask), then every job of the plan. */
async function run(
  prepared: Prepared,
  context: RunContext,
  events: PublishEvents,
): Promise<JobResult[]> {
  const { plan, options, redactor } = prepared;
  const { limits, signal } = options;
  const retry = { ...defaultRetryPolicy, retries: limits.retries };
  const settle =
    plan.action === "upload"
      ? (server: ServerConfig, retries = retry.retries) =>
          settleServerSimpleUrl(server, plan, context.sessions, {
            userAgent: USER_AGENT,
            stallTimeoutMs: limits.stallTimeoutMs,
            retry: { ...retry, retries },
            signal,
            say: messenger(events).info,
          })
      : undefined;
  hashSmallFilesNow(prepared, context);
  const derivable = settle !== undefined && plan.servers.some(simpleUrlToSettle);
  if (
    options.preflight &&
    (plan.servers.length > 1 || plan.servers.some((s) => s.checkUrl) || derivable)
  ) {
    const n = plan.servers.length;
    messenger(events).info(`preflight: checking ${n} server${n === 1 ? "" : "s"}`);
    await preflight(plan, context.sessions, context.checker, (p) => context.digests.get(p), {
      userAgent: USER_AGENT,
      timeoutMs: limits.stallTimeoutMs,
      signal,
      // As the connection probe it replaces: one attempt.
      settle: settle && ((server) => settle(server, 0)),
    });
  } else if (settle) {
    // Without preflight, an unreachable server is the upload's to report.
    await Promise.all(plan.servers.filter(simpleUrlToSettle).map((server) => settle(server)));
  }
  const runOptions = {
    concurrency: limits.concurrency,
    perServer: limits.perServer,
    retry: { ...defaultRetryPolicy, retries: limits.retries },
    stallTimeoutMs: limits.stallTimeoutMs,
    skipExisting: options.skipExisting,
    comment: options.comment,
    attestations: options.attestations,
    userAgent: USER_AGENT,
    redact: redactor.redact,
    signal,
  };
  return runPlan(plan, context, runOptions, events);
}

/**
 * The run's own abort signal, following the caller's. Every job, retry wait and download in flight
 * listens to it (24 and more at once), past Node's warning threshold of ten listeners; the
 * caller's signal gets one listener, so its own leak warnings keep their meaning.
 */
function runSignal(outer: AbortSignal | undefined): AbortSignal | undefined {
  if (!outer) return undefined;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (outer.aborted) controller.abort(outer.reason);
  else outer.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
  return controller.signal;
}

/**
 * Sends what `prepare` settled; resolves with the report, whatever failed on which server.
 * `ahead`: BLAKE2b of large files already being computed (`hashAhead`).
 */
export async function send(
  given: Prepared,
  listeners: PublishEvents = {},
  ahead?: Pick<Blake2bAhead, "take">,
): Promise<JsonReport> {
  const prepared = {
    ...given,
    options: { ...given.options, signal: runSignal(given.options.signal) },
  };
  const { plan, options, credentials, redactor } = prepared;
  const events = redactedEvents(listeners, redactor);
  const sessions = open(prepared, events);
  const context: RunContext = {
    sessions,
    digests: new DigestCache(options.signal, md5Paths(plan), prepared.known?.digests, ahead),
    checker: new ExistenceChecker(sessions, {
      userAgent: USER_AGENT,
      stallTimeoutMs: options.limits.stallTimeoutMs,
      signal: options.signal,
      retry: { ...defaultRetryPolicy, retries: options.limits.retries },
      perServer: options.limits.perServer,
    }),
    arrival: prepared.known?.arrival,
  };
  for (const { server, project, page } of prepared.known?.pages ?? []) {
    context.checker.seed(server, project, page);
  }
  let results: JobResult[];
  try {
    results = await run(prepared, context, events);
  } finally {
    await closeSessions(sessions);
  }
  const exitCode = options.signal?.aborted
    ? ExitCode.interrupted
    : totals(results).failed
      ? ExitCode.failed
      : ExitCode.ok;
  const usernames = new Map([...credentials].map(([name, c]) => [name, c.username]));
  return redactor.redactValues(
    buildJsonReport(plan, results, { dryRun: false, exitCode, usernames }),
  );
}
