import { findServerByUrl, getServer } from "../config/pypirc.js";
import { adHocServer } from "./adhoc.js";
import { matchesProject } from "./pattern.js";
import type { ServerLookup } from "./targets.js";

/** The real lookups behind target resolution (the resolver itself stays free of them). */
export const serverLookup: ServerLookup = {
  getServer,
  findServerByUrl,
  adHocServer,
  matchesProject: (server, name) => matchesProject(server.releasePackages, name),
};
