/**
 * `sync`: the files of some releases that the targets lack, copied from the source's simple index
 * through the upload pipeline. Discover (nothing sent) -> download each missing file once into a
 * private folder, verified -> inspect -> the upload pipeline (given as `upload`, the same one
 * `pkgpush upload` runs) -> one report. The folder is gone when this returns or throws.
 */
import type { PypircConfig, ServerConfig } from "../config/types.js";
import type { Credentials } from "../credentials/types.js";
import { refuseInvalidMetadata } from "../distributions/metadata-check.js";
import { ExitCode } from "../errors.js";
import { closeSessions, openSessions, type ServerSession } from "../execute/session.js";
import type { Plan } from "../plan/plan.js";
import type { OutcomeStatus } from "../protocol/outcome.js";
import type { JsonReport } from "../report/json.js";
import type { TraceEvent } from "../transport/http.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { copyPlan, copyRoutes } from "./copy-plan.js";
import { type Discovered, discover, parseSpecs, selectSource } from "./discover.js";
import { type DownloadEvents, type FetchResult, fetchAll } from "./fetch-all.js";
import { type SyncSection, syncIncomplete, syncRows, syncSection } from "./report.js";
import { withPrivateDir } from "./temp-dir.js";

export interface SyncLimits {
  concurrency: number;
  perServer: number;
  retries: number;
  connectTimeoutMs: number;
  stallTimeoutMs: number;
}

export interface SyncOptions {
  /** `NAME` or `NAME==VERSION`, as typed. */
  specs: string[];
  /** The source: a section name or a URL (a simple index, or a configured repository URL). */
  from: string;
  /** Targets named (`--to`); empty: routed by release-packages. */
  to: string[];
  dryRun: boolean;
  config: PypircConfig;
  limits: SyncLimits;
  /** A download larger than this is refused (the index's size, when given, is tighter). */
  maxDownloadBytes: number;
  caCert?: string | undefined;
  clientCert?: string | undefined;
  userAgent: string;
  signal?: AbortSignal | undefined;
  /** Base folder of the private temporary folder (default: the system's). */
  tempBase?: string | undefined;
}

export interface SyncEvents extends DownloadEvents {
  onMessage?(level: "info" | "warning", text: string): void;
  /** Verbose: every request to the source and targets while discovering and downloading. */
  onTrace?(server: string, event: TraceEvent): void;
}

export interface SyncDeps {
  /**
   * Credentials of these servers. The source's may be empty (read anonymously); targets' must be
   * complete unless it is a dry run.
   */
  credentials(
    servers: ServerConfig[],
    role: "source" | "target",
  ): Promise<Map<string, Credentials>>;
  /** The upload pipeline: preflight, ordering, checks, retries, progress; resolves with its report. */
  upload(plan: Plan, credentials: Map<string, Credentials>): Promise<JsonReport>;
}

export type SyncReport = Omit<JsonReport, "command"> & { command: "sync"; sync: SyncSection };

/** Slow trickles are aborted below this average rate (after the first --timeout seconds). */
const MIN_DOWNLOAD_RATE = 16 * 1024;

export async function runSync(
  options: SyncOptions,
  deps: SyncDeps,
  events: SyncEvents = {},
): Promise<SyncReport> {
  const specs = parseSpecs(options.specs);
  const source = selectSource(options.config, options.from);
  const credentials = new Map<string, Credentials>();
  const opened: Array<Map<string, ServerSession>> = [];
  const sessionFor = async (
    servers: ServerConfig[],
    role: "source" | "target",
  ): Promise<Map<string, ServerSession>> => {
    const found = await deps.credentials(servers, role);
    for (const [name, c] of found) credentials.set(name, c);
    const sessions = openSessions(
      servers.map((server) => ({ server, credentials: found.get(server.name) ?? {} })),
      {
        connectTimeoutMs: options.limits.connectTimeoutMs,
        stallTimeoutMs: options.limits.stallTimeoutMs,
        caCert: options.caCert,
        clientCert: options.clientCert,
      },
      events.onTrace && ((server, event) => events.onTrace?.(server.name, event)),
    );
    opened.push(sessions);
    return sessions;
  };
  try {
    const found = await discover({
      config: options.config,
      source,
      specs,
      to: options.to,
      sessionFor,
      simple: {
        userAgent: options.userAgent,
        stallTimeoutMs: options.limits.stallTimeoutMs,
        retry: { ...defaultRetryPolicy, retries: options.limits.retries },
        signal: options.signal,
      },
      signal: options.signal,
      warn: (line) => events.onMessage?.("warning", line),
    });
    if (options.dryRun) {
      return finish(options, found, credentials, syncSection(source.name, found.plan), undefined);
    }
    const sourceSession = found.sessions.get(source.name) as ServerSession;
    return await withPrivateDir(async (dir) => {
      const fetched = await fetchAll(
        found.plan.copies,
        {
          dispatcher: sourceSession.dispatcher,
          dir,
          authorization: await sourceSession.authorize(),
          credentialOrigin: new URL(source.repository).origin,
          maxBytes: options.maxDownloadBytes,
          stallTimeoutMs: options.limits.stallTimeoutMs,
          minBytesPerSecond: MIN_DOWNLOAD_RATE,
          retry: { ...defaultRetryPolicy, retries: options.limits.retries },
          userAgent: options.userAgent,
          signal: options.signal,
          trace: sourceSession.trace,
        },
        options.limits.perServer,
        events,
      );
      refuseAllOnMismatch(fetched);
      let uploaded: JsonReport | undefined;
      if (fetched.ready.length > 0 && !options.signal?.aborted) {
        const routes = await copyRoutes(fetched, found.targets);
        // The same refusal as `upload`: PyPI's rules for files bound there, packaging's for all.
        refuseInvalidMetadata(routes.routes);
        uploaded = await deps.upload(copyPlan(routes), credentials);
      }
      const section = syncSection(source.name, found.plan, fetched);
      return finish(options, found, credentials, section, uploaded);
    }, options.tempBase);
  } finally {
    await Promise.all(opened.map((sessions) => closeSessions(sessions)));
  }
}

/**
 * A file whose bytes do not hash to what the source's index says means the source (or something
 * between) serves other bytes than it lists: nothing of this sync is uploaded.
 */
function refuseAllOnMismatch(fetched: FetchResult): void {
  const bad = fetched.failed.filter((f) => f.code === "HASH_MISMATCH");
  if (bad.length === 0) return;
  const names = bad.map((b) => b.copy.file.filename).join(", ");
  for (const ready of fetched.ready.splice(0)) {
    fetched.failed.push({
      copy: ready.copy,
      reason: `held back: ${names} did not match the source's sha256, so nothing of this sync is uploaded`,
      code: "HELD",
    });
  }
}

function finish(
  options: SyncOptions,
  found: Discovered,
  credentials: Map<string, Credentials>,
  section: SyncSection,
  uploaded: JsonReport | undefined,
): SyncReport {
  const results = [...(uploaded?.results ?? []), ...syncRows(section)];
  const counts: Record<OutcomeStatus, number> = {
    uploaded: 0,
    registered: 0,
    "not-needed": 0,
    skipped: 0,
    failed: 0,
    held: 0,
    "not-sent": 0,
    unknown: 0,
  };
  for (const r of results) counts[r.status as OutcomeStatus]++;
  const bad = counts.failed + counts.held + counts["not-sent"] + counts.unknown > 0;
  const exitCode = options.signal?.aborted
    ? ExitCode.interrupted
    : bad || syncIncomplete(section) || (uploaded?.exitCode ?? 0) !== 0
      ? ExitCode.failed
      : ExitCode.ok;
  return {
    schema: "pkgpush-report/1",
    command: "sync",
    dryRun: options.dryRun,
    exitCode,
    servers: found.targets.map((s) => ({
      name: s.name,
      url: s.repository,
      username: credentials.get(s.name)?.username ?? null,
    })),
    files: uploaded?.files ?? [],
    results,
    totals: counts,
    sync: section,
  };
}
