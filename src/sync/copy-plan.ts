/**
 * The second half's start: downloaded files are inspected like local ones and planned like an
 * upload (per server wheels before the sdist, permanent indexes last), each file bound only for
 * the targets that lack it.
 */
import type { ServerConfig } from "../config/types.js";
import { inspectAll } from "../distributions/inspect.js";
import type { Distribution } from "../distributions/types.js";
import { type Plan, planUploads } from "../plan/plan.js";
import type { FetchResult } from "./download-types.js";

export interface CopyRoutes {
  routes: Array<{ dist: Distribution; servers: ServerConfig[] }>;
  servers: ServerConfig[];
}

/** Inspects the downloaded files; each goes to the targets its copy lacks. */
export async function copyRoutes(
  fetched: FetchResult,
  targets: ServerConfig[],
): Promise<CopyRoutes> {
  const dists = await inspectAll(fetched.ready.map((r) => r.file.path));
  const byName = new Map(targets.map((s) => [s.name, s]));
  const copyOf = new Map(fetched.ready.map((r) => [r.file.path, r.copy]));
  const routes = dists.map((dist) => ({
    dist,
    servers: (copyOf.get(dist.path)?.targets ?? []).map((n) => byName.get(n) as ServerConfig),
  }));
  const used = new Set(routes.flatMap((r) => r.servers.map((s) => s.name)));
  return { routes, servers: targets.filter((s) => used.has(s.name)) };
}

export function copyPlan({ routes, servers }: CopyRoutes): Plan {
  return planUploads({ servers, routes, mode: "explicit", warnings: [], notes: [] });
}
