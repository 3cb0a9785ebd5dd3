/**
 * How many requests each server gets at once, adapted to how it answers: more while its answers
 * come as fast as its fastest, fewer once they queue up or it says it is overloaded. Pure state:
 * the scheduler asks `limit`, the transport reports each answer with `observe`.
 *
 * The signal is the wait: from the last byte of the request body to the status line. Sending time
 * (which grows with the file and the link) is left out, so what grows is the server's own queue.
 * Growth is TCP-like: +1 per good answer while waits stay near the fastest (slow start), then +1
 * per `limit` good answers; a queued answer takes a quarter off, an overload answer (429, 502-504,
 * a reset or timeout) half, once per round trip, never below one request.
 */

export interface PacingOptions {
  /** Requests in flight to a server at first (default 2, at most `max`). */
  initial?: number;
  /** Never more than this many at once to one server (`--per-server`). */
  max: number;
  /**
   * An answer counts as queued when its wait exceeds `factor` x the server's fastest wait plus
   * `slackMs` (jitter, and the server hashing a larger file, are not queueing).
   */
  factor?: number;
  slackMs?: number;
}

/** What one request's answer says about the server's load. */
export type PaceSample =
  | { kind: "answer"; waitMs: number; status: number }
  | { kind: "failure"; overloaded: boolean };

interface ServerState {
  limit: number;
  fastestMs: number;
  slowStart: boolean;
  /** The most requests this server has had at once (for the report and the tests). */
  peak: number;
  /** Answers still to come from before the last cut: they say nothing new about the queue. */
  settling: number;
}

const OVERLOAD_STATUSES = new Set([429, 502, 503, 504]);

export class ServerPacing {
  private readonly servers = new Map<string, ServerState>();
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly slackMs: number;

  constructor(options: PacingOptions) {
    this.max = Math.max(1, Math.floor(options.max));
    this.initial = Math.min(this.max, Math.max(1, options.initial ?? 2));
    this.factor = options.factor ?? 2;
    this.slackMs = options.slackMs ?? 10;
  }

  private state(server: string): ServerState {
    let s = this.servers.get(server);
    if (!s) {
      s = {
        limit: this.initial,
        fastestMs: Number.POSITIVE_INFINITY,
        slowStart: true,
        peak: 0,
        settling: 0,
      };
      this.servers.set(server, s);
    }
    return s;
  }

  /** Requests the server may have in flight now (whole number, 1..max). */
  limit(server: string): number {
    return this.limitOf(this.state(server));
  }

  private limitOf(s: ServerState): number {
    return Math.max(1, Math.min(this.max, Math.floor(s.limit)));
  }

  /** The scheduler says how many are in flight (kept as the peak). */
  started(server: string, inFlight: number): void {
    const s = this.state(server);
    s.peak = Math.max(s.peak, inFlight);
  }

  /** The most requests one server had at once so far. */
  peak(server: string): number {
    return this.servers.get(server)?.peak ?? 0;
  }

  observe(server: string, sample: PaceSample): void {
    const s = this.state(server);
    const overloaded =
      sample.kind === "failure" ? sample.overloaded : OVERLOAD_STATUSES.has(sample.status);
    const queued =
      sample.kind === "answer" && sample.waitMs > s.fastestMs * this.factor + this.slackMs;
    if (sample.kind === "answer") s.fastestMs = Math.min(s.fastestMs, sample.waitMs);
    if (s.settling > 0) {
      // Once per round trip, as TCP does: the requests sent before a cut answer late too.
      s.settling--;
      return;
    }
    if (overloaded || queued) {
      // The others in flight when this answer came were sent at the old limit.
      s.settling = Math.max(0, this.limitOf(s) - 1);
      s.slowStart = false;
      s.limit = Math.max(1, s.limit * (overloaded ? 0.5 : 0.75));
      return;
    }
    if (sample.kind === "failure") return;
    // Slow start doubles per round trip, faster than a queue shows in the waits: it ends at the
    // first wait clearly above the fastest, before the cut would come.
    if (s.slowStart && sample.waitMs > s.fastestMs * 1.25 + this.slackMs) s.slowStart = false;
    s.limit = Math.min(this.max, s.limit + (s.slowStart ? 1 : 1 / s.limit));
  }
}

/** Failures that say the server (or the way to it) is overloaded, not that the request is bad. */
const OVERLOAD_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNREFUSED",
  "STALLED",
  "ANSWER_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

/** Report one request's answer (or failure) to the pacing, and pass it on unchanged. */
export async function paced<T extends { status: number; waitMs?: number }>(
  server: string,
  pacing: ServerPacing,
  request: Promise<T>,
): Promise<T> {
  try {
    const answer = await request;
    pacing.observe(server, { kind: "answer", status: answer.status, waitMs: answer.waitMs ?? 0 });
    return answer;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "ABORTED") {
      pacing.observe(server, {
        kind: "failure",
        overloaded: typeof code === "string" && OVERLOAD_CODES.has(code),
      });
    }
    throw error;
  }
}
