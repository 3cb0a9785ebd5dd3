import type { OutcomeStatus } from "../protocol/outcome.js";
import type { JsonReport } from "./json.js";
import { formatDuration } from "./summary.js";
import { formatTable } from "./table.js";

/** The end-of-run table: every file x server, what happened and why (from the run's report). */
export function formatSummary(report: JsonReport): string {
  const results = report.results;
  const parts = (Object.entries(report.totals) as Array<[OutcomeStatus, number]>)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  // A register job stands for a release (one per project and version), not for a file.
  const register = report.command === "register";
  const unit = register ? "release" : "file";
  const files = new Set(results.map((r) => r.file)).size;
  const servers = new Set(results.map((r) => r.server)).size;
  const header = `Summary: ${parts.join(", ") || "nothing to do"} (${files} ${unit}${files === 1 ? "" : "s"} x ${servers} server${servers === 1 ? "" : "s"})`;
  const release = new Map(report.files.map((f) => [f.file, `${f.project} ${f.version}`]));
  const rows = [
    [register ? "RELEASE" : "FILE", "SERVER", "RESULT", "TIME", "DETAIL"],
    ...results.map((r) => [
      register ? (release.get(r.file) ?? r.file) : r.file,
      r.server,
      r.status,
      formatDuration(r.durationMs),
      [r.reason ?? "", r.attempts > 1 ? `(${r.attempts} attempts)` : ""].filter(Boolean).join(" "),
    ]),
  ];
  return [header, ...formatTable(rows)].join("\n");
}
