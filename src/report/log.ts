import type { JobResult, RunEvents } from "../execute/run.js";
import type { Job } from "../plan/plan.js";
import { formatDuration } from "./summary.js";

export type Verbosity = "quiet" | "normal" | "verbose";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const what = (job: Job): string =>
  job.action === "upload"
    ? `${job.dist.filename} to ${job.server.name}`
    : `${job.dist.name} ${job.dist.version} on ${job.server.name}`;

/**
 * Plain line-based progress, one line per start, retry and finish, no timestamps: readable in CI
 * logs and when piped. Goes to stderr so stdout stays for the summary and --json.
 */
export function lineReporter(write: (line: string) => void, verbosity: Verbosity): RunEvents {
  if (verbosity === "quiet") {
    return {
      onFinish: (r: JobResult) => {
        if (["failed", "held", "not-sent", "unknown"].includes(r.outcome.status))
          write(`${r.outcome.status}: ${what(r.job)}: ${r.outcome.reason ?? ""}`);
      },
    };
  }
  return {
    onStart(job, totalBytes) {
      const size = job.action === "upload" ? ` (${formatBytes(totalBytes)})` : "";
      write(`${job.action === "upload" ? "uploading" : "registering"} ${what(job)}${size}`);
    },
    onRetry(job, event) {
      write(
        `retrying ${what(job)} in ${formatDuration(event.delayMs)} (attempt ${event.attempt} failed: ${event.reason})`,
      );
    },
    onFinish(r) {
      const reason = r.outcome.reason ? `: ${r.outcome.reason}` : "";
      write(`${r.outcome.status}: ${what(r.job)} in ${formatDuration(r.durationMs)}${reason}`);
    },
  };
}
