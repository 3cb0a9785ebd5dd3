import { MultiBar, type SingleBar } from "cli-progress";
import type { JobResult, RunEvents } from "../execute/run.js";
import type { Job } from "../plan/plan.js";
import { formatBytes } from "./log.js";
import { escapeControls } from "./redact.js";

/**
 * Progress bars for a terminal: one per transfer in flight (bytes, rate, ETA) and one overall.
 * Finished transfers leave a plain line above the bars, so the scrollback tells the story.
 */
export function terminalReporter(
  totalBytes: number,
  /** Redacts and escapes a line (the run's redactor). */
  safeText: (text: string) => string,
): RunEvents & { stop(): void } {
  const multibar = new MultiBar({
    stream: process.stderr,
    format: " {bar} {percentage}% | {label} | {done}/{size} | {speed} | ETA {eta_formatted}",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    stopOnComplete: false,
    autopadding: true,
    forceRedraw: false,
    fps: 10,
  });
  const overall = multibar.create(Math.max(1, totalBytes), 0, {
    label: "all files",
    done: formatBytes(0),
    size: formatBytes(totalBytes),
    speed: "",
  });
  const started = Date.now();
  let sent = 0;
  const bars = new Map<number, { bar: SingleBar; bytes: number; total: number; since: number }>();
  const speed = (bytes: number, since: number): string => {
    const seconds = (Date.now() - since) / 1000;
    return seconds > 0.2 ? `${formatBytes(bytes / seconds)}/s` : "";
  };

  return {
    onStart(job: Job, total: number) {
      if (job.action !== "upload") return;
      const bar = multibar.create(Math.max(1, total), 0, {
        label: escapeControls(`${job.dist.filename} -> ${job.server.name}`),
        done: formatBytes(0),
        size: formatBytes(total),
        speed: "",
      });
      bars.set(job.id, { bar, bytes: 0, total, since: Date.now() });
    },
    onProgress(job, bytes) {
      const entry = bars.get(job.id);
      if (!entry) return;
      entry.bytes += bytes;
      sent += bytes;
      entry.bar.update(Math.min(entry.bytes, entry.total), {
        done: formatBytes(entry.bytes),
        speed: speed(entry.bytes, entry.since),
      });
      overall.update(Math.min(sent, totalBytes), {
        done: formatBytes(sent),
        speed: speed(sent, started),
      });
    },
    onNotice(line) {
      multibar.log(safeText(`${line}\n`));
    },
    onRetry(job, event) {
      const entry = bars.get(job.id);
      if (entry) {
        // The body is sent again from the start.
        sent -= entry.bytes;
        entry.bytes = 0;
        entry.bar.update(0, { done: formatBytes(0) });
      }
      multibar.log(
        safeText(
          `retrying ${job.dist.filename} on ${job.server.name} in ${(event.delayMs / 1000).toFixed(1)}s: ${event.reason}\n`,
        ),
      );
    },
    onFinish(result: JobResult) {
      const entry = bars.get(result.job.id);
      if (entry) {
        multibar.remove(entry.bar);
        bars.delete(result.job.id);
      }
      const reason = result.outcome.reason ? `: ${result.outcome.reason}` : "";
      multibar.log(
        safeText(
          `${result.outcome.status}: ${result.job.dist.filename} -> ${result.job.server.name}${reason}\n`,
        ),
      );
    },
    stop() {
      // stop() clears the bars without writing the lines logged since the last redraw (up to
      // 100 ms of them: often the last transfer's finish line); one redraw writes them first.
      multibar.update();
      multibar.stop();
    },
  };
}
