/**
 * A response body written to a new file as it arrives, each chunk seen first (`onChunk`: size
 * bound, digests, progress). The chunks that arrive while a write is in flight are written
 * together by the next one (one `writev`), and the body is paused while more than
 * MAX_PENDING bytes wait. This replaces a stream pipeline (a Transform and an fs.WriteStream):
 * per chunk of a download (undici hands over what one socket read returned, 64 KiB or less)
 * that ran the stream machinery twice and, when the disk kept up, one write each.
 */
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";

/** Bytes received and not yet written before the body is paused. */
const MAX_PENDING = 4 * 1024 * 1024;

/** The body ended without its 'end' (a connection closed under it without an error). */
export class BodyClosedError extends Error {
  constructor() {
    super("the connection closed before the body ended");
    this.name = "BodyClosedError";
  }
}

/**
 * Writes `body` to `path` (created, mode 0600; an existing file is replaced). Rejects with the
 * first error: the body's, `onChunk`'s (the body is then destroyed) or the file's. Resolves once
 * every byte is written and the file is closed.
 */
export async function writeBody(
  body: Readable,
  path: string,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const handle = await open(path, "w", 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let writing = false;
      let ended = false;
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        body.destroy();
        reject(error);
      };
      const flush = (): void => {
        if (writing || failed) return;
        if (pending.length === 0) {
          if (ended) resolve();
          return;
        }
        const batch = pending;
        const bytes = pendingBytes;
        pending = [];
        pendingBytes = 0;
        writing = true;
        handle.writev(batch).then(({ bytesWritten }) => {
          writing = false;
          if (bytesWritten !== bytes) {
            fail(new Error(`wrote ${bytesWritten} of ${bytes} bytes to ${path}`));
            return;
          }
          if (body.isPaused() && !ended) body.resume();
          flush();
        }, fail);
      };
      body.on("data", (chunk: Buffer) => {
        if (failed) return;
        try {
          onChunk(chunk);
        } catch (error) {
          fail(error);
          return;
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes > MAX_PENDING) body.pause();
        flush();
      });
      body.once("end", () => {
        ended = true;
        flush();
      });
      body.once("error", fail);
      body.once("close", () => {
        if (!ended) fail(new BodyClosedError());
      });
    });
  } finally {
    await handle.close();
  }
}
