import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { blake2bHasher } from "./wasm-budget.js";

/**
 * The digests the legacy upload form carries, lower-case hex. md5 only when a server asked for it
 * (`md5-digest = true`): PyPI, devpi, pypiserver, Nexus and GitLab never need it, twine 7 and
 * `uv publish` no longer send it, and it is the costliest of the three (README, "Digests").
 */
export interface Digests {
  sha256: string;
  blake2_256: string;
  md5?: string | undefined;
}

export interface DigestOptions {
  /** Compute md5 too (for servers configured with `md5-digest = true`). */
  md5?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

// 256 KiB reads: the per-call costs are already negligible (CPU time within noise of 1 MiB
// reads), and the buffer stays in the CPU caches' reach.
const CHUNK = 256 * 1024;

/**
 * Below this size a worker thread costs more to start than it saves. Above it, BLAKE2b (WASM,
 * the slower one) runs on the second core while sha256 (and md5 when asked; OpenSSL) runs here.
 */
export const PARALLEL_THRESHOLD = 32 * 1024 * 1024;

/**
 * Feeds the file through the given update functions, one read for all of them. Reads go into one
 * reused buffer: no garbage per chunk, so memory stays flat even before the GC runs.
 */
async function hashStream(
  path: string,
  updates: Array<(chunk: Buffer) => void>,
  signal?: AbortSignal,
): Promise<void> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafeSlow(CHUNK);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (const update of updates) update(chunk);
    }
  } finally {
    await handle.close();
  }
}

/** sha256 alone (OpenSSL, one streaming read): what comparing with a simple index needs. */
export async function sha256Of(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  await hashStream(path, [(chunk) => hash.update(chunk)], signal);
  return hash.digest("hex");
}

/** The OpenSSL digests (sha256, and md5 when asked), fed chunk by chunk on this thread. */
function nativeDigests(md5Wanted: boolean): {
  update(chunk: Buffer): void;
  digest(): { sha256: string; md5?: string };
} {
  const sha256 = createHash("sha256");
  const md5 = md5Wanted ? createHash("md5") : undefined;
  return {
    update(chunk) {
      sha256.update(chunk);
      md5?.update(chunk);
    },
    digest: () => ({ sha256: sha256.digest("hex"), ...(md5 && { md5: md5.digest("hex") }) }),
  };
}

/** Every digest, fed chunk by chunk on this thread (a caller streaming the bytes anyway). */
export async function digestAccumulator(md5 = false): Promise<{
  update(chunk: Buffer): void;
  digest(): Digests;
}> {
  const native = nativeDigests(md5);
  const blake = await blake2bHasher();
  return {
    update(chunk) {
      native.update(chunk);
      blake.update(chunk);
    },
    digest: () => ({ ...native.digest(), blake2_256: blake.digest("hex") }),
  };
}

/** Every digest in one read on this thread. */
async function digestsInline(path: string, options: DigestOptions): Promise<Digests> {
  const all = await digestAccumulator(options.md5 === true);
  await hashStream(path, [all.update], options.signal);
  return all.digest();
}

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

/** A worker slot, or undefined when all are taken; release it once the worker has settled. */
function workerSlot(): { release(): void } | undefined {
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

function blake2bInWorker(
  path: string,
  slot: { release(): void },
  signal?: AbortSignal,
): Promise<string> {
  const hashed = new Promise<string>((resolve, reject) => {
    // An aborted signal fires no "abort" event: a worker started now would hash the whole file.
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const worker = new Worker(WORKER_URL, {
      workerData: { path, chunk: CHUNK },
      // It allocates next to nothing: small heap limits keep its share of the RSS down (~2 MiB).
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    const onAbort = (): void => {
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
  hashed.then(release, release);
  return hashed;
}

/**
 * Hashes a file (Node's crypto has no BLAKE2b-256: OpenSSL's BLAKE2b is exposed only as
 * blake2b512, and `outputLength` is refused for it, so that one comes from hash-wasm). Large
 * files use both cores: the second read comes from the page cache. Memory stays at a few chunks
 * whatever the size.
 */
export async function computeDigests(path: string, options: DigestOptions = {}): Promise<Digests> {
  const { size } = await stat(path);
  const slot = size < PARALLEL_THRESHOLD ? undefined : workerSlot();
  if (!slot) return digestsInline(path, options);
  const native = nativeDigests(options.md5 === true);
  const [blake2_256] = await Promise.all([
    blake2bInWorker(path, slot, options.signal),
    hashStream(path, [native.update], options.signal),
  ]);
  return { ...native.digest(), blake2_256 };
}

/** Digests fed chunk by chunk by the caller (the upload that sends the file). */
export interface DigestTap {
  update(chunk: Buffer): void;
  finish(): Promise<Digests>;
}

/**
 * Digests computed in the same pass as sending: sha256 (and md5 when asked) over the chunks as
 * they go by, BLAKE2b on the second core reading the same file (from the page cache), or with
 * the others when every worker slot is taken. For files large enough for the worker to pay off.
 */
export async function digestTap(path: string, options: DigestOptions = {}): Promise<DigestTap> {
  const native = nativeDigests(options.md5 === true);
  options.signal?.throwIfAborted();
  const slot = workerSlot();
  if (!slot) {
    const blake = await blake2bHasher();
    return {
      update(chunk) {
        native.update(chunk);
        blake.update(chunk);
      },
      finish: async () => ({ ...native.digest(), blake2_256: blake.digest("hex") }),
    };
  }
  const blake2_256 = blake2bInWorker(path, slot, options.signal);
  // Settled later by finish(); an attempt abandoned half-way must not leave an unhandled rejection.
  blake2_256.catch(() => undefined);
  return {
    update: native.update,
    async finish() {
      return { ...native.digest(), blake2_256: await blake2_256 };
    },
  };
}
