/**
 * `pkgpush status`: the command line over the status core (src/status). Prints the matrix (or
 * `--json`) and maps the outcome to the exit code: 0 everything everywhere with one hash, 1
 * something missing or different, 2 a server that could not tell (or a usage error).
 */
import { PkgpushError } from "../errors.js";
import { type PublishFlags, positiveInt, seconds } from "../publish/flags.js";
import { formatTrace } from "../transport/trace.js";
import { cliRedactor, err, out } from "./output.js";

/** The flags status shares with upload: same names, same checks. */
export type StatusFlags = Pick<
  PublishFlags,
  | "repository"
  | "configFile"
  | "json"
  | "verbose"
  | "quiet"
  | "concurrency"
  | "perServer"
  | "retries"
  | "connectTimeout"
  | "timeout"
  | "cert"
  | "clientCert"
  | "allowInsecureHttp"
  | "keyring"
>;

export async function runStatus(
  args: string[],
  flags: StatusFlags,
  ctx: { env: NodeJS.ProcessEnv; cwd: string; signal: AbortSignal },
): Promise<number> {
  const options = {
    args,
    repositories: flags.repository ?? [],
    configFile: flags.configFile,
    env: ctx.env,
    cwd: ctx.cwd,
    concurrency: positiveInt(flags.concurrency, "--concurrency", 1, 64),
    perServer: positiveInt(flags.perServer, "--per-server", 1, 16),
    retries: positiveInt(flags.retries, "--retries", 0, 20),
    connectTimeoutMs: seconds(flags.connectTimeout, "--connect-timeout"),
    timeoutMs: seconds(flags.timeout, "--timeout"),
    caCert: flags.cert,
    clientCert: flags.clientCert,
    allowInsecureHttp: flags.allowInsecureHttp ?? false,
    keyring: flags.keyring,
    signal: ctx.signal,
    redactor: cliRedactor,
    onMessage: (level: "warning" | "debug", text: string) => {
      if (level === "warning" && !flags.quiet) err(`warning: ${text}\n`);
      if (level === "debug" && flags.verbose) err(`debug: ${text}\n`);
    },
    onTrace: flags.verbose
      ? (server: string, event: Parameters<typeof formatTrace>[1]) => {
          for (const line of formatTrace(server, event)) err(`${line}\n`);
        }
      : undefined,
  };
  try {
    const { status } = await import("../status/run.js");
    const report = await status(options);
    if (flags.json) {
      out(cliRedactor.json(report));
    } else {
      const { formatStatus } = await import("../status/table.js");
      out(formatStatus(report, flags.verbose ?? false));
    }
    return report.exitCode;
  } catch (error) {
    if (flags.json && error instanceof PkgpushError) {
      const exitCode = error.exitCode;
      out(
        cliRedactor.json({
          schema: "pkgpush-status/1",
          command: "status",
          exitCode,
          error: { message: error.message, hint: error.hint ?? null },
        }),
      );
    }
    throw error;
  }
}
