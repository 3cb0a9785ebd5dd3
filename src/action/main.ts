/**
 * Entry point of the GitHub Action (action.yml; bundled to action/main.js, committed, since an
 * action cannot run npm install). Publishes through the Node API with the inputs as options, its
 * events printed to the log as the CLI prints them, then writes the step summary, outputs and
 * annotations from the report (also kept as a file, named by the `report` output).
 */
import { setMaxListeners } from "node:events";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPrinted } from "../commands/console.js";
import { environmentSecrets } from "../credentials/sources.js";
import { ExitCode, PkgpushError } from "../errors.js";
import { optionsFromApi } from "../publish/api-options.js";
import { errorReport, type JsonReport } from "../report/json.js";
import { Redactor } from "../report/redact.js";
import { formatSummary } from "../report/summary-table.js";
import { type ActionInputs, readInputs, uploadOptions } from "./inputs.js";
import { annotations, hashLines, stepOutputs, stepSummary } from "./summary.js";

/** GITHUB_OUTPUT's multi-line-safe form (`name<<DELIMITER`), though every value is one line. */
function outputLines(outputs: Record<string, string>): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      const delimiter = `pkgpush_${Math.random().toString(36).slice(2)}`;
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join("");
}

async function report(
  env: NodeJS.ProcessEnv,
  result: JsonReport,
  path: string,
  printHash: boolean,
): Promise<void> {
  if (printHash) for (const line of hashLines(result)) process.stdout.write(`${line}\n`);
  for (const line of annotations(result)) process.stdout.write(`${line}\n`);
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, stepSummary(result));
  if (env.GITHUB_OUTPUT)
    await appendFile(env.GITHUB_OUTPUT, outputLines(stepOutputs(result, path)));
}

/** The upload, printed to the log; a run that cannot start is a report with its error. */
async function publish(
  inputs: ActionInputs,
  env: NodeJS.ProcessEnv,
  configFile: string | undefined,
  signal: AbortSignal,
): Promise<{ result: JsonReport; redactor: Redactor }> {
  const redactor = new Redactor();
  for (const secret of environmentSecrets(env)) redactor.registerSecret(secret);
  const write = (text: string): void => {
    process.stderr.write(redactor.safeText(text));
  };
  try {
    const options = optionsFromApi("upload", false, {
      ...uploadOptions(inputs, { configFile }),
      env,
      cwd: process.cwd(),
      signal,
    });
    const { report: result } = await runPrinted(
      { ...options, redactor },
      {
        write,
        writeWorkflowCommand: (line) => process.stdout.write(`${line}\n`),
        bars: false,
      },
    );
    if (!result) throw new Error("internal: an upload without a report");
    process.stdout.write(redactor.safeText(`${formatSummary(result)}\n`));
    return { result, redactor };
  } catch (caught) {
    // An unexpected failure is reported like any other stop, redacted, never as a stack dump.
    const error =
      caught instanceof PkgpushError
        ? caught
        : new PkgpushError(`internal error: ${(caught as Error)?.message ?? String(caught)}`, {
            exitCode: ExitCode.failed,
          });
    for (const line of error.message.split("\n")) write(`pkgpush: error: ${line}\n`);
    if (error.hint) write(`pkgpush: hint: ${error.hint}\n`);
    return { result: errorReport("upload", false, error), redactor };
  }
}

export async function runAction(env: NodeJS.ProcessEnv): Promise<number> {
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env);
  } catch (error) {
    const message = error instanceof PkgpushError ? error.message : String(error);
    process.stdout.write(`::error title=pkgpush::${message}\n`);
    return ExitCode.usage;
  }
  // A cancelled workflow stops the transfers; the report says what landed.
  const controller = new AbortController();
  // Owned by this process: downloads and jobs in flight may well be more than ten listeners.
  setMaxListeners(0, controller.signal);
  for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => controller.abort());
  // The report outlives the step (an output names it); the .pypirc does not.
  const reportDir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), "pkgpush-report-"));
  const reportPath = join(reportDir, "report.json");
  const secretDir = inputs.pypirc ? await mkdtemp(join(tmpdir(), "pkgpush-pypirc-")) : undefined;
  try {
    let configFile: string | undefined;
    if (secretDir && inputs.pypirc) {
      configFile = join(secretDir, ".pypirc");
      // mkdtemp makes the directory 0700; the file is the owner's alone too.
      await writeFile(configFile, inputs.pypirc, { mode: 0o600 });
    }
    const { result, redactor } = await publish(inputs, env, configFile, controller.signal);
    await writeFile(reportPath, redactor.json(result));
    await report(env, redactor.redactValues(result), reportPath, inputs.printHash);
    return result.exitCode;
  } finally {
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  }
}

process.exitCode = await runAction(process.env);
