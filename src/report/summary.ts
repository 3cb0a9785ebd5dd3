import type { JobResult } from "../execute/run.js";
import type { OutcomeStatus } from "../protocol/outcome.js";
import { formatTable } from "./table.js";

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

/** The end-of-run table: every file x server, what happened and why. */
export function formatSummary(results: JobResult[]): string {
  const t = totals(results);
  const parts = (Object.entries(t.counts) as Array<[OutcomeStatus, number]>)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  // A register job stands for a release (one per project and version), not for a file.
  const unit = results[0]?.job.action === "register" ? "release" : "file";
  const header = `Summary: ${parts.join(", ") || "nothing to do"} (${t.files} ${unit}${t.files === 1 ? "" : "s"} x ${t.servers} server${t.servers === 1 ? "" : "s"})`;
  const rows = [
    [
      results[0]?.job.action === "register" ? "RELEASE" : "FILE",
      "SERVER",
      "RESULT",
      "TIME",
      "DETAIL",
    ],
    ...results.map((r) => [
      r.job.action === "register"
        ? `${r.job.dist.name} ${r.job.dist.version}`
        : r.job.dist.filename,
      r.job.server.name,
      r.outcome.status,
      formatDuration(r.durationMs),
      [r.outcome.reason ?? "", r.attempts > 1 ? `(${r.attempts} attempts)` : ""]
        .filter(Boolean)
        .join(" "),
    ]),
  ];
  return [header, ...formatTable(rows)].join("\n");
}
