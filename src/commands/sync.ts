/**
 * `pkgpush sync NAME[==VERSION]... --from SERVER [--to SERVER...]`: flags -> SyncOptions -> the
 * core's runSync (src/sync/run.ts, also the Node API's `sync()`) -> download and upload progress
 * lines, the summary table, the JSON report and the exit code. Printing is all that happens here.
 */
import { canPrompt, terminalAsk } from "../credentials/prompt.js";
import { UsageError } from "../errors.js";
import type { PublishFlags } from "../publish/flags.js";
import { optionsFromFlags } from "../publish/from-flags.js";
import type { Verbosity } from "../publish/options.js";
import { errorReport } from "../report/json.js";
import { formatBytes } from "../report/log.js";
import { checkReportTarget } from "../report/report-file.js";
import { formatSummary } from "../report/summary-table.js";
import { formatSyncPlan, syncNotes } from "../sync/report.js";
import { runSync, type SyncEvents, type SyncReport } from "../sync/run.js";
import { messagePrinter } from "./console.js";
import { cliRedactor, err, progressBarsWanted } from "./output.js";
import type { PublishContext } from "./publish.js";
import { printReport, reportStoppedRun } from "./report-output.js";
import { syncBars, syncLines } from "./sync-progress.js";

export interface SyncFlags extends PublishFlags {
  from: string;
  to?: string[];
  maxDownloadSize: string;
}

/** `2G`, `500M`, `64k` or a number of bytes. */
export function parseSize(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const unit = (m?.[2] ?? "").toLowerCase() as keyof typeof scale;
  const n = m ? Number(m[1]) * scale[unit] : Number.NaN;
  if (!Number.isFinite(n) || n < 1) {
    throw new UsageError(`${option} must be a size such as 2G, 500M or 1048576, got '${value}'`);
  }
  return Math.floor(n);
}

export async function sync(
  specs: string[],
  flags: SyncFlags,
  ctx: PublishContext,
): Promise<number> {
  try {
    const options = await optionsFromFlags("upload", [], flags, ctx.env, ctx.cwd);
    const maxDownloadBytes = parseSize(flags.maxDownloadSize, "--max-download-size");
    if (flags.report) await checkReportTarget(flags.report);
    const messages = messagePrinter(err, options.verbosity, (line) =>
      process.stdout.write(`${line}\n`),
    );
    const progress = await syncProgress(flags, options.verbosity, ctx.env);
    let report: SyncReport;
    try {
      report = await runSync(
        {
          ...options,
          specs,
          from: flags.from,
          to: flags.to ?? [],
          maxDownloadBytes,
          ask: canPrompt() ? terminalAsk : undefined,
          redactor: cliRedactor,
          signal: ctx.signal,
        },
        { ...messages, ...progress },
      );
    } finally {
      progress.stop();
    }
    return await printOutcome(report, flags);
  } catch (error) {
    await reportStoppedRun(error, flags, (e) => ({
      ...errorReport("upload", flags.dryRun ?? false, e),
      command: "sync",
    }));
    throw error;
  }
}

/** Bars where `upload` shows them (progressBarsWanted), plain lines elsewhere. */
async function syncProgress(
  flags: SyncFlags,
  verbosity: Verbosity,
  env: NodeJS.ProcessEnv,
): Promise<SyncEvents & { stop(): void }> {
  const bars = verbosity === "normal" && progressBarsWanted(flags, env);
  const events = bars
    ? syncBars((await import("../report/progress.js")).terminalReporter, (text) =>
        cliRedactor.safeText(text),
      )
    : syncLines((line) => err(`${line}\n`), verbosity);
  // A server that refused for good is said once whatever the verbosity (it explains not-sent).
  events.onNotice ??= (line) => err(`${line}\n`);
  return events;
}

/** The summary table (every file x target), the notes, the JSON report; the exit code. */
async function printOutcome(report: SyncReport, flags: SyncFlags): Promise<number> {
  const text = report.dryRun ? formatSyncPlan(report.sync) : summary(report);
  return printReport(report, text, flags, flags.quiet === true);
}

function summary(report: SyncReport): string {
  const table = formatSummary({ ...report, command: "upload" });
  const lines = [
    report.results.length === 0
      ? `Summary: nothing to do: every target has every file (source ${report.sync.from})`
      : table.replace(/\)$/m, `; source ${report.sync.from})`),
    ...downloadsLine(report.sync),
    ...syncNotes(report.sync),
  ];
  return lines.join("\n");
}

/** `Downloaded 10 of 10 files (20.0 MiB) from src, sha256 verified`, when anything was to copy. */
function downloadsLine(section: SyncReport["sync"]): string[] {
  const { copies } = section;
  if (copies.length === 0) return [];
  const got = copies.filter((c) => c.download === "downloaded");
  const bytes = got.reduce((sum, c) => sum + (c.size ?? 0), 0);
  const files = copies.length === 1 ? "file" : "files";
  return [
    `Downloaded ${got.length} of ${copies.length} ${files} (${formatBytes(bytes)}) from ${section.from}, sha256 verified`,
  ];
}
