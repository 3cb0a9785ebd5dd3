import { readFile, stat } from "node:fs/promises";
import type { ServerConfig } from "../config/types.js";
import { type Digests, digestTap, PARALLEL_THRESHOLD } from "../distributions/digests.js";
import type { Distribution } from "../distributions/types.js";
import type { Job, Plan } from "../plan/plan.js";
import { digestFields, digestValues, registerFields, uploadFields } from "../protocol/fields.js";
import {
  buildMultipart,
  type FilePart,
  type MultipartBody,
  type TrailingFields,
} from "../protocol/multipart.js";
import {
  classifyRegister,
  classifyUpload,
  isAlreadyExists,
  type Outcome,
} from "../protocol/outcome.js";
import { sendsSignature } from "../protocol/signatures.js";
import { type HttpResponse, send, TransportError } from "../transport/http.js";
import { type RetryEvent, type RetryPolicy, withRetries } from "../transport/retry.js";
import { confirmHtmlAnswer, interruptedAfterSending } from "./confirm.js";
import type { DigestCache } from "./digest-cache.js";
import { ExistenceChecker } from "./existence.js";
import { errorReasonCode, StopList } from "./refusals.js";
import { runScheduled, type ScheduleLimits } from "./scheduler.js";
import { paced, ServerPacing } from "./server-pacing.js";
import type { ServerSession } from "./session.js";

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

async function readAttestations(dist: Distribution): Promise<string | undefined> {
  if (dist.attestationPaths.length === 0) return undefined;
  const objects = await Promise.all(
    dist.attestationPaths.map(async (path) => JSON.parse(await readFile(path, "utf8")) as unknown),
  );
  return JSON.stringify(objects);
}

export interface RunContext {
  sessions: Map<string, ServerSession>;
  digests: DigestCache;
  /** Asks simple indexes whether a file is already there (servers with a check URL). */
  checker: ExistenceChecker;
}

/** The digests one server gets: md5 only where it asked for it (`md5-digest = true`). */
function forServer(digests: Digests, server: ServerConfig): Digests {
  if (!server.md5Digest) return { sha256: digests.sha256, blake2_256: digests.blake2_256 };
  if (digests.md5 === undefined) throw new Error(`internal: md5 not computed for ${server.name}`);
  return digests;
}

export async function runPlan(
  plan: Plan,
  context: RunContext,
  options: RunOptions,
  events: RunEvents = {},
): Promise<JobResult[]> {
  const { sessions, digests, checker } = context;
  // Each server's share of the requests follows how it answers, up to --per-server.
  const pacing = options.pacing ?? new ServerPacing({ max: options.perServer });

  const finished = new Map<number, JobResult>();
  const stops = new StopList((line) => events.onNotice?.(line));
  /** Jobs whose server refused the file itself (400/422, not an "already exists" answer). */
  const refused = new Set<number>();

  /**
   * A file one of the other servers refused as invalid (not a network, auth or "exists" problem)
   * is not sent to a permanent index: once there, its name can never be used again, and the fix
   * (a rebuilt file) would need a new version. Re-running after the fix sends it.
   */
  const holdReason = (job: Job): string | undefined => {
    if (job.action !== "upload" || !job.server.immutable) return undefined;
    for (const id of job.after) {
      const before = finished.get(id);
      if (!before || before.job.dist.path !== job.dist.path || before.job.server.immutable)
        continue;
      if (before.outcome.status === "failed" && refused.has(id)) {
        return `not sent to this permanent index because ${before.job.server.name} refused the file (${before.outcome.reason ?? before.outcome.httpStatus}); fix it and run again`;
      }
    }
    return undefined;
  };

  /** The digest fields after the file, computed as it is sent; they settle the claim. */
  const digestTrailer = (
    job: Job,
    settled: NonNullable<ReturnType<DigestCache["claim"]>>,
  ): TrailingFields => ({
    fields: digestFields(job.server.md5Digest === true),
    start: async () => {
      const tap = await digestTap(job.dist.path, digests.optionsFor(job.dist.path));
      return {
        update: tap.update,
        finish: async () => {
          const computed = await tap.finish();
          settled.resolve(computed);
          return digestValues(forServer(computed, job.server));
        },
      };
    },
  });

  /** Per job: what is known so far, for the result and for the checks after the answer. */
  interface JobState {
    started: number;
    attempts: number;
    sha256?: string | undefined;
    claim?: ReturnType<DigestCache["claim"]>;
  }

  /** The form to send, or the outcome when the check URL already settles it. */
  const prepare = async (job: Job, state: JobState): Promise<MultipartBody | Outcome> => {
    if (job.action !== "upload") return buildMultipart(registerFields(job.dist), []);
    // Where no simple index is asked first, a large file not hashed yet is hashed in the same
    // pass as its first upload (digests trail the file); other servers wait for the result.
    state.claim =
      !ExistenceChecker.canCheck(job.server) && job.dist.size >= PARALLEL_THRESHOLD
        ? digests.claim(job.dist.path)
        : undefined;
    let known: Digests | undefined;
    if (!state.claim) {
      known = await digests.get(job.dist.path);
      state.sha256 = known.sha256;
      const before = await checker.presence(job.server, job.dist, known.sha256);
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
    }
    const attestations = options.attestations ? await readAttestations(job.dist) : undefined;
    const fields = uploadFields(job.dist, known && forServer(known, job.server), {
      comment: options.comment,
      attestations,
    });
    const files: FilePart[] = [
      { name: "content", filename: job.dist.filename, path: job.dist.path, size: job.dist.size },
    ];
    if (job.dist.signaturePath && sendsSignature(job.server)) {
      const { size } = await stat(job.dist.signaturePath);
      files.push({
        name: "gpg_signature",
        filename: `${job.dist.filename}.asc`,
        path: job.dist.signaturePath,
        size,
      });
    }
    return buildMultipart(fields, files, {
      trailer: state.claim && digestTrailer(job, state.claim),
    });
  };

  const transmit = (job: Job, body: MultipartBody, state: JobState): Promise<HttpResponse> => {
    const session = sessions.get(job.server.name) as ServerSession;
    events.onStart?.(job, job.action === "upload" ? job.dist.size : 0);
    return withRetries(
      async (n) => {
        state.attempts = n;
        const headers: Record<string, string> = {
          "content-type": body.contentType,
          "content-length": String(body.contentLength),
          "user-agent": options.userAgent,
        };
        // Per attempt: a short-lived token (trusted publishing) is renewed before it expires.
        const authorization = await session.authorize();
        if (authorization) headers.authorization = authorization;
        return paced(
          job.server.name,
          pacing,
          send(session.dispatcher, {
            method: "POST",
            url: job.server.repository,
            headers,
            body: (onChunk) => body.open(onChunk),
            stallTimeoutMs: options.stallTimeoutMs,
            signal: options.signal,
            onProgress: (bytes) => events.onProgress?.(job, bytes),
            trace: session.trace,
          }),
        );
      },
      options.retry,
      {
        signal: options.signal,
        onRetry: (event) => events.onRetry?.(job, event),
        onGiveUp: session.trace && ((why) => session.trace?.({ kind: "note", text: why })),
      },
    );
  };

  /** What an answer means, looked at twice where the check URL can tell. */
  const settle = async (job: Job, response: HttpResponse, state: JobState): Promise<Outcome> => {
    if ((response.status === 400 || response.status === 422) && !isAlreadyExists(response)) {
      refused.add(job.id);
    }
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
      return recheck(job, state.sha256, outcome);
    }
    return outcome;
  };

  /** A request that got no (complete) answer: interrupted, or the network failed. */
  const failure = async (job: Job, error: unknown, state: JobState): Promise<Outcome> => {
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
    return state.sha256 !== undefined && !interrupted ? recheck(job, state.sha256, failed) : failed;
  };

  const runJob = async (job: Job): Promise<JobResult> => {
    const state: JobState = { started: Date.now(), attempts: 0 };
    const done = (outcome: Outcome, error?: unknown): JobResult => {
      stops.note(job, outcome, error);
      return finish({
        job,
        outcome,
        attempts: state.attempts,
        durationMs: Date.now() - state.started,
        sha256: state.sha256,
      });
    };
    const held = holdReason(job);
    if (held) return done({ status: "held", reason: held, code: "held" });
    const stopped = stops.check(job);
    if (stopped) return done(stopped);
    try {
      const prepared = await prepare(job, state);
      if (!("open" in prepared)) return done(prepared);
      const response = await transmit(job, prepared, state);
      if (state.claim) {
        state.claim.settle();
        state.sha256 = (await digests.get(job.dist.path)).sha256;
      }
      return done(await settle(job, response, state));
    } catch (error) {
      state.claim?.settle();
      return done(await failure(job, error, state), error);
    }
  };
  // A failed answer does not prove the file is missing: a proxy may have timed out after the
  // server stored it. Where the simple index can tell, look again.
  const recheck = async (job: Job, sha256: string, failed: Outcome): Promise<Outcome> => {
    if (job.action !== "upload" || !ExistenceChecker.canCheck(job.server)) return failed;
    const after = await checker.presence(job.server, job.dist, sha256, { fresh: true });
    if (after.state !== "same") return failed;
    return {
      status: "uploaded",
      reason: `the file is on the server (same sha256) although the upload reported: ${failed.reason ?? "an error"}`,
    };
  };
  const finish = (result: JobResult): JobResult => {
    finished.set(result.job.id, result);
    events.onFinish?.(result);
    return result;
  };

  const results = await runScheduled(plan.jobs, { ...options, pacing }, runJob, options.signal);
  // Jobs never started (interrupted) are reported, not dropped.
  return plan.jobs.map(
    (job) =>
      results.get(job.id) ?? {
        job,
        outcome: { status: "failed", reason: "not attempted (interrupted)", code: "interrupted" },
        attempts: 0,
        durationMs: 0,
      },
  );
}
