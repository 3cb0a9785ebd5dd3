import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { FormFields } from "./fields.js";

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
  start(): { update(chunk: Buffer): void; finish(): Promise<string[]> };
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
}

const CRLF = "\r\n";

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

  return {
    contentType: `multipart/form-data; boundary=${b}`,
    contentLength,
    open(onBytes) {
      async function* generate(): AsyncGenerator<Buffer> {
        const tap = trailer?.start();
        yield fieldBytes;
        for (const [i, f] of files.entries()) {
          yield fileHeads[i] as Buffer;
          let sent = 0;
          for await (const chunk of createReadStream(f.path, { highWaterMark: 1024 * 1024 })) {
            const buf = chunk as Buffer;
            sent += buf.length;
            // A file that changed size since it was inspected would break Content-Length.
            if (sent > f.size) throw new Error(`${f.filename} grew while it was being uploaded`);
            if (i === 0) tap?.update(buf);
            onBytes?.(buf.length);
            yield buf;
          }
          if (sent !== f.size) throw new Error(`${f.filename} shrank while it was being uploaded`);
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
      return Readable.from(generate(), { objectMode: false });
    },
  };
}
