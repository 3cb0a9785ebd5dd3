/**
 * The existence pre-check and re-check, where a server's simple index can tell (check URL):
 * before sending, a file already there is skipped (same sha256) or refused (a different file under
 * the name); after a failed answer, a file that is there after all counts as uploaded (a proxy may
 * time out after the server stored it).
 */
import type { Job } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import { ExistenceChecker } from "./existence.js";

/** The outcome when the index already settles the job, else undefined (send it). */
export async function precheck(
  checker: ExistenceChecker,
  job: Job,
  sha256: string,
): Promise<Outcome | undefined> {
  const before = await checker.presence(job.server, job.dist, sha256);
  if (before.state === "same") {
    return {
      status: "skipped",
      reason: "already on the server with the same sha256 (check URL)",
      code: "already-exists",
    };
  }
  if (before.state === "conflict") {
    return {
      status: "failed",
      reason: `the server already has a different file with this name (sha256 ${before.sha256 ?? "?"}); bump the version or build number`,
      code: "different-file",
    };
  }
  return undefined;
}

/** A failed answer does not prove the file is missing: where the index can tell, look again. */
export async function recheck(
  checker: ExistenceChecker,
  job: Job,
  sha256: string,
  failed: Outcome,
): Promise<Outcome> {
  if (job.action !== "upload" || !ExistenceChecker.canCheck(job.server)) return failed;
  const after = await checker.presence(job.server, job.dist, sha256, { fresh: true });
  if (after.state !== "same") return failed;
  return {
    status: "uploaded",
    reason: `the file is on the server (same sha256) although the upload reported: ${failed.reason ?? "an error"}`,
  };
}
