/**
 * Per-server pacing: each server gets as many requests at once as it answers without queueing,
 * up to --per-server. A server that works one request at a time is not sent eight; one that
 * answers every request in the same time gets all eight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../../src/execute/scheduler.js";
import { paced, ServerPacing } from "../../src/execute/server-pacing.js";
import type { Job } from "../../src/plan/plan.js";

const answer = (waitMs: number, status = 200) => ({ kind: "answer" as const, waitMs, status });

describe("ServerPacing", () => {
  it("starts at 2 and grows by one per good answer up to the maximum", () => {
    const p = new ServerPacing({ max: 8 });
    expect(p.limit("a")).toBe(2);
    for (let i = 0; i < 3; i++) p.observe("a", answer(20));
    expect(p.limit("a")).toBe(5);
    for (let i = 0; i < 10; i++) p.observe("a", answer(20));
    expect(p.limit("a")).toBe(8);
    expect(p.limit("b")).toBe(2); // each server on its own
  });

  it("takes a quarter off when answers queue, once per round trip, then grows slowly", () => {
    const p = new ServerPacing({ max: 16 });
    for (let i = 0; i < 6; i++) p.observe("a", answer(100)); // 8
    expect(p.limit("a")).toBe(8);
    p.observe("a", answer(400)); // over 2 x 100 + 10 ms: queued
    expect(p.limit("a")).toBe(6);
    // The 7 others in flight were sent at 8: their late answers do not cut again.
    for (let i = 0; i < 7; i++) p.observe("a", answer(400));
    expect(p.limit("a")).toBe(6);
    p.observe("a", answer(400)); // 6 x 0.75 = 4.5
    expect(p.limit("a")).toBe(4);
    for (let i = 0; i < 5; i++) p.observe("a", answer(100)); // the 5 others sent at 6
    expect(p.limit("a")).toBe(4);
    // Out of slow start: about +1 per `limit` good answers, not +1 each.
    p.observe("a", answer(100));
    p.observe("a", answer(100));
    expect(p.limit("a")).toBe(4);
    p.observe("a", answer(100));
    expect(p.limit("a")).toBe(5);
  });

  it("halves on overload answers and failures, never below one", () => {
    const p = new ServerPacing({ max: 8 });
    for (let i = 0; i < 6; i++) p.observe("a", answer(10));
    expect(p.limit("a")).toBe(8);
    p.observe("a", answer(10, 503));
    expect(p.limit("a")).toBe(4);
    for (let i = 0; i < 7; i++) p.observe("a", answer(10, 429)); // settling
    p.observe("a", { kind: "failure", overloaded: true });
    expect(p.limit("a")).toBe(2);
    for (let i = 0; i < 10; i++) {
      p.observe("a", { kind: "failure", overloaded: true });
    }
    expect(p.limit("a")).toBe(1);
    // A refusal (400) or a bad request is not load: nothing changes.
    p.observe("a", { kind: "failure", overloaded: false });
    expect(p.limit("a")).toBe(1);
  });

  it("never exceeds a maximum of 1 (--per-server 1)", () => {
    const p = new ServerPacing({ max: 1 });
    for (let i = 0; i < 5; i++) p.observe("a", answer(1));
    expect(p.limit("a")).toBe(1);
  });
});

/**
 * Two simulated servers: `serial` works one request at a time (40 ms each; the others wait in its
 * queue), `parallel` answers every request in 40 ms however many arrive.
 */
function simulate() {
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  let serialFree = 0;
  const request = (server: string): Promise<{ status: number; waitMs: number }> => {
    const now = performance.now();
    const n = (inFlight.get(server) ?? 0) + 1;
    inFlight.set(server, n);
    peak.set(server, Math.max(peak.get(server) ?? 0, n));
    let doneAt = now + 40;
    if (server === "serial") {
      doneAt = Math.max(now, serialFree) + 40;
      serialFree = doneAt;
    }
    return new Promise((resolve) =>
      setTimeout(
        () => {
          inFlight.set(server, (inFlight.get(server) ?? 1) - 1);
          resolve({ status: 200, waitMs: performance.now() - now });
        },
        Math.max(0, doneAt - now),
      ),
    );
  };
  return { request, peak };
}

function jobs(perServer: number): Job[] {
  const list: Job[] = [];
  for (const name of ["serial", "parallel"]) {
    for (let i = 0; i < perServer; i++) {
      list.push({ id: list.length, server: { name }, after: [] } as unknown as Job);
    }
  }
  return list;
}

describe("scheduling with pacing", () => {
  // Simulated time: a loaded machine's late timers would otherwise look like a queue.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const drive = async <T>(run: Promise<T>): Promise<T> => {
    await vi.runAllTimersAsync();
    return run;
  };

  it("keeps a server that queues to a few requests while another gets the maximum", async () => {
    const sim = simulate();
    const pacing = new ServerPacing({ max: 8 });
    await drive(
      runScheduled(jobs(30), { concurrency: 16, perServer: 8, pacing }, (job) =>
        paced(job.server.name, pacing, sim.request(job.server.name)),
      ),
    );
    expect(sim.peak.get("parallel")).toBe(8);
    // Slow start overshoots once (answers queue only after the queue has formed), then it backs off.
    expect(sim.peak.get("serial")).toBeLessThanOrEqual(5);
    expect(pacing.limit("serial")).toBeLessThanOrEqual(4);
    expect(pacing.limit("parallel")).toBe(8);
  }, 20_000);

  it("without pacing, the same run sends the queueing server all it allows (the contrast)", async () => {
    const sim = simulate();
    await drive(
      runScheduled(jobs(30), { concurrency: 16, perServer: 8 }, (job) =>
        sim.request(job.server.name),
      ),
    );
    expect(sim.peak.get("serial")).toBe(8);
  }, 20_000);
});
