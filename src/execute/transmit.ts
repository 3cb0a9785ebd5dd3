/** One job's request to its server, paced, retried per the retry policy, its progress reported. */
import type { Job } from "../plan/plan.js";
import type { MultipartBody } from "../protocol/multipart.js";
import { type HttpResponse, send } from "../transport/http.js";
import { withRetries } from "../transport/retry.js";
import type { JobState, RunOptions } from "./job.js";
import { paced, type ServerPacing } from "./server-pacing.js";
import type { ServerSession } from "./session.js";
import type { RunEvents } from "./types.js";

export function transmit(
  job: Job,
  body: MultipartBody,
  { session, pacing, state }: { session: ServerSession; pacing: ServerPacing; state: JobState },
  options: RunOptions,
  events: RunEvents,
): Promise<HttpResponse> {
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
      // Each answer (its wait, an overload status) tells the server's pacing.
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
}
