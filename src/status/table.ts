/**
 * `pkgpush status` as text: a matrix, releases down and servers across, one cell per release x
 * server with counts; `-v` adds each file's state per server; reasons for unreachable cells and
 * a summary line follow.
 */
import { formatTable } from "../report/table.js";
import type { StatusCell, StatusRelease } from "./compare.js";
import type { StatusReport } from "./run.js";

/** `2/2 ok`, `1/2: 1 missing`, `1/2: 1 DIFFERENT`, `unreachable`; `-` where not routed. */
export function cellText(cell: StatusCell | undefined): string {
  if (!cell) return "-";
  if (cell.state === "unreachable") return "unreachable";
  const counts = `${cell.same}/${cell.total}`;
  if (cell.state === "ok") return `${counts} ok`;
  const parts = [
    cell.missing > 0 ? `${cell.missing} missing` : "",
    cell.different > 0 ? `${cell.different} DIFFERENT` : "",
    cell.unverified > 0 ? `${cell.unverified} no hash` : "",
  ].filter(Boolean);
  return `${counts}: ${parts.join(", ")}`;
}

const STATE_TEXT: Record<string, string> = {
  same: "same",
  missing: "missing",
  different: "DIFFERENT",
  unverified: "listed, no hash",
  unreachable: "?",
};

function fileRows(release: StatusRelease, servers: string[]): string[][] {
  return release.files.map((file) => [
    `  ${file.filename}`,
    ...servers.map((s) => {
      const state = file.servers[s];
      if (!state) return "-";
      const sha =
        state.state === "different" && state.sha256 ? ` ${state.sha256.slice(0, 12)}` : "";
      return `${STATE_TEXT[state.state] ?? state.state}${sha}`;
    }),
  ]);
}

function summary(report: StatusReport): string {
  const t = report.totals;
  const parts = [
    `${t.ok} ok`,
    t.incomplete ? `${t.incomplete} incomplete` : "",
    t.different ? `${t.different} with a DIFFERENT file` : "",
    t.unreachable ? `${t.unreachable} unreachable` : "",
  ].filter(Boolean);
  const releases = `${t.releases} release${t.releases === 1 ? "" : "s"} x ${report.servers.length} server${report.servers.length === 1 ? "" : "s"}`;
  return `Summary: ${parts.join(", ")} (${releases})`;
}

export function formatStatus(report: StatusReport, verbose: boolean): string {
  const servers = report.servers.map((s) => s.name);
  const lines: string[] = [];
  if (report.releases.length > 0) {
    const rows: string[][] = [["RELEASE", ...servers]];
    for (const release of report.releases) {
      rows.push([
        `${release.project} ${release.version}`,
        ...servers.map((s) => cellText(release.cells[s])),
      ]);
      if (verbose) rows.push(...fileRows(release, servers));
    }
    // The last column is padded too: the table is a matrix, not a log line.
    lines.push(...formatTable(rows.map((row) => [...row, ""])));
  }
  for (const name of report.notFound) lines.push(`${name}: not listed by any selected server`);
  const reasons = new Map<string, string>();
  for (const release of report.releases) {
    for (const [server, cell] of Object.entries(release.cells)) {
      if (cell.error && !reasons.has(server)) reasons.set(server, cell.error);
    }
  }
  for (const [server, reason] of reasons) lines.push(`${server}: unreachable: ${reason}`);
  lines.push(summary(report));
  return `${lines.join("\n")}\n`;
}
