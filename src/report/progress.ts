import { MultiBar, type SingleBar } from "cli-progress";
import type { JobResult, RunEvents } from "../execute/types.js";
import type { Job } from "../plan/plan.js";
import type { RetryEvent } from "../transport/retry.js";
import { formatBytes } from "./log.js";
import { escapeControls } from "./redact.js";

/**
 * Bars of any transfer, by key: what a caller with transfers of its own (sync's downloads) drives
 * next to the uploads. Finished transfers leave a plain line (`end`).
 */
export interface TransferBars {
  start(key: string, label: string, total: number): void;
  progress(key: string, bytes: number): void;
  /** A retry sends (or fetches) it again from the start. */
  restart(key: string): void;
  end(key: string, line: string): void;
  log(line: string): void;
  /** More bytes to move than first counted (a download whose size the index did not give). */
  grow(bytes: number): void;
}

/**
 * Progress bars for a terminal: one per transfer in flight (bytes, rate, ETA) and one overall.
 * Finished transfers leave a plain line above the bars, so the scrollback tells the story.
 */
export function terminalReporter(
  totalBytes: number,
  /** Redacts and escapes a line (the run's redactor). */
  safeText: (text: string) => string,
): RunEvents & { stop(): void; bars: TransferBars } {
  const progress = new TerminalProgress(totalBytes, safeText);
  // Own properties, not prototype methods: callers merge event objects with spread.
  return {
    onStart: (job, total) => progress.onStart(job, total),
    onProgress: (job, bytes) => progress.onProgress(job, bytes),
    onNotice: (line) => progress.onNotice(line),
    onRetry: (job, event) => progress.onRetry(job, event),
    onFinish: (result) => progress.onFinish(result),
    stop: () => progress.stop(),
    bars: {
      start: (key, label, total) => progress.start(key, label, total),
      progress: (key, bytes) => progress.progress(key, bytes),
      restart: (key) => progress.restart(key),
      end: (key, line) => progress.end(key, line),
      log: (line) => progress.log(line),
      grow: (bytes) => progress.grow(bytes),
    },
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
  private readonly bars = new Map<string, TransferBar>();

  constructor(
    private totalBytes: number,
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
    this.start(`job ${job.id}`, `${job.dist.filename} -> ${job.server.name}`, total);
  }

  onProgress(job: Job, bytes: number): void {
    this.progress(`job ${job.id}`, bytes);
  }

  onNotice(line: string): void {
    this.log(line);
  }

  onRetry(job: Job, event: RetryEvent): void {
    this.restart(`job ${job.id}`);
    const delay = (event.delayMs / 1000).toFixed(1);
    this.log(`retrying ${job.dist.filename} on ${job.server.name} in ${delay}s: ${event.reason}`);
  }

  onFinish(result: JobResult): void {
    const { job, outcome } = result;
    const reason = outcome.reason ? `: ${outcome.reason}` : "";
    this.end(
      `job ${job.id}`,
      `${outcome.status}: ${job.dist.filename} -> ${job.server.name}${reason}`,
    );
  }

  start(key: string, label: string, total: number): void {
    const bar = this.multibar.create(Math.max(1, total), 0, {
      label: escapeControls(label),
      done: formatBytes(0),
      size: formatBytes(total),
      speed: "",
    });
    this.bars.set(key, { bar, bytes: 0, total, since: Date.now() });
  }

  progress(key: string, bytes: number): void {
    const entry = this.bars.get(key);
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

  restart(key: string): void {
    const entry = this.bars.get(key);
    if (!entry) return;
    this.sent -= entry.bytes;
    entry.bytes = 0;
    entry.bar.update(0, { done: formatBytes(0) });
  }

  end(key: string, line: string): void {
    const entry = this.bars.get(key);
    if (entry) {
      this.multibar.remove(entry.bar);
      this.bars.delete(key);
    }
    this.log(line);
  }

  grow(bytes: number): void {
    this.totalBytes += bytes;
    this.overall.setTotal(Math.max(1, this.totalBytes));
    this.overall.update({ size: formatBytes(this.totalBytes) });
  }

  stop(): void {
    // stop() clears the bars without writing the lines logged since the last redraw (up to
    // 100 ms of them: often the last transfer's finish line); one redraw writes them first.
    this.multibar.update();
    this.multibar.stop();
  }

  log(line: string): void {
    this.multibar.log(this.safeText(`${line}\n`));
  }
}
