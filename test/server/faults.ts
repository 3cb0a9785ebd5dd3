/**
 * Declarative fault injection for the test index server.
 *
 * A plan is an ordered list of rules. Each request is classified (see RequestKind) and the rules
 * are tried in order, like a firewall: latency-only rules add their delay and evaluation goes on;
 * the first other rule that matches and has turns left is applied and ends the evaluation. Rules
 * after it do not see the request (so their `skip`/`times` counters do not move).
 *
 * Examples:
 *   { on: "upload", action: { status: 503 } }                     first upload answers 503
 *   { on: "upload", skip: 1, times: 2, action: { status: 502 } }  2nd and 3rd uploads answer 502
 *   { on: "upload", action: { status: 429, retryAfter: 1 } }
 *   { on: "upload", action: { resetAfterBytes: 10_000 } }        connection reset mid-body
 *   { on: "upload", action: { stallMs: 60_000 } }                stop reading, never answer
 *   { on: "any", times: "always", action: { delayMs: 20 } }      latency on every request
 *   { on: "upload", action: { status: 502, afterCommit: true } } stored, but the answer is lost
 *   { on: "get", action: { status: 200, stream: { bytes: "endless" } } }  a body that never ends
 *   { on: "upload", action: { status: 400, stream: { bytes: 10, everyMs: 2000, chunk: 1 } } }
 *                                                                 a byte every 2 s (trickle)
 */

/**
 * - `upload`: a POST whose `:action` is `file_upload` (or that carries a `content` file part);
 * - `register`: a POST with `:action=submit`;
 * - `post`: any POST (to any path);
 * - `simple`: a GET/HEAD under the simple index; `files`: a GET/HEAD of a stored file;
 * - `get`: any GET/HEAD; `any`: every request.
 * POSTs to the upload path are classified once the `content` file part starts (by then the
 * form fields a client sends first, `:action` and `name`, are known) or at the end of the body.
 */
export type RequestKind = "upload" | "register" | "post" | "simple" | "files" | "get" | "any";

export type FaultAction =
  /**
   * Answer with this status. By default the request body is read (and discarded) first, as a
   * proxy or WSGI server would; `early` answers as soon as the rule matches, while the client may
   * still be sending (the rest of the body is then read and discarded). With `afterCommit` the
   * request is processed normally (an upload is stored) and only the answer is replaced: the
   * "did my upload land?" case of a gateway timeout.
   */
  | {
      status: number;
      reason?: string;
      body?: string;
      /** Seconds (number) or an HTTP date, sent as `Retry-After`. */
      retryAfter?: number | string;
      headers?: Record<string, string>;
      early?: boolean;
      afterCommit?: boolean;
      delayMs?: number;
      /** A hostile answer body instead of `body`: see AnswerStream. */
      stream?: AnswerStream;
    }
  /** Reset the connection once this many body bytes arrived (immediately for GETs). */
  | { resetAfterBytes: number; delayMs?: number }
  /** Stop reading and answering; after `stallMs` the connection is destroyed. */
  | { stallMs: number }
  /** Read the whole request, then close the connection without any answer. */
  | { drop: true; afterCommit?: boolean; delayMs?: number }
  /**
   * Downloads (`files`): send the stored file's headers (its full Content-Length) and its first
   * `truncateAfterBytes` bytes, then close the connection: a download that breaks mid-file.
   */
  | { truncateAfterBytes: number; delayMs?: number }
  /** Downloads (`files`): the stored file's length, but other bytes (a few flipped at its middle). */
  | { corrupt: true; delayMs?: number }
  /** Latency only: the request is then handled normally (the rule does not end evaluation). */
  | { delayMs: number };

/**
 * A generated answer body: `bytes` of filler (or `"endless"`: chunked, until the client goes), in
 * `chunk`-byte pieces (64 KiB) every `everyMs` (0: as fast as the client reads).
 */
export interface AnswerStream {
  bytes: number | "endless";
  chunk?: number;
  everyMs?: number;
}

export interface FaultRule {
  /** Which requests this rule watches; default `upload`. */
  on?: RequestKind | RequestKind[];
  /** Matching requests to let through before firing; default 0. */
  skip?: number;
  /** How many matching requests it applies to after `skip`; default 1. */
  times?: number | "always";
  /** Narrow an upload/register rule to a file name or project (normalised compare). */
  match?: { filename?: string | RegExp; project?: string };
  action: FaultAction;
}

export type FaultPlan = FaultRule[];

/** What the server knows about a request when its faults are chosen. */
export interface FaultSubject {
  kinds: ReadonlySet<RequestKind>;
  filename?: string;
  /** PEP 503 normalised project name, when known. */
  project?: string;
}

export interface SelectedFaults {
  /** Total latency of the latency-only rules that matched. */
  delayMs: number;
  /** The rule that decides the request's fate, if any. */
  rule?: { index: number; action: FaultAction };
  /** Indexes of every rule applied (latency rules included), for the record. */
  applied: number[];
}

export function isLatencyOnly(action: FaultAction): action is { delayMs: number } {
  return Object.keys(action).every((k) => k === "delayMs");
}

/** Human-readable summary of an action, for request records and logs. */
export function describeFault(action: FaultAction): string {
  if ("status" in action) {
    const extra = [
      action.early ? "early" : "",
      action.afterCommit ? "after commit" : "",
      action.retryAfter !== undefined ? `Retry-After ${action.retryAfter}` : "",
    ].filter(Boolean);
    if (action.stream) {
      const { bytes, chunk, everyMs } = action.stream;
      extra.push(
        `${bytes === "endless" ? "endless" : `${bytes}-byte`} body${everyMs ? ` in ${chunk ?? 65536}-byte pieces every ${everyMs} ms` : ""}`,
      );
    }
    return `status ${action.status}${extra.length ? ` (${extra.join(", ")})` : ""}`;
  }
  if ("resetAfterBytes" in action) return `reset after ${action.resetAfterBytes} bytes`;
  if ("stallMs" in action) return `stall ${action.stallMs} ms`;
  if ("drop" in action) return `drop connection${action.afterCommit ? " (after commit)" : ""}`;
  if ("truncateAfterBytes" in action)
    return `download cut after ${action.truncateAfterBytes} bytes`;
  if ("corrupt" in action) return "download with other bytes";
  return `delay ${action.delayMs} ms`;
}

/** Checks a plan's shape (it may come from JSON on a command line). */
export function validateFaultPlan(plan: unknown): FaultPlan {
  if (!Array.isArray(plan)) throw new TypeError("fault plan must be an array of rules");
  const kinds: RequestKind[] = ["upload", "register", "post", "simple", "files", "get", "any"];
  plan.forEach((rule: unknown, i) => {
    const where = `fault rule #${i}`;
    if (typeof rule !== "object" || rule === null) throw new TypeError(`${where}: not an object`);
    const r = rule as Record<string, unknown>;
    const on = r.on === undefined ? [] : Array.isArray(r.on) ? r.on : [r.on];
    for (const k of on) {
      if (!kinds.includes(k as RequestKind))
        throw new TypeError(`${where}: unknown kind ${JSON.stringify(k)}`);
    }
    if (
      r.times !== undefined &&
      r.times !== "always" &&
      !(Number.isInteger(r.times) && (r.times as number) >= 0)
    ) {
      throw new TypeError(`${where}: times must be a non-negative integer or "always"`);
    }
    if (r.skip !== undefined && !(Number.isInteger(r.skip) && (r.skip as number) >= 0)) {
      throw new TypeError(`${where}: skip must be a non-negative integer`);
    }
    const a = r.action;
    if (typeof a !== "object" || a === null) throw new TypeError(`${where}: action missing`);
    const keys = [
      "status",
      "resetAfterBytes",
      "stallMs",
      "drop",
      "truncateAfterBytes",
      "corrupt",
    ].filter((k) => k in a);
    if (keys.length > 1) throw new TypeError(`${where}: action mixes ${keys.join(" and ")}`);
    if (keys.length === 0 && !("delayMs" in a))
      throw new TypeError(`${where}: action does nothing`);
    for (const k of ["status", "resetAfterBytes", "stallMs", "delayMs", "truncateAfterBytes"]) {
      const v = (a as Record<string, unknown>)[k];
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) {
        throw new TypeError(`${where}: ${k} must be a non-negative number`);
      }
    }
    const stream = (a as Record<string, unknown>).stream as Record<string, unknown> | undefined;
    if (stream !== undefined) {
      const ok = (v: unknown, min: number): boolean =>
        v === undefined || (typeof v === "number" && Number.isInteger(v) && v >= min);
      if (!(stream.bytes === "endless" || (ok(stream.bytes, 0) && stream.bytes !== undefined))) {
        throw new TypeError(`${where}: stream.bytes must be a byte count or "endless"`);
      }
      if (!ok(stream.chunk, 1) || !ok(stream.everyMs, 0)) {
        throw new TypeError(`${where}: stream.chunk and stream.everyMs must be positive integers`);
      }
    }
    const status = (a as Record<string, unknown>).status;
    if (typeof status === "number" && (status < 100 || status > 599 || !Number.isInteger(status))) {
      throw new TypeError(`${where}: status ${status} is not an HTTP status`);
    }
  });
  return plan as FaultPlan;
}

/** Per-plan turn counters. */
export class FaultEngine {
  private plan: FaultPlan = [];
  private seen: number[] = [];

  constructor(plan: FaultPlan = []) {
    this.set(plan);
  }

  set(plan: FaultPlan): void {
    this.plan = validateFaultPlan(plan);
    this.seen = plan.map(() => 0);
  }

  get rules(): readonly FaultRule[] {
    return this.plan;
  }

  /**
   * Chooses the faults for one classification of a request. A POST is offered twice (as `post` at
   * its start, as upload/register once its form says which): `seenByRequest` holds the rules that
   * already counted this request, so that no rule counts or applies to one request twice.
   */
  select(subject: FaultSubject, seenByRequest: Set<number> = new Set()): SelectedFaults {
    const result: SelectedFaults = { delayMs: 0, applied: [] };
    for (let i = 0; i < this.plan.length; i++) {
      const rule = this.plan[i];
      if (rule === undefined || seenByRequest.has(i) || !matches(rule, subject)) continue;
      seenByRequest.add(i);
      const seen = (this.seen[i] ?? 0) + 1;
      this.seen[i] = seen;
      const skip = rule.skip ?? 0;
      const times = rule.times ?? 1;
      if (seen <= skip || (times !== "always" && seen > skip + times)) continue;
      result.applied.push(i);
      if (isLatencyOnly(rule.action)) {
        result.delayMs += rule.action.delayMs;
        continue;
      }
      result.rule = { index: i, action: rule.action };
      break;
    }
    return result;
  }
}

function matches(rule: FaultRule, subject: FaultSubject): boolean {
  const on: RequestKind[] =
    rule.on === undefined ? ["upload"] : Array.isArray(rule.on) ? rule.on : [rule.on];
  if (!on.some((k) => k === "any" || subject.kinds.has(k))) return false;
  const m = rule.match;
  if (m?.filename !== undefined) {
    if (subject.filename === undefined) return false;
    const ok =
      typeof m.filename === "string"
        ? m.filename === subject.filename
        : m.filename.test(subject.filename);
    if (!ok) return false;
  }
  if (m?.project !== undefined) {
    const want = m.project.toLowerCase().replace(/[-_.]+/g, "-");
    if (subject.project !== want) return false;
  }
  return true;
}
