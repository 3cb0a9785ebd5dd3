import type { JobResult } from "../execute/types.js";
import { countStatuses, type OutcomeStatus, someNotLanded } from "../protocol/outcome.js";

export interface Totals {
  counts: Record<OutcomeStatus, number>;
  files: number;
  servers: number;
  failed: boolean;
}

export function totals(results: JobResult[]): Totals {
  const counts = countStatuses(results.map((r) => r.outcome.status));
  return {
    counts,
    files: new Set(results.map((r) => r.job.dist.path)).size,
    servers: new Set(results.map((r) => r.job.server.name)).size,
    failed: someNotLanded(counts),
  };
}

export function formatDuration(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
