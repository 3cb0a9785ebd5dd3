/**
 * Runs a plan's jobs under the scheduler's limits. Each job: held back? stopped (its server
 * refused for good)? -> request body (upload-request.ts, existence pre-check) -> transmit with
 * retries -> what the answer means (answer.ts, re-check). The policies live in their own modules.
 */
import type { Job, Plan } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import { settleAnswer, settleFailure } from "./answer.js";
import { HoldBack } from "./hold-back.js";
import type { JobState, RunContext, RunOptions } from "./job.js";
import { StopList } from "./refusals.js";
import { runScheduled } from "./scheduler.js";
import { ServerPacing } from "./server-pacing.js";
import type { ServerSession } from "./session.js";
import { transmit } from "./transmit.js";
import type { JobResult, RunEvents } from "./types.js";
import { buildRequest } from "./upload-request.js";

export type { RunContext, RunOptions } from "./job.js";
export type { JobResult, RunEvents } from "./types.js";

/** Jobs never started (interrupted) are reported, not dropped. */
function notAttempted(job: Job): JobResult {
  return {
    job,
    outcome: { status: "failed", reason: "not attempted (interrupted)", code: "interrupted" },
    attempts: 0,
    durationMs: 0,
  };
}

export async function runPlan(
  plan: Plan,
  context: RunContext,
  options: RunOptions,
  events: RunEvents = {},
): Promise<JobResult[]> {
  // Each server's share of the requests follows how it answers, up to --per-server.
  const pacing = options.pacing ?? new ServerPacing({ max: options.perServer });
  const finished = new Map<number, JobResult>();
  const holdBack = new HoldBack(finished);
  const stops = new StopList((line) => events.onNotice?.(line));

  /** The outcome of sending: the answer's meaning, or the failure's. */
  const exchange = async (job: Job, state: JobState): Promise<Outcome> => {
    const body = await buildRequest(job, state, context, options);
    if (!("open" in body)) return body;
    const session = context.sessions.get(job.server.name) as ServerSession;
    const response = await transmit(job, body, { session, pacing, state }, options, events).catch(
      (error: unknown) => {
        // No answer: the body's buffers may still sit in a closing socket, never reuse them.
        body.abandoned();
        throw error;
      },
    );
    // Answered: none of the body still waits in a socket, its read buffers can serve the next.
    body.answered();
    if (state.claim) {
      state.claim.settle();
      state.sha256 = (await context.digests.get(job.dist.path)).sha256;
    }
    holdBack.answered(job, response);
    return settleAnswer(job, response, state, context.checker, options);
  };

  const runJob = async (job: Job): Promise<JobResult> => {
    const arrived = await context.arrival?.(job);
    const state: JobState = { started: Date.now(), attempts: 0 };
    let outcome: Outcome;
    let error: unknown;
    const held = arrived ? undefined : holdBack.reason(job);
    if (arrived) outcome = arrived;
    else if (held) outcome = { status: "held", reason: held, code: "held" };
    else {
      try {
        outcome = stops.check(job) ?? (await exchange(job, state));
      } catch (caught) {
        error = caught;
        state.claim?.settle();
        outcome = await settleFailure(job, caught, state, context.checker, options);
      }
    }
    stops.note(job, outcome, error);
    const { attempts, sha256 } = state;
    const result = { job, outcome, attempts, durationMs: Date.now() - state.started, sha256 };
    finished.set(job.id, result);
    events.onFinish?.(result);
    return result;
  };

  const results = await runScheduled(plan.jobs, { ...options, pacing }, runJob, options.signal);
  return plan.jobs.map((job) => results.get(job.id) ?? notAttempted(job));
}
