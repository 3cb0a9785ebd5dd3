import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import type { IHasher } from "hash-wasm";
import { readFd, withFd } from "../io/fd.js";
import { blake2bInWorker, PARALLEL_THRESHOLD, workerSlot } from "./blake2b-thread.js";
import { blake2bHasher } from "./wasm-budget.js";

export { PARALLEL_THRESHOLD };

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
  /** The file's BLAKE2b-256 already being computed (`Blake2bAhead`): not computed again. */
  blake2b?: Promise<string> | undefined;
}

// 256 KiB reads: the per-call costs are already negligible (CPU time within noise of 1 MiB
// reads), and the buffer stays in the CPU caches' reach.
const CHUNK = 256 * 1024;

/**
 * Feeds the file through the given update functions, one read for all of them. Reads go into one
 * reused buffer: no garbage per chunk, so memory stays flat even before the GC runs.
 */
function hashStream(
  path: string,
  updates: Array<(chunk: Buffer) => void>,
  signal?: AbortSignal,
  buffer: Buffer = Buffer.allocUnsafeSlow(CHUNK),
): Promise<void> {
  return withFd(path, async (fd) => {
    for (;;) {
      signal?.throwIfAborted();
      const bytesRead = await readFd(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (const update of updates) update(chunk);
    }
  });
}

/** What hashing a file on this thread holds: its read buffer and a BLAKE2b instance. */
interface InlineSlot {
  buffer: Buffer;
  blake: IHasher;
}

/**
 * Files hashed on this thread at once. A run starts hashing all its small files together (they
 * lead the preflight): without a bound, each held its own read buffer and BLAKE2b instance at
 * the same time (60 files: 15 MiB of buffers, 60 WebAssembly instances to set up and collect).
 * Two keep a read in flight while the other file is hashed.
 */
const INLINE_SLOTS = 2;
const freeSlots: InlineSlot[] = [];
let slotsMade = 0;

const slotWaiters: Array<(slot: InlineSlot | undefined) => void> = [];

async function takeSlot(): Promise<InlineSlot> {
  for (;;) {
    const free = freeSlots.pop();
    if (free) return free;
    if (slotsMade < INLINE_SLOTS) {
      slotsMade++;
      try {
        return { buffer: Buffer.allocUnsafeSlow(CHUNK), blake: await blake2bHasher() };
      } catch (error) {
        slotsMade--;
        // A waiter was counting on this slot: it tries to make one itself.
        slotWaiters.shift()?.(undefined);
        throw error;
      }
    }
    const slot = await new Promise<InlineSlot | undefined>((resolve) => slotWaiters.push(resolve));
    if (slot) return slot;
  }
}

function giveBack(slot: InlineSlot): void {
  const next = slotWaiters.shift();
  if (next) next(slot);
  else freeSlots.push(slot);
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

/** Every digest in one read on this thread, in one of the thread's hashing slots. */
async function digestsInline(path: string, options: DigestOptions): Promise<Digests> {
  const slot = await takeSlot();
  try {
    const native = nativeDigests(options.md5 === true);
    const blake = slot.blake.init();
    await hashStream(
      path,
      [native.update, (chunk) => blake.update(chunk)],
      options.signal,
      slot.buffer,
    );
    return { ...native.digest(), blake2_256: blake.digest("hex") };
  } finally {
    giveBack(slot);
  }
}

/**
 * Hashes a file (Node's crypto has no BLAKE2b-256: OpenSSL's BLAKE2b is exposed only as
 * blake2b512, and `outputLength` is refused for it, so that one comes from hash-wasm). Large
 * files use both cores: the second read comes from the page cache. Memory stays at a few chunks
 * whatever the size.
 */
export async function computeDigests(path: string, options: DigestOptions = {}): Promise<Digests> {
  let blake2b = options.blake2b;
  if (!blake2b) {
    const { size } = await stat(path);
    const slot = size < PARALLEL_THRESHOLD ? undefined : workerSlot();
    if (!slot) return digestsInline(path, options);
    blake2b = blake2bInWorker(path, slot, options.signal);
  }
  const native = nativeDigests(options.md5 === true);
  const [blake2_256] = await Promise.all([
    blake2b,
    hashStream(path, [native.update], options.signal),
  ]);
  return { ...native.digest(), blake2_256 };
}

/** Digests fed chunk by chunk by the caller (the upload that sends the file). */
export interface DigestTap {
  update(chunk: Buffer): void;
  finish(): Promise<Digests>;
}

/** Every digest over the chunks on this thread: all worker slots are taken. */
async function inlineTap(md5: boolean): Promise<DigestTap> {
  const all = await digestAccumulator(md5);
  return { update: all.update, finish: async () => all.digest() };
}

/**
 * Digests computed in the same pass as sending: sha256 (and md5 when asked) over the chunks as
 * they go by, BLAKE2b on the second core reading the same file (from the page cache), or with
 * the others when every worker slot is taken. For files large enough for the worker to pay off.
 */
export async function digestTap(path: string, options: DigestOptions = {}): Promise<DigestTap> {
  options.signal?.throwIfAborted();
  let blake2_256 = options.blake2b;
  if (!blake2_256) {
    const slot = workerSlot();
    if (!slot) return inlineTap(options.md5 === true);
    blake2_256 = blake2bInWorker(path, slot, options.signal);
  }
  // Settled later by finish(); an attempt abandoned half-way must not leave an unhandled rejection.
  blake2_256.catch(() => undefined);
  const native = nativeDigests(options.md5 === true);
  return {
    update: native.update,
    async finish() {
      return { ...native.digest(), blake2_256: await blake2_256 };
    },
  };
}
