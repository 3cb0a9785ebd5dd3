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
  for (const job of jobs) {
    for (const other of jobs) {
      if (other === job) continue;
      const sameServer = other.server.name === job.server.name;
      const sameRelease = releaseKey(other.dist) === releaseKey(job.dist);
      const wheelFirst =
        sameServer &&
        sameRelease &&
        kindRank[other.dist.parsed.kind] < kindRank[job.dist.parsed.kind];
      const mutableFirst =
        other.dist.path === job.dist.path && !other.server.immutable && job.server.immutable;
      if (wheelFirst || mutableFirst) job.after.push(other.id);
    }
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
