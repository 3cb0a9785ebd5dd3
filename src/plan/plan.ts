import type { ServerConfig } from "../config/types.js";
import type { Distribution } from "../distributions/types.js";
import type { Targets } from "../resolve/targets.js";

export type Action = "upload" | "register";

/** One request to send: a file (or a release's metadata) to one server. */
export interface Job {
  id: number;
  action: Action;
  dist: Distribution;
  server: ServerConfig;
  /** Jobs that must have finished first (not necessarily succeeded). */
  after: number[];
}

export interface Plan {
  action: Action;
  servers: ServerConfig[];
  jobs: Job[];
  mode: Targets["mode"];
  /** Routing notes for the plan printout (see Targets.notes). */
  notes: string[];
}

const kindRank = { wheel: 0, egg: 1, sdist: 2 } as const;
const releaseKey = (d: Distribution): string => `${d.normalizedName}==${d.version}`;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Orders the work so that, per server, a release's wheels land before its sdist (an index never
 * shows an sdist-only release while wheels are pending), and, per file, servers where an upload
 * can never be replaced (pypi.org) come after the others, so problems show up first where they
 * can still be fixed.
 */
export function planUploads(targets: Targets): Plan {
  const pairs = targets.routes.flatMap(({ dist, servers }) =>
    servers.map((server) => ({ dist, server })),
  );
  pairs.sort(
    (a, b) =>
      Number(a.server.immutable) - Number(b.server.immutable) ||
      kindRank[a.dist.parsed.kind] - kindRank[b.dist.parsed.kind],
  );
  const jobs: Job[] = pairs.map((p, id) => ({ id, action: "upload", ...p, after: [] }));
  // Only jobs of the same release on the same server, or of the same file, can order each other:
  // grouping them keeps planning linear in the number of files (2000 files: milliseconds).
  const byRelease = groupBy(jobs, (j) => `${j.server.name}\0${releaseKey(j.dist)}`);
  const byFile = groupBy(jobs, (j) => j.dist.path);
  for (const job of jobs) {
    const before = new Set<number>();
    for (const other of byRelease.get(`${job.server.name}\0${releaseKey(job.dist)}`) ?? []) {
      if (kindRank[other.dist.parsed.kind] < kindRank[job.dist.parsed.kind]) before.add(other.id);
    }
    if (job.server.immutable) {
      for (const other of byFile.get(job.dist.path) ?? []) {
        if (!other.server.immutable) before.add(other.id);
      }
    }
    job.after = [...before].sort((a, b) => a - b);
  }
  return {
    action: "upload",
    servers: targets.servers,
    jobs,
    mode: targets.mode,
    notes: targets.notes,
  };
}

/** One register request per release and server; the wheel's metadata is preferred. */
export function planRegistrations(targets: Targets): Plan {
  const jobs: Job[] = [];
  const seen = new Set<string>();
  const ordered = [...targets.routes].sort(
    (a, b) => kindRank[a.dist.parsed.kind] - kindRank[b.dist.parsed.kind],
  );
  for (const { dist, servers } of ordered) {
    for (const server of servers) {
      const key = `${server.name} ${releaseKey(dist)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      jobs.push({ id: jobs.length, action: "register", dist, server, after: [] });
    }
  }
  return {
    action: "register",
    servers: targets.servers,
    jobs,
    mode: targets.mode,
    notes: targets.notes,
  };
}
