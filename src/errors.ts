/**
 * Typed errors with user-facing, one-line messages. Every error that reaches the CLI's top level
 * is printed as `pkgpush: error: <message>` (plus an optional hint) and exits with its code.
 */

export const ExitCode = {
  ok: 0,
  /** At least one file failed to reach at least one server. */
  failed: 1,
  /** Bad command line, configuration or input files: nothing was sent. */
  usage: 2,
  /** Interrupted (Ctrl-C / SIGTERM). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Stable, machine-readable error codes (the Node API's `error.code`, the JSON report's
 * `error.code`; README "Node API"). Codes are only ever added, never renamed.
 */
export type ErrorCode =
  | "error"
  | "usage"
  | "config"
  | "distribution"
  | "resolution"
  | "credentials"
  | "interrupted"
  | "multiple"
  | "preflight"
  | "report-file";

export class PkgpushError extends Error {
  /** What kind of problem this is, for programs (see ErrorCode). */
  readonly code: ErrorCode = "error";
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  constructor(
    message: string,
    options: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.hint = options.hint;
  }
}

/** Command-line misuse. */
export class UsageError extends PkgpushError {
  override readonly code: ErrorCode = "usage";
}

/** A problem in .pypirc (or another configuration source); names file, section and option. */
export class ConfigError extends PkgpushError {
  override readonly code: ErrorCode = "config";
}

/** A distribution file that cannot be uploaded as it is; names the file. */
export class DistributionError extends PkgpushError {
  override readonly code: ErrorCode = "distribution";
}

/** No server accepts a file, or a named server does not exist. */
export class ResolutionError extends PkgpushError {
  override readonly code: ErrorCode = "resolution";
}

/** Credentials could not be found or used. */
export class CredentialsError extends PkgpushError {
  override readonly code: ErrorCode = "credentials";
}

/** The run was interrupted by a signal. */
export class InterruptedError extends PkgpushError {
  override readonly code: ErrorCode = "interrupted";
  constructor(message = "interrupted") {
    super(message, { exitCode: ExitCode.interrupted });
  }
}

/** Several independent problems found in one pass (e.g. every bad file), reported together. */
export class AggregateInputError extends PkgpushError {
  /** The problems' shared code, or `multiple` when they differ. */
  override readonly code: ErrorCode;
  readonly errors: PkgpushError[];
  constructor(errors: PkgpushError[]) {
    // Each distinct hint once, so several files with the same problem read as one fix.
    const hints = [...new Set(errors.map((e) => e.hint).filter((h): h is string => Boolean(h)))];
    super(errors.map((e) => e.message).join("\n"), {
      exitCode: ExitCode.usage,
      ...(hints.length > 0 ? { hint: hints.join("; ") } : {}),
    });
    this.errors = errors;
    const codes = new Set(errors.map((e) => e.code));
    this.code = codes.size === 1 ? ([...codes][0] as ErrorCode) : "multiple";
  }
}
