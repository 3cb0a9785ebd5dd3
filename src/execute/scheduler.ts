import type { Job } from "../plan/plan.js";
import type { ServerPacing } from "./server-pacing.js";

export interface ScheduleLimits {
  /** Requests in flight at once, over all servers. */
  concurrency: number;
  /** Requests in flight at once to one server (servers throttle parallel uploads). */
  perServer: number;
  /** Adapts each server's share below `perServer` to how it answers (server-pacing.ts). */
  pacing?: ServerPacing | undefined;
}

/**
 * Runs jobs as soon as their `after` jobs have finished, within the global and per-server limits,
 * in plan order otherwise. `run` must not throw: it reports failures as results.
 */
export async function runScheduled<R>(
  jobs: Job[],
  limits: ScheduleLimits,
  run: (job: Job) => Promise<R>,
  signal?: AbortSignal,
): Promise<Map<number, R>> {
  const results = new Map<number, R>();
  const pending = [...jobs];
  const active = new Map<string, number>();
  let inFlight = 0;

  return new Promise((resolve, reject) => {
    const pump = (): void => {
      if (signal?.aborted) pending.length = 0;
      for (let i = 0; i < pending.length && inFlight < limits.concurrency; ) {
        const job = pending[i] as Job;
        const serverLoad = active.get(job.server.name) ?? 0;
        const ready = job.after.every((id) => results.has(id));
        const share = Math.min(
          limits.perServer,
          limits.pacing?.limit(job.server.name) ?? limits.perServer,
        );
        if (!ready || serverLoad >= share) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        inFlight++;
        active.set(job.server.name, serverLoad + 1);
        limits.pacing?.started(job.server.name, serverLoad + 1);
        run(job).then(
          (result) => {
            results.set(job.id, result);
            inFlight--;
            active.set(job.server.name, (active.get(job.server.name) ?? 1) - 1);
            pump();
          },
          // A broken contract (run threw) must surface, not leave the run waiting forever.
          reject,
        );
      }
      if (inFlight === 0) resolve(results);
    };
    pump();
  });
}
