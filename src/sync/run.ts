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
import type { Plan } from "../plan/plan.js";
import type { OutcomeStatus } from "../protocol/outcome.js";
import { settleCredentials } from "../publish/credentials.js";
import { messenger, type PublishEvents } from "../publish/events.js";
import type { PublishOptions } from "../publish/options.js";
import { type Prepared, readConfig } from "../publish/prepare.js";
import type { JsonReport } from "../report/json.js";
import { Redactor } from "../report/redact.js";
import { refuseBeforeSending } from "../rules/preflight.js";
import { defaultRetryPolicy } from "../transport/retry.js";
import { USER_AGENT } from "../transport/user-agent.js";
import { copyPlan, copyRoutes } from "./copy-plan.js";
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

export interface SyncEvents extends PublishEvents, DownloadEvents {}

export type SyncReport = Omit<JsonReport, "command"> & { command: "sync"; sync: SyncSection };

/** 4 GiB: larger than any file PyPI takes (its largest project limits are a few GiB). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

/** Slow trickles are aborted below this average rate (after the first --timeout seconds). */
const MIN_DOWNLOAD_RATE = 16 * 1024;

export async function runSync(options: SyncOptions, events: SyncEvents = {}): Promise<SyncReport> {
  const redactor = options.redactor ?? new Redactor();
  redactor.registerCredentials(options.username, options.password);
  const say = messenger(events);
  const specs = parseSpecs(options.specs);
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
    const sourceSession = found.sessions.get(source.name) as ServerSession;
    return await withPrivateDir(async (dir) => {
      const fetched = await fetchAll(
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
          retry,
          userAgent: USER_AGENT,
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
        if (options.rules) await refuseBeforeSending(routes.routes, "upload");
        const { send } = await import("../publish/send.js");
        const plan = copyPlan(routes);
        const run = { options, credentials, redactor };
        uploaded = await send(uploadRun(run, plan, found, fetched), events);
      }
      const section = syncSection(source.name, found.plan, fetched);
      return redactor.redactValues(finish(options, found, credentials, section, uploaded));
    }, options.tempBase);
  } finally {
    await Promise.all(opened.map((sessions) => closeSessions(sessions)));
  }
}

/**
 * The upload half, told what the sync already knows: each file's digests (computed while it was
 * downloaded: not read and hashed again) and each target's page (read to plan: not asked again
 * before each upload). The upload's preflight is what discovery already did (every target's
 * index answered, and a file a target holds with other bytes is a conflict, never sent), so it
 * does not run a second time.
 */
function uploadRun(
  { options, credentials, redactor }: Omit<Prepared, "plan">,
  plan: Plan,
  found: Discovered,
  fetched: FetchResult,
): Prepared {
  const digests = new Map(
    fetched.ready.map(({ file }) => [
      file.path,
      { sha256: file.sha256, blake2_256: file.blake2_256, md5: file.md5 },
    ]),
  );
  return {
    options: { ...options, preflight: false },
    plan,
    credentials,
    redactor,
    known: { digests, pages: found.pages },
  };
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
  options: Pick<SyncOptions, "signal" | "dryRun">,
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
