/**
 * Where a sync copies each project (pure): the servers named with `--to`, or else every listed
 * server whose `release-packages` match the project, as `upload` routes files; never the source.
 */
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { ResolutionError, UsageError } from "../errors.js";
import { type ServerLookup, selectServer, splitRepositoryArgs } from "../resolve/targets.js";

export interface SyncTargets {
  /** Every target, in configuration (or `--to`) order. */
  servers: ServerConfig[];
  /** Per project (normalised): its targets. */
  of: Map<string, ServerConfig[]>;
  warnings: string[];
}

/**
 * `projects`: normalised name -> the names it is written as (the command line's, the source's
 * file names'), any of which a server's patterns may match.
 */
export function syncTargets(
  config: PypircConfig,
  source: ServerConfig,
  to: string[],
  projects: Map<string, string[]>,
  lookup: ServerLookup,
): SyncTargets {
  const matches = (server: ServerConfig, project: string): boolean =>
    (projects.get(project) ?? [project]).some((name) => lookup.matchesProject(server, name));
  if (to.length > 0) {
    const named = uniqueByName(splitRepositoryArgs(to).map((v) => selectServer(config, v, lookup)));
    const servers = named.filter((s) => s.name !== source.name);
    if (servers.length < named.length) {
      throw new UsageError(`--to ${source.name}: the source cannot be a target of its own sync`);
    }
    const warnings: string[] = [];
    for (const project of projects.keys()) {
      for (const server of servers) {
        if (server.releasePackages.length > 0 && !matches(server, project)) {
          warnings.push(
            `'${project}' does not match the release-packages of '${server.name}'; copying anyway because it was named with --to`,
          );
        }
      }
    }
    return { servers, of: new Map([...projects.keys()].map((p) => [p, servers])), warnings };
  }
  const routing = config.indexServers
    .filter((name) => name !== source.name && config.servers.has(name))
    .map((name) => config.servers.get(name) as ServerConfig)
    .filter((server) => server.releasePackages.length > 0);
  const of = new Map<string, ServerConfig[]>();
  const unrouted: string[] = [];
  for (const project of projects.keys()) {
    const servers = routing.filter((server) => matches(server, project));
    if (servers.length === 0) unrouted.push(project);
    of.set(project, servers);
  }
  if (unrouted.length > 0) {
    const checked = routing.map((s) => s.name).join(", ") || "none has release-packages";
    throw new ResolutionError(
      `no server other than the source '${source.name}' takes ${unrouted.map((p) => `'${p}'`).join(", ")} by its release-packages (checked: ${checked})`,
      { hint: "name the targets with --to, or add a pattern to their release-packages in .pypirc" },
    );
  }
  // A routed server is used: its section must now be complete (repository set, and so on).
  const used = new Set([...of.values()].flat().map((s) => s.name));
  const servers = routing
    .filter((s) => used.has(s.name))
    .map((s) => lookup.getServer(config, s.name));
  const byName = new Map(servers.map((s) => [s.name, s]));
  for (const [project, list] of of) {
    of.set(
      project,
      list.map((s) => byName.get(s.name) as ServerConfig),
    );
  }
  return { servers, of, warnings: [] };
}

function uniqueByName(servers: ServerConfig[]): ServerConfig[] {
  const seen = new Map<string, ServerConfig>();
  for (const server of servers) if (!seen.has(server.name)) seen.set(server.name, server);
  return [...seen.values()];
}
