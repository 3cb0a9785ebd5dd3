import { describe, expect, it } from "vitest";
import { TransportError } from "../../src/transport/http.js";
import {
  backoffDelay,
  defaultRetryPolicy,
  parseRetryAfter,
  withRetries,
} from "../../src/transport/retry.js";

const ok = { status: 200, statusText: "OK", headers: {}, body: "" };
const fast = { ...defaultRetryPolicy, baseDelayMs: 1, maxDelayMs: 2 };

describe("retries", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 1)).toBe(400);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
  });

  it("retries 5xx, 429 and connection errors, then returns the last answer", async () => {
    const answers = [
      () => Promise.reject(new TransportError("reset", "ECONNRESET")),
      () => Promise.resolve({ ...ok, status: 503, statusText: "Service Unavailable" }),
      () =>
        Promise.resolve({
          ...ok,
          status: 429,
          statusText: "Too Many",
          headers: { "retry-after": "0" },
        }),
      () => Promise.resolve(ok),
    ];
    const reasons: string[] = [];
    const result = await withRetries((n) => (answers[n - 1] as () => Promise<typeof ok>)(), fast, {
      onRetry: (e) => reasons.push(e.reason),
    });
    expect(result.status).toBe(200);
    expect(reasons).toEqual(["reset", "503 Service Unavailable", "429 Too Many"]);
  });

  it("never retries other 4xx and stops after the configured retries", async () => {
    let calls = 0;
    const r = await withRetries(async () => {
      calls++;
      return { ...ok, status: 400, statusText: "Bad" };
    }, fast);
    expect(r.status).toBe(400);
    expect(calls).toBe(1);
    calls = 0;
    const s = await withRetries(
      async () => {
        calls++;
        return { ...ok, status: 500, statusText: "Oops" };
      },
      { ...fast, retries: 2 },
    );
    expect(s.status).toBe(500);
    expect(calls).toBe(3);
  });
});

describe("short-lived tokens (trusted publishing)", async () => {
  const { needsRenewal } = await import("../../src/execute/session.js");
  it("renews 5 minutes before a 15-minute token expires (after 10), as twine does", () => {
    const issued = 0;
    const expires = 15 * 60_000;
    expect(needsRenewal(issued, expires, 10 * 60_000 - 1)).toBe(false);
    expect(needsRenewal(issued, expires, 10 * 60_000)).toBe(true);
  });
  it("renews in the last third of a shorter life", () => {
    expect(needsRenewal(0, 3_000, 1_999)).toBe(false);
    expect(needsRenewal(0, 3_000, 2_000)).toBe(true);
  });
});
