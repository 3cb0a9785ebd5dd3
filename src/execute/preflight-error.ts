import { type ErrorCode, ExitCode, PkgpushError } from "../errors.js";

/** Problems found before anything was sent; the run stops with nothing uploaded. */
export class PreflightError extends PkgpushError {
  override readonly code: ErrorCode = "preflight";
  constructor(problems: string[]) {
    super(
      `preflight found ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was uploaded:\n${problems.map((p) => `  ${p}`).join("\n")}`,
      {
        exitCode: ExitCode.failed,
        hint: "fix these and run again, or skip the checks with --no-preflight",
      },
    );
  }
}
