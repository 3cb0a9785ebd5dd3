/**
 * `pkgpush sync NAME[==VERSION]... --from SERVER [--to SERVER...]`: flags -> SyncOptions -> the
 * core's runSync (src/sync/run.ts, also the Node API's `sync()`) -> download and upload progress
 * lines, the summary table, the JSON report and the exit code. Printing is all that happens here.
 */
import { canPrompt, terminalAsk } from "../credentials/prompt.js";
import { ExitCode, PkgpushError, UsageError } from "../errors.js";
import type { PublishFlags } from "../publish/flags.js";
import { optionsFromFlags } from "../publish/from-flags.js";
import { errorReport } from "../report/json.js";
import { formatBytes, lineReporter } from "../report/log.js";
import { checkReportTarget, ReportFileError, writeReportFile } from "../report/report-file.js";
import { formatDuration } from "../report/summary.js";
import { formatSummary } from "../report/summary-table.js";
import type { DownloadEvents } from "../sync/download-types.js";
import { formatSyncPlan, syncNotes } from "../sync/report.js";
import { runSync, type SyncReport } from "../sync/run.js";
import { messagePrinter } from "./console.js";
import { cliRedactor, err, out } from "./output.js";
import type { PublishContext } from "./publish.js";

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
    const uploads = lineReporter((line) => err(`${line}\n`), options.verbosity);
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
        {
          ...messages,
          ...uploads,
          onNotice: (line) => err(`${line}\n`),
          ...downloadLines(options.verbosity === "quiet"),
        },
      );
    } finally {
      uploads.stop();
    }
    return await printOutcome(report, flags);
  } catch (error) {
    // A machine reading --json gets JSON even when the run stopped before copying anything.
    if (error instanceof PkgpushError && (flags.json || flags.report)) {
      const report = cliRedactor.json({
        ...errorReport("upload", flags.dryRun ?? false, error),
        command: "sync",
      });
      if (flags.json) out(report);
      if (flags.report && !(error instanceof ReportFileError)) {
        await writeReportFile(flags.report, report).catch((e: Error) =>
          err(`pkgpush: error: ${e.message}\n`),
        );
      }
    }
    throw error;
  }
}

/** One line per download start, retry and end, on stderr (failures whatever the verbosity). */
function downloadLines(quiet: boolean): DownloadEvents {
  const say = (line: string): void => {
    if (!quiet) err(`${line}\n`);
  };
  return {
    onDownloadStart(copy) {
      const size = copy.file.size !== undefined ? ` (${formatBytes(copy.file.size)})` : "";
      say(`downloading ${copy.file.filename}${size}`);
    },
    onDownloadRetry(copy, attempt, delayMs, reason) {
      say(
        `retrying download of ${copy.file.filename} in ${formatDuration(delayMs)} (attempt ${attempt} failed: ${reason})`,
      );
    },
    onDownloadFinish(copy, outcome) {
      if (outcome.ok) {
        say(
          `downloaded ${copy.file.filename} in ${formatDuration(outcome.durationMs)}, sha256 verified`,
        );
      } else {
        err(`download failed: ${copy.file.filename}: ${outcome.reason}\n`);
      }
    },
  };
}

/** The summary table (every file x target), the notes, the JSON report; the exit code. */
async function printOutcome(report: SyncReport, flags: SyncFlags): Promise<number> {
  const text = report.dryRun ? formatSyncPlan(report.sync) : summary(report);
  if (flags.json) {
    out(cliRedactor.json(report));
    if (!flags.quiet) err(`${text}\n`);
  } else {
    out(`${text}\n`);
  }
  if (!flags.report) return report.exitCode;
  try {
    await writeReportFile(flags.report, cliRedactor.json(report));
  } catch (error) {
    if (!(error instanceof ReportFileError)) throw error;
    err(`pkgpush: error: ${error.message}\n`);
    return report.exitCode === ExitCode.ok ? ExitCode.failed : report.exitCode;
  }
  return report.exitCode;
}

function summary(report: SyncReport): string {
  const table = formatSummary({ ...report, command: "upload" });
  const lines = [
    report.results.length === 0
      ? `Summary: nothing to do: every target has every file (source ${report.sync.from})`
      : table.replace(/\)$/m, `; source ${report.sync.from})`),
    ...syncNotes(report.sync),
  ];
  return lines.join("\n");
}
