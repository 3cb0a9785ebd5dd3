/**
 * What the description thread's worker (render-worker.ts) and the main thread
 * (description-thread.ts) share in memory, read at once by the other thread without waiting for
 * its event loop: a progress record, and a claim per request so that each request is done by
 * exactly one of them. Constants only: both threads load it.
 */

/** progress[FINISHED]: requests the worker finished (done, failed or skipped). */
export const FINISHED = 0;
/** progress[CLAIMS]: 1 once the worker claims each request before it starts it. */
export const CLAIMS = 1;
export const PROGRESS_LENGTH = 2;

/**
 * Claim slots, one per request by id modulo: 0 while nobody started it, then the claimant's
 * mark. The worker takes requests in order and few wait at once (MAX_PENDING), so a slot is
 * free again long before its id comes round.
 */
export const CLAIM_SLOTS = 1024;
export const CLAIMED_BY_WORKER = 1;
export const TAKEN_BACK = 2;
