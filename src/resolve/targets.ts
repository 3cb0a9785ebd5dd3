import type { PypircConfig, ServerConfig } from "../config/types.js";
import type { Distribution } from "../distributions/types.js";
import { ResolutionError, UsageError } from "../errors.js";

/** Which servers each file goes to. Pure: config and files in, assignment out. */
export interface Targets {
  /** Every server that receives at least one file, in configuration order. */
  servers: ServerConfig[];
  /** For each file (same order as given), the servers it goes to. */
  routes: Array<{ dist: Distribution; servers: ServerConfig[] }>;
  /** How the servers were chosen, for the plan printout. */
  mode: "explicit" | "routing" | "default";
  warnings: string[];
  /**
   * What routing left out and why, for the plan (and as warnings on a real run): listed servers
   * without release-packages, lines that match only part of a name (collective.releaser's rule).
   */
  notes: string[];
}

export interface TargetRequest {
  /** `-r` values (section names or URLs), comma lists already split. */
  repositories: string[];
  /** `--repository-url` (or TWINE_REPOSITORY_URL). */
  repositoryUrl?: string | undefined;
}

/** Injected so this module stays free of I/O and of the config module's lookup rules. */
export interface ServerLookup {
  getServer(config: PypircConfig, name: string): ServerConfig;
  findServerByUrl(config: PypircConfig, url: string): ServerConfig | undefined;
  matchesProject(server: ServerConfig, name: string): boolean;
  /** Lines of the server that match only part of the name (see route-match.ts), as text. */
  routeHints?(server: ServerConfig, name: string): string[];
  adHocServer(url: string): ServerConfig;
}

/** `'plone' (no release-packages) receives nothing unless named with -r`. */
export function unroutedServerNote(name: string): string {
  return `'${name}' has no release-packages: it receives nothing unless named with -r`;
}

const looksLikeUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/** `-r X`: a section name, or (distutils rule) a configured repository URL, or an ad-hoc URL. */
export function selectServer(
  config: PypircConfig,
  value: string,
  lookup: ServerLookup,
): ServerConfig {
  if (config.servers.has(value) || config.missingSections.includes(value) || !looksLikeUrl(value)) {
    return lookup.getServer(config, value);
  }
  return lookup.findServerByUrl(config, value) ?? lookup.adHocServer(value);
}

function uniqueByName(servers: ServerConfig[]): ServerConfig[] {
  const seen = new Map<string, ServerConfig>();
  for (const server of servers) if (!seen.has(server.name)) seen.set(server.name, server);
  return [...seen.values()];
}

export function resolveTargets(
  dists: Distribution[],
  config: PypircConfig,
  request: TargetRequest,
  lookup: ServerLookup,
): Targets {
  const explicit = [
    ...request.repositories.map((value) => selectServer(config, value, lookup)),
    ...(request.repositoryUrl ? [lookup.adHocServer(request.repositoryUrl)] : []),
  ];
  if (explicit.length > 0) return explicitTargets(dists, uniqueByName(explicit), lookup);

  const candidates = config.indexServers
    .filter((name) => config.servers.has(name))
    .map((name) => config.servers.get(name) as ServerConfig);
  if (candidates.some((server) => server.releasePackages.length > 0)) {
    return routedTargets(dists, config, candidates, lookup);
  }
  const pypi = lookup.getServer(config, "pypi");
  return {
    servers: [pypi],
    routes: dists.map((dist) => ({ dist, servers: [pypi] })),
    mode: "default",
    warnings: [],
    notes: [],
  };
}

/** `-r`: every file to every named server; a pattern mismatch is a warning (usually a slip). */
function explicitTargets(
  dists: Distribution[],
  servers: ServerConfig[],
  lookup: ServerLookup,
): Targets {
  const warnings: string[] = [];
  for (const dist of dists) {
    for (const server of servers) {
      if (server.releasePackages.length > 0 && !lookup.matchesProject(server, dist.name)) {
        const hints = lookup.routeHints?.(server, dist.name) ?? [];
        warnings.push(
          `${dist.filename}: '${dist.name}' does not match the release-packages of '${server.name}'; sending anyway because it was named with -r${hints.map((h) => `\n  ${h}`).join("")}`,
        );
      }
    }
  }
  return {
    servers,
    routes: dists.map((dist) => ({ dist, servers })),
    mode: "explicit",
    warnings,
    notes: [],
  };
}

/** Each file to every listed server whose release-packages match it; none at all is an error. */
function routedTargets(
  dists: Distribution[],
  config: PypircConfig,
  candidates: ServerConfig[],
  lookup: ServerLookup,
): Targets {
  const routing = candidates.filter((server) => server.releasePackages.length > 0);
  const routes = dists.map((dist) => ({
    dist,
    servers: routing.filter((server) => lookup.matchesProject(server, dist.name)),
  }));
  const hintsFor = (name: string, except: ServerConfig[] = []): string[] =>
    routing
      .filter((server) => !except.includes(server))
      .flatMap((server) => lookup.routeHints?.(server, name) ?? []);
  const unrouted = routes.filter((route) => route.servers.length === 0);
  if (unrouted.length > 0) {
    const names = routing.map((s) => s.name).join(", ");
    throw new ResolutionError(
      unrouted
        .map(({ dist }) =>
          [
            `${dist.filename}: no server's release-packages matches project '${dist.name}' (checked: ${names})`,
            ...hintsFor(dist.name).map((h) => `  ${h}`),
          ].join("\n"),
        )
        .join("\n"),
      {
        hint: "add a matching pattern to a server's release-packages in .pypirc, or name the servers with -r",
      },
    );
  }
  const notes = [
    ...candidates
      .filter((s) => s.releasePackages.length === 0)
      .map((s) => unroutedServerNote(s.name)),
    ...new Set(routes.flatMap((r) => hintsFor(r.dist.name, r.servers))),
  ];
  const used = new Set(routes.flatMap((r) => r.servers.map((s) => s.name)));
  // A routed server is "used": now its section must be complete (repository set, and so on).
  const servers = routing
    .filter((s) => used.has(s.name))
    .map((s) => lookup.getServer(config, s.name));
  const byName = new Map(servers.map((s) => [s.name, s]));
  return {
    servers,
    routes: routes.map((r) => ({
      dist: r.dist,
      servers: r.servers.map((s) => byName.get(s.name) as ServerConfig),
    })),
    mode: "routing",
    warnings: [],
    notes,
  };
}

/** `-r a,b -r c` -> [a, b, c]. */
export function splitRepositoryArgs(values: string[]): string[] {
  const out = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  if (out.some((v) => v === "")) throw new UsageError("-r/--repository got an empty name");
  return out;
}
