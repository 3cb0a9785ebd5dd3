/**
 * `pkgpush sync NAME[==VERSION]... --from SERVER [--to SERVER...]`: the CLI around runSync
 * (src/sync/run.ts): options, credentials, download progress lines, the upload pipeline, the
 * summary and the JSON report.
 */
import { arch, platform } from "node:os";
import { loadPypirc } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { requireCredentials, resolveCredentials } from "../credentials/resolve.js";
import { checkTlsFiles } from "../credentials/tls-files.js";
import {
  checkCredentialTransport,
  credentialWarnings,
  withTokenUser,
} from "../credentials/transport-safety.js";
import type { Credentials } from "../credentials/types.js";
import {
  AggregateInputError,
  ExitCode,
  InterruptedError,
  PkgpushError,
  UsageError,
} from "../errors.js";
import { DigestCache } from "../execute/digest-cache.js";
import { ExistenceChecker } from "../execute/existence.js";
import { preflight } from "../execute/preflight.js";
import { runPlan } from "../execute/run.js";
import { closeSessions, openSessions } from "../execute/session.js";
import type { Plan } from "../plan/plan.js";
import { buildJsonReport, type JsonReport } from "../report/json.js";
import { formatBytes, lineReporter, type Verbosity } from "../report/log.js";
import { err, out, redactedJson, registerCredentials } from "../report/redact.js";
import { checkReportTarget, ReportFileError, writeReportFile } from "../report/report-file.js";
import { formatDuration } from "../report/summary.js";
import { formatTable } from "../report/table.js";
import { sourceCredentialSources, sourceCredentials } from "../sync/discover.js";
import { formatSyncPlan, syncNotes } from "../sync/report.js";
import { runSync, type SyncReport } from "../sync/run.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { formatTrace } from "../transport/trace.js";
import { applyDropInOptions } from "./compat.js";
import type { PublishCliOptions } from "./options.js";
import { positiveInt, seconds } from "./options.js";
import { credentialSources, type PublishContext } from "./publish.js";

export interface SyncCliOptions extends PublishCliOptions {
  from?: string;
  to?: string[];
  maxDownloadSize: string;
}

const USER_AGENT = `pkgpush/${PKGPUSH_VERSION} (node ${process.version}; ${platform()} ${arch()})`;

/** `2G`, `500M`, `64k` or a number of bytes. */
export function parseSize(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const n = m ? Number(m[1]) * scale[(m[2] ?? "").toLowerCase() as keyof typeof scale] : Number.NaN;
  if (!Number.isFinite(n) || n < 1) {
    throw new UsageError(`${option} must be a size such as 2G, 500M or 1048576, got '${value}'`);
  }
  return Math.floor(n);
}

export async function sync(
  specs: string[],
  opts: SyncCliOptions,
  ctx: PublishContext,
): Promise<number> {
  try {
    await applyDropInOptions(opts, ctx.env, ctx.cwd);
    return await syncSteps(specs, opts, ctx);
  } catch (error) {
    if (error instanceof PkgpushError && (opts.json || opts.report)) {
      const report = redactedJson({
        schema: "pkgpush-report/1",
        command: "sync",
        dryRun: opts.dryRun ?? false,
        exitCode: error.exitCode,
        servers: [],
        files: [],
        results: [],
        error: { message: error.message, hint: error.hint ?? null },
      });
      if (opts.json) out(report);
      if (opts.report && !(error instanceof ReportFileError)) {
        await writeReportFile(opts.report, report).catch((e: Error) =>
          err(`pkgpush: error: ${e.message}\n`),
        );
      }
    }
    throw error;
  }
}

async function syncSteps(
  specs: string[],
  opts: SyncCliOptions,
  ctx: PublishContext,
): Promise<number> {
  const verbosity: Verbosity = opts.quiet ? "quiet" : opts.verbose ? "verbose" : "normal";
  const say = (line: string): void => {
    if (verbosity !== "quiet") err(`${line}\n`);
  };
  const debug = (line: string): void => {
    if (verbosity === "verbose") err(`debug: ${line}\n`);
  };
  if (!opts.from) throw new UsageError("sync needs --from SERVER (the index to copy from)");
  const limits = {
    concurrency: positiveInt(opts.concurrency, "--concurrency", 1, 64),
    perServer: positiveInt(opts.perServer, "--per-server", 1, 16),
    retries: positiveInt(opts.retries, "--retries", 0, 20),
    connectTimeoutMs: seconds(opts.connectTimeout, "--connect-timeout"),
    stallTimeoutMs: seconds(opts.timeout, "--timeout"),
  };
  const maxDownloadBytes = parseSize(opts.maxDownloadSize, "--max-download-size");
  if (opts.report) await checkReportTarget(opts.report);
  const config = await loadPypirc({ path: opts.configFile, env: ctx.env });
  for (const warning of config.warnings) say(`warning: ${warning}`);

  const targetSources = credentialSources(opts, ctx.env, debug, say, ctx.signal);
  const keyringOn = keyringEnabled(opts.keyring as boolean | undefined, ctx.env);
  const fromSources = sourceCredentialSources(
    ctx.env,
    keyringOn
      ? [keyringSource({ debug, warn: (line) => say(`warning: ${line}`), signal: ctx.signal })]
      : [],
  );
  const report = await runSync(
    {
      specs,
      from: opts.from,
      to: opts.to ?? [],
      dryRun: opts.dryRun ?? false,
      config,
      limits,
      maxDownloadBytes,
      caCert: opts.cert,
      clientCert: opts.clientCert,
      userAgent: USER_AGENT,
      signal: ctx.signal,
    },
    {
      credentials: async (servers, role) => {
        const problems = await checkTlsFiles(servers, opts.cert, opts.clientCert);
        if (problems.length === 1) throw problems[0];
        if (problems.length > 1) throw new AggregateInputError(problems);
        return role === "source"
          ? sourceMap(servers, fromSources, opts.allowInsecureHttp ?? false)
          : targetMap(servers, targetSources, opts, ctx.signal, say);
      },
      upload: (plan, credentials) => upload(plan, credentials, opts, ctx, limits, verbosity, say),
    },
    downloadLines(say, verbosity),
  );
  return printOutcome(report, opts, verbosity);
}

async function sourceMap(
  servers: ServerConfig[],
  sources: ReturnType<typeof sourceCredentialSources>,
  allowInsecureHttp: boolean,
): Promise<Map<string, Credentials>> {
  const map = new Map<string, Credentials>();
  for (const server of servers) {
    const found = await sourceCredentials(server, sources, allowInsecureHttp);
    registerCredentials(found.username, found.password);
    map.set(server.name, found);
  }
  return map;
}

/** Targets' credentials, as `upload` settles them; every problem reported together. */
async function targetMap(
  servers: ServerConfig[],
  sources: ReturnType<typeof credentialSources>,
  opts: SyncCliOptions,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<Map<string, Credentials>> {
  const map = new Map<string, Credentials>();
  const problems: PkgpushError[] = [];
  for (const server of servers) {
    if (signal.aborted) throw new InterruptedError();
    try {
      checkCredentialTransport(server, opts.allowInsecureHttp ?? false);
      const found = opts.dryRun
        ? withTokenUser(await resolveCredentials(server, sources))
        : await requireCredentials(server, sources);
      registerCredentials(found.username, found.password);
      for (const warning of credentialWarnings(server, found)) say(`warning: ${warning}`);
      map.set(server.name, found);
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      problems.push(error as PkgpushError);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateInputError(problems);
  return map;
}

/** Download progress: one line per start, retry and end (stderr, like upload progress). */
function downloadLines(say: (line: string) => void, verbosity: Verbosity) {
  return {
    onMessage: (level: "info" | "warning", text: string) =>
      say(level === "warning" ? `warning: ${text}` : text),
    onTrace: (server: string, event: Parameters<typeof formatTrace>[1]) => {
      if (verbosity === "verbose") for (const line of formatTrace(server, event)) err(`${line}\n`);
    },
    onDownloadStart: (copy: { file: { filename: string; size?: number | undefined } }) => {
      const size = copy.file.size !== undefined ? ` (${formatBytes(copy.file.size)})` : "";
      say(`downloading ${copy.file.filename}${size}`);
    },
    onDownloadRetry: (
      copy: { file: { filename: string } },
      attempt: number,
      delayMs: number,
      why: string,
    ) =>
      say(
        `retrying download of ${copy.file.filename} in ${formatDuration(delayMs)} (attempt ${attempt} failed: ${why})`,
      ),
    onDownloadFinish: (
      copy: { file: { filename: string } },
      outcome: { ok: boolean; durationMs: number; reason?: string },
    ) => {
      if (outcome.ok)
        say(
          `downloaded ${copy.file.filename} in ${formatDuration(outcome.durationMs)}, sha256 verified`,
        );
      // Said whatever the verbosity, as upload failures are.
      else err(`download failed: ${copy.file.filename}: ${outcome.reason}\n`);
    },
  };
}

/** The upload pipeline on the copies: preflight, ordered jobs, checks, retries; a report back. */
async function upload(
  plan: Plan,
  credentials: Map<string, Credentials>,
  opts: SyncCliOptions,
  ctx: PublishContext,
  limits: {
    concurrency: number;
    perServer: number;
    retries: number;
    connectTimeoutMs: number;
    stallTimeoutMs: number;
  },
  verbosity: Verbosity,
  say: (line: string) => void,
): Promise<JsonReport> {
  const sessions = openSessions(
    plan.servers.map((server) => ({ server, credentials: credentials.get(server.name) ?? {} })),
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
  const md5 = new Set(plan.jobs.filter((j) => j.server.md5Digest).map((j) => j.dist.path));
  const context = {
    sessions,
    digests: new DigestCache(ctx.signal, (path) => md5.has(path)),
    checker: new ExistenceChecker(sessions, {
      userAgent: USER_AGENT,
      stallTimeoutMs: limits.stallTimeoutMs,
      signal: ctx.signal,
    }),
  };
  const events = lineReporter((line) => err(`${line}\n`), verbosity);
  events.onNotice ??= (line) => err(`${line}\n`);
  try {
    if (opts.preflight) {
      say(
        `preflight: checking ${plan.servers.length} server${plan.servers.length === 1 ? "" : "s"}`,
      );
      await preflight(plan, sessions, context.checker, (path) => context.digests.get(path), {
        userAgent: USER_AGENT,
        timeoutMs: limits.stallTimeoutMs,
        signal: ctx.signal,
      });
    }
    const results = await runPlan(
      plan,
      context,
      {
        concurrency: limits.concurrency,
        perServer: limits.perServer,
        retry: { ...defaultRetryPolicy, retries: limits.retries },
        stallTimeoutMs: limits.stallTimeoutMs,
        skipExisting: false,
        attestations: false,
        userAgent: USER_AGENT,
        signal: ctx.signal,
      },
      events,
    );
    const usernames = new Map([...credentials].map(([name, c]) => [name, c.username]));
    return buildJsonReport(plan, results, { dryRun: false, exitCode: 0, usernames });
  } finally {
    events.stop?.();
    await closeSessions(sessions);
  }
}

/** The summary table (every file x target), the notes, the JSON report; the exit code. */
async function printOutcome(
  report: SyncReport,
  opts: SyncCliOptions,
  verbosity: Verbosity,
): Promise<number> {
  const text = report.dryRun ? formatSyncPlan(report.sync) : formatReport(report);
  if (opts.json) {
    out(redactedJson(report));
    if (verbosity !== "quiet") err(`${text}\n`);
  } else {
    out(`${text}\n`);
  }
  if (opts.report) {
    try {
      await writeReportFile(opts.report, redactedJson(report));
    } catch (error) {
      if (!(error instanceof ReportFileError)) throw error;
      err(`pkgpush: error: ${error.message}\n`);
      return report.exitCode === ExitCode.ok ? ExitCode.failed : report.exitCode;
    }
  }
  return report.exitCode;
}

function formatReport(report: SyncReport): string {
  const parts = Object.entries(report.totals)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  const files = new Set(report.results.map((r) => r.file)).size;
  const servers = new Set(report.results.map((r) => r.server)).size;
  const header = `Summary: ${parts.join(", ") || "nothing to do: every target has every file"} (${files} file${files === 1 ? "" : "s"} x ${servers} server${servers === 1 ? "" : "s"}; source ${report.sync.from})`;
  const rows = [
    ["FILE", "SERVER", "RESULT", "TIME", "DETAIL"],
    ...report.results.map((r) => [
      r.file,
      r.server,
      r.status,
      formatDuration(r.durationMs),
      [r.reason ?? "", r.attempts > 1 ? `(${r.attempts} attempts)` : ""].filter(Boolean).join(" "),
    ]),
  ];
  return [
    header,
    ...(report.results.length > 0 ? formatTable(rows) : []),
    ...syncNotes(report.sync),
  ].join("\n");
}
