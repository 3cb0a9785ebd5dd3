/**
 * The head start a run gives BLAKE2b: the large files it will upload start hashing on the second
 * core before `send` loads its HTTP stack, opens sessions and runs the preflight (the main thread
 * alone, the other core idle), instead of when their upload starts.
 */
import { Blake2bAhead, PARALLEL_THRESHOLD } from "../distributions/blake2b-thread.js";
import type { Prepared } from "./prepare.js";

/** The run's large files to hash ahead, in the plan's order: not known already (sync). */
function largeUploads({ plan, known }: Prepared): string[] {
  if (plan.action !== "upload") return [];
  const paths = plan.jobs
    .filter((job) => job.dist.size >= PARALLEL_THRESHOLD && !known?.digests.has(job.dist.path))
    .map((job) => job.dist.path);
  return [...new Set(paths)];
}

/** Starts hashing (one worker per spare core); the caller cancels what the run did not take. */
export function hashAhead(prepared: Prepared): Blake2bAhead {
  return new Blake2bAhead(largeUploads(prepared), prepared.options.signal);
}
