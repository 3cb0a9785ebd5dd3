/**
 * Where a run's report goes, for every command that has `--json` and `--report FILE`: the JSON
 * on stdout (the human text then on stderr, unless quiet) or the text on stdout, and the same
 * JSON in the file. A report that cannot be written after the work is done is one more error
 * (exit 1 at least), not a crash.
 */
import { ExitCode, PkgpushError } from "../errors.js";
import { ReportFileError, writeReportFile } from "../report/report-file.js";
import { cliRedactor, err, out } from "./output.js";

export interface ReportFlags {
  json?: boolean;
  report?: string;
}

/** Prints the report (JSON or `text`) and writes the file; the exit code. */
export async function printReport(
  report: { exitCode: number },
  text: string,
  flags: ReportFlags,
  quiet: boolean,
): Promise<number> {
  if (flags.json) {
    out(cliRedactor.json(report));
    if (!quiet) err(`${text}\n`);
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

/**
 * A run stopped by a PkgpushError before its work: a machine reading `--json` or `--report`
 * still gets a JSON report (built by `errorReport`). Not into the file when the file itself is
 * the problem: a second failure must not hide the first.
 */
export async function reportStoppedRun(
  error: unknown,
  flags: ReportFlags,
  errorReport: (error: PkgpushError) => object,
): Promise<void> {
  if (!(error instanceof PkgpushError) || !(flags.json || flags.report)) return;
  const report = cliRedactor.json(errorReport(error));
  if (flags.json) out(report);
  if (flags.report && !(error instanceof ReportFileError)) {
    await writeReportFile(flags.report, report).catch((e: Error) =>
      err(`pkgpush: error: ${e.message}\n`),
    );
  }
}
