/**
 * Regular-expression matching with a deadline. JavaScript's engine backtracks, and a pattern such
 * as `(a+)+$` against a long name runs for hours on whichever thread runs it; on the main thread
 * no signal handler could run either. So:
 * - a match whose cost bound (python-regex/cost.ts) is small runs inline: no thread, no delay;
 * - the others run in a worker thread that is terminated when one match runs past the deadline
 *   (a MatchTimeout naming that task) or when the run is interrupted (InterruptedError).
 * Why not a linear-time engine: V8's (`--enable-experimental-regexp-engine`) refuses the `v` and
 * `i` flags and look-arounds, which the Python translation needs, and a second translation for a
 * separate engine would be a second set of semantics to keep equal to Python's.
 */
import { InterruptedError } from "../errors.js";

export interface MatchTask {
  regex: RegExp;
  subject: string;
  /** Upper bound on backtracking steps (python-regex/cost.ts). */
  cost: number;
}

/** Where the first match was found (`re.search`-like for unanchored regexes). */
export interface MatchHit {
  index: number;
  end: number;
}

/** One match ran past the deadline; `task` is its index in the list given. */
export class MatchTimeout extends Error {
  readonly task: number;
  readonly deadlineMs: number;
  constructor(task: number, deadlineMs: number) {
    super(`match ${task} ran past ${deadlineMs} ms`);
    this.task = task;
    this.deadlineMs = deadlineMs;
  }
}

/** Bounds at or under this run inline: at most a few milliseconds even on a slow machine. */
export const INLINE_STEP_LIMIT = 1e7;
/** A pattern that needs more than this for one name is broken, not slow. */
export const MATCH_DEADLINE_MS = 2000;
/** Starting a thread can take a while on a loaded machine; it is not the pattern's fault. */
const WORKER_START_LIMIT_MS = 30_000;
const WATCH_INTERVAL_MS = 20;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const progress = new Int32Array(workerData.progress);
const results = [];
for (let i = 0; i < workerData.tasks.length; i++) {
  const t = workerData.tasks[i];
  Atomics.store(progress, 0, i + 1);
  const m = new RegExp(t.source, t.flags).exec(t.subject);
  results.push(m ? { index: m.index, end: m.index + m[0].length } : null);
}
parentPort.postMessage(results);
`;

function execInline(regex: RegExp, subject: string): MatchHit | null {
  const m = regex.exec(subject);
  return m ? { index: m.index, end: m.index + m[0].length } : null;
}

/** Runs tasks in a worker; rejects with MatchTimeout (index into `tasks`) or InterruptedError. */
async function runInWorker(
  tasks: MatchTask[],
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<Array<MatchHit | null>> {
  // Loaded here, not at start-up: most runs never need a thread (a dry run would pay for it).
  const { Worker } = await import("node:worker_threads");
  return new Promise((resolve, reject) => {
    const shared = new SharedArrayBuffer(4);
    const progress = new Int32Array(shared);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        progress: shared,
        tasks: tasks.map((t) => ({
          source: t.regex.source,
          flags: t.regex.flags,
          subject: t.subject,
        })),
      },
    });
    const startedAt = Date.now();
    let seen = 0;
    let seenAt = startedAt;
    const finish = (error: Error | undefined, results?: Array<MatchHit | null>): void => {
      clearInterval(watch);
      signal?.removeEventListener("abort", onAbort);
      worker.removeAllListeners();
      worker.on("error", () => {});
      if (error) {
        void worker.terminate();
        reject(error);
      } else {
        resolve(results ?? []);
      }
    };
    const onAbort = (): void => finish(new InterruptedError());
    const watch = setInterval(() => {
      const now = Date.now();
      const current = Atomics.load(progress, 0);
      if (current !== seen) {
        seen = current;
        seenAt = now;
      } else if (current > 0 && now - seenAt > deadlineMs) {
        finish(new MatchTimeout(current - 1, deadlineMs));
      } else if (current === 0 && now - startedAt > WORKER_START_LIMIT_MS) {
        finish(new Error("the pattern-matching thread did not start"));
      }
    }, WATCH_INTERVAL_MS);
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (results: Array<MatchHit | null>) => finish(undefined, results));
    worker.once("error", (error) => finish(error));
    worker.once("exit", () => finish(new Error("the pattern-matching thread stopped early")));
    if (signal?.aborted) onAbort();
  });
}

/**
 * `regex.exec(subject)` for every task, each bounded in time. Cheap tasks run inline, the rest in
 * one worker thread, in order.
 */
export async function runMatches(
  tasks: MatchTask[],
  options: { signal?: AbortSignal | undefined; deadlineMs?: number } = {},
): Promise<Array<MatchHit | null>> {
  const results: Array<MatchHit | null> = new Array(tasks.length).fill(null);
  const slow: number[] = [];
  tasks.forEach((task, i) => {
    if (task.cost <= INLINE_STEP_LIMIT) results[i] = execInline(task.regex, task.subject);
    else slow.push(i);
  });
  if (slow.length === 0) return results;
  if (options.signal?.aborted) throw new InterruptedError();
  const deadline = options.deadlineMs ?? MATCH_DEADLINE_MS;
  try {
    const found = await runInWorker(
      slow.map((i) => tasks[i] as MatchTask),
      deadline,
      options.signal,
    );
    slow.forEach((taskIndex, k) => {
      results[taskIndex] = found[k] ?? null;
    });
  } catch (error) {
    if (error instanceof MatchTimeout) throw new MatchTimeout(slow[error.task] as number, deadline);
    throw error;
  }
  return results;
}
