import { findServerByUrl, getServer } from "../config/pypirc.js";
import { adHocServer } from "./adhoc.js";
import { formatHint, type RouteTable } from "./route-match.js";
import type { ServerLookup } from "./targets.js";

/**
 * The real lookups behind target resolution (the resolver itself stays free of them). Routing
 * answers come from a RouteTable computed beforehand under a deadline (route-match.ts); without
 * one (e.g. `login`, which only selects a server), no server's patterns match.
 */
export function serverLookup(table?: RouteTable): ServerLookup {
  return {
    getServer,
    findServerByUrl,
    adHocServer,
    matchesProject: (server, name) => table?.matches(server, name) ?? false,
    routeHints: (server, name) => (table?.hints(server, name) ?? []).map(formatHint),
  };
}
