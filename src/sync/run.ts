/**
 * `sync`: the files of some releases that the targets lack, copied from the source's simple index
 * through the upload pipeline. Discover (nothing sent) -> download each missing file once into a
 * private folder, verified -> inspect -> the upload pipeline (given as `upload`, the same one
 * `pkgpush upload` runs) -> one report. The folder is gone when this returns or throws.
 */
import type { ServerConfig } from "../config/types.js";
import { keyringSource } from "../credentials/keyring.js";
import { checkTlsFiles } from "../credentials/tls-files.js";
import type { Credentials } from "../credentials/types.js";
import { AggregateInputError, ExitCode } from "../errors.js";
import { closeSessions, openSessions, type ServerSession } from "../execute/session.js";
import { countStatuses, type OutcomeStatus, someNotLanded } from "../protocol/outcome.js";
import { settleCredentials } from "../publish/credentials.js";
import { messenger, type PublishEvents } from "../publish/events.js";
import type { PublishOptions } from "../publish/options.js";
import { type Prepared, readConfig } from "../publish/prepare.js";
import { loadSending } from "../publish/sending.js";
import type { JsonReport } from "../report/json.js";
import { Redactor } from "../report/redact.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { USER_AGENT } from "../transport/user-agent.js";
import {
  type Discovered,
  discover,
  parseSpecs,
  selectSource,
  sourceCredentialSources,
  sourceCredentials,
} from "./discover.js";
import type { DownloadEvents, FetchResult } from "./download-types.js";
import { fetchAll } from "./fetch-all.js";
import { CopyPipeline } from "./pipeline.js";
import type { Copy } from "./plan.js";
import { type SyncSection, syncIncomplete, syncRows, syncSection } from "./report.js";
import { withPrivateDir } from "./temp-dir.js";

/**
 * A sync's options: the upload pipeline's (targets' credentials, limits, TLS, preflight,
 * verbosity, the redactor, the signal; `paths`, `repositories` and the check settings are not
 * used) plus what to copy from where.
 */
export interface SyncOptions extends PublishOptions {
  /** `NAME` or `NAME==VERSION`, as typed. */
  specs: string[];
  /** The source: a section name or a URL (a simple index, or a configured repository URL). */
  from: string;
  /** Targets named (`--to`); empty: routed by release-packages. */
  to: string[];
  /** A download larger than this is refused (the index's size, when given, is tighter). */
  maxDownloadBytes: number;
  /** Base folder of the private temporary folder (default: the system's). */
  tempBase?: string | undefined;
}

export interface SyncEvents extends PublishEvents, DownloadEvents {
  /** What will be downloaded and where it goes, before the first download (not in a dry run). */
  onCopiesPlanned?(copies: Copy[], source: string): void;
}

export type SyncReport = Omit<JsonReport, "command"> & { command: "sync"; sync: SyncSection };

/** 4 GiB: larger than any file PyPI takes (its largest project limits are a few GiB). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

/**
 * Downloads at once from the source. Few, so that files are complete early and their uploads
 * start while the rest downloads: with 8 at once from one source, the first 8 files all finished
 * together at the end (the source's bandwidth shared 8 ways) and the uploads waited for them; a
 * few keep the source busy while files arrive one after another. Scenario 7's sync, runs side by
 * side (load ~6): 3.0-3.1 s with 8, 2.3-2.7 s with 4, 2.0-2.3 s with 2; later (load ~7) 2.6-2.9 s
 * with 3, 2.9-3.5 s with 2, 3.7-3.9 s with 1. A slow or distant source gains from more at once,
 * so not fewer than 3.
 */
const DOWNLOADS_IN_FLIGHT = 3;

/** Slow trickles are aborted below this average rate (after the first --timeout seconds). */
const MIN_DOWNLOAD_RATE = 16 * 1024;

export async function runSync(options: SyncOptions, events: SyncEvents = {}): Promise<SyncReport> {
  const redactor = options.redactor ?? new Redactor();
  redactor.registerCredentials(options.username, options.password);
  const say = messenger(events);
  const specs = parseSpecs(options.specs);
  // The upload pipeline compiles while discovery waits for the indexes, not after it.
  if (!options.dryRun) loadSending();
  const config = await readConfig(options);
  for (const warning of config.warnings) say.warn(warning);
  const source = selectSource(config, options.from);
  const { credentials, opened, sessionFor } = sessionOpener(options, redactor, events);
  const retry = { ...defaultRetryPolicy, retries: options.limits.retries };
  try {
    const found = await discover({
      config,
      source,
      specs,
      to: options.to,
      sessionFor,
      simple: {
        userAgent: USER_AGENT,
        stallTimeoutMs: options.limits.stallTimeoutMs,
        retry,
        signal: options.signal,
      },
      signal: options.signal,
      warn: say.warn,
    });
    if (options.dryRun) {
      const section = syncSection(source.name, found.plan);
      return redactor.redactValues(finish(options, found, credentials, section, undefined));
    }
    events.onCopiesPlanned?.(found.plan.copies, source.name);
    const sourceSession = found.sessions.get(source.name) as ServerSession;
    return await withPrivateDir(async (dir) => {
      const run = { options, credentials, redactor };
      const { fetched, uploaded } = await copyAll(run, found, sourceSession, dir, events);
      const section = syncSection(source.name, found.plan, fetched);
      return redactor.redactValues(finish(options, found, credentials, section, uploaded));
    }, options.tempBase);
  } finally {
    await Promise.all(opened.map((sessions) => closeSessions(sessions)));
  }
}

/**
 * Downloads and uploads at once (pipeline.ts says what may go where early): the upload pipeline
 * starts with the plan, each job waiting for its file. It is told what the sync already knows:
 * each file's digests (computed while it was downloaded: not read and hashed again) and each
 * target's page (read to plan: not asked again before each upload). The upload's preflight is
 * what discovery already did (every target's index answered, and a file a target holds with
 * other bytes is a conflict, never sent), so it does not run a second time.
 */
async function copyAll(
  run: Omit<Prepared, "plan" | "options"> & { options: SyncOptions },
  found: Discovered,
  sourceSession: ServerSession,
  dir: string,
  events: SyncEvents,
): Promise<{ fetched: FetchResult; uploaded: JsonReport }> {
  const { options } = run;
  const source = sourceSession.server;
  const pipeline = new CopyPipeline(
    found.plan.copies,
    found.targets,
    dir,
    source.name,
    options.rules,
  );
  const { send } = await loadSending().core;
  const uploading = send(
    {
      ...run,
      options: { ...options, preflight: false },
      plan: pipeline.plan,
      known: { digests: pipeline.digests, pages: found.pages, arrival: pipeline.arrival },
    },
    events,
  );
  let fetched: FetchResult = { ready: [], failed: [] };
  try {
    fetched = await fetchAll(
      found.plan.copies,
      {
        dispatcher: sourceSession.dispatcher,
        dir,
        authorization: await sourceSession.authorize(),
        credentialOrigin: new URL(source.repository).origin,
        md5For: (copy) =>
          copy.targets.some((name) => found.targets.find((t) => t.name === name)?.md5Digest),
        maxBytes: options.maxDownloadBytes,
        stallTimeoutMs: options.limits.stallTimeoutMs,
        minBytesPerSecond: MIN_DOWNLOAD_RATE,
        retry: { ...defaultRetryPolicy, retries: options.limits.retries },
        userAgent: USER_AGENT,
        signal: options.signal,
        trace: sourceSession.trace,
      },
      Math.min(DOWNLOADS_IN_FLIGHT, options.limits.perServer),
      {
        ...events,
        onDownloadFinish(copy, outcome) {
          events.onDownloadFinish?.(copy, outcome);
          pipeline.downloaded(copy, outcome);
        },
      },
    );
  } finally {
    // Every waiting job learns its file's fate, whatever happened to the downloads.
    await pipeline.finish(fetched, found.plan.copies);
  }
  return { fetched, uploaded: await uploading };
}

/**
 * Opens sessions for the source or the targets as discovery needs them, settling their
 * credentials first; remembers both so the run can report users and close every session.
 */
function sessionOpener(options: SyncOptions, redactor: Redactor, events: SyncEvents) {
  const credentials = new Map<string, Credentials>();
  const opened: Array<Map<string, ServerSession>> = [];
  const sessionFor = async (servers: ServerConfig[], role: "source" | "target") => {
    const found = await credentialsOf(servers, role, options, redactor, events);
    for (const [name, c] of found) credentials.set(name, c);
    const trace = options.verbosity === "verbose" ? events.onTrace : undefined;
    const sessions = openSessions(
      servers.map((server) => ({ server, credentials: found.get(server.name) ?? {} })),
      {
        connectTimeoutMs: options.limits.connectTimeoutMs,
        stallTimeoutMs: options.limits.stallTimeoutMs,
        caCert: options.caCert,
        clientCert: options.clientCert,
      },
      trace && ((server, event) => trace.call(events, server.name, event)),
    );
    opened.push(sessions);
    return sessions;
  };
  return { credentials, opened, sessionFor };
}

/**
 * The source's credentials (none is fine: read anonymously) or the targets' (as `upload`
 * settles them: complete, or an error naming every source tried), after their TLS files.
 */
async function credentialsOf(
  servers: ServerConfig[],
  role: "source" | "target",
  options: SyncOptions,
  redactor: Redactor,
  events: SyncEvents,
): Promise<Map<string, Credentials>> {
  const problems = await checkTlsFiles(servers, options.caCert, options.clientCert);
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateInputError(problems);
  if (role === "target") return settleCredentials({ servers }, options, redactor, events);
  const say = messenger(events);
  const keyring = options.keyring
    ? [keyringSource({ debug: say.debug, warn: say.warn, signal: options.signal })]
    : [];
  const sources = sourceCredentialSources(options.env, keyring);
  const map = new Map<string, Credentials>();
  for (const server of servers) {
    const found = await sourceCredentials(server, sources, options.allowInsecureHttp);
    redactor.registerCredentials(found.username, found.password);
    map.set(server.name, found);
  }
  return map;
}

function finish(
  options: Pick<SyncOptions, "signal" | "dryRun">,
  found: Discovered,
  credentials: Map<string, Credentials>,
  section: SyncSection,
  uploaded: JsonReport | undefined,
): SyncReport {
  const results = [...notDownloaded(uploaded?.results ?? [], section), ...syncRows(section)];
  const counts = countStatuses(results.map((r) => r.status as OutcomeStatus));
  const bad = someNotLanded(counts);
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

/**
 * Jobs never started because Ctrl-C came first are `failed` (interrupted) for `upload`; when
 * their file was not downloaded either, that is what they are: `not-sent`, with the download's
 * reason.
 */
function notDownloaded(rows: JsonReport["results"], section: SyncSection): JsonReport["results"] {
  const lost = new Map(
    section.copies.filter((c) => c.download === "failed").map((c) => [c.file, c]),
  );
  return rows.map((row) => {
    const copy = lost.get(row.file);
    if (!copy || row.status !== "failed" || row.attempts > 0) return row;
    return {
      ...row,
      status: "not-sent",
      reason: `not downloaded from ${section.from}: ${copy.reason ?? "failed"}`,
      reasonCode: copy.reasonCode ?? "download",
    };
  });
}
