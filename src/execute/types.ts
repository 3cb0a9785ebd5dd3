/** What a run reports per job (also part of the Node API's events). */
import type { Job } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import type { RetryEvent } from "../transport/types.js";

export interface JobResult {
  job: Job;
  outcome: Outcome;
  attempts: number;
  durationMs: number;
  /** The file's sha256, when it was hashed (uploads). */
  sha256?: string | undefined;
}

/** What the reporter hears while the plan runs. */
export interface RunEvents {
  onStart?(job: Job, totalBytes: number): void;
  onProgress?(job: Job, bytes: number): void;
  onRetry?(job: Job, event: RetryEvent): void;
  onFinish?(result: JobResult): void;
  /** A line worth saying once (a server that refused for good). */
  onNotice?(line: string): void;
}
