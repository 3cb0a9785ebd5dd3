import type { JobResult, RunEvents } from "../execute/types.js";
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

interface Running {
  job: Job;
  bytes: number;
  total: number;
  since: number;
}

/** `still uploading x.whl to a: 12.0 MiB of 50 MiB (24%), 1.2 MiB/s, ETA 32s` */
export function progressLine(entry: Running, now: number): string {
  const seconds = Math.max(0.001, (now - entry.since) / 1000);
  const rate = entry.bytes / seconds;
  const percent = entry.total > 0 ? Math.floor((entry.bytes / entry.total) * 100) : 0;
  const eta =
    rate > 0
      ? formatDuration(((entry.total - entry.bytes) / rate) * 1000)
      : "unknown (no progress)";
  return `still uploading ${what(entry.job)}: ${formatBytes(entry.bytes)} of ${formatBytes(entry.total)} (${percent}%), ${formatBytes(rate)}/s, ETA ${eta}`;
}

/**
 * Plain line-based progress, one line per start, retry and finish, no timestamps: readable in CI
 * logs and when piped. Goes to stderr so stdout stays for the summary and --json. A transfer still
 * running prints a progress line every `intervalMs` (10 s), so a long upload is not mistaken for a
 * hang.
 */
export function lineReporter(
  write: (line: string) => void,
  verbosity: Verbosity,
  intervalMs = 10_000,
): RunEvents & { stop(): void } {
  if (verbosity === "quiet") {
    return {
      onFinish: (r: JobResult) => {
        if (["failed", "held", "not-sent", "unknown"].includes(r.outcome.status))
          write(`${r.outcome.status}: ${what(r.job)}: ${r.outcome.reason ?? ""}`);
      },
      stop: () => undefined,
    };
  }
  const running = new Map<number, Running>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const entry of running.values()) write(progressLine(entry, now));
  }, intervalMs);
  timer.unref();
  return {
    onStart(job, totalBytes) {
      const size = job.action === "upload" ? ` (${formatBytes(totalBytes)})` : "";
      write(`${job.action === "upload" ? "uploading" : "registering"} ${what(job)}${size}`);
      if (job.action === "upload") {
        running.set(job.id, { job, bytes: 0, total: totalBytes, since: Date.now() });
      }
    },
    onProgress(job, bytes) {
      const entry = running.get(job.id);
      if (entry) entry.bytes += bytes;
    },
    onRetry(job, event) {
      const entry = running.get(job.id);
      if (entry) Object.assign(entry, { bytes: 0, since: Date.now() + event.delayMs });
      write(
        `retrying ${what(job)} in ${formatDuration(event.delayMs)} (attempt ${event.attempt} failed: ${event.reason})`,
      );
    },
    onFinish(r) {
      running.delete(r.job.id);
      const reason = r.outcome.reason ? `: ${r.outcome.reason}` : "";
      write(`${r.outcome.status}: ${what(r.job)} in ${formatDuration(r.durationMs)}${reason}`);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
