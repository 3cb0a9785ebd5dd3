/**
 * Reads an upload's multipart body with busboy: fields in order, the `content` part streamed to
 * a temporary file while sha256, blake2b-256 (and md5 when the form asked for it first) are
 * computed, a `gpg_signature` part measured. Faults that act mid-body (reset, stall, early
 * answer) are carried out here, as the bytes arrive.
 */

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { createBLAKE2b } from "hash-wasm";
import { errorMessage } from "./answers.js";
import type { FaultAction } from "./faults.js";
import type { Ctx } from "./plumbing.js";
import type { RecordedRequest } from "./types.js";
import type { ContentDigests } from "./warehouse-rules.js";

/** The `content` part as received. */
export interface ReceivedFile extends ContentDigests {
  contentType: string;
  /** Temporary file; absent when the data was discarded (over the size limit). */
  tempPath?: string;
}

export interface ParsedForm {
  fields: Array<[string, string]>;
  contentParts: number;
  content?: ReceivedFile;
  signature?: { filename: string; size: number };
  /** A malformed multipart body (busboy's message), or a content part that failed to store. */
  error?: string;
}

/** What reading a body needs from the server. */
export interface BodyHooks {
  /** The first `content` part starts: classify the request for the fault plan. */
  onContentStart(filename: string | undefined, fields: Array<[string, string]>): void;
  /** Carries out a terminal fault. */
  enact(action: FaultAction): Promise<boolean>;
  /** A fresh temporary path for the file part. */
  incomingPath(): string;
  maxFileSize: number;
}

const BUSBOY_LIMITS = {
  fieldSize: 16 * 1024 * 1024,
  fields: 10_000,
  parts: 10_010,
  fieldNameSize: 200,
};

/**
 * Reads the whole body through the multipart parser, streaming the `content` part to a
 * temporary file. Returns undefined when the request ended without a complete body (client
 * gone, or a reset/stall fault), after recording why.
 */
export async function readBody(ctx: Ctx, hooks: BodyHooks): Promise<ParsedForm | undefined> {
  const { req, rec } = ctx;
  const form: ParsedForm = { fields: [], contentParts: 0 };
  rec.fields = form.fields; // live: an aborted request still shows what arrived
  const parts: Array<Promise<void>> = [];
  const bb = multipartParser(ctx, form);
  const bbClosed = bb
    ? new Promise<void>((resolve) => bb.once("close", () => resolve()))
    : Promise.resolve();
  if (bb) listenToParts(ctx, bb, form, parts, hooks);
  const { received, parserFailed } = await pump(ctx, bb, form, hooks);
  const settle = async (): Promise<void> => {
    await bbClosed;
    await Promise.allSettled(parts);
  };
  if (!req.complete || rec.outcome !== "pending") {
    if (rec.outcome === "pending") rec.outcome = "aborted";
    bb?.destroy();
    await settle();
    return undefined;
  }
  if (bb) {
    if (!parserFailed) bb.end();
    else bb.destroy();
    await settle();
  }
  if (rec.contentLength !== undefined && received !== rec.contentLength) {
    form.error ??= `Body has ${received} bytes, Content-Length said ${rec.contentLength}.`;
  }
  return form;
}

/** A parser for a multipart body with a declared length; none (and why, in `form`) otherwise. */
function multipartParser(ctx: Ctx, form: ParsedForm): busboy.Busboy | undefined {
  const contentType = String(ctx.req.headers["content-type"] ?? "");
  const bodyOk = !ctx.rec.chunked && ctx.rec.contentLength !== undefined;
  if (!bodyOk || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  try {
    return busboy({
      headers: ctx.req.headers,
      defParamCharset: "utf8",
      // Keep the file name as sent: a path in it must be refused, not silently cut.
      preservePath: true,
      limits: BUSBOY_LIMITS,
    });
  } catch (err) {
    form.error = errorMessage(err);
    return undefined;
  }
}

function listenToParts(
  ctx: Ctx,
  parser: busboy.Busboy,
  form: ParsedForm,
  parts: Array<Promise<void>>,
  hooks: BodyHooks,
): void {
  parser.on("error", (err: unknown) => {
    form.error ??= errorMessage(err);
  });
  parser.on("field", (name, value, info) => {
    form.fields.push([name, value]);
    if (info.valueTruncated) form.error ??= `Form field '${name}' is too large.`;
  });
  parser.on("file", (name, stream, info) => {
    if (name === "content") {
      form.contentParts++;
      // Classify now, so a fault can act while the file is still arriving.
      hooks.onContentStart(info.filename, form.fields);
      if (form.contentParts === 1 && info.filename) {
        const part = { filename: info.filename, contentType: info.mimeType };
        parts.push(receiveContent(ctx, form, stream, part, hooks));
        return;
      }
    } else if (name === "gpg_signature") {
      parts.push(receiveSignature(ctx.rec, form, stream, info.filename ?? ""));
      return;
    }
    stream.resume(); // other file parts are read and ignored, as Warehouse does
  });
}

/** Feeds the request body to the parser, acting on mid-body faults; counts what arrived. */
async function pump(
  ctx: Ctx,
  bb: busboy.Busboy | undefined,
  form: ParsedForm,
  hooks: BodyHooks,
): Promise<{ received: number; parserFailed: boolean }> {
  let received = 0;
  let parserFailed = bb === undefined;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      received += chunk.length;
      ctx.rec.bodyBytes = received;
      if (!parserFailed && bb) {
        if (form.error !== undefined) parserFailed = true;
        else if (!bb.write(chunk)) parserFailed = !(await drained(bb));
      }
      if (await midBodyFault(ctx, received, hooks)) break;
    }
  } catch {
    // The client went away (or our own reset/stall destroyed the socket).
  }
  return { received, parserFailed };
}

/** Carries out a reset, stall or early answer once due; true when reading must stop. */
async function midBodyFault(ctx: Ctx, received: number, hooks: BodyHooks): Promise<boolean> {
  const action = ctx.fault?.action;
  if (!action) return false;
  if (("resetAfterBytes" in action && received >= action.resetAfterBytes) || "stallMs" in action) {
    await hooks.enact(action);
    return true;
  }
  if ("status" in action && action.early) {
    // Answer now, then close the connection, as a proxy refusing a body does (Node would
    // close it after an answer to an unread body anyway).
    await hooks.enact(action);
    if (!ctx.res.writableFinished) await new Promise((resolve) => ctx.res.once("close", resolve));
    return true;
  }
  return false;
}

/** Streams the file part to disk, hashing it on the way. */
async function receiveContent(
  ctx: Ctx,
  form: ParsedForm,
  stream: Readable,
  part: { filename: string; contentType: string },
  hooks: BodyHooks,
): Promise<void> {
  const blake = await createBLAKE2b(256);
  blake.init();
  const sha256 = createHash("sha256");
  // md5 costs a third of the hashing time and only old servers check it: hash it on the way
  // only when the form asked for it before the file (a late md5_digest is checked from disk).
  const md5 = form.fields.some(([k]) => k === "md5_digest") ? createHash("md5") : undefined;
  const max = hooks.maxFileSize;
  const tempPath = hooks.incomingPath();
  ctx.tempFiles.add(tempPath);
  let size = 0;
  let tooLarge = false;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > max) tooLarge = true;
      if (tooLarge) {
        callback(); // keep reading to the end of the part, store no more
        return;
      }
      sha256.update(chunk);
      md5?.update(chunk);
      blake.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(stream, tap, createWriteStream(tempPath));
  } catch (err) {
    form.error ??= `Upload of '${part.filename}' was interrupted: ${errorMessage(err)}`;
    return;
  }
  const received: ReceivedFile = {
    ...part,
    size,
    sha256: sha256.digest("hex"),
    blake2_256: blake.digest("hex"),
    md5: md5?.digest("hex") ?? "",
    tooLarge,
    ...(tooLarge ? {} : { tempPath }),
  };
  form.content = received;
  const { filename, contentType } = part;
  const { sha256: sha, blake2_256, md5: md5hex } = received;
  ctx.rec.file = { filename, size, sha256: sha, blake2_256, md5: md5hex, contentType };
}

/** Collects a (small) signature part; only its name and size are kept. */
async function receiveSignature(
  rec: RecordedRequest,
  form: ParsedForm,
  stream: Readable,
  filename: string,
): Promise<void> {
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) size += chunk.length;
  } catch {
    return;
  }
  form.signature = { filename, size };
  rec.signature = { filename, size };
}

/** Resolves true on 'drain', false when the parser failed or closed instead. */
function drained(stream: busboy.Busboy): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      stream.off("drain", onDrain);
      stream.off("error", onFail);
      stream.off("close", onFail);
      resolve(ok);
    };
    const onDrain = done(true);
    const onFail = done(false);
    stream.once("drain", onDrain);
    stream.once("error", onFail);
    stream.once("close", onFail);
  });
}
