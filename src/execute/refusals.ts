import { CredentialsError } from "../errors.js";
import type { Job } from "../plan/plan.js";
import type { Outcome, ReasonCode } from "../protocol/outcome.js";
import { isPermanentNetworkError, isProxyRefusal, TransportError } from "../transport/http.js";

/** The machine-readable reason of a request that got no answer. */
export function errorReasonCode(error: unknown, interrupted: boolean): ReasonCode {
  if (interrupted) return "interrupted";
  // A short-lived token that could not be renewed in time.
  if (error instanceof CredentialsError) return "auth";
  if (!(error instanceof TransportError)) return "local-file";
  const { code } = error;
  if (code === "ABORTED") return "interrupted";
  if (code === "BODY") return "local-file";
  if (isPermanentNetworkError(code)) return "tls";
  if (isProxyRefusal(code)) return "proxy";
  if (/TIMEOUT|STALLED|ETIMEDOUT/.test(code)) return "timeout";
  return "network";
}

/** Network failures that say "nobody is there", even after the retries: not worth the next file. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND"]);

interface Stop {
  reason: string;
  code: ReasonCode;
}

/**
 * Servers that have said "never": after a 401/403 for the credentials, a 404/405 on the upload
 * URL, a TLS failure, a proxy that refuses, or no server at the address (after the retries), the
 * server's remaining
 * jobs are not sent. A 403 about one project (owners) stops only that project's files there.
 */
export class StopList {
  private readonly stops = new Map<string, Stop>();

  constructor(private readonly notice: (line: string) => void) {}

  /** The `not-sent` outcome of a job whose server (or project there) has refused for good. */
  check(job: Job): Outcome | undefined {
    const stop =
      this.stops.get(job.server.name) ??
      this.stops.get(`${job.server.name}\0${job.dist.normalizedName}`);
    if (!stop) return undefined;
    return { status: "not-sent", reason: stop.reason, code: stop.code };
  }

  /** Takes note of a finished job's failure; says so once per server (or project). */
  note(job: Job, outcome: Outcome, error?: unknown): void {
    if (outcome.status !== "failed" || !outcome.code) return;
    const { code } = outcome;
    const unreachable =
      code === "network" && error instanceof TransportError && UNREACHABLE.has(error.code);
    const serverWide =
      code === "auth" || code === "not-found" || code === "tls" || code === "proxy" || unreachable;
    if (!serverWide && code !== "forbidden") return;
    const key = serverWide ? job.server.name : `${job.server.name}\0${job.dist.normalizedName}`;
    if (this.stops.has(key)) return;
    const scope = serverWide ? job.server.name : `${job.dist.name} on ${job.server.name}`;
    const what =
      job.action === "upload" ? job.dist.filename : `${job.dist.name} ${job.dist.version}`;
    const cause = outcome.reason ?? code;
    this.stops.set(key, {
      code,
      reason: `not sent: ${scope} refused ${what} (${shorten(cause)})`,
    });
    this.notice(
      `stopping ${scope}: ${cause}; its remaining ${job.action === "upload" ? "files are" : "releases are"} not sent (the other servers go on)`,
    );
  }
}

const shorten = (text: string): string => (text.length > 120 ? `${text.slice(0, 119)}…` : text);
