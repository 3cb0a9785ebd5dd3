/**
 * The description thread's worker (description-thread.ts): renders each description it is sent
 * with checkDescription, reads, inflates and searches a zip's YARA members from the open file
 * (scanYara), or walks a zip's records (framingOfFile), and answers under the same id. It holds
 * only that code, so it warms up here once while the main thread reads the archives. Bundled as
 * dist/readme-worker.js (and action/readme-worker.js) next to the chunks that start it.
 */
import { parentPort } from "node:worker_threads";
import { scanYara, type YaraJob } from "../yara.js";
import { framingOfFile } from "../zip-scan.js";
import { checkDescription } from "./index.js";
import { CLAIMED_BY_WORKER, CLAIMS, FINISHED } from "./thread-progress.js";

export interface RenderRequest {
  id: number;
  work:
    | { text: string; contentType: string | undefined }
    | { yara: Omit<YaraJob, "stop"> }
    | { framing: { fd: number; size: number } };
}

export type RenderAnswer =
  | { id: number; verdict: ReturnType<typeof checkDescription> }
  | { id: number; match: string | null }
  | { id: number; framing: string | null }
  | { id: number; error: string };

/**
 * The thread's first message: the memory it shares with the main thread. It comes by message,
 * not workerData, because the launcher may start this thread before the bundle that owns that
 * memory has loaded (bin/early-thread.cjs).
 */
export interface SharedProgress {
  shared: { progress: Int32Array; claims: Int32Array };
}

/** Where the main thread reads at once what this thread finished (its `behind()`). */
let progress: Int32Array | undefined;
/** Each request is claimed before it is started: the main thread may have taken it back. */
let claims: Int32Array | undefined;

parentPort?.on("message", (message: RenderRequest | SharedProgress) => {
  if ("shared" in message) {
    ({ progress, claims } = message.shared);
    Atomics.store(progress, CLAIMS, 1);
    return;
  }
  const { id, work } = message;
  if (claims && Atomics.compareExchange(claims, id % claims.length, 0, CLAIMED_BY_WORKER) !== 0) {
    // Taken back by the main thread: done there.
    if (progress) Atomics.add(progress, FINISHED, 1);
    return;
  }
  let answer: RenderAnswer;
  try {
    if ("yara" in work) answer = { id, match: scanYara(work.yara) ?? null };
    else if ("framing" in work)
      answer = { id, framing: framingOfFile(work.framing.fd, work.framing.size) ?? null };
    else answer = { id, verdict: checkDescription(work.text, work.contentType) };
  } catch (error) {
    // The main thread does this one itself, so a failure is the same with or without the worker.
    answer = { id, error: String((error as Error)?.message ?? error) };
  }
  parentPort?.postMessage(answer);
  if (progress) Atomics.add(progress, FINISHED, 1);
});
