/**
 * The test index server's HTTP plumbing: the per-request context and record, writing answers,
 * and carrying out the faults of a fault plan (`faults.ts` decides which rule applies; this
 * module makes it happen on the socket: latency, early answers, drops, resets, stalls, hostile
 * bodies).
 */

import { rm } from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Answer } from "./answers.js";
import { sanitizeReason, TEXT_PLAIN } from "./answers.js";
import type { AnswerStream, FaultAction } from "./faults.js";
import type { RecordedRequest } from "./types.js";
import { parseBasic } from "./warehouse-rules.js";

/** Per-request state. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  rec: RecordedRequest;
  url: URL;
  /** Rules that already counted this request. */
  seenRules: Set<number>;
  classified: boolean;
  delayMs: number;
  fault?: { index: number; action: FaultAction };
  tempFiles: Set<string>;
}

/** Sleeps that a closing server cuts short; once stopped, nothing more is written. */
export class Timers {
  stopped = false;
  private readonly pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        resolve: () => resolve(),
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
      };
      this.pending.add(entry);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.pending) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.pending.clear();
  }
}

/** The context and (already listed) record of a new request. */
export function newRequest(req: IncomingMessage, res: ServerResponse, id: number): Ctx {
  const transferEncoding = String(req.headers["transfer-encoding"] ?? "");
  const declared = req.headers["content-length"];
  const rec: RecordedRequest = {
    id,
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers: recordHeaders(req),
    fields: [],
    status: 0,
    reason: "",
    body: "",
    chunked: /\bchunked\b/i.test(transferEncoding),
    bodyBytes: 0,
    outcome: "pending",
    faults: [],
    ...(declared !== undefined && /^[0-9]+$/.test(declared)
      ? { contentLength: Number(declared) }
      : {}),
  };
  return {
    req,
    res,
    rec,
    url: new URL(req.url ?? "/", "http://index.invalid"),
    seenRules: new Set(),
    classified: false,
    delayMs: 0,
    tempFiles: new Set(),
  };
}

/** Writes an answer, after the request's injected latency. */
export async function send(ctx: Ctx, answer: Answer, timers: Timers): Promise<void> {
  const { res, rec } = ctx;
  const faultDelay =
    ctx.fault && "delayMs" in ctx.fault.action ? (ctx.fault.action.delayMs ?? 0) : 0;
  await timers.sleep(ctx.delayMs + faultDelay);
  // Temporary files go before the answer: once a client has it, the store is settled.
  await discardTemps(ctx);
  if (res.headersSent || res.destroyed || timers.stopped) return;
  const body = Buffer.from(answer.body ?? "", "utf8");
  rec.status = answer.status;
  rec.reason = answer.reason ?? http.STATUS_CODES[answer.status] ?? "";
  rec.body = body.subarray(0, 4096).toString("utf8");
  rec.outcome = "answered";
  res.statusCode = answer.status;
  res.statusMessage = rec.reason;
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  if (answer.contentType) res.setHeader("Content-Type", answer.contentType);
  res.setHeader("Content-Length", body.length);
  res.end(body);
}

/** Carries out a fault that ends the request; false when the action is not terminal. */
export async function enact(ctx: Ctx, action: FaultAction, timers: Timers): Promise<boolean> {
  if ("status" in action) {
    const reason = action.reason ?? http.STATUS_CODES[action.status] ?? "";
    const headers: Record<string, string> = { ...action.headers };
    if (action.retryAfter !== undefined) headers["Retry-After"] = String(action.retryAfter);
    if (action.stream) {
      const head = { status: action.status, reason: sanitizeReason(reason), headers };
      await streamAnswer(ctx, head, action.stream, timers);
      return true;
    }
    const answer: Answer = {
      status: action.status,
      reason: sanitizeReason(reason),
      body: action.body ?? `${action.status} ${reason}\n`,
      headers,
    };
    // A fault's own Content-Type (an HTML login page) wins over the plain-text default.
    if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
      answer.contentType = TEXT_PLAIN;
    await send(ctx, answer, timers);
    return true;
  }
  if ("drop" in action) {
    await timers.sleep(ctx.delayMs + (action.delayMs ?? 0));
    ctx.rec.outcome = "dropped";
    ctx.req.socket.destroy();
    return true;
  }
  if ("resetAfterBytes" in action) {
    await timers.sleep(ctx.delayMs + (action.delayMs ?? 0));
    resetSocket(ctx);
    return true;
  }
  if ("stallMs" in action) {
    ctx.rec.outcome = "stalled";
    await timers.sleep(action.stallMs);
    ctx.req.socket.destroy();
    return true;
  }
  return false;
}

/** A hostile answer: a huge, endless or trickled body, written with back-pressure. */
async function streamAnswer(
  ctx: Ctx,
  head: { status: number; reason: string; headers: Record<string, string> },
  stream: AnswerStream,
  timers: Timers,
): Promise<void> {
  const { res, rec } = ctx;
  await timers.sleep(ctx.delayMs);
  await discardTemps(ctx);
  if (res.headersSent || res.destroyed || timers.stopped) return;
  Object.assign(rec, {
    status: head.status,
    reason: head.reason,
    outcome: "answered",
    answerBytes: 0,
  });
  res.statusCode = head.status;
  res.statusMessage = head.reason;
  res.setHeader("Content-Type", TEXT_PLAIN);
  for (const [k, v] of Object.entries(head.headers)) res.setHeader(k, v);
  if (stream.bytes !== "endless") res.setHeader("Content-Length", stream.bytes);
  res.flushHeaders();
  const piece = Buffer.alloc(stream.chunk ?? 65_536, "x");
  let left = stream.bytes === "endless" ? Number.POSITIVE_INFINITY : stream.bytes;
  while (left > 0 && !res.destroyed && !timers.stopped) {
    const out = piece.subarray(0, Math.min(piece.length, left));
    left -= out.length;
    rec.answerBytes = (rec.answerBytes ?? 0) + out.length;
    if (!res.write(out)) await drainedOrClosed(res);
    if (stream.everyMs) await timers.sleep(stream.everyMs);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export async function discardTemps(ctx: Ctx): Promise<void> {
  const paths = [...ctx.tempFiles];
  ctx.tempFiles.clear();
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}

function resetSocket(ctx: Ctx): void {
  ctx.rec.outcome = "reset";
  const socket = ctx.req.socket as Socket & { resetAndDestroy?: () => void };
  // A TCP RST, like a crashed proxy; plain destroy() (FIN) where the platform lacks it.
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

/** Request headers for the record, with secrets reduced to what a test may assert on. */
function recordHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const auth = out.authorization;
  if (auth !== undefined) {
    const scheme = auth.split(/\s+/)[0] ?? "";
    const basic = parseBasic(auth);
    out.authorization = basic ? `${scheme} ${basic.user}` : `${scheme} <redacted>`;
  }
  if (out["proxy-authorization"] !== undefined) out["proxy-authorization"] = "<redacted>";
  if (out.cookie !== undefined) out.cookie = "<redacted>";
  return out;
}
