import { readFile, stat } from "node:fs/promises";
import { type Digests, computeDigests } from "../distributions/digests.js";
import type { Distribution } from "../distributions/types.js";
import type { Job, Plan } from "../plan/plan.js";
import { type FormFields, registerFields, uploadFields } from "../protocol/fields.js";
import { type FilePart, buildMultipart } from "../protocol/multipart.js";
import { type Outcome, classifyRegister, classifyUpload } from "../protocol/outcome.js";
import { send } from "../transport/http.js";
import { type RetryEvent, type RetryPolicy, withRetries } from "../transport/retry.js";
import { type ScheduleLimits, runScheduled } from "./scheduler.js";
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
}

export interface RunOptions extends ScheduleLimits {
  retry: RetryPolicy;
  stallTimeoutMs: number;
  skipExisting: boolean;
  comment?: string | undefined;
  /** Send `<file>.*.attestation` files (PEP 740) with each upload. */
  attestations: boolean;
  userAgent: string;
  signal?: AbortSignal | undefined;
}

/** Each file is hashed once per run, however many servers it goes to. */
export function digestCache(signal?: AbortSignal): (dist: Distribution) => Promise<Digests> {
  const cache = new Map<string, Promise<Digests>>();
  return (dist) => {
    let digests = cache.get(dist.path);
    if (!digests) {
      digests = computeDigests(dist.path, signal);
      cache.set(dist.path, digests);
    }
    return digests;
  };
}

async function readAttestations(dist: Distribution): Promise<string | undefined> {
  if (dist.attestationPaths.length === 0) return undefined;
  const objects = await Promise.all(
    dist.attestationPaths.map(async (path) => JSON.parse(await readFile(path, "utf8")) as unknown),
  );
  return JSON.stringify(objects);
}

export async function runPlan(
  plan: Plan,
  sessions: Map<string, ServerSession>,
  options: RunOptions,
  events: RunEvents = {},
): Promise<JobResult[]> {
  const digestsOf = digestCache(options.signal);

  const runJob = async (job: Job): Promise<JobResult> => {
    const started = Date.now();
    const session = sessions.get(job.server.name) as ServerSession;
    let attempts = 0;
    let sha256: string | undefined;
    try {
      let fields: FormFields;
      const files: FilePart[] = [];
      if (job.action === "upload") {
        const digests = await digestsOf(job.dist);
        sha256 = digests.sha256;
        const attestations = options.attestations ? await readAttestations(job.dist) : undefined;
        fields = uploadFields(job.dist, digests, { comment: options.comment, attestations });
        files.push({ name: "content", filename: job.dist.filename, path: job.dist.path, size: job.dist.size });
        if (job.dist.signaturePath) {
          const { size } = await stat(job.dist.signaturePath);
          files.push({
            name: "gpg_signature",
            filename: `${job.dist.filename}.asc`,
            path: job.dist.signaturePath,
            size,
          });
        }
      } else {
        fields = registerFields(job.dist);
      }
      const body = buildMultipart(fields, files);
      const headers: Record<string, string> = {
        "content-type": body.contentType,
        "content-length": String(body.contentLength),
        "user-agent": options.userAgent,
      };
      if (session.authorization) headers.authorization = session.authorization;

      events.onStart?.(job, job.action === "upload" ? job.dist.size : 0);
      const response = await withRetries(
        (n) => {
          attempts = n;
          return send(session.dispatcher, {
            method: "POST",
            url: job.server.repository,
            headers,
            body: (onChunk) => body.open(onChunk),
            stallTimeoutMs: options.stallTimeoutMs,
            signal: options.signal,
            onProgress: (bytes) => events.onProgress?.(job, bytes),
          });
        },
        options.retry,
        { signal: options.signal, onRetry: (event) => events.onRetry?.(job, event) },
      );
      const outcome =
        job.action === "upload"
          ? classifyUpload(response, job.server.repository, { skipExisting: options.skipExisting })
          : classifyRegister(response, job.server.repository);
      return finish({ job, outcome, attempts, durationMs: Date.now() - started, sha256 });
    } catch (error) {
      const reason = options.signal?.aborted ? "interrupted" : (error as Error).message;
      return finish({
        job,
        outcome: { status: "failed", reason },
        attempts,
        durationMs: Date.now() - started,
        sha256,
      });
    }
  };
  const finish = (result: JobResult): JobResult => {
    events.onFinish?.(result);
    return result;
  };

  const results = await runScheduled(plan.jobs, options, runJob, options.signal);
  // Jobs never started (interrupted) are reported, not dropped.
  return plan.jobs.map(
    (job) =>
      results.get(job.id) ?? {
        job,
        outcome: { status: "failed", reason: "not attempted (interrupted)" },
        attempts: 0,
        durationMs: 0,
      },
  );
}
