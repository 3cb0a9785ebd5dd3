/**
 * The transport's plain data types, apart from the HTTP client itself so that type-only users (the
 * Node API's declarations, the report) do not depend on undici.
 */

/** The answer to one HTTP request; the body is kept only up to a small cap (it is for messages). */
export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The answer was longer than the cap: reading stopped there and the connection was closed. */
  truncated?: boolean;
  /**
   * Milliseconds from the last request byte handed over to the status line: the server's work and
   * queue, without the sending (what per-server pacing watches).
   */
  waitMs?: number;
}

/** `-v`: what the HTTP client did, for the trace (transport/trace.ts formats it). */
export type TraceEvent =
  | { kind: "request"; method: string; url: string; headers: Record<string, string> }
  | {
      kind: "response";
      method: string;
      url: string;
      status: number;
      statusText: string;
      headers: Record<string, string | string[] | undefined>;
      ms: number;
      bytes: number;
      truncated: boolean;
      /** The start of the body, for answers other than success (what twine --verbose shows). */
      preview?: string | undefined;
    }
  | { kind: "error"; method: string; url: string; message: string; ms: number }
  /** A decision about the request (retry, give up), in words. */
  | { kind: "note"; text: string };

/** A failed attempt that will be tried again after `delayMs`. */
export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound for a server's Retry-After; longer asks are capped, not obeyed blindly. */
  maxRetryAfterMs: number;
}
