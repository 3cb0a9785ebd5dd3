/**
 * The refusal before anything is sent: each file's metadata against packaging's rules
 * (metadata-rules.ts), the `pypi`-scoped rules only for files bound for PyPI or TestPyPI. One
 * line per problem: the file, the field, packaging's reason and the fix.
 */
import { isPypiHost } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { AggregateInputError, DistributionError } from "../errors.js";
import { displayPath } from "./inspect.js";
import { metadataProblems } from "./metadata-rules.js";
import type { Distribution } from "./types.js";

const FIX = "rebuild the distribution with a current build backend";

/** The problems with one file bound for these servers, as one-line errors. */
export function metadataErrors(dist: Distribution, servers: ServerConfig[]): DistributionError[] {
  const pypi = servers.filter((s) => isPypiHost(s.repository)).map((s) => s.name);
  return metadataProblems(dist.metadata)
    .filter((p) => p.scope === "all" || pypi.length > 0)
    .map((p) => {
      const who =
        p.scope === "all"
          ? "refused for every server"
          : `PyPI refuses it; the file is bound for ${pypi.join(", ")}`;
      return new DistributionError(
        `${displayPath(dist.path)}: ${p.field}: ${p.reason} (${who}); ${FIX}`,
      );
    });
}

/** Throws every problem of every routed file at once, before anything is sent. */
export function refuseInvalidMetadata(
  routes: Array<{ dist: Distribution; servers: ServerConfig[] }>,
): void {
  const errors = routes.flatMap((r) => metadataErrors(r.dist, r.servers));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateInputError(errors);
}
