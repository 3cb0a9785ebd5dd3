/**
 * `pkgpush upload` and `register`: flags -> PublishOptions -> the Node API's prepare/send (the
 * same functions release scripts call; console.ts prints their events) -> printed results and an
 * exit code.
 */
import { canPrompt, terminalAsk } from "../credentials/prompt.js";
import { ExitCode } from "../errors.js";
import { planReport, type Report } from "../index.js";
import type { Action } from "../plan/plan.js";
import type { PublishFlags } from "../publish/flags.js";
import { optionsFromFlags } from "../publish/from-flags.js";
import type { PublishOptions } from "../publish/options.js";
import type { Prepared } from "../publish/prepare.js";
import { errorReport } from "../report/json.js";
import { formatPlan } from "../report/plan.js";
import { checkReportTarget, writeReportFile } from "../report/report-file.js";
import { formatSummary } from "../report/summary-table.js";
import { runPrinted } from "./console.js";
import { cliRedactor, err, out, progressBarsWanted } from "./output.js";
import { printReport, reportStoppedRun } from "./report-output.js";

export interface PublishContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
}

/** The shared pipeline of `upload` and `register`; resolves with the exit code. */
export async function publish(
  action: Action,
  paths: string[],
  flags: PublishFlags,
  ctx: PublishContext,
): Promise<number> {
  try {
    const options = await optionsFromFlags(action, paths, flags, ctx.env, ctx.cwd);
    if (flags.report) await checkReportTarget(flags.report);
    return await run(
      {
        ...options,
        ask: canPrompt() ? terminalAsk : undefined,
        redactor: cliRedactor,
        signal: ctx.signal,
      },
      flags,
      ctx,
    );
  } catch (error) {
    await reportStoppedRun(error, flags, (e) => errorReport(action, flags.dryRun ?? false, e));
    throw error;
  }
}

async function run(options: PublishOptions, flags: PublishFlags, ctx: PublishContext) {
  const { prepared, report } = await runPrinted(
    { ...options, redactor: cliRedactor },
    {
      write: err,
      writeWorkflowCommand: (line) => process.stdout.write(`${line}\n`),
      bars: progressBarsWanted(flags, ctx.env),
    },
  );
  return report ? printResults(report, flags, options) : printPlan(prepared, flags);
}

async function printPlan(prepared: Prepared, flags: PublishFlags): Promise<number> {
  const report = planReport(prepared);
  if (flags.json) out(cliRedactor.json(report));
  else out(`${formatPlan(prepared.plan, prepared.credentials)}\n`);
  if (flags.report) {
    const { plan: _plan, credentials: _credentials, ...plain } = report;
    await writeReportFile(flags.report, cliRedactor.json(plain));
  }
  return ExitCode.ok;
}

async function printResults(report: Report, flags: PublishFlags, options: PublishOptions) {
  return printReport(report, formatSummary(report), flags, options.verbosity === "quiet");
}
