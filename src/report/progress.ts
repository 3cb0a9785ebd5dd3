import { MultiBar, type SingleBar } from "cli-progress";
import type { JobResult, RunEvents } from "../execute/types.js";
import type { Job } from "../plan/plan.js";
import type { RetryEvent } from "../transport/retry.js";
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
  const progress = new TerminalProgress(totalBytes, safeText);
  // Own properties, not prototype methods: callers merge event objects with spread.
  return {
    onStart: (job, total) => progress.onStart(job, total),
    onProgress: (job, bytes) => progress.onProgress(job, bytes),
    onNotice: (line) => progress.onNotice(line),
    onRetry: (job, event) => progress.onRetry(job, event),
    onFinish: (result) => progress.onFinish(result),
    stop: () => progress.stop(),
  };
}

interface TransferBar {
  bar: SingleBar;
  bytes: number;
  total: number;
  since: number;
}

function newMultiBar(): MultiBar {
  return new MultiBar({
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
}

/** `12.3 MB/s` once a transfer has run long enough for a rate to mean something. */
function speed(bytes: number, since: number): string {
  const seconds = (Date.now() - since) / 1000;
  return seconds > 0.2 ? `${formatBytes(bytes / seconds)}/s` : "";
}

class TerminalProgress {
  private readonly multibar = newMultiBar();
  private readonly overall: SingleBar;
  private readonly started = Date.now();
  private sent = 0;
  private readonly bars = new Map<number, TransferBar>();

  constructor(
    private readonly totalBytes: number,
    private readonly safeText: (text: string) => string,
  ) {
    this.overall = this.multibar.create(Math.max(1, totalBytes), 0, {
      label: "all files",
      done: formatBytes(0),
      size: formatBytes(totalBytes),
      speed: "",
    });
  }

  onStart(job: Job, total: number): void {
    if (job.action !== "upload") return;
    const bar = this.multibar.create(Math.max(1, total), 0, {
      label: escapeControls(`${job.dist.filename} -> ${job.server.name}`),
      done: formatBytes(0),
      size: formatBytes(total),
      speed: "",
    });
    this.bars.set(job.id, { bar, bytes: 0, total, since: Date.now() });
  }

  onProgress(job: Job, bytes: number): void {
    const entry = this.bars.get(job.id);
    if (!entry) return;
    entry.bytes += bytes;
    this.sent += bytes;
    entry.bar.update(Math.min(entry.bytes, entry.total), {
      done: formatBytes(entry.bytes),
      speed: speed(entry.bytes, entry.since),
    });
    this.overall.update(Math.min(this.sent, this.totalBytes), {
      done: formatBytes(this.sent),
      speed: speed(this.sent, this.started),
    });
  }

  onNotice(line: string): void {
    this.log(line);
  }

  onRetry(job: Job, event: RetryEvent): void {
    const entry = this.bars.get(job.id);
    if (entry) {
      // The body is sent again from the start.
      this.sent -= entry.bytes;
      entry.bytes = 0;
      entry.bar.update(0, { done: formatBytes(0) });
    }
    const delay = (event.delayMs / 1000).toFixed(1);
    this.log(`retrying ${job.dist.filename} on ${job.server.name} in ${delay}s: ${event.reason}`);
  }

  onFinish(result: JobResult): void {
    const entry = this.bars.get(result.job.id);
    if (entry) {
      this.multibar.remove(entry.bar);
      this.bars.delete(result.job.id);
    }
    const { job, outcome } = result;
    const reason = outcome.reason ? `: ${outcome.reason}` : "";
    this.log(`${outcome.status}: ${job.dist.filename} -> ${job.server.name}${reason}`);
  }

  stop(): void {
    // stop() clears the bars without writing the lines logged since the last redraw (up to
    // 100 ms of them: often the last transfer's finish line); one redraw writes them first.
    this.multibar.update();
    this.multibar.stop();
  }

  private log(line: string): void {
    this.multibar.log(this.safeText(`${line}\n`));
  }
}
