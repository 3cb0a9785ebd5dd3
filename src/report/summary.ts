import type { JobResult } from "../execute/types.js";
import type { OutcomeStatus } from "../protocol/outcome.js";

export interface Totals {
  counts: Record<OutcomeStatus, number>;
  files: number;
  servers: number;
  failed: boolean;
}

export function totals(results: JobResult[]): Totals {
  const counts: Record<OutcomeStatus, number> = {
    uploaded: 0,
    registered: 0,
    "not-needed": 0,
    skipped: 0,
    failed: 0,
    held: 0,
    "not-sent": 0,
    unknown: 0,
  };
  for (const r of results) counts[r.outcome.status]++;
  return {
    counts,
    files: new Set(results.map((r) => r.job.dist.path)).size,
    servers: new Set(results.map((r) => r.job.server.name)).size,
    // A held, not-sent or unconfirmed file did not (surely) land where it should: as much a
    // reason for exit 1 as a failure.
    failed: counts.failed + counts.held + counts["not-sent"] + counts.unknown > 0,
  };
}

export function formatDuration(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
