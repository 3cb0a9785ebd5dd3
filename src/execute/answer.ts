/**
 * What a job's answer means (docs/protocol.md, "How servers answer an upload"), or its missing
 * answer: classified, then confirmed or looked at again where the check URL can tell.
 */
import type { Job } from "../plan/plan.js";
import { classifyRegister, classifyUpload, type Outcome } from "../protocol/outcome.js";
import { type HttpResponse, TransportError } from "../transport/http.js";
import { confirmHtmlAnswer, interruptedAfterSending } from "./confirm.js";
import type { ExistenceChecker } from "./existence.js";
import type { JobState, RunOptions } from "./job.js";
import { recheck } from "./presence-checks.js";
import { errorReasonCode } from "./refusals.js";

/** An answer: classified; a 2xx HTML page confirmed; a failure looked at again. */
export async function settleAnswer(
  job: Job,
  response: HttpResponse,
  state: JobState,
  checker: ExistenceChecker,
  options: RunOptions,
): Promise<Outcome> {
  const hints = {
    url: job.server.repository,
    checkUrl: job.server.checkUrl,
    redact: options.redact,
  };
  const outcome =
    job.action === "upload"
      ? classifyUpload(response, hints, { skipExisting: options.skipExisting })
      : classifyRegister(response, hints);
  if (outcome.status === "uploaded") {
    return (await confirmHtmlAnswer(job, response, checker, state.sha256)) ?? outcome;
  }
  if (outcome.status === "failed" && options.signal?.aborted) {
    // Ctrl-C while waiting to retry: the last answer is why it was waiting, not the end.
    return { ...outcome, reason: `interrupted (last answer: ${outcome.reason ?? ""})` };
  }
  if (outcome.status === "failed" && state.sha256 !== undefined) {
    return recheck(checker, job, state.sha256, outcome);
  }
  return outcome;
}

/** A request that got no (complete) answer: interrupted, or the network failed. */
export async function settleFailure(
  job: Job,
  error: unknown,
  state: JobState,
  checker: ExistenceChecker,
  options: RunOptions,
): Promise<Outcome> {
  const interrupted = options.signal?.aborted === true;
  if (interrupted && error instanceof TransportError && error.bodySent) {
    return interruptedAfterSending(job, checker, state.sha256);
  }
  const reason = interrupted
    ? state.attempts > 0
      ? "interrupted (aborted in flight)"
      : "interrupted"
    : (error as Error).message;
  const failed: Outcome = { status: "failed", reason, code: errorReasonCode(error, interrupted) };
  return state.sha256 !== undefined && !interrupted
    ? recheck(checker, job, state.sha256, failed)
    : failed;
}
