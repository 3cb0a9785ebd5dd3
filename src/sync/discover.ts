/**
 * The first half of a sync, nothing uploaded: the source's listing of each project, where each
 * project goes, what every target already has (its simple index, with its credentials), and the
 * plan that follows. Everything a server is asked runs concurrently.
 */
import { deriveSimpleUrl } from "../config/derive-simple-url.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { sectionEnvPrefix } from "../credentials/sources.js";
import { checkCredentialTransport } from "../credentials/transport-safety.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { parseFilename } from "../distributions/filename.js";
import {
  ExitCode,
  InterruptedError,
  PkgpushError,
  ResolutionError,
  UsageError,
} from "../errors.js";
import type { ServerSession } from "../execute/session.js";
import { adHocServer } from "../resolve/adhoc.js";
import { serverLookup } from "../resolve/lookup.js";
import { matchRoutes } from "../resolve/route-match.js";
import { selectServer } from "../resolve/targets.js";
import type { ProjectFiles, SimpleEndpoint, SimpleRequestOptions } from "../simple/client.js";
import { endpointFor, settleSimpleUrl } from "../simple/locate.js";
import { SimpleIndexReader } from "./index-source.js";
import { parseReleaseSpec, planSync, type SpecProblem, type SyncPlan } from "./plan.js";
import { syncTargets } from "./targets.js";
import type { Listing, ReleaseSpec } from "./types.js";

/** The source's index could not say what it has: nothing can be copied. */
export class SyncSourceError extends PkgpushError {
  constructor(message: string) {
    super(message, {
      exitCode: ExitCode.failed,
      hint: "check the --from server's simple index (check-url), its credentials and the network",
    });
  }
}

/** `NAME[==VERSION]` arguments, every bad one named at once. */
export function parseSpecs(values: string[]): ReleaseSpec[] {
  if (values.length === 0) throw new UsageError("sync needs at least one NAME or NAME==VERSION");
  const bad = values.filter((v) => parseReleaseSpec(v) === undefined);
  if (bad.length > 0) {
    throw new UsageError(
      `${bad.map((b) => `'${b}'`).join(", ")}: not NAME or NAME==VERSION (other specifiers such as >= are not taken: name the versions)`,
    );
  }
  return values.map((v) => parseReleaseSpec(v) as ReleaseSpec);
}

/**
 * `--from NAME` (a section) or `--from URL`: a configured repository URL selects its section;
 * another URL is a simple index read anonymously unless credentials are set for it.
 */
export function selectSource(config: PypircConfig, from: string): ServerConfig {
  if (/^https?:\/\//i.test(from)) {
    const server = selectServer(config, from, serverLookup());
    if (server.origin === "url" && server.checkUrl === undefined) {
      return { ...adHocServer(from), checkUrl: from, checkUrlSource: "configured" };
    }
    return server;
  }
  return selectServer(config, from, serverLookup());
}

/**
 * Where the source's credentials may come from: its own section's variables, its `.pypirc`
 * section and (`more`) the keyring, never the values given for every server (-p, TWINE_PASSWORD...), which
 * are meant for the targets; a public source is read anonymously.
 */
export function sourceCredentialSources(
  env: NodeJS.ProcessEnv,
  more: CredentialSource[] = [],
): CredentialSource[] {
  const section: CredentialSource = {
    describe: (server) => `environment (${sectionEnvPrefix(server)}USERNAME/PASSWORD)`,
    lookup: async (server) => {
      const prefix = sectionEnvPrefix(server);
      const username = env[`${prefix}USERNAME`] || undefined;
      const password = env[`${prefix}PASSWORD`] || undefined;
      return {
        username,
        password,
        usernameFrom: username && `environment (${prefix}USERNAME)`,
        passwordFrom: password && `environment (${prefix}PASSWORD)`,
      };
    },
  };
  const pypirc: CredentialSource = {
    describe: (server) =>
      server.location ? `${server.location.file} [${server.location.section}]` : "config file",
    lookup: async (server) => ({ username: server.username, password: server.password }),
  };
  // The keyring is asked only for a source with a user name: an anonymous (public) source then
  // costs no keyring look-up (a child process) per run.
  const keyring = more.map(
    (source): CredentialSource => ({
      describe: source.describe,
      lookup: (server, found) =>
        found.username === undefined ? Promise.resolve(undefined) : source.lookup(server, found),
    }),
  );
  return [section, pypirc, ...keyring];
}

/** The source's credentials (none is fine: anonymous), checked against the plain-http rule. */
export async function sourceCredentials(
  source: ServerConfig,
  sources: CredentialSource[],
  allowInsecureHttp: boolean,
): Promise<Credentials> {
  const found = await resolveCredentials(source, sources);
  if (found.password === undefined) return {};
  checkCredentialTransport(source, allowInsecureHttp);
  return { ...found, username: found.username ?? "__token__" };
}

export interface DiscoverInput {
  config: PypircConfig;
  source: ServerConfig;
  specs: ReleaseSpec[];
  to: string[];
  /** Sessions (dispatcher + credentials) for these servers, by name: the source or targets. */
  sessionFor: (
    servers: ServerConfig[],
    role: "source" | "target",
  ) => Promise<Map<string, ServerSession>>;
  simple: SimpleRequestOptions;
  signal?: AbortSignal | undefined;
  warn: (line: string) => void;
}

export interface Discovered {
  plan: SyncPlan;
  targets: ServerConfig[];
  /** Per project: its targets. */
  targetsOf: Map<string, ServerConfig[]>;
  sessions: Map<string, ServerSession>;
  /** The targets' pages as read, for the upload's pre-checks. */
  pages: Array<{ server: string; project: string; page: ProjectFiles }>;
}

/**
 * Source listing -> routing -> target sessions and listings -> the plan. With `--to` the targets
 * are known from the start: their sessions, simple URLs and pages are read while the source's
 * page is (routing by release-packages needs the source's file names first).
 */
export async function discover(input: DiscoverInput): Promise<Discovered> {
  const { config, source, specs } = input;
  const sessions = new Map<string, ServerSession>();
  const projects = [...new Set(specs.map((s) => s.project))];
  const named =
    input.to.length > 0
      ? syncTargets(
          config,
          source,
          input.to,
          new Map(projects.map((p) => [p, [p]])),
          serverLookup(),
        )
      : undefined;
  const early =
    named && readTargets(input, named.servers, everyPair(named.servers, projects), sessions);
  // Awaited below; a source failure first must not leave it unhandled.
  early?.catch(() => undefined);
  const sourceListings = await readSource(input, projects, sessions);
  // Routing sees every way the project is written: as typed, and in the source's file names.
  const names = new Map<string, string[]>(
    projects.map((p) => [p, namesOf(p, specs, sourceListings)]),
  );
  const table = await matchRoutes([...config.servers.values()], [...names.values()].flat(), {
    signal: input.signal,
  });
  const routed = syncTargets(config, source, input.to, names, serverLookup(table));
  for (const warning of routed.warnings) input.warn(warning);
  if (named) {
    // The servers read early are the ones used (their simple URLs are settled on them).
    const byName = new Map(named.servers.map((s) => [s.name, s]));
    routed.servers = routed.servers.map((s) => byName.get(s.name) ?? s);
    for (const [p, list] of routed.of)
      routed.of.set(
        p,
        list.map((s) => byName.get(s.name) ?? s),
      );
  }
  const pairs = [...routed.of].flatMap(([project, list]) =>
    list.map((server) => ({ server, project })),
  );
  const targets = await (early ?? readTargets(input, routed.servers, pairs, sessions));
  // Ctrl-C while reading: the pages that failed are not the servers' fault.
  if (input.signal?.aborted) {
    throw new InterruptedError("interrupted while reading the indexes; nothing was copied");
  }
  const { plan, problems } = planSync({
    specs,
    source: source.name,
    sourceListings,
    targetsOf: (p) => (routed.of.get(p) ?? []).map((s) => s.name),
    targetListing: (server, project) =>
      targets.listings.get(`${server}\0${project}`) ?? {
        state: "unreachable",
        reason: "not asked",
      },
  });
  throwProblems(problems);
  return {
    plan,
    targets: routed.servers,
    targetsOf: routed.of,
    sessions,
    pages: [...targets.pages.values()],
  };
}

/** The source's session, simple URL and page of each project. */
async function readSource(
  input: DiscoverInput,
  projects: string[],
  sessions: Map<string, ServerSession>,
): Promise<Map<string, Listing>> {
  const { source } = input;
  for (const [name, session] of await input.sessionFor([source], "source")) {
    sessions.set(name, session);
  }
  await locate(source, sessions, input.simple, projects[0]);
  if (!source.checkUrl) {
    throw new SyncSourceError(
      `the source '${source.name}' has no simple index to copy from: ${source.checkUrlNote ?? "set its check-url"}`,
    );
  }
  const reader = new SimpleIndexReader(endpointsOf(sessions, [source]), input.simple);
  const listings = new Map<string, Listing>(
    await Promise.all(projects.map(async (p) => [p, await reader.list(source.name, p)] as const)),
  );
  if (input.signal?.aborted) {
    throw new InterruptedError("interrupted while reading the source's index; nothing was copied");
  }
  return listings;
}

function everyPair(servers: ServerConfig[], projects: string[]) {
  return servers.flatMap((server) => projects.map((project) => ({ server, project })));
}

/** Each target's session, simple URL (confirmed when derived) and the pages of its projects. */
async function readTargets(
  input: DiscoverInput,
  servers: ServerConfig[],
  pairs: Array<{ server: ServerConfig; project: string }>,
  sessions: Map<string, ServerSession>,
): Promise<{ listings: Map<string, Listing>; pages: SimpleIndexReader["read"] }> {
  for (const [name, session] of await input.sessionFor(servers, "target")) {
    sessions.set(name, session);
  }
  const early = askWhileConfirming(servers, pairs, sessions, input.simple);
  await Promise.all(
    servers.map((server) =>
      locate(server, sessions, input.simple, pairs.find((p) => p.server === server)?.project),
    ),
  );
  // A page asked early counts only where the URL it was asked at is the one confirmed.
  const confirmed = servers.filter((s) => s.checkUrl && s.checkUrl === early.urls.get(s.name));
  const reader = new SimpleIndexReader(endpointsOf(sessions, servers), input.simple);
  const readerOf = (server: ServerConfig) => (confirmed.includes(server) ? early.reader : reader);
  const listings = new Map<string, Listing>(
    await Promise.all(
      pairs.map(async ({ server, project }) => {
        const listing: Listing = server.checkUrl
          ? await readerOf(server).list(server.name, project)
          : {
              state: "unreachable",
              reason: `${server.name}: no simple index, so what it lacks cannot be seen (${server.checkUrlSource === "off" ? "check-url = none" : (server.checkUrlNote ?? "set check-url")})`,
            };
        return [`${server.name}\0${project}`, listing] as const;
      }),
    ),
  );
  const pages = new Map(reader.read);
  for (const [key, page] of early.reader.read) {
    if (confirmed.some((s) => s.name === page.server)) pages.set(key, page);
  }
  return { listings, pages };
}

/**
 * The pages of targets whose simple URL is derived and not yet confirmed, asked at that URL while
 * it is confirmed (one round trip instead of two before the plan): nothing but GETs of the
 * server's own origin, with its own credentials, and their answers are used only once the URL
 * is confirmed.
 */
function askWhileConfirming(
  servers: ServerConfig[],
  pairs: Array<{ server: ServerConfig; project: string }>,
  sessions: Map<string, ServerSession>,
  options: SimpleRequestOptions,
): { reader: SimpleIndexReader; urls: Map<string, string> } {
  const urls = new Map<string, string>();
  const endpoints = new Map<string, SimpleEndpoint>();
  for (const server of servers) {
    const session = sessions.get(server.name);
    const derived = deriveSimpleUrl(server.repository);
    if (!session || server.checkUrl || server.checkUrlSource === "off" || !derived) continue;
    urls.set(server.name, derived.url);
    endpoints.set(server.name, endpointFor(session, derived.url));
  }
  const reader = new SimpleIndexReader(endpoints, options);
  for (const { server, project } of pairs) {
    // Failures are the reader's listings (unreachable), looked at only if the URL is confirmed.
    if (urls.has(server.name)) reader.list(server.name, project).catch(() => undefined);
  }
  return { reader, urls };
}

function endpointsOf(sessions: Map<string, ServerSession>, servers: ServerConfig[]) {
  return new Map(
    servers
      .filter((s) => s.checkUrl && sessions.has(s.name))
      .map((s) => [
        s.name,
        endpointFor(sessions.get(s.name) as ServerSession, s.checkUrl as string),
      ]),
  );
}

/** A server's simple index URL: configured, or derived and confirmed with one request. */
async function locate(
  server: ServerConfig,
  sessions: Map<string, ServerSession>,
  options: SimpleRequestOptions,
  probeProject: string | undefined,
): Promise<void> {
  const session = sessions.get(server.name);
  if (!session) return;
  await settleSimpleUrl(server, (url) => endpointFor(session, url), { ...options, probeProject });
}

function namesOf(project: string, specs: ReleaseSpec[], listings: Map<string, Listing>): string[] {
  const names = new Set<string>([project]);
  for (const spec of specs) {
    if (spec.project === project) names.add(spec.text.split("==")[0]?.trim() ?? project);
  }
  const listing = listings.get(project);
  if (listing?.state === "listed") {
    for (const file of listing.files) {
      try {
        names.add(parseFilename(file.filename).name);
      } catch {
        // Not a distribution: the planner sets it aside.
      }
    }
  }
  return [...names];
}

/** Input problems (exit 2) before source problems (exit 1); all of a kind at once. */
function throwProblems(problems: SpecProblem[]): void {
  const input = problems.filter((p) => p.kind === "input");
  if (input.length > 0) {
    throw new ResolutionError(input.map((p) => `${p.spec}: ${p.message}`).join("\n"), {
      hint: "check the name and version on the source's index page",
    });
  }
  if (problems.length > 0) {
    throw new SyncSourceError(problems.map((p) => `${p.spec}: ${p.message}`).join("\n"));
  }
}
