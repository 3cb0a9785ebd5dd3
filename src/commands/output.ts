/**
 * The CLI's standard output and error. The process has one Redactor: secrets known before parsing
 * (the command line, the environment) are registered at start, and each run registers what it
 * learns into the same one (it is handed to the core), so everything printed is redacted. A
 * stderr whose reader went away (`2>&1 >/dev/null | head -1`) is not a reason to stop uploading:
 * its errors are ignored (see main).
 */
import { Redactor } from "../report/redact.js";

export const cliRedactor = new Redactor();

/** Writers for stdout/stderr that never let a registered secret or a control sequence through. */
export const out = (text: string): void => {
  process.stdout.write(cliRedactor.safeText(text));
};
export const err = (text: string): void => {
  process.stderr.write(cliRedactor.safeText(text));
};

export const registerSecret = (secret: string | undefined): void => {
  cliRedactor.registerSecret(secret);
};

/**
 * Progress bars, for `upload` and `sync` alike: on an interactive terminal unless turned off
 * (--no-progress, twine's --disable-progress-bar), in CI or on a dumb terminal. The commands
 * also keep them to normal verbosity (-q prints no progress, -v prints lines).
 */
export function progressBarsWanted(
  flags: { progress?: boolean | undefined; disableProgressBar?: boolean | undefined },
  env: NodeJS.ProcessEnv,
): boolean {
  return (
    flags.progress !== false &&
    !flags.disableProgressBar &&
    Boolean(process.stderr.isTTY) &&
    !env.CI &&
    env.TERM !== "dumb"
  );
}
