/**
 * A response body written to a new file as it arrives, each chunk seen first (`onChunk`: size
 * bound, digests, progress). The chunks that arrive while a write is in flight are written
 * together by the next one (one `writev`), and the body is paused while more than MAX_PENDING
 * bytes wait. This replaces a stream pipeline (a Transform and an fs.WriteStream): per chunk of a
 * download (undici hands over what one socket read returned, 64 KiB or less) that ran the stream
 * machinery twice and, when the disk kept up, one write each.
 */
import { type FileHandle, open } from "node:fs/promises";
import { finished, type Readable } from "node:stream";

/** Bytes received and not yet written before the body is paused. */
const MAX_PENDING = 4 * 1024 * 1024;

/**
 * Writes `body` to `path` (created, mode 0600; an existing file is replaced). Rejects with the
 * first error: the body's (also one that ended before this was called, or closed without its
 * end), `onChunk`'s (the body is then destroyed) or the file's. Resolves once every byte is
 * written; the file is closed in either case.
 */
export async function writeBody(
  body: Readable,
  path: string,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const opening = open(path, "w", 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      const writer = new BatchWriter(body, resolve, reject);
      // Listeners first, before anything is awaited: the body may fail at any moment.
      body.on("data", (chunk: Buffer) => writer.take(chunk, onChunk));
      finished(body, { writable: false }, (error) => {
        if (error) writer.fail(error);
        else writer.end();
      });
      opening.then((handle) => writer.ready(handle), writer.fail);
    });
  } finally {
    const handle = await opening.catch(() => undefined);
    await handle?.close();
  }
}

/** The queue between the body and the file: one write in flight, the rest waiting for it. */
class BatchWriter {
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing = false;
  private ended = false;
  private failed = false;

  constructor(
    private readonly body: Readable,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  take(chunk: Buffer, onChunk: (chunk: Buffer) => void): void {
    if (this.failed) return;
    try {
      onChunk(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING) this.body.pause();
    this.flush();
  }

  ready(handle: FileHandle): void {
    this.handle = handle;
    this.flush();
  }

  end(): void {
    this.ended = true;
    this.flush();
  }

  readonly fail = (error: unknown): void => {
    if (this.failed) return;
    this.failed = true;
    this.body.destroy();
    this.reject(error);
  };

  private flush(): void {
    if (this.writing || this.failed || !this.handle) return;
    if (this.pending.length === 0) {
      if (this.ended) this.resolve();
      return;
    }
    const batch = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = true;
    this.handle.writev(batch).then(({ bytesWritten }) => {
      this.writing = false;
      if (bytesWritten !== bytes) {
        this.fail(new Error(`wrote ${bytesWritten} of ${bytes} bytes`));
        return;
      }
      if (this.body.isPaused() && !this.ended) this.body.resume();
      this.flush();
    }, this.fail);
  }
}
