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
  boundary?: string,
): MultipartBody {
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

  let contentLength = fieldBytes.length + tail.length;
  files.forEach((f, i) => {
    contentLength += (fileHeads[i] as Buffer).length + f.size + crlf.length;
  });

  return {
    contentType: `multipart/form-data; boundary=${b}`,
    contentLength,
    open(onBytes) {
      async function* generate(): AsyncGenerator<Buffer> {
        yield fieldBytes;
        for (const [i, f] of files.entries()) {
          yield fileHeads[i] as Buffer;
          let sent = 0;
          for await (const chunk of createReadStream(f.path, { highWaterMark: 1024 * 1024 })) {
            const buf = chunk as Buffer;
            sent += buf.length;
            // A file that changed size since it was inspected would break Content-Length.
            if (sent > f.size) throw new Error(`${f.filename} grew while it was being uploaded`);
            onBytes?.(buf.length);
            yield buf;
          }
          if (sent !== f.size) throw new Error(`${f.filename} shrank while it was being uploaded`);
          yield crlf;
        }
        yield tail;
      }
      return Readable.from(generate(), { objectMode: false });
    },
  };
}
