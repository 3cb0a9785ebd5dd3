/**
 * The CLI's exit code comes from `main()`'s answer. The bundle is loaded by `import()` from the
 * CommonJS bin, so if a bug left that answer pending while nothing else kept the event loop
 * alive, Node would simply exit 0 with nothing said: a release job would go green with files
 * unsent. The guard turns that into exit 1 and one line on stderr.
 */
import { ExitCode } from "../errors.js";

/** The part of `process` the guard uses (a stand-in in tests). */
export interface ExitingProcess {
  exitCode?: number | string | null | undefined;
  once(event: "exit", listener: (code: number) => void): unknown;
  stderr: { write(text: string): unknown };
}

/** Sets the exit code from `run`, or reports a run that never answered before the process ends. */
export async function exitWith(
  run: Promise<number>,
  proc: ExitingProcess = process,
): Promise<void> {
  let answered = false;
  proc.once("exit", (code) => {
    // A non-zero code is already an ending someone chose (process.exit on a second Ctrl-C).
    if (answered || code !== 0) return;
    proc.stderr.write(
      "pkgpush: error: the run ended before it finished (an internal error: nothing was left to wait for); what was sent is unknown, check the servers and report this\n",
    );
    proc.exitCode = ExitCode.failed;
  });
  const code = await run;
  answered = true;
  proc.exitCode = code;
}

/**
 * Ends the process as soon as the run has answered, unless output is still queued (a pipe is
 * written asynchronously on some systems): left to end by itself, Node first tears down the V8
 * heap page by page, which the system does anyway when the process exits.
 */
export function endWhenFlushed(
  proc: Pick<NodeJS.Process, "exit" | "stdout" | "stderr"> = process,
): void {
  if (proc.stdout.writableLength > 0 || proc.stderr.writableLength > 0) return;
  proc.exit();
}
