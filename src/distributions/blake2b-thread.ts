/**
 * BLAKE2b-256 of a whole file on a worker thread (blake2b-worker.js reads the file itself, from
 * the page cache), and the head start a run gives it. No hash-wasm here: the run loads this module
 * before its HTTP stack to start the worker, so it must cost next to nothing to import.
 */
import { type Stats, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** The worker's read size: its per-read costs are already negligible at 256 KiB. */
const WORKER_CHUNK = 256 * 1024;

/**
 * Below this size a worker thread costs more to start than it saves. Above it, BLAKE2b (WASM,
 * the slower one) runs on the second core while sha256 (and md5 when asked; OpenSSL) runs here.
 */
export const PARALLEL_THRESHOLD = 32 * 1024 * 1024;

// A module file, not an eval'd string: bundled with its own copy of hash-wasm's BLAKE2b, it
// needs nothing from node_modules (the installed package has none). In the bundle this module
// is a chunk in dist/, next to the worker; under test it is the source file next to it.
const WORKER_URL = new URL("./blake2b-worker.js", import.meta.url);

/**
 * BLAKE2b workers running at once: one per spare core. Many large files sent at once (up to
 * --concurrency) must not start a worker each (~12 MiB of memory apiece, and the cores are
 * already busy): beyond this, BLAKE2b runs on the main thread with the other digests.
 */
const MAX_WORKERS = Math.max(1, availableParallelism() - 1);
let workers = 0;

/** A worker slot, or undefined when all are taken; released once the worker has settled. */
export interface WorkerSlot {
  release(): void;
}

export function workerSlot(): WorkerSlot | undefined {
  if (workers >= MAX_WORKERS) return undefined;
  workers++;
  let released = false;
  return {
    release() {
      if (!released) workers--;
      released = true;
    },
  };
}

/** A running worker's digest, and how to stop it early. */
interface Hashing {
  digest: Promise<string>;
  stop(): void;
}

function startWorker(path: string, slot: WorkerSlot, signal?: AbortSignal): Hashing {
  let stop = (): void => undefined;
  const digest = new Promise<string>((resolve, reject) => {
    // An aborted signal fires no "abort" event: a worker started now would hash the whole file.
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const worker = new Worker(WORKER_URL, {
      workerData: { path, chunk: WORKER_CHUNK },
      // It allocates next to nothing: small heap limits keep its share of the RSS down (~2 MiB).
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    const onAbort = (): void => stop();
    stop = () => {
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      reject(signal?.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (message: string | { error: string }) => {
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (typeof message === "string") resolve(message);
      else reject(new Error(`hashing ${path}: ${message.error}`));
    });
    worker.once("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
  const release = (): void => slot.release();
  digest.then(release, release);
  return { digest, stop };
}

/** BLAKE2b-256 (hex) of the file on a worker thread holding `slot`. */
export function blake2bInWorker(
  path: string,
  slot: WorkerSlot,
  signal?: AbortSignal,
): Promise<string> {
  return startWorker(path, slot, signal).digest;
}

/** What identifies the file's bytes cheaply: a file written since has another size or mtime. */
function stamp(stats: Stats | undefined): string | undefined {
  return stats && `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * BLAKE2b of the run's large files, started before the run needs it: while the main thread loads
 * the HTTP stack and asks the servers (its preflight), the second core is idle, so the worker
 * hashes there instead of starting with the upload. The upload (`digestTap`) or the hashing
 * ahead of it (`computeDigests`) takes the digest with `take`; `cancel` stops what was not taken.
 */
export class Blake2bAhead {
  private readonly running = new Map<string, Hashing & { stamp: string }>();

  /** Starts one worker per file while worker slots are free; the others are hashed as before. */
  constructor(paths: Iterable<string>, signal?: AbortSignal) {
    for (const path of paths) {
      const current = stamp(statSync(path, { throwIfNoEntry: false }));
      const slot = current === undefined ? undefined : workerSlot();
      if (current === undefined || !slot) continue;
      const hashing = startWorker(path, slot, signal);
      // A failed or stopped head start leaves the file to be hashed as if there had been none.
      hashing.digest.catch(() => this.running.delete(path));
      this.running.set(path, { ...hashing, stamp: current });
    }
  }

  /** The file's BLAKE2b-256, unless it was not hashed ahead or has changed since. */
  take(path: string): Promise<string> | undefined {
    const hashing = this.running.get(path);
    if (!hashing) return undefined;
    if (stamp(statSync(path, { throwIfNoEntry: false })) === hashing.stamp) return hashing.digest;
    hashing.stop();
    this.running.delete(path);
    return undefined;
  }

  /** Stops the workers still hashing (the run is over; their files were not sent). */
  cancel(): void {
    for (const hashing of this.running.values()) hashing.stop();
    this.running.clear();
  }
}
