/**
 * What the Action reports besides the log, from pkgpush's JSON report: the step summary (a
 * Markdown table of files x servers with each result and the file's sha256), step outputs, and
 * `::error::`/`::warning::` annotations. Pure: main.ts writes them.
 */
import type { JsonReport } from "../report/json.js";

const ICON: Record<string, string> = {
  uploaded: "✅",
  registered: "✅",
  "not-needed": "☑️",
  skipped: "⏭️",
  failed: "❌",
  held: "⏸️",
};

/** A table cell: no pipes or line breaks from a server's answer. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function headline(report: JsonReport): string {
  const counts = Object.entries(report.totals)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  return `${counts.join(", ") || "nothing to do"} (${report.files.length} file${report.files.length === 1 ? "" : "s"} x ${report.servers.length} server${report.servers.length === 1 ? "" : "s"})`;
}

export function stepSummary(report: JsonReport): string {
  if (report.error) {
    const hint = report.error.hint ? `\n>\n> ${cell(report.error.hint)}` : "";
    return `### pkgpush: stopped before sending\n\n> ${cell(report.error.message)}${hint}\n`;
  }
  const servers = report.servers.map((s) => s.name);
  const rows = report.files.map((file) => {
    const results = servers.map((server) => {
      const r = report.results.find((x) => x.file === file.file && x.server === server);
      if (!r) return "-";
      return cell(`${ICON[r.status] ?? ""} ${r.status}${r.reason ? `: ${r.reason}` : ""}`.trim());
    });
    return `| ${cell(file.file)} | ${results.join(" | ")} | \`${file.sha256 ?? "-"}\` |`;
  });
  return [
    `### pkgpush: ${headline(report)}`,
    "",
    `| File | ${servers.map(cell).join(" | ")} | sha256 |`,
    `|---|${servers.map(() => "---|").join("")}---|`,
    ...rows,
    "",
    `Servers: ${report.servers.map((s) => `${cell(s.name)} (${cell(s.url)})`).join(", ")}`,
    "",
  ].join("\n");
}

/** Step outputs: the report's path and the count of each result. */
export function stepOutputs(report: JsonReport, reportPath: string): Record<string, string> {
  return {
    report: reportPath,
    "exit-code": String(report.exitCode),
    ...Object.fromEntries(Object.entries(report.totals).map(([k, n]) => [k, String(n)])),
  };
}

/** Workflow-command escaping of a message (GitHub's toCommandValue rules). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One annotation per failed or held upload, or one for a run that stopped before sending. */
export function annotations(report: JsonReport): string[] {
  if (report.error) {
    const hint = report.error.hint ? ` (${report.error.hint})` : "";
    return [
      `::error title=${escapeProperty("pkgpush")}::${escapeData(report.error.message + hint)}`,
    ];
  }
  return report.results
    .filter((r) => r.status === "failed" || r.status === "held")
    .map((r) => {
      const level = r.status === "failed" ? "error" : "warning";
      const title = `${r.status === "failed" ? "Upload failed" : "Upload held back"}: ${r.file} -> ${r.server}`;
      return `::${level} title=${escapeProperty(title)}::${escapeData(r.reason ?? r.status)}`;
    });
}

/** `print-hash`: the sha256 of each file, as the log lines gh-action-pypi-publish prints. */
export function hashLines(report: JsonReport): string[] {
  return report.files.map((f) => `${f.file}: sha256 ${f.sha256 ?? "(not computed)"}`);
}
