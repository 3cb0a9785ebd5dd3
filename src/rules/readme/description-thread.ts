/**
 * `check` renders the descriptions on a second thread while the main thread reads the archives.
 * The reST validator is a third of check's work and mostly cold code (the same descriptions
 * again in the same process take a fifth of the time), so it is split by kind of work, not by
 * files: the worker (render-worker.ts) holds only the renderer and warms it up once, and nothing
 * else is compiled twice. Started by the launcher before the bundle loads (bin/early-thread.cjs,
 * adopted here) or else before the rules load, it is ready when the first METADATA is parsed.
 * Any failure of the thread (its bundle missing, as under the sources' tests, a crash, an exit)
 * leaves the descriptions it has not answered to the main thread, which renders them itself: the
 * verdicts are the same either way.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { scanYara, type YaraJob } from "../yara.js";
import { framingOfFile } from "../zip-scan.js";
import { parseContentType } from "./content-type.js";
import type { DescriptionVerdict } from "./index.js";
import type { RenderAnswer, RenderRequest, SharedProgress } from "./render-worker.js";
import { CLAIM_SLOTS, CLAIMS, FINISHED, PROGRESS_LENGTH, TAKEN_BACK } from "./thread-progress.js";

/** In the bundle this module is a chunk in dist/ (or action/), next to the worker's entry. */
const WORKER_URL = new URL("./readme-worker.js", import.meta.url);

/**
 * Description characters and YARA bytes sent and not yet answered: the main thread waits for
 * room beyond this, so a thread that falls behind does not collect a long run's work.
 */
export const MAX_QUEUED = 8 * 1024 * 1024;
/** Requests not yet answered, at most: each YARA scan holds its archive open until answered. */
export const MAX_PENDING = 128;
/**
 * Requests the worker has not finished beyond which it is behind (each file sends up to three):
 * the main thread then scans YARA members and walks the records itself (it cannot render
 * without loading the renderer), so that neither thread is left waiting for the other at the
 * end. Not while the worker starts (before it finishes its first): what waits then is work it
 * takes on at once when it is up, and the main thread's own reading is the run's critical path
 * on an idle machine (100 wheels, idle, 20 rounds: 0.64 s with the backlog counted from the
 * start, 0.60 s without the rule). The worker counts what it finished in shared memory, which
 * the main thread reads at once: the answers themselves wait for its event loop, which a run of
 * synchronous archive reads holds up to 50 ms (check-file.ts YIELD_MS).
 */
export const BEHIND = 8;

interface Pending {
  /** The answer's field (an answer without it is the worker's mistake: done here instead). */
  kind: "verdict" | "match" | "framing";
  /** What it weighs in MAX_QUEUED (a description's characters, a YARA job's bytes). */
  size: number;
  /** The same work on this thread: the fallback, which also fails as it would alone. */
  here(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The main thread's own rendering (no thread, or the thread's fallback): the renderer is loaded
 * only when it is needed.
 */
export async function renderHere(
  text: string | undefined,
  contentType: string | undefined,
): Promise<DescriptionVerdict> {
  const { checkDescription } = await import("./index.js");
  return checkDescription(text, contentType);
}

/** What bin/early-thread.cjs leaves for the bundle when it started the worker itself. */
interface EarlyWorker {
  worker: Worker;
  /** It failed or exited before it was adopted. */
  failed: boolean;
  /** Removes the launcher's stand-in listeners. */
  forget(): void;
}

const EARLY_WORKER = Symbol.for("pkgpush.earlyDescriptionWorker");

/** The worker the launcher started before the bundle loaded, if it is still up; taken once. */
function adoptEarlyWorker(): Worker | undefined {
  const slots = globalThis as unknown as Record<symbol, EarlyWorker | undefined>;
  const early = slots[EARLY_WORKER];
  if (!early) return undefined;
  slots[EARLY_WORKER] = undefined;
  early.forget();
  return early.failed ? undefined : early.worker;
}

/** As bin/early-thread.cjs starts it (see why there); a test holds the two equal. */
export const WORKER_OPTIONS = {
  stdout: false,
  stderr: false,
  resourceLimits: { maxYoungGenerationSizeMb: 3 },
} as const;

function startWorker(url: URL): Worker | undefined {
  if (!existsSync(fileURLToPath(url))) return undefined;
  try {
    return new Worker(url, WORKER_OPTIONS);
  } catch {
    return undefined;
  }
}

export class DescriptionThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #queued = 0;
  #waiters: Array<() => void> = [];
  #closed = false;
  /** Descriptions and scans the worker answered (tests and measurements). */
  answered = 0;
  /** Scans and walks taken back from the worker (tests and measurements). */
  takenBack = 0;
  /** Answers received (a worker that does not count in #progress is judged by them). */
  #settledCount = 0;
  /**
   * Shared with the worker: [FINISHED] the requests it finished (it counts them there) and
   * [CLAIMS] 1 once it claims each request before it starts it (#claims).
   */
  readonly #progress = new Int32Array(new SharedArrayBuffer(4 * PROGRESS_LENGTH));
  /** Who started each request (thread-progress.ts). */
  readonly #claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));

  constructor(url: URL = WORKER_URL) {
    const worker = (url === WORKER_URL && adoptEarlyWorker()) || startWorker(url);
    if (!worker) return;
    this.#worker = worker;
    // First in its queue: the worker claims and counts requests from then on.
    worker.postMessage({
      shared: { progress: this.#progress, claims: this.#claims },
    } satisfies SharedProgress);
    worker.on("message", (answer: RenderAnswer) => this.#answer(answer));
    worker.on("error", () => this.#fallBack());
    worker.on("exit", () => this.#fallBack());
    // Idle, it never keeps the process alive (a run that ends early, on bad input, does not
    // wait for it); it is referenced while answers are awaited. After the listeners: adding a
    // "message" listener references the worker again.
    worker.unref();
  }

  /** Whether the worker has a backlog (see BEHIND). */
  behind(): boolean {
    if (this.#worker === undefined) return false;
    // A worker that does not count (a stand-in) is judged by the answers seen.
    const finished = Math.max(Atomics.load(this.#progress, FINISHED), this.#settledCount);
    // Ids are given from 0 in order: #next is how many requests were posted.
    return finished > 0 && this.#next - finished > BEHIND;
  }

  /** Whether a worker is (still) rendering; false once everything goes to the main thread. */
  get threaded(): boolean {
    return this.#worker !== undefined;
  }

  /** checkDescription's verdict, from the worker when it is running. */
  check(text: string | undefined, contentType: string | undefined): Promise<DescriptionVerdict> {
    if (!text || parseContentType(contentType).renderer === "plain")
      return Promise.resolve({ ok: true });
    return this.#post("verdict", { text, contentType }, text.length, () =>
      renderHere(text, contentType),
    );
  }

  /**
   * Warehouse's YARA scan of a zip's members (scanYara), on the worker when it is running: it
   * reads them from the file, which the caller keeps open until this settles. A job that stops
   * on a bad member header is scanned here: its error is this thread's to throw.
   */
  scanYara(job: YaraJob): Promise<string | undefined> {
    if (job.stop !== undefined) return Promise.resolve().then(() => scanYara(job));
    const { fd, size, members, bytes } = job;
    return this.#post("match", { yara: { fd, size, members, bytes } }, bytes, () => scanYara(job));
  }

  /**
   * Warehouse's framing walk of a zip (framingOfFile), on the worker when it is running: it reads
   * the file, which the caller keeps open until this settles. It holds nothing while it waits,
   * so it weighs nothing in MAX_QUEUED.
   */
  framing(fd: number, size: number): Promise<string | undefined> {
    return this.#post("framing", { framing: { fd, size } }, 0, () => framingOfFile(fd, size));
  }

  #post<T>(
    kind: Pending["kind"],
    request: RenderRequest["work"],
    size: number,
    here: () => T | Promise<T>,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the description thread is closed"));
    const worker = this.#worker;
    if (!worker) return Promise.resolve().then(here);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, {
        kind,
        size,
        here,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#queued += size;
      Atomics.store(this.#claims, id % CLAIM_SLOTS, 0);
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, work: request } satisfies RenderRequest);
    });
  }

  /**
   * Does here the newest YARA scan or framing walk the worker has not started, if there is one
   * (it then skips it); false when there is none. For the end of a run, when this thread has no
   * archive left to read: the worker works through the oldest requests while this thread takes
   * the newest, so neither waits for the other. Descriptions stay there (rendering here would
   * first load the renderer), and nothing is taken from a worker that does not claim requests
   * (a stand-in).
   */
  takeBack(): boolean {
    if (!this.#worker || Atomics.load(this.#progress, CLAIMS) !== 1) return false;
    const ids = [...this.#pending.keys()];
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i] as number;
      const pending = this.#pending.get(id) as Pending;
      if (pending.kind === "verdict") continue;
      // Claimed by the worker: so is every older request (it takes them in order).
      if (Atomics.compareExchange(this.#claims, id % CLAIM_SLOTS, 0, TAKEN_BACK) !== 0)
        return false;
      this.#pending.delete(id);
      this.takenBack++;
      if (this.#pending.size === 0) this.#worker.unref();
      try {
        pending.resolve(pending.here());
      } catch (error) {
        pending.reject(error);
      }
      this.#settled(pending.size);
      return true;
    }
    return false;
  }

  /** Resolves once the requests awaiting an answer are few and small enough to send more. */
  room(): Promise<void> {
    if (this.#hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops the worker; what it has not answered is refused (the run is over or interrupted). */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    for (const p of this.#pending.values()) p.reject(new Error("the description thread is closed"));
    this.#pending.clear();
    this.#settled(0);
    if (worker) await worker.terminate();
  }

  #answer(answer: RenderAnswer): void {
    const pending = this.#pending.get(answer.id);
    if (!pending) return;
    this.#pending.delete(answer.id);
    this.#settledCount++;
    if (this.#pending.size === 0) this.#worker?.unref();
    if ("error" in answer || !(pending.kind in answer)) {
      // The worker failed on it: this thread does the work, to fail as it would alone.
      Promise.resolve().then(pending.here).then(pending.resolve, pending.reject);
    } else {
      this.answered++;
      pending.resolve(
        "verdict" in answer
          ? answer.verdict
          : "match" in answer
            ? (answer.match ?? undefined)
            : (answer.framing ?? undefined),
      );
    }
    this.#settled(pending.size);
  }

  /** The worker is gone (it failed to load, crashed or exited): the main thread takes over. */
  #fallBack(): void {
    if (!this.#worker) return;
    this.#worker = undefined;
    const left = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of left) Promise.resolve().then(p.here).then(p.resolve, p.reject);
    this.#settled(this.#queued);
  }

  #hasRoom(): boolean {
    return this.#queued < MAX_QUEUED && this.#pending.size < MAX_PENDING;
  }

  #settled(chars: number): void {
    this.#queued = this.#pending.size === 0 ? 0 : this.#queued - chars;
    if (!this.#hasRoom()) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

let early: DescriptionThread | undefined;

/** Starts the thread now (the CLI, before it loads the rules); `takeDescriptionThread` gets it. */
export function startDescriptionThread(): void {
  early ??= new DescriptionThread();
}

/** The thread started early, or a new one; the caller closes it. */
export function takeDescriptionThread(): DescriptionThread {
  const thread = early ?? new DescriptionThread();
  early = undefined;
  return thread;
}
