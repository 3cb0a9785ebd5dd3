/**
 * Read buffers passed from one upload body to the next. Each reading of a body (one request's
 * attempt) reads its file into a ring of buffers (multipart.ts says why that is safe within one
 * reading). Without reuse, 30 uploads of 2 MiB files allocated 90 MiB of buffers that lived until
 * V8 collected them: page faults, and major collections started by the external memory, ~10% of
 * a sync's CPU. A ring goes back to the pool when both are true:
 * - its reading is over (the body's generator finished or was closed): nothing reads into it;
 * - its request was answered (the caller says so with `answered()`): the server has the whole
 *   body, or answered without it, so none of its bytes still waits in a socket to be sent.
 * A request that failed without an answer never returns its ring (the garbage collector takes
 * it): its connection may be closing with bytes still queued.
 */

/** Spare rings, all of full-size buffers; a few, enough for the uploads in flight to share. */
const spare: Buffer[][] = [];
const MAX_SPARE = 4;

export interface RingLease {
  readonly buffers: Buffer[];
  /** The reading is over: nothing reads into these buffers any more. */
  done(): void;
  /** The request that sent them was answered. */
  answered(): void;
}

/**
 * `count` buffers of `size` bytes, taken from the pool when `size` is the pooled `fullSize`
 * (smaller rings, for small files, are cheap and not kept).
 */
export function leaseRing(count: number, size: number, fullSize: number): RingLease {
  const pooled = size === fullSize;
  const buffers =
    (pooled ? spare.pop() : undefined) ??
    Array.from({ length: count }, () => Buffer.allocUnsafeSlow(size));
  let over = false;
  let answered = false;
  let returned = false;
  const giveBack = (): void => {
    if (!pooled || returned || !over || !answered) return;
    returned = true;
    if (spare.length < MAX_SPARE) spare.push(buffers);
  };
  return {
    buffers,
    done() {
      over = true;
      giveBack();
    },
    answered() {
      answered = true;
      giveBack();
    },
  };
}

/** Spare rings now (for tests). */
export function spareRings(): number {
  return spare.length;
}
