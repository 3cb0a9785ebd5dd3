/** The executor's settings and per-job state, shared by run.ts and the policies it composes. */
import type { Job } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import type { RetryPolicy } from "../transport/types.js";
import type { DigestCache } from "./digest-cache.js";
import type { ExistenceChecker } from "./existence.js";
import type { ScheduleLimits } from "./scheduler.js";
import type { ServerSession } from "./session.js";

export interface RunOptions extends ScheduleLimits {
  retry: RetryPolicy;
  stallTimeoutMs: number;
  skipExisting: boolean;
  comment?: string | undefined;
  /** Send `<file>.*.attestation` files (PEP 740) with each upload. */
  attestations: boolean;
  userAgent: string;
  /** The run's redaction, applied to server answers before they are trimmed into reasons. */
  redact?: ((text: string) => string) | undefined;
  signal?: AbortSignal | undefined;
}

export interface RunContext {
  sessions: Map<string, ServerSession>;
  digests: DigestCache;
  /** Asks simple indexes whether a file is already there (servers with a check URL). */
  checker: ExistenceChecker;
  /**
   * Files still arriving (sync downloads them while the first ones are sent): resolves when the
   * job's file is ready to send, or with the outcome that replaces sending it.
   */
  arrival?: ((job: Job) => Promise<Outcome | undefined>) | undefined;
}

/** Per job: what is known so far, for the result and for the checks after the answer. */
export interface JobState {
  started: number;
  attempts: number;
  sha256?: string | undefined;
  /** This job hashes the file while sending it (digests trail the file); settled after. */
  claim?: ReturnType<DigestCache["claim"]>;
}
