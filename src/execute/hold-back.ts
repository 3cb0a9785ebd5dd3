/**
 * Hold-back of permanent servers: a file one of the other servers refused as invalid (not a
 * network, auth or "exists" problem) is not sent to a permanent index (pypi.org, test.pypi.org,
 * `immutable = true`). Once there its name can never be used again, and the fix (a rebuilt file)
 * would need a new version. Re-running after the fix sends it.
 */
import type { Job } from "../plan/plan.js";
import { isAlreadyExists } from "../protocol/outcome.js";
import type { HttpResponse } from "../transport/http.js";
import type { JobResult } from "./types.js";

export class HoldBack {
  /** Jobs whose server refused the file itself (400/422, not an "already exists" answer). */
  private readonly refused = new Set<number>();

  constructor(private readonly finished: ReadonlyMap<number, JobResult>) {}

  /** Notes an answer: a refusal of the file itself holds it back from permanent servers. */
  answered(job: Job, response: HttpResponse): void {
    if ((response.status === 400 || response.status === 422) && !isAlreadyExists(response)) {
      this.refused.add(job.id);
    }
  }

  /** Why this job is not sent, or undefined. Its `after` jobs have finished by now. */
  reason(job: Job): string | undefined {
    if (job.action !== "upload" || !job.server.immutable) return undefined;
    for (const id of job.after) {
      const before = this.finished.get(id);
      if (!before || before.job.dist.path !== job.dist.path || before.job.server.immutable)
        continue;
      if (before.outcome.status === "failed" && this.refused.has(id)) {
        return `not sent to this permanent index because ${before.job.server.name} refused the file (${before.outcome.reason ?? before.outcome.httpStatus}); fix it and run again`;
      }
    }
    return undefined;
  }
}
