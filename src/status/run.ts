/**
 * `pkgpush status`: where every file of a release is. Reads each selected server's simple index
 * once per project (concurrently, within the global and per-server limits, with the transport's
 * retries and timeouts), hashes local files meanwhile, and compares (compare.ts).
 */
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { deriveSimpleUrl } from "../config/derive-simple-url.js";
import { loadPypirc } from "../config/pypirc.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { collectFiles } from "../distributions/collect.js";
import { sha256Of } from "../distributions/digests.js";
import { releaseKey } from "../distributions/filename.js";
import { inspectAll } from "../distributions/inspect.js";
import { normalizeName } from "../distributions/names.js";
import type { Distribution } from "../distributions/types.js";
import { ExitCode, InterruptedError } from "../errors.js";
import { closeSessions, openSessions, type ServerSession } from "../execute/session.js";
import { DEFAULT_LIMITS } from "../publish/options.js";
import type { Redactor } from "../report/redact.js";
import { serverLookup } from "../resolve/lookup.js";
import { matchRoutes } from "../resolve/route-match.js";
import { resolveTargets, splitRepositoryArgs } from "../resolve/targets.js";
import { fetchProjectFiles } from "../simple/client.js";
import { SimpleIndexError } from "../simple/errors.js";
import { describeSimpleUrl, endpointFor, settleSimpleUrl } from "../simple/locate.js";
import { defaultRetryPolicy, type RetryPolicy } from "../transport/retry.js";
import type { TraceEvent } from "../transport/types.js";
import { USER_AGENT } from "../transport/user-agent.js";
import {
  compareIndexRelease,
  compareLocalRelease,
  type ProjectAnswer,
  type StatusRelease,
} from "./compare.js";
import { type ProjectRequest, projectRequests, releasesListed } from "./releases.js";
import { readCredentials, serversForProjects } from "./servers.js";

export interface StatusOptions {
  /** Distribution files, folders or globs (default `dist/*`), or `NAME[==VERSION]` projects. */
  args?: string[];
  /** Servers (-r): section names or URLs. */
  repositories?: string[];
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Requests in flight: over all servers (default 24), per server (8); retries (3). */
  concurrency?: number;
  perServer?: number;
  retries?: number;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  caCert?: string | undefined;
  clientCert?: string | undefined;
  allowInsecureHttp?: boolean;
  keyring?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Learns the credentials found, so that nothing printed shows them. */
  redactor?: Redactor | undefined;
  onMessage?: (level: "warning" | "debug", text: string) => void;
  onTrace?: (server: string, event: TraceEvent) => void;
}

export interface StatusServer {
  name: string;
  url: string;
  simpleUrl: string | null;
  simpleUrlSource: "configured" | "derived" | "none";
}

/** `--json` of `pkgpush status`, schema `pkgpush-status/1`. */
export interface StatusReport {
  schema: "pkgpush-status/1";
  command: "status";
  mode: "files" | "projects";
  exitCode: number;
  servers: StatusServer[];
  releases: StatusRelease[];
  /** Projects named that no selected server lists (with the version asked, if any). */
  notFound: string[];
  totals: {
    releases: number;
    ok: number;
    incomplete: number;
    different: number;
    unreachable: number;
  };
}

interface Settings {
  limits: { concurrency: number; perServer: number };
  retry: RetryPolicy;
  stallTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** One answer per server and project, within the limits; failures become `{ error }`. */
async function askAll(
  queries: Array<{ server: ServerConfig; project: string }>,
  sessions: Map<string, ServerSession>,
  settings: Settings,
): Promise<Map<string, ProjectAnswer>> {
  const answers = new Map<string, ProjectAnswer>();
  const active = new Map<string, number>();
  let inFlight = 0;
  const pending = [...queries];
  await new Promise<void>((done) => {
    const pump = (): void => {
      if (pending.length === 0 && inFlight === 0) {
        done();
        return;
      }
      for (let i = 0; i < pending.length && inFlight < settings.limits.concurrency; ) {
        const { server, project } = pending[i] as { server: ServerConfig; project: string };
        if ((active.get(server.name) ?? 0) >= settings.limits.perServer) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        inFlight++;
        active.set(server.name, (active.get(server.name) ?? 0) + 1);
        void askOne(server, project, sessions, settings).then((answer) => {
          answers.set(answerKey(server.name, project), answer);
          inFlight--;
          active.set(server.name, (active.get(server.name) ?? 1) - 1);
          pump();
        });
      }
    };
    pump();
  });
  return answers;
}

const answerKey = (server: string, project: string): string => `${server}\0${project}`;

async function askOne(
  server: ServerConfig,
  project: string,
  sessions: Map<string, ServerSession>,
  settings: Settings,
): Promise<ProjectAnswer> {
  // A derived URL is asked while its confirmation is under way; the answer counts only once
  // the URL is confirmed (see confirmedAnswers).
  const url = candidateSimpleUrl(server);
  if (!url) return { error: `no simple index: ${server.checkUrlNote ?? "none"}` };
  const session = sessions.get(server.name) as ServerSession;
  try {
    const page = await fetchProjectFiles(endpointFor(session, url), project, {
      userAgent: USER_AGENT,
      stallTimeoutMs: settings.stallTimeoutMs,
      retry: settings.retry,
      signal: settings.signal,
    });
    return { files: page.files };
  } catch (error) {
    if (!(error instanceof SimpleIndexError)) throw error;
    return { error: error.message.replace(`${server.name}: `, "") };
  }
}

/** The answers of `servers` for one project, by server name. */
function answersFor(
  answers: Map<string, ProjectAnswer>,
  servers: ServerConfig[],
  project: string,
): Map<string, ProjectAnswer> {
  return new Map(
    servers.map((s) => [s.name, answers.get(answerKey(s.name, project)) ?? { error: "not asked" }]),
  );
}

interface Selection {
  mode: "files" | "projects";
  servers: ServerConfig[];
  /** Per project (normalised): the servers to ask. */
  queries: Array<{ server: ServerConfig; project: string }>;
  compare(
    answers: Map<string, ProjectAnswer>,
  ): Promise<{ releases: StatusRelease[]; notFound: string[] }>;
}

/** Files mode: each local release against the servers its files route to. */
async function selectFiles(
  config: PypircConfig,
  dists: Distribution[],
  repositories: string[],
  signal: AbortSignal | undefined,
): Promise<Selection> {
  const table = await matchRoutes(
    [...config.servers.values()],
    dists.map((d) => d.name),
    { signal },
  );
  const targets = resolveTargets(dists, config, { repositories }, serverLookup(table));
  const releases = new Map<
    string,
    { project: string; version: string; routes: typeof targets.routes }
  >();
  for (const route of targets.routes) {
    const key = `${route.dist.normalizedName}\0${releaseKey(route.dist.version)}`;
    const release = releases.get(key) ?? {
      project: route.dist.name,
      version: route.dist.version,
      routes: [],
    };
    release.routes.push(route);
    releases.set(key, release);
  }
  const serversOf = (routes: typeof targets.routes): ServerConfig[] =>
    targets.servers.filter((s) => routes.some((r) => r.servers.includes(s)));
  const queries = [...releases.values()].flatMap((r) =>
    serversOf(r.routes).map((server) => ({
      server,
      project: r.routes[0]?.dist.normalizedName ?? "",
    })),
  );
  const unique = [
    ...new Map(queries.map((q) => [answerKey(q.server.name, q.project), q])).values(),
  ];
  // Hashed while the servers are asked: the two overlap.
  const hashing = Promise.all(
    dists.map(async (d) => [d.path, await sha256Of(d.path, signal)] as const),
  );
  hashing.catch(() => undefined);
  return {
    mode: "files",
    servers: targets.servers,
    queries: unique,
    async compare(answers) {
      const digests = new Map(await hashing);
      const compared = [...releases.values()].map((r) => {
        const servers = serversOf(r.routes);
        const files = r.routes.map(({ dist }) => ({
          filename: dist.filename,
          path: dist.path,
          sha256: digests.get(dist.path) ?? "",
        }));
        const project = r.routes[0]?.dist.normalizedName ?? "";
        return compareLocalRelease(
          { project: r.project, version: r.version, files },
          servers.map((s) => s.name),
          answersFor(answers, servers, project),
        );
      });
      return { releases: compared, notFound: [] };
    },
  };
}

/** Names mode: every release the servers list for each project named (or the version asked). */
function selectProjects(servers: ServerConfig[], requests: ProjectRequest[]): Selection {
  const projects = [...new Set(requests.map((r) => normalizeName(r.project)))];
  return {
    mode: "projects",
    servers,
    queries: projects.flatMap((project) => servers.map((server) => ({ server, project }))),
    async compare(answers) {
      const releases: StatusRelease[] = [];
      const notFound: string[] = [];
      for (const request of requests) {
        const project = normalizeName(request.project);
        const byServer = answersFor(answers, servers, project);
        const pages = [...byServer.values()].flatMap((a) => ("files" in a ? [a.files] : []));
        const listed = releasesListed(request, pages);
        if (listed.length === 0)
          notFound.push(
            request.version ? `${request.project}==${request.version}` : request.project,
          );
        for (const release of listed) {
          releases.push(
            compareIndexRelease(
              { project: request.project, ...release },
              servers.map((s) => s.name),
              byServer,
            ),
          );
        }
      }
      return { releases, notFound };
    },
  };
}

function exitCodeOf(releases: StatusRelease[], notFound: string[]): number {
  const cells = releases.flatMap((r) => Object.values(r.cells));
  if (cells.some((c) => c.state === "unreachable")) return ExitCode.usage;
  if (notFound.length > 0 || cells.some((c) => c.state !== "ok")) return ExitCode.failed;
  return ExitCode.ok;
}

function totalsOf(releases: StatusRelease[]): StatusReport["totals"] {
  const cells = releases.flatMap((r) => Object.values(r.cells));
  const count = (state: string) => cells.filter((c) => c.state === state).length;
  return {
    releases: releases.length,
    ok: count("ok"),
    incomplete: count("incomplete"),
    different: count("different"),
    unreachable: count("unreachable"),
  };
}

/** Runs `status`; resolves with the report whatever the servers hold (see `exitCode`). */
export async function status(options: StatusOptions = {}): Promise<StatusReport> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const args = options.args ?? [];
  const repositories = splitRepositoryArgs(options.repositories ?? []);
  const config = await loadPypirc({ path: options.configFile, env });
  for (const warning of config.warnings) options.onMessage?.("warning", warning);
  const requests =
    args.length > 0 ? projectRequests(args, (p) => existsSync(resolve(cwd, p))) : undefined;
  const selection = requests
    ? selectProjects(serversForProjects(config, repositories), requests)
    : await selectFiles(
        config,
        await inspectAll(await collectFiles(args.length > 0 ? args : ["dist/*"], cwd)),
        repositories,
        options.signal,
      );
  const credentials = await readCredentials(selection.servers, {
    env,
    keyring: options.keyring,
    allowInsecureHttp: options.allowInsecureHttp,
    signal: options.signal,
    warn: (line) => options.onMessage?.("warning", line),
    debug: (line) => options.onMessage?.("debug", line),
  });
  for (const c of credentials.values())
    options.redactor?.registerCredentials(c.username, c.password);
  const sessions = openSessions(
    selection.servers.map((server) => ({
      server,
      credentials: credentials.get(server.name) ?? {},
    })),
    {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      stallTimeoutMs: options.timeoutMs ?? 120_000,
      caCert: options.caCert,
      clientCert: options.clientCert,
    },
    options.onTrace && ((server, event) => options.onTrace?.(server.name, event)),
  );
  const settings: Settings = {
    limits: {
      concurrency: options.concurrency ?? DEFAULT_LIMITS.concurrency,
      perServer: options.perServer ?? DEFAULT_LIMITS.perServer,
    },
    retry: { ...defaultRetryPolicy, retries: options.retries ?? defaultRetryPolicy.retries },
    stallTimeoutMs: options.timeoutMs ?? 120_000,
    signal: runSignal(options.signal),
  };
  try {
    const [, asked] = await Promise.all([
      settleAll(selection, sessions, settings),
      askAll(selection.queries, sessions, settings),
    ]);
    if (settings.signal?.aborted) throw new InterruptedError();
    const answers = confirmedAnswers(asked, selection.servers);
    const { releases, notFound } = await selection.compare(answers);
    return {
      schema: "pkgpush-status/1",
      command: "status",
      mode: selection.mode,
      exitCode: exitCodeOf(releases, notFound),
      servers: selection.servers.map(serverView),
      releases,
      notFound,
      totals: totalsOf(releases),
    };
  } finally {
    await closeSessions(sessions);
  }
}

/** The URL asked: the configured one, or the derived one (trusted once confirmed). */
function candidateSimpleUrl(server: ServerConfig): string | undefined {
  if (server.checkUrl) return server.checkUrl;
  if (server.checkUrlSource === "off") return undefined;
  return deriveSimpleUrl(server.repository)?.url;
}

/** Answers from servers whose derived URL was not confirmed are replaced by the reason. */
function confirmedAnswers(
  answers: Map<string, ProjectAnswer>,
  servers: ServerConfig[],
): Map<string, ProjectAnswer> {
  const unconfirmed = new Map(
    servers.filter((s) => !s.checkUrl).map((s) => [s.name, s.checkUrlNote ?? "none"]),
  );
  return new Map(
    [...answers].map(([key, answer]) => {
      const note = unconfirmed.get(key.split("\0")[0] as string);
      return [key, note === undefined ? answer : { error: `no simple index: ${note}` }];
    }),
  );
}

/**
 * The run's own signal, following the caller's: one abort listener per request in flight is by
 * design (up to --concurrency of them), so Node's leak warning at 10 does not apply.
 */
function runSignal(outer: AbortSignal | undefined): AbortSignal {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
  return controller.signal;
}

/** Derived simple URLs, confirmed concurrently before any page is trusted. */
async function settleAll(
  selection: Selection,
  sessions: Map<string, ServerSession>,
  settings: Settings,
): Promise<void> {
  await Promise.all(
    selection.servers.map((server) => {
      const session = sessions.get(server.name) as ServerSession;
      const probeProject = selection.queries.find((q) => q.server === server)?.project;
      return settleSimpleUrl(server, (url) => endpointFor(session, url), {
        userAgent: USER_AGENT,
        stallTimeoutMs: settings.stallTimeoutMs,
        retry: settings.retry,
        signal: settings.signal,
        probeProject,
      });
    }),
  );
  if (settings.signal?.aborted) throw new InterruptedError();
}

function serverView(server: ServerConfig): StatusServer {
  const simple = describeSimpleUrl(server);
  return {
    name: server.name,
    url: server.repository,
    simpleUrl: server.checkUrl ?? null,
    simpleUrlSource: server.checkUrl ? simple.source : "none",
  };
}
