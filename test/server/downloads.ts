/**
 * File downloads (`GET /files/<name>`): the stored bytes, streamed, or one of the download faults
 * a client must survive: a connection that breaks mid-file (after the full Content-Length was
 * announced) and bytes that are not the ones the index lists (same length, a few flipped).
 */
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FaultAction } from "./faults.js";
import type { Ctx, Timers } from "./plumbing.js";

export interface Downloadable {
  filename: string;
  size: number;
  path: string;
}

/** How many bytes `corrupt` flips, from the middle of the file. */
const FLIPPED = 16;

/** The faults this module carries out; the others are plumbing's. */
export function isDownloadFault(
  action: FaultAction | undefined,
): action is { truncateAfterBytes: number } | { corrupt: true } {
  return action !== undefined && ("truncateAfterBytes" in action || "corrupt" in action);
}

export async function serveDownload(
  ctx: Ctx,
  entry: Downloadable,
  fault: FaultAction | undefined,
  timers: Timers,
): Promise<void> {
  const extra = fault && "delayMs" in fault ? (fault.delayMs ?? 0) : 0;
  await timers.sleep(ctx.delayMs + extra);
  const { res, rec } = ctx;
  rec.status = 200;
  rec.reason = "OK";
  rec.outcome = "answered";
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": entry.size,
    "Content-Disposition": `attachment; filename="${entry.filename}"`,
  });
  if (rec.method === "HEAD") {
    res.end();
    return;
  }
  if (fault && "truncateAfterBytes" in fault) {
    const end = Math.min(fault.truncateAfterBytes, entry.size);
    if (end > 0) {
      const part = createReadStream(entry.path, { end: end - 1 });
      for await (const chunk of part) {
        if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      }
    }
    // Let the bytes leave, then break the connection without finishing the body.
    await new Promise<void>((r) => setImmediate(r));
    rec.outcome = "reset";
    ctx.req.socket.destroy();
    return;
  }
  const source = createReadStream(entry.path);
  if (fault && "corrupt" in fault) {
    await pipeline(source, flipMiddle(entry.size), res);
    return;
  }
  await pipeline(source, res);
}

/** Inverts FLIPPED bytes from the middle of a stream of `size` bytes. */
function flipMiddle(size: number): Transform {
  const from = Math.max(0, Math.floor(size / 2) - FLIPPED / 2);
  const to = Math.min(size, from + FLIPPED);
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const start = offset;
      offset += chunk.length;
      if (offset <= from || start >= to) return callback(null, chunk);
      const copy = Buffer.from(chunk);
      for (let i = Math.max(from, start); i < Math.min(to, offset); i++) {
        copy[i - start] = (copy[i - start] as number) ^ 0xff;
      }
      callback(null, copy);
    },
  });
}
