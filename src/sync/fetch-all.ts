/**
 * Downloads every planned copy once, a few at a time (the source is one server: its per-server
 * limit applies), and sorts the outcome: files ready to upload, files that failed. A hash
 * mismatch is kept apart: it means the source serves other bytes than its index says.
 */
import { parseFilename } from "../distributions/filename.js";
import { DownloadError, type DownloadOptions, downloadFile } from "./download.js";
import type { DownloadEvents, DownloadOutcome, FetchResult } from "./download-types.js";
import type { Copy } from "./plan.js";

/** Sooner for files whose uploads come later (planUploads: a release's wheels before its sdist). */
const uploadedLate = { sdist: 0, egg: 1, wheel: 2 } as const;

/**
 * The order to download in: a release's sdist (and eggs) before its wheels. Their uploads wait
 * for the wheels on every target anyway, so fetched first they are ready (downloaded, verified,
 * inspected: an sdist is read whole to inspect it) by the time the wheels are up, instead of
 * being downloaded and inspected after the last wheel, on the run's critical path. Stable
 * otherwise (the plan's order).
 */
export function downloadOrder(copies: Copy[]): Copy[] {
  const rank = (copy: Copy): number => {
    try {
      return uploadedLate[parseFilename(copy.file.filename).kind];
    } catch {
      return uploadedLate.wheel;
    }
  };
  return copies
    .map((copy, i) => ({ copy, i, r: rank(copy) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.copy);
}

export async function fetchAll(
  copies: Copy[],
  options: Omit<DownloadOptions, "onProgress" | "onRetry" | "md5"> & {
    /** Whether a copy's targets want md5 (computed in the download's pass, then). */
    md5For?: ((copy: Copy) => boolean) | undefined;
  },
  concurrency: number,
  events: DownloadEvents = {},
): Promise<FetchResult> {
  const result: FetchResult = { ready: [], failed: [] };
  const outcomes = new Map<Copy, DownloadOutcome>();
  const queue = downloadOrder(copies);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length && !options.signal?.aborted) {
      const copy = queue[next++] as Copy;
      events.onDownloadStart?.(copy);
      const started = Date.now();
      let outcome: DownloadOutcome;
      try {
        const file = await downloadFile(copy.file, {
          ...options,
          md5: options.md5For?.(copy) ?? false,
          onProgress: (bytes) => events.onDownloadProgress?.(copy, bytes),
          onRetry: (attempt, delayMs, reason) =>
            events.onDownloadRetry?.(copy, attempt, delayMs, reason),
        });
        outcome = { ok: true, durationMs: Date.now() - started, ...file };
      } catch (error) {
        const code = error instanceof DownloadError ? error.code : "NETWORK";
        outcome = {
          ok: false,
          durationMs: Date.now() - started,
          reason: (error as Error).message,
          code,
        };
      }
      outcomes.set(copy, outcome);
      events.onDownloadFinish?.(copy, outcome);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, copies.length)) }, worker),
  );
  // In plan order, whatever order they finished in; copies never started were interrupted.
  for (const copy of copies) {
    const outcome = outcomes.get(copy);
    if (outcome?.ok) result.ready.push({ copy, file: outcome });
    else
      result.failed.push({
        copy,
        reason: outcome?.reason ?? "not downloaded (interrupted)",
        code: outcome?.code ?? "ABORTED",
      });
  }
  return result;
}
