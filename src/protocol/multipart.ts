import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { readWhole } from "../io/fd.js";
import type { FormFields } from "./fields.js";
import { checkSize } from "./file-size.js";
import { leaseRing, type RingLease } from "./read-rings.js";
import { fitsRing, type SharedShare, shareFile } from "./shared-file.js";

/** A file sent as a form part, streamed from disk at send time. */
export interface FilePart {
  name: string;
  filename: string;
  path: string;
  size: number;
  contentType?: string;
}

/**
 * Form fields sent after the file parts whose values are computed from the file's bytes as they
 * are sent (the digests, in one pass with sending). Their lengths must be known up front: the
 * Content-Length is.
 */
export interface TrailingFields {
  fields: Array<[name: string, length: number]>;
  /** Called once per attempt: sees every chunk of the first file part, then yields the values. */
  start(): Promise<{ update(chunk: Buffer): void; finish(): Promise<string[]> }>;
}

/**
 * A multipart/form-data body whose length is known before sending (some servers refuse chunked
 * uploads) and that can be opened again for each retry: the file is re-read from disk, never
 * held in memory. Hand-written because no maintained library streams files with an exact
 * Content-Length (form-data needs knownLength plumbing, undici's FormData buffers Blobs).
 */
export interface MultipartBody {
  contentType: string;
  contentLength: number;
  open(onBytes?: (n: number) => void): Readable;
  /**
   * Every request that sent this body so far was answered: their read buffers may go to the next
   * body (read-rings.ts), and the file's reading shared with other uploads (shared-file.ts) is
   * no longer held for them. Call this or `abandoned()` once the sending is over.
   */
  answered(): void;
  /**
   * The sending failed without an answer: the file's shared reading is no longer held for this
   * body, and its buffers never serve another file (a closing socket may still hold them).
   */
  abandoned(): void;
}

const CRLF = "\r\n";

/**
 * Read size: large enough that per-chunk costs (the generator, the stream, undici's write, a
 * syscall each) are negligible. 512 MiB to a sink, 1 MiB against 256 KiB, alternating runs:
 * 1.12-1.18 s against 1.24-1.44 s, 1.65 s of CPU against 1.95 s, and a lower peak RSS (73 MiB
 * against 75-78: fewer chunks queued in the stream).
 */
const CHUNK = 1024 * 1024;

/**
 * Read buffers reused in turn, so a large upload makes no garbage per chunk (one new Buffer per
 * read kept ~30-50 MiB of freed chunks alive until V8 collected them). Reusing buffer n for
 * chunk n + RING is safe: undici writes each chunk to the socket and pauses the body while the
 * socket holds more than its high-water mark (far below a chunk), resuming only on 'drain', when
 * everything written before is in the kernel (TLS copies what it cannot encrypt at once); the
 * body stream itself reads at most one chunk ahead. So when chunk n + RING is read, chunk n left
 * this process two chunks ago. test/transport/multipart-stream.test.ts checks it against a server
 * that reads slowly.
 */
const RING = 3;

/**
 * A body whose files add up to at most this (no trailing fields) is read into one buffer of its
 * exact length, a file in one read: no ring, no generators, and undici hands the request head and
 * the whole body to the socket in one write (it corks the head with the first chunk). Below the
 * 3 x CHUNK a ring holds, so memory per upload stays bounded whatever the file size.
 */
const WHOLE = CHUNK;

/** Yields the file's bytes in chunks read into `ring`'s buffers, and checks its size. */
async function* fileChunks(part: FilePart, ring: Buffer[], turn: { n: number }) {
  const handle = await open(part.path, "r");
  try {
    let sent = 0;
    for (;;) {
      const buffer = ring[turn.n++ % ring.length] as Buffer;
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      sent += bytesRead;
      if (sent > part.size) checkSize(part, sent);
      yield buffer.subarray(0, bytesRead);
    }
    checkSize(part, sent);
  } finally {
    await handle.close();
  }
}

/** HTML5 form encoding of a header parameter value, as browsers and urllib3 do. */
function quoteParam(value: string): string {
  return value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function buildMultipart(
  fields: FormFields,
  files: FilePart[],
  options: { boundary?: string; trailer?: TrailingFields } = {},
): MultipartBody {
  const { boundary, trailer } = options;
  const b = boundary ?? `pkgpush-${randomBytes(16).toString("hex")}`;
  const head = (name: string, filename?: string, type?: string): string =>
    `--${b}${CRLF}Content-Disposition: form-data; name="${quoteParam(name)}"` +
    (filename === undefined ? "" : `; filename="${quoteParam(filename)}"`) +
    CRLF +
    (type === undefined ? "" : `Content-Type: ${type}${CRLF}`) +
    CRLF;

  const fieldBytes = Buffer.from(
    fields.map(([name, value]) => `${head(name)}${value}${CRLF}`).join(""),
    "utf8",
  );
  const fileHeads = files.map((f) =>
    Buffer.from(head(f.name, f.filename, f.contentType ?? "application/octet-stream"), "utf8"),
  );
  const tail = Buffer.from(`--${b}--${CRLF}`, "utf8");
  const crlf = Buffer.from(CRLF);

  const trailerLength = (trailer?.fields ?? []).reduce(
    (sum, [name, length]) => sum + Buffer.byteLength(head(name)) + length + CRLF.length,
    0,
  );
  let contentLength = fieldBytes.length + tail.length + trailerLength;
  files.forEach((f, i) => {
    contentLength += (fileHeads[i] as Buffer).length + f.size + crlf.length;
  });

  const pieces: Pieces = { head, fieldBytes, fileHeads, crlf, tail };
  const fileBytes = files.reduce((sum, f) => sum + f.size, 0);
  const whole = !trailer && fileBytes <= WHOLE;
  const leases: RingLease[] = [];
  const shares: SharedShare[] = [];
  // Bodies up to WHOLE go out as one buffer (wholeBody). Above that, files that fit a ring are
  // read once for all the uploads sending them at the same time; larger ones stream through a
  // ring of this body's own.
  const shared = files.map((f) => fitsRing(f.size, RING, CHUNK));
  const streamed = files.filter((_, i) => !shared[i]);
  return {
    contentType: `multipart/form-data; boundary=${b}`,
    contentLength,
    answered() {
      for (const lease of leases.splice(0)) lease.answered();
      for (const share of shares.splice(0)) share.answered();
    },
    abandoned() {
      leases.length = 0;
      for (const share of shares.splice(0)) share.abandoned();
    },
    open(onBytes) {
      if (whole) return wholeBody(pieces, files, contentLength, onBytes);
      async function* generate(): AsyncGenerator<Buffer> {
        const tap = await trailer?.start();
        const mine = files.map((f, i) => (shared[i] ? shareFile(f, RING, CHUNK) : undefined));
        for (const share of mine) if (share) shares.push(share);
        let lease: RingLease | undefined;
        if (streamed.length > 0) {
          // Sized for the largest file (+1 so its end is seen in one read more), at most CHUNK.
          const size = Math.min(CHUNK, Math.max(...streamed.map((f) => f.size)) + 1);
          lease = leaseRing(RING, size, CHUNK);
          leases.push(lease);
        }
        try {
          const reading = { ring: lease?.buffers ?? [], shares: mine, trailer, tap, onBytes };
          yield* bodyParts(pieces, files, reading);
        } finally {
          lease?.done();
          for (const share of mine) share?.done();
        }
      }
      return Readable.from(generate(), { objectMode: false });
    },
  };
}

/** The fixed parts of a body, encoded once. */
interface Pieces {
  head(name: string, filename?: string, type?: string): string;
  fieldBytes: Buffer;
  fileHeads: Buffer[];
  crlf: Buffer;
  tail: Buffer;
}

/** The body in one buffer: the fixed pieces, each file read in place. */
async function assemble(
  { fieldBytes, fileHeads, crlf, tail }: Pieces,
  files: FilePart[],
  contentLength: number,
): Promise<Buffer> {
  const body = Buffer.allocUnsafeSlow(contentLength);
  let at = fieldBytes.copy(body, 0);
  for (const [i, f] of files.entries()) {
    at += (fileHeads[i] as Buffer).copy(body, at);
    // The byte after the file (its CRLF, copied after) takes the read that shows it grew.
    checkSize(f, await readWhole(f.path, body, at, f.size + 1));
    at += f.size;
    at += crlf.copy(body, at);
  }
  tail.copy(body, at);
  return body;
}

/** A reading of a small body (`WHOLE`): one chunk, read when the stream is first read. */
function wholeBody(
  pieces: Pieces,
  files: FilePart[],
  contentLength: number,
  onBytes: ((n: number) => void) | undefined,
): Readable {
  let started = false;
  const stream: Readable = new Readable({
    read() {
      if (started) return;
      started = true;
      assemble(pieces, files, contentLength).then(
        (body) => {
          for (const f of files) onBytes?.(f.size);
          stream.push(body);
          stream.push(null);
        },
        (error: unknown) => stream.destroy(error as Error),
      );
    },
  });
  return stream;
}

/** One reading of the body: fields, each file read into `ring`, the trailing fields, the end. */
async function* bodyParts(
  { head, fieldBytes, fileHeads, crlf, tail }: Pieces,
  files: FilePart[],
  reading: {
    ring: Buffer[];
    /** Per file: its shared reading, or undefined when it streams through `ring`. */
    shares: Array<SharedShare | undefined>;
    trailer: TrailingFields | undefined;
    tap: Awaited<ReturnType<TrailingFields["start"]>> | undefined;
    onBytes: ((n: number) => void) | undefined;
  },
): AsyncGenerator<Buffer> {
  const { ring, shares, trailer, tap, onBytes } = reading;
  const turn = { n: 0 };
  yield fieldBytes;
  for (const [i, f] of files.entries()) {
    yield fileHeads[i] as Buffer;
    const share = shares[i];
    const chunks = share ? await share.chunks : fileChunks(f, ring, turn);
    for await (const chunk of chunks) {
      if (i === 0) tap?.update(chunk);
      onBytes?.(chunk.length);
      yield chunk;
    }
    yield crlf;
  }
  if (trailer && tap) {
    const values = await tap.finish();
    for (const [j, [name, length]] of trailer.fields.entries()) {
      const value = values[j] ?? "";
      if (Buffer.byteLength(value) !== length) {
        throw new Error(
          `trailing field ${name} has ${Buffer.byteLength(value)} bytes, ${length} announced`,
        );
      }
      yield Buffer.from(`${head(name)}${value}${CRLF}`, "utf8");
    }
  }
  yield tail;
}
