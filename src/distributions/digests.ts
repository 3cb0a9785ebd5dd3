import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { createBLAKE2b } from "hash-wasm";

/** The three digests the legacy upload form carries, lower-case hex. */
export interface Digests {
  sha256: string;
  blake2_256: string;
  md5: string;
}

// Large reads amortise the per-chunk cost of the WASM call; memory stays at a few chunks.
const CHUNK = 4 * 1024 * 1024;

/**
 * Below this size a worker thread costs more to start than it saves. Above it, BLAKE2b (WASM,
 * the slowest of the three) runs on the second core while sha256 and md5 (OpenSSL) run here.
 */
export const PARALLEL_THRESHOLD = 32 * 1024 * 1024;

/** Streams the file through the given update functions, one read for all of them. */
async function hashStream(
  path: string,
  updates: Array<(chunk: Buffer) => void>,
  signal?: AbortSignal,
): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const update of updates) update(chunk);
  }
}

/** sha256 + md5 + blake2b-256 in one read on this thread. */
async function digestsInline(path: string, signal?: AbortSignal): Promise<Digests> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  const blake = await createBLAKE2b(256);
  await hashStream(
    path,
    [(c) => sha256.update(c), (c) => md5.update(c), (c) => blake.update(c)],
    signal,
  );
  return { sha256: sha256.digest("hex"), blake2_256: blake.digest("hex"), md5: md5.digest("hex") };
}

// The worker imports hash-wasm by absolute URL, so it runs the same from the bundle and from
// the TypeScript sources under test (an eval worker has no module resolution of its own).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createReadStream } = require("node:fs");
(async () => {
  const { createBLAKE2b } = await import(workerData.hashWasm);
  const blake = await createBLAKE2b(256);
  for await (const chunk of createReadStream(workerData.path, { highWaterMark: workerData.chunk })) {
    blake.update(chunk);
  }
  parentPort.postMessage(blake.digest("hex"));
})().catch((error) => parentPort.postMessage({ error: String(error && error.message || error) }));
`;

function blake2bInWorker(path: string, signal?: AbortSignal): Promise<string> {
  const hashWasm = pathToFileURL(createRequire(import.meta.url).resolve("hash-wasm")).href;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, hashWasm, chunk: CHUNK },
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
}

/**
 * Hashes a file for all three digests (Node's crypto has no BLAKE2b-256, so that one comes from
 * hash-wasm). Large files use both cores: the second read comes from the page cache. Memory stays
 * at a few chunks whatever the size.
 */
export async function computeDigests(path: string, signal?: AbortSignal): Promise<Digests> {
  const { size } = await stat(path);
  if (size < PARALLEL_THRESHOLD) return digestsInline(path, signal);
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  const [blake2_256] = await Promise.all([
    blake2bInWorker(path, signal),
    hashStream(path, [(c) => sha256.update(c), (c) => md5.update(c)], signal),
  ]);
  return { sha256: sha256.digest("hex"), blake2_256, md5: md5.digest("hex") };
}
