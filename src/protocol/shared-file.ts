/**
 * A small file sent to several servers at once is read once: the uploads of that file in flight
 * share one reading, held in one read ring (read-rings.ts) until every request that sent it was
 * answered. "Small": the whole file and one byte more fit in the ring (RING x CHUNK, 3 MiB), so
 * what is held per file is bounded whatever the file sizes; a larger file is read by each upload
 * into its own ring, as it streams. Without sharing, a 10-file release sent to 3 servers read
 * every file 3 times into a ring per upload: with ~10 uploads in flight, ~20 MiB of memory
 * touched for the first time, and each such MiB costs ~4.5 ms of CPU in page faults on the
 * benchmark's machine (scenario 7: 9-12 fresh rings a run).
 *
 * A reading is shared only while held: once every user's request was answered, its ring goes
 * back to the pool and the next upload of that file reads it again (the file may have changed;
 * its size is checked at each reading). A user whose request failed without an answer gives up
 * its share too, but the ring then never goes back to the pool: its bytes may still be queued
 * in a socket that is closing.
 */
import { readFd, withFd } from "../io/fd.js";
import { checkSize } from "./file-size.js";
import { leaseRing, type RingLease } from "./read-rings.js";

export interface SharedPart {
  path: string;
  filename: string;
  size: number;
}

/** One user's share (one reading of a body): the file's chunks, and how it ends. */
export interface SharedShare {
  /** Every byte of the file, in order (the same buffers for every user: read only). */
  chunks: Promise<Buffer[]>;
  /** This user's reading of the chunks is over. */
  done(): void;
  /** This user's request was answered (nothing of it waits in a socket). */
  answered(): void;
  /** This user's request failed without an answer: its sockets may still hold the bytes. */
  abandoned(): void;
}

interface Reading {
  size: number;
  chunks: Promise<Buffer[]>;
  ring: RingLease;
  users: number;
  /** A user left without an answer: the ring must never serve another file. */
  tainted: boolean;
}

const held = new Map<string, Reading>();

/** Whether `size` bytes can be shared: the whole file and one more byte fit in the ring. */
export function fitsRing(size: number, count: number, chunk: number): boolean {
  return size + 1 <= count * Math.min(chunk, size + 1);
}

/**
 * Reads the file into the ring, each buffer filled before the next (a read may return less than
 * asked); one byte more than `size` is room to see that the file grew.
 */
async function readInto(part: SharedPart, buffers: Buffer[]): Promise<Buffer[]> {
  return withFd(part.path, async (fd) => {
    const chunks: Buffer[] = [];
    let total = 0;
    for (const buffer of buffers) {
      let filled = 0;
      while (filled < buffer.length) {
        const bytesRead = await readFd(fd, buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      total += filled;
      if (filled > 0) chunks.push(buffer.subarray(0, filled));
      if (filled < buffer.length) break;
    }
    checkSize(part, total);
    return chunks;
  });
}

/**
 * Ends one user's share; the last one out ends the reading's hold, and its ring goes back to the
 * pool once nothing reads into it any more, unless a user left without an answer.
 */
function leave(path: string, reading: Reading, tainted: boolean): void {
  if (tainted) reading.tainted = true;
  if (--reading.users > 0) return;
  if (held.get(path) === reading) held.delete(path);
  const release = () => {
    reading.ring.done();
    if (!reading.tainted) reading.ring.answered();
  };
  reading.chunks.then(release, release);
}

/**
 * A share of the file's reading: the one held (same path and size), or a new one. A share ends
 * once its reading is over (`done()`) and its request was answered (`answered()`) or failed
 * without an answer (`abandoned()`), in either order; a share never ended keeps the reading held.
 */
export function shareFile(part: SharedPart, count: number, chunk: number): SharedShare {
  let reading = held.get(part.path);
  if (!reading || reading.size !== part.size) {
    const ring = leaseRing(count, Math.min(chunk, part.size + 1), chunk);
    const chunks = readInto(part, ring.buffers);
    reading = { size: part.size, chunks, ring, users: 0, tainted: false };
    const fresh = reading;
    held.set(part.path, fresh);
    // A failed reading is not shared further: the next upload tries again.
    chunks.catch(() => {
      if (held.get(part.path) === fresh) held.delete(part.path);
    });
  }
  const mine = reading;
  mine.users++;
  let over = false;
  let outcome: "answered" | "abandoned" | undefined;
  let left = false;
  const settle = () => {
    if (left || !over || outcome === undefined) return;
    left = true;
    leave(part.path, mine, outcome === "abandoned");
  };
  return {
    chunks: mine.chunks,
    done() {
      over = true;
      settle();
    },
    answered() {
      outcome ??= "answered";
      settle();
    },
    abandoned() {
      outcome ??= "abandoned";
      settle();
    },
  };
}

/** Readings held now (for tests). */
export function heldReadings(): number {
  return held.size;
}
