/**
 * The refusal before anything is sent: each file's metadata against packaging's rules
 * (metadata-rules.ts), the `pypi`-scoped rules and PyPI's file rules (pypi-file-rules.ts) only
 * for files bound for PyPI or TestPyPI. One line per problem: the file, the field, the reason
 * (packaging's or Warehouse's words) and the fix.
 */
import { isPypiHost } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { AggregateInputError, DistributionError } from "../errors.js";
import { displayPath } from "./inspect.js";
import { metadataProblems } from "./metadata-rules.js";
import { pypiFileProblems } from "./pypi-file-rules.js";
import type { Distribution } from "./types.js";

const FIX = "rebuild the distribution with a current build backend";

/** The problems with one file bound for these servers, as one-line errors. */
export function metadataErrors(dist: Distribution, servers: ServerConfig[]): DistributionError[] {
  const pypi = servers.filter((s) => isPypiHost(s.repository)).map((s) => s.name);
  const forPypi = `PyPI refuses it; the file is bound for ${pypi.join(", ")}`;
  const problems = [
    // What PyPI refuses in the file itself (egg, extension, local version, platform tag).
    ...(pypi.length > 0 ? pypiFileProblems(dist).map((p) => ({ ...p, who: forPypi })) : []),
    ...metadataProblems(dist.metadata)
      .filter((p) => p.scope === "all" || pypi.length > 0)
      .map((p) => ({
        ...p,
        who: p.scope === "all" ? "refused for every server" : forPypi,
        fix: FIX,
      })),
  ];
  return problems.map(
    (p) =>
      new DistributionError(
        `${displayPath(dist.path)}: ${p.field}: ${p.reason} (${p.who}); ${p.fix}`,
      ),
  );
}

/** Throws every problem of every routed file at once, before anything is sent. */
export function refuseInvalidMetadata(
  routes: Array<{ dist: Distribution; servers: ServerConfig[] }>,
): void {
  const errors = routes.flatMap((r) => metadataErrors(r.dist, r.servers));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateInputError(errors);
}
