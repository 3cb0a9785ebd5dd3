import { setTimeout as sleep } from "node:timers/promises";
import {
  type HttpResponse,
  isPermanentNetworkError,
  isProxyRefusal,
  TransportError,
} from "./http.js";
import type { RetryEvent, RetryPolicy } from "./types.js";

export const defaultRetryPolicy: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
};

/** Worth another try: the server or the network may do better next time. Other 4xx never will. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export function isRetryableError(error: unknown): boolean {
  return (
    error instanceof TransportError &&
    error.code !== "ABORTED" &&
    error.code !== "BODY" &&
    !isPermanentNetworkError(error.code) &&
    !isProxyRefusal(error.code)
  );
}

/** Retry-After in milliseconds (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === "") return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff (AWS architecture blog): spreads retries of parallel uploads. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type { RetryEvent, RetryPolicy } from "./types.js";

/**
 * Runs `attempt` until it yields a non-retryable outcome or the retries are spent. The attempt
 * function must start from scratch each time (re-open the file): bodies are streams.
 */
export async function withRetries(
  attempt: (n: number) => Promise<HttpResponse>,
  policy: RetryPolicy,
  options: {
    signal?: AbortSignal | undefined;
    onRetry?: (event: RetryEvent) => void;
    /** `-v`: why the last outcome is final. */
    onGiveUp?: ((why: string) => void) | undefined;
  } = {},
): Promise<HttpResponse> {
  for (let n = 1; ; n++) {
    let outcome: HttpResponse | undefined;
    let failure: unknown;
    try {
      outcome = await attempt(n);
    } catch (error) {
      failure = error;
    }
    const retryable = outcome ? isRetryableStatus(outcome.status) : isRetryableError(failure);
    if (!retryable || n > policy.retries || options.signal?.aborted) {
      const what = outcome ? `${outcome.status}` : ((failure as Error)?.message ?? "error");
      if (!retryable && !(outcome && outcome.status < 300)) {
        options.onGiveUp?.(`not retrying: ${what} is final`);
      } else if (retryable && n > policy.retries) {
        options.onGiveUp?.(`giving up after ${n} attempt${n === 1 ? "" : "s"}: ${what}`);
      }
      if (outcome) return outcome;
      throw failure;
    }
    const asked = outcome ? parseRetryAfter(outcome.headers["retry-after"]) : undefined;
    const delayMs =
      asked !== undefined ? Math.min(asked, policy.maxRetryAfterMs) : backoffDelay(n, policy);
    const reason = outcome
      ? `${outcome.status} ${outcome.statusText}`.trim()
      : (failure as Error).message;
    options.onRetry?.({ attempt: n, delayMs, reason });
    await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) {
      if (outcome) return outcome;
      throw failure;
    }
  }
}
