/**
 * Sync's progress on stderr, as `upload` shows it: on an interactive terminal, bars for every
 * download and upload in flight and one overall bar (each file counted once down and once per
 * target up); elsewhere (CI, pipes, TERM=dumb, --no-progress) plain lines for each start, retry and
 * end, and a "still" line every 10 s for a transfer that runs long. Failures are said whatever the
 * verbosity.
 */
import type { Verbosity } from "../publish/options.js";
import { formatBytes, lineReporter } from "../report/log.js";
import type { TransferBars, terminalReporter } from "../report/progress.js";
import { formatDuration } from "../report/summary.js";
import type { DownloadOutcome } from "../sync/download-types.js";
import type { Copy } from "../sync/plan.js";
import type { SyncEvents } from "../sync/run.js";

type Events = SyncEvents & { stop(): void };

/** Bytes a copy moves: its download, then one upload per target (unknown size: 0 for now). */
const bytesOf = (copy: Copy): number => (copy.file.size ?? 0) * (1 + copy.targets.length);

const downloadKey = (copy: Copy): string => `download ${copy.file.filename}`;

/** Bars: created when the copies are known (the overall bar's size needs them). */
export function syncBars(
  reporter: typeof terminalReporter,
  safeText: (text: string) => string,
): Events {
  let events: ReturnType<typeof terminalReporter> | undefined;
  let bars: TransferBars | undefined;
  let source = "source";
  return {
    onCopiesPlanned(copies, from) {
      source = from;
      events = reporter(
        copies.reduce((sum, copy) => sum + bytesOf(copy), 0),
        safeText,
      );
      bars = events.bars;
    },
    onStart: (job, total) => events?.onStart?.(job, total),
    onProgress: (job, bytes) => events?.onProgress?.(job, bytes),
    onRetry: (job, event) => events?.onRetry?.(job, event),
    onFinish: (result) => events?.onFinish?.(result),
    onNotice: (line) => events?.onNotice?.(line),
    onDownloadStart(copy) {
      bars?.start(downloadKey(copy), `${copy.file.filename} <- ${source}`, copy.file.size ?? 0);
    },
    onDownloadProgress: (copy, bytes) => bars?.progress(downloadKey(copy), bytes),
    onDownloadRetry(copy, _attempt, delayMs, reason) {
      bars?.restart(downloadKey(copy));
      bars?.log(
        `retrying download of ${copy.file.filename} in ${formatDuration(delayMs)}: ${reason}`,
      );
    },
    onDownloadFinish(copy, outcome) {
      // A file the index gave no size for: its bytes join the total now that they are known.
      if (copy.file.size === undefined && outcome.ok) {
        bars?.grow(outcome.size * (1 + copy.targets.length));
      }
      bars?.end(downloadKey(copy), downloadLine(copy, outcome));
    },
    stop: () => events?.stop(),
  };
}

function downloadLine(copy: Copy, outcome: DownloadOutcome): string {
  return outcome.ok
    ? `downloaded: ${copy.file.filename} in ${formatDuration(outcome.durationMs)}, sha256 verified`
    : `download failed: ${copy.file.filename}: ${outcome.reason}`;
}

interface Running {
  copy: Copy;
  bytes: number;
  since: number;
}

/** Plain lines: uploads as `upload` prints them, downloads likewise. */
export function syncLines(
  write: (line: string) => void,
  verbosity: Verbosity,
  intervalMs = 10_000,
): Events {
  const uploads = lineReporter(write, verbosity, intervalMs);
  const say = (line: string): void => {
    if (verbosity !== "quiet") write(line);
  };
  const running = new Map<Copy, Running>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const entry of running.values()) say(stillLine(entry, now));
  }, intervalMs);
  timer.unref();
  const events: Events = {
    ...uploads,
    onDownloadStart(copy) {
      const size = copy.file.size !== undefined ? ` (${formatBytes(copy.file.size)})` : "";
      say(`downloading ${copy.file.filename}${size}`);
      running.set(copy, { copy, bytes: 0, since: Date.now() });
    },
    onDownloadProgress(copy, bytes) {
      const entry = running.get(copy);
      if (entry) entry.bytes += bytes;
    },
    onDownloadRetry(copy, attempt, delayMs, reason) {
      const entry = running.get(copy);
      if (entry) Object.assign(entry, { bytes: 0, since: Date.now() + delayMs });
      say(
        `retrying download of ${copy.file.filename} in ${formatDuration(delayMs)} (attempt ${attempt} failed: ${reason})`,
      );
    },
    onDownloadFinish(copy, outcome) {
      running.delete(copy);
      if (outcome.ok) say(downloadLine(copy, outcome));
      else write(downloadLine(copy, outcome));
    },
    stop() {
      clearInterval(timer);
      uploads.stop();
    },
  };
  return events;
}

/** `still downloading x.whl: 12.0 MiB of 50 MiB (24%), 1.2 MiB/s` */
function stillLine(entry: Running, now: number): string {
  const seconds = Math.max(0.001, (now - entry.since) / 1000);
  const rate = entry.bytes / seconds;
  const size = entry.copy.file.size;
  const of =
    size !== undefined
      ? ` of ${formatBytes(size)} (${Math.floor((entry.bytes / Math.max(1, size)) * 100)}%)`
      : "";
  return `still downloading ${entry.copy.file.filename}: ${formatBytes(entry.bytes)}${of}, ${formatBytes(rate)}/s`;
}
