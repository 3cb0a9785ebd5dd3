/**
 * Entry point of the GitHub Action (action.yml; bundled to action/main.js, committed, since an
 * action cannot run npm install). Runs `pkgpush upload` in this process with the inputs turned
 * into flags, then writes the step summary, outputs and annotations from the JSON report.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../commands/program.js";
import { ExitCode, PkgpushError } from "../errors.js";
import type { JsonReport } from "../report/json.js";
import { readInputs, uploadArgs } from "./inputs.js";
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

async function readReport(path: string): Promise<JsonReport | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as JsonReport;
  } catch {
    return undefined;
  }
}

async function report(
  env: NodeJS.ProcessEnv,
  path: string,
  printHash: boolean,
  code: number,
): Promise<void> {
  const result = await readReport(path);
  if (!result) {
    // Stopped before pkgpush could write a report (e.g. a flag it refused): the log says why.
    if (code !== 0)
      process.stdout.write(
        `::error title=pkgpush::pkgpush exited with code ${code}; see the log\n`,
      );
    return;
  }
  if (printHash) for (const line of hashLines(result)) process.stdout.write(`${line}\n`);
  for (const line of annotations(result)) process.stdout.write(`${line}\n`);
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, stepSummary(result));
  if (env.GITHUB_OUTPUT)
    await appendFile(env.GITHUB_OUTPUT, outputLines(stepOutputs(result, path)));
}

export async function runAction(env: NodeJS.ProcessEnv): Promise<number> {
  let inputs: ReturnType<typeof readInputs>;
  try {
    inputs = readInputs(env);
  } catch (error) {
    const message = error instanceof PkgpushError ? error.message : String(error);
    process.stdout.write(`::error title=pkgpush::${message}\n`);
    return ExitCode.usage;
  }
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
    const code = await main(uploadArgs(inputs, { configFile, report: reportPath }));
    await report(env, reportPath, inputs.printHash, code);
    return code;
  } finally {
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  }
}

process.exitCode = await runAction(process.env);
